#!/bin/bash
# bizenv migrate and bizenv registry load: output and exit statuses.
. "$(dirname "$0")/../lib/tap.sh"

db=$(scratch_db) || { echo "1..0 # SKIP no database"; exit 0; }
home=$(new_home)
run() { "$BIZENV" --home "$home" --db "dbname=$db" "$@"; }

out=$(run migrate --list 2>&1); ok $? "migrate --list works on an empty database"
like "$out" "待执行：087_baseline" "lists the baseline as pending"
like "$out" "待执行：088_ranking_row" "lists 088 as pending"
like "$out" "待执行：重建数据库函数与视图（[0-9]+ 个定义文件）" "lists the definitions as pending"

out=$(run migrate 2>&1); ok $? "migrate applies"
like "$out" "已执行数据库升级 087_baseline" "names each migration applied"
like "$out" "已重建数据库函数与视图（[0-9]+ 个定义文件）" "says the definitions were applied"
like "$out" "共执行 [0-9]+ 个数据库升级" "prints the count"

out=$(run migrate 2>&1); ok $? "second migrate succeeds"
is "$out" "" "quiet when nothing is pending"
out=$(run --verbose migrate 2>&1)
is "$out" "数据库结构已是最新" "--verbose says the schema is current"

printf 'code,name\n539901101,示例乡\n539901102,东山镇\n' >"$T/t.csv"
out=$(run registry load "$T/t.csv" 2>&1); ok $? "registry load exits 0"
is "$out" "乡镇名录已载入：新增 2，更名 0，停用 0，恢复 0，未变 0" "first load summary"
printf 'code,name\n539901101,示例新乡\n' >"$T/t.csv"
out=$(run registry load "$T/t.csv" 2>&1)
is "$out" "乡镇名录已载入：新增 0，更名 1，停用 1，恢复 0，未变 0" "rename and inactivate summary"
is "$(psql -XAtq -d "$db" -c "SELECT count(*) FROM ref.township")" "2" "nothing deleted"

printf 'code,name\n539901101,示例乡\n12345,短\n' >"$T/bad.csv"
out=$(run registry load "$T/bad.csv" 2>&1); is $? 65 "bad file exits 65"
like "$out" "E_REGISTRY_FORMAT.*第 3 行" "names the bad line"

run registry load "$T/missing.csv" >/dev/null 2>&1; is $? 66 "missing file exits 66"
"$BIZENV" --home "$home" --db "host=/nonexistent-bizenv port=1 dbname=x connect_timeout=2" \
    registry load "$T/t.csv" >/dev/null 2>&1
is $? 69 "unreachable database exits 69"
run registry >/dev/null 2>&1; is $? 64 "usage error exits 64"

done_testing
