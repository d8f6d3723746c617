#!/bin/sh
# The rebased baseline: a database the previous release (v0.1.0) set up, with
# its migrations 001–086 read from git history, upgrades to exactly the
# catalog an empty database gets from the baseline and the definition files
# (pg_dump --schema-only of both, compared whole), keeps its data and reads
# its stored rankings the same. Until then read-only commands refuse it. A
# database short of that release is refused with nothing changed, and one
# holding a weight the exact composite cannot use stops at 089.
#
# Only pg_dump's \restrict key, random per run, is pinned (--restrict-key);
# nothing else is normalised.
. "$(dirname "$0")/../lib/tap.sh"

RELEASE=b44802b # v0.1.0: its sql/ holds the migrations 001–086
git -C "$TOP" cat-file -e "$RELEASE:sql/001_schema.sql" 2>/dev/null ||
    skip_all "no git history here: the previous release's migrations are read from commit $RELEASE (v0.1.0)"
command -v pg_dump >/dev/null 2>&1 || skip_all "pg_dump not installed"

q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
H=$(new_home)
migrate() { "$BIZENV" --home "$H" --db "dbname=$1" migrate 2>&1; }
restrict=""
pg_dump --help 2>/dev/null | grep -q -- '--restrict-key' && restrict="--restrict-key=bizenv"
schema() { pg_dump --schema-only $restrict -d "$1"; }

# The database as the previous release's binary left it: its bootstrap's
# meta.migration, then each migration in its own transaction, recorded
# with its SHA-256 (load/migrate.c of v0.1.0). With $2, only up to that
# version.
at_release() {
    q "$1" "CREATE SCHEMA meta; CREATE TABLE meta.migration (version int PRIMARY KEY,
            name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())" \
        >/dev/null || return 1
    for f in $(git -C "$TOP" ls-tree --name-only "$RELEASE" sql/); do
        base=$(basename "$f" .sql)
        v=$(echo "${base%%_*}" | sed 's/^0*//')
        [ "$v" -le "${2:-999}" ] || continue
        git -C "$TOP" show "$RELEASE:$f" >"$T/m.sql" || return 1
        psql -X -q -1 -v ON_ERROR_STOP=1 -d "$1" -f "$T/m.sql" >>"$T/old.log" 2>&1 || return 1
        q "$1" "INSERT INTO meta.migration (version, name, sha256)
                VALUES ($v, '${base#*_}', '$(sha256sum <"$T/m.sql" | cut -c1-64)')" >/dev/null || return 1
    done
}

# Townships, submissions, stored rankings (full, a delta, one an export
# stored) and an export, made by the release's own functions.
seed() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" >>"$T/seed.log" 2>&1 <<EOF_SQL
\i $TOP/tests/sql/lib/fixture.psql
SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇'),
       test.town('539901103', '西河乡'), test.town('539901104', '南坪镇'),
       test.town('539901105', '北岭乡'), test.town('539901106', '中和镇'),
       test.town('539901107', '石桥乡'), test.town('539901108', '新村镇');
SELECT test.seed_example();
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
SELECT test.sub('539901104', '2026-09', 4, 4, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT report.refresh_rankings_if_changed(ARRAY['2026-10', '2026-Q4'], '2026-11-30');
SELECT test.sub('539901103', '2026-10', 10, 8, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02'], ARRAY['P7 2026-09-12'], 1, '2026-11-04 09:00+08');
SELECT report.refresh_ranking_if_changed('2026-10', '2026-11-30');
SELECT meta.record_export('2026-10', '2026-11-30', '539901', report.refresh_ranking('2026-10', '2026-11-30'),
                          ARRAY['csv'], ARRAY['539901_2026-10_2026-11-30.csv'],
                          ARRAY[repeat('a', 64)], ARRAY[10::bigint]);
DROP SCHEMA test CASCADE;  -- the fixture's helpers: not part of any catalog compared
EOF_SQL
}

# What a database holds and shows: compared before and after the upgrade.
reads() {
    psql -X -At -v ON_ERROR_STOP=1 -d "$1" <<'EOF_SQL'
SELECT r.id, r.period, r.as_of, r.base_run_id, r.inputs IS NOT NULL, r.max_submission_id FROM facts.ranking_run r ORDER BY r.id;
SELECT * FROM report.ranking_snapshot ORDER BY run_id, code;
SELECT * FROM report.ranking('2026-10', '2026-11-30');
SELECT * FROM report.ranking('2026-Q4', '2026-11-30');
SELECT * FROM report.county_summary('2026-10', '2026-11-30');
SELECT id, period, as_of, reproduces_id, changes_id, files FROM report.export_log ORDER BY id;
SELECT submission_id, windows, leaders FROM facts.walk_summary ORDER BY 1;
SELECT count(*) FROM facts.submission;
EOF_SQL
}

fresh=$(scratch_db) && old=$(scratch_db) && short=$(scratch_db) || { echo "Bail out! createdb failed"; exit 1; }

out=$(migrate "$fresh"); rc=$?
is "$rc" 0 "an empty database is set up by bizenv migrate"

at_release "$old"; ok $? "a second database is set up by the previous release's migrations 001–086"
seed "$old"; ok $? "the release's functions store rankings and an export in it"
before=$(reads "$old")
like "$before" "已报送" "it ranks"

# A read-only command does not upgrade it: behind, refused, nothing made.
out=$("$BIZENV" --home "$(new_home)" --db "dbname=$old" rank 2026-10 --as-of 2026-11-30 2>&1); rc=$?
is "$rc" 70 "before the upgrade, bizenv rank refuses it (exit 70)"
like "$out" "E_DB_SCHEMA.*由上一版本（v0.1.0）建立，尚未升级.*bizenv migrate" "with E_DB_SCHEMA: set up by v0.1.0, not upgraded"
is "$(q "$old" "SELECT count(*) || ' ' || max(version) || ' ' || (to_regclass('meta.definition_file') IS NULL)
                FROM meta.migration")" "14 86 true" "and changes nothing"

out=$(migrate "$old"); rc=$?
is "$rc" 0 "bizenv migrate upgrades it"
like "$out" "已将上一版本（v0.1.0）的升级记录 001–086 记为 087_baseline" "it records the release's migrations as the baseline"
unlike "$out" "已执行数据库升级 087_baseline" "without running the baseline"
like "$out" "已执行数据库升级 088_ranking_row" "it applies the later migrations"
like "$out" "已执行数据库升级 089_weight_finite" "(089)"
like "$out" "已执行数据库升级 090_instance" "(090)"
like "$out" "已重建数据库函数与视图" "and the definition files"

schema "$fresh" >"$T/fresh.sql"
schema "$old" >"$T/old.sql"
ok $([ -s "$T/fresh.sql" ]; echo $?) "pg_dump --schema-only dumps the empty one's catalog"
diff -u "$T/fresh.sql" "$T/old.sql" >"$T/catalog.diff"
ok $? "both end with the same catalog: tables, columns in order, constraints, indexes, types, comments, grants, functions, views, triggers"
[ -s "$T/catalog.diff" ] && head -60 "$T/catalog.diff" | sed 's/^/# /'
is "$(pg_dump --data-only $restrict -t ref.window_catalog -t ref.weight -t ref.setting -d "$old" | grep -v '^--')" \
   "$(pg_dump --data-only $restrict -t ref.window_catalog -t ref.weight -t ref.setting -d "$fresh" | grep -v '^--')" \
   "and the same reference data"
recorded="SELECT version, name, sha256 FROM meta.migration ORDER BY version"
is "$(q "$old" "$recorded")" "$(q "$fresh" "$recorded")" "and the same migration records"
recorded="SELECT path, sha256 FROM meta.definition_file ORDER BY path"
is "$(q "$old" "$recorded")" "$(q "$fresh" "$recorded")" "and the same definition records"

after=$(reads "$old")
is "$after" "$before" "every stored ranking, ranking, summary and export reads the same"
is "$(q "$old" "SELECT refreshed FROM report.refresh_ranking_if_changed('2026-10', '2026-11-30')")" f \
   "a night after the upgrade keeps the stored October ranking"
out=$(migrate "$old"); rc=$?
is "$rc:$out" "0:" "a second migrate has nothing to do"
out=$("$BIZENV" --home "$(new_home)" --db "dbname=$old" rank 2026-10 --as-of 2026-11-30 --format csv 2>&1); rc=$?
like "$rc:$out" "^0:rank,code," "bizenv rank reads the upgraded database"

# One migration short of the release: not that release, refused.
at_release "$short" 85; ok $? "a third database stops at the release's 085"
functions="SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname IN ('report', 'load', 'meta', 'facts')"
nfunctions=$(q "$short" "$functions")
out=$(migrate "$short"); rc=$?
is "$rc" 70 "bizenv migrate refuses it (exit 70)"
like "$out" "E_DB_MIGRATE" "with E_DB_MIGRATE"
like "$out" "不是上一版本（v0.1.0）的完整记录" "saying it is not the previous release"
is "$(q "$short" "SELECT count(*) || ' ' || max(version) FROM meta.migration")" "13 85" "its records are unchanged"
is "$(q "$short" "SELECT to_regclass('meta.definition_file') IS NULL")" t \
   "no definition was applied (the upgrade's one transaction made not even their table)"
is "$(q "$short" "SELECT to_regtype('report.ranking_row') IS NULL")" t "and no later migration ran"
is "$(q "$short" "$functions")" "$nfunctions" "and its functions are the ones it had"

# A weight v0.1.0 accepted but the exact composite cannot use (NaN):
# migration 089 stops, naming it. The upgrade is one transaction: the
# rebase and 088, run before it, are undone too, and the release's own
# functions and views are all still there for analysts meanwhile.
# Corrected, the upgrade completes.
nan=$(scratch_db) || { echo "Bail out! createdb failed"; exit 1; }
at_release "$nan" && q "$nan" "UPDATE ref.weight SET weight = 'NaN' WHERE figure = 'coverage'" >/dev/null
ok $? "a fourth database at the release, with a NaN weight"
views="SELECT count(*) FROM pg_views WHERE schemaname = 'report'"
nfunctions=$(q "$nan" "$functions"); nviews=$(q "$nan" "$views")
out=$(migrate "$nan"); rc=$?
is "$rc" 70 "bizenv migrate refuses it (E_DB_MIGRATE: exit 70)"
like "$out" "E_DB_MIGRATE.*089_weight_finite" "at 089, with E_DB_MIGRATE"
like "$out" "权重必须是有限的非负数.*coverage = NaN" "naming the weight"
is "$(q "$nan" "SELECT weight FROM ref.weight WHERE figure = 'coverage'")" NaN "the weight is left as it was"
is "$(q "$nan" "SELECT count(*) || ' ' || max(version) FROM meta.migration")" "14 86" \
   "nothing of the upgrade is recorded: not the rebase, not 088, not 089"
is "$(q "$nan" "SELECT to_regtype('report.ranking_row') IS NULL")" t "088's type is gone with it"
is "$(q "$nan" "$functions"):$(q "$nan" "$views")" "$nfunctions:$nviews" \
   "the release's functions and views are all still there"
is "$(q "$nan" "SELECT count(*) FROM report.township")" "$(q "$nan" "SELECT count(*) FROM ref.township")" \
   "and answer"
q "$nan" "UPDATE ref.weight SET weight = 2 WHERE figure = 'coverage'" >/dev/null
out=$(migrate "$nan"); rc=$?
like "$rc:$(printf '%s' "$out" | tr '\n' ' ')" "^0:.*记为 087_baseline.*已执行数据库升级 089_weight_finite" \
    "corrected, the upgrade completes"

dropdb "$fresh" >/dev/null 2>&1
dropdb "$old" >/dev/null 2>&1
dropdb "$short" >/dev/null 2>&1
dropdb "$nan" >/dev/null 2>&1
done_testing
