#!/bin/sh
# Upgrading a database with stored rankings across sql/086 (ranks computed
# from the stored figures): every stored ranking reads the same afterwards,
# and a ranking whose stored ranks its figures do not give stops the
# upgrade with nothing changed.
. "$(dirname "$0")/../lib/tap.sh"

db=$(scratch_db) || { echo "1..0 # SKIP no database"; exit 0; }
H=$(new_home)
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# The database as the binary before 086 left it: migrations 001-085 applied
# and recorded the way bizenv migrate records them.
at_085() {
    q "$1" "CREATE SCHEMA meta; CREATE TABLE meta.migration (version int PRIMARY KEY,
            name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())" \
        >/dev/null || return 1
    for f in "$TOP"/sql/0[0-8][0-9]_*.sql; do
        base=$(basename "$f" .sql)
        v=${base%%_*}
        [ "$v" -le 85 ] || continue
        psql -X -q -1 -v ON_ERROR_STOP=1 -d "$1" -f "$f" >>"$T/old.log" 2>&1 || return 1
        q "$1" "INSERT INTO meta.migration (version, name, sha256)
                VALUES ('$v'::int, '${base#*_}', '$(sha256sum "$f" | cut -c1-64)')" >/dev/null || return 1
    done
}
# Townships, submissions and stored rankings: full ones, incremental ones
# and one an export stored.
seed() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" >>"$T/seed.log" 2>&1 <<EOF_SQL
\i $TOP/tests/sql/lib/fixture.psql
SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇'),
       test.town('539901103', '西河乡'), test.town('539901104', '南坪镇');
SELECT test.seed_example();
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
SELECT report.refresh_ranking_if_changed('2026-10', '2026-11-30');
SELECT report.refresh_ranking_if_changed('2026-Q4', '2026-11-30');
SELECT test.sub('539901103', '2026-10', 10, 8, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02'], ARRAY['P7 2026-09-12'], 1, '2026-11-04 09:00+08');
SELECT report.refresh_ranking_if_changed('2026-10', '2026-11-30');
SELECT report.refresh_ranking('2026', '2026-11-30');
EOF_SQL
}
snapshot="SELECT s.run_id, s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
                 s.leader_participation, s.composite, s.composite_rank, s.service_rank,
                 s.completion_rank, s.coverage_rank, s.status, s.missing_months,
                 s.months_reported, s.months_expected, s.reporting_rate, s.on_time_rate,
                 s.handled, s.evaluated, s.due, s.done, s.windows_walked, s.windows_listed,
                 s.leaders_walked, s.leaders_listed
            FROM report.ranking_snapshot s ORDER BY s.run_id, s.code"

at_085 "$db"; ok $? "the database is set up as 085 left it"
seed "$db"; ok $? "townships, submissions and stored rankings"
before=$(q "$db" "$snapshot")
is "$(q "$db" "SELECT count(DISTINCT run_id) || ' ' || count(*) FROM report.ranking_snapshot")" "4 16" \
   "four stored rankings of four townships before the upgrade"

out=$("$BIZENV" --home "$H" --db "dbname=$db" migrate 2>&1); rc=$?
is "$rc" 0 "bizenv migrate upgrades it"
like "$out" "已执行数据库升级 086_ranking_figures" "and says it applied 086"
after=$(q "$db" "$snapshot")
is "$after" "$before" "every stored ranking reads the same: figures, composite, ranks, rates"
is "$(q "$db" "SELECT count(*) FROM facts.ranking_figure")" 16 "their figures moved to facts.ranking_figure"
is "$(q "$db" "SELECT to_regclass('facts.ranking_snapshot') IS NULL")" t "the old table is gone"
is "$(q "$db" "SELECT count(*) FROM report.ranking_run r WHERE NOT EXISTS (SELECT 1 FROM facts.ranking_run x WHERE x.id = r.id AND x.base_run_id IS NULL)")" 0 \
   "the moved rankings are full runs"
is "$(q "$db" "SELECT refreshed FROM report.refresh_ranking_if_changed('2026-10', '2026-11-30')")" f \
   "a night after the upgrade keeps the stored October ranking"

# A stored rank its figures do not give: the upgrade stops, nothing changes.
bad=$(scratch_db)
at_085 "$bad" && seed "$bad"; ok $? "a second database at 085"
q "$bad" "UPDATE facts.ranking_snapshot SET composite_rank = 4 WHERE run_id = 2 AND code = '539901101'" >/dev/null
out=$("$BIZENV" --home "$H" --db "dbname=$bad" migrate 2>&1); rc=$?
isnt_ok=$([ "$rc" -ne 0 ]; echo $?)
ok "$isnt_ok" "the upgrade fails (exit $rc)"
like "$out" "已保存的排名 #2 由其数字重算的排名与保存的不同，迁移 086 未执行" "it names the ranking and why"
is "$(q "$bad" "SELECT max(version) FROM meta.migration")" 85 "086 is not recorded"
is "$(q "$bad" "SELECT to_regclass('facts.ranking_snapshot') IS NOT NULL AND to_regclass('facts.ranking_figure') IS NULL")" t \
   "the stored rankings are where they were"
is "$(q "$bad" "SELECT composite_rank FROM facts.ranking_snapshot WHERE run_id = 2 AND code = '539901101'")" 4 \
   "as they were"

dropdb "$db" >/dev/null 2>&1
dropdb "$bad" >/dev/null 2>&1
done_testing
