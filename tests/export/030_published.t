#!/bin/sh
# Published means frozen: a later revision is accepted, the export record
# shows that the published figures changed, and exporting again as of the
# original date reproduces the published ranking exactly.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
db=$(scratch_db) || skip_all "no database"
H=$(new_home)
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@" </dev/null; }
q() { psql -X -At -d "$db" -c "$1"; }

B migrate >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$T/fixture.log" 2>&1 <<EOF_SQL
\i $TOP/tests/sql/lib/fixture.psql
SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇');
SELECT test.seed_example();
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
EOF_SQL
ok $? "fixture rows load"

B export 2026-10 >/dev/null 2>&1
ok $? "2026-10 published as of 2026-11-28"
pub="$H/exports/539901_2026-10_2026-11-28"
mkdir "$T/published" && cp "$pub".* "$T/published/"
published=$(q "select code||':'||coalesce(composite::text,'-')||':'||coalesce(composite_rank::text,'-') from report.ranking_snapshot where run_id = (select ranking_run_id from meta.export where id = 1) order by code" | tr '\n' ' ')

# a revision arrives after publication: accepted, and it changes the figures
q "SELECT test.sub('539901101', '2026-10', 31, 10, ARRAY['market'], ARRAY['L01'], '{}', '{}', 2, '2026-11-29 10:00+08')" >/dev/null
ok $? "a later revision for the period is still accepted"
out=$(BIZENV_TODAY=2026-11-30 B export 2026-10 2>&1)
like "$out" "注意：已发布的 2026-10 数字（截至 2026-11-28，导出记录 #1）已有变化" \
     "exporting the period again says the published figures changed"
is "$(q "select id, published_figures_changed, changed_by_id from report.export_log where id = 1")" "1|t|2" \
   "the original export's record shows its figures changed"
is "$(q "select changes_id from meta.export where id = 2")" 1 "the new record names the export it changes"
is "$(q "select count(*) from meta.export_file where export_id = 1")" 3 "the published record keeps its files' SHA-256"

# reproduce the published ranking: same figures, same ranks, same bytes
# (a second later, so no clock time can hide in the files)
sleep 1
out=$(BIZENV_TODAY=2026-11-30 B export 2026-10 --as-of 2026-11-28 --out "$T/again" 2>&1); rc=$?
is "$rc" 0 "export --as-of the original date runs"
like "$out" "数字与排名完全重现了截至 2026-11-28 的首次发布（导出记录 #1）" "it reports an exact reproduction"
is "$(q "select reproduces_id, reproduces_exactly from meta.export where id = 3")" "1|t" "recorded as an exact reproduction"
again=$(q "select code||':'||coalesce(composite::text,'-')||':'||coalesce(composite_rank::text,'-') from report.ranking_snapshot where run_id = (select ranking_run_id from meta.export where id = 3) order by code" | tr '\n' ' ')
is "$again" "$published" "same figures and ranks as published"
cmp -s "$T/published/539901_2026-10_2026-11-28.csv" "$T/again/539901_2026-10_2026-11-28.csv"
ok $? "the CSV is byte for byte the published one"
cmp -s "$T/published/539901_2026-10_2026-11-28.xlsx" "$T/again/539901_2026-10_2026-11-28.xlsx"
ok $? "the workbook is byte for byte the published one"
is "$(q "select sha256 from meta.export_file where export_id = 3 and kind = 'csv'")" \
   "$(q "select sha256 from meta.export_file where export_id = 1 and kind = 'csv'")" "recorded SHA-256s agree"
unlike "$(cat "$T/again/539901_2026-10_2026-11-28.csv")" "^1,示例乡,32\.3%" "the revision is not in the reproduction"
like "$(cat "$H/exports/539901_2026-10_2026-11-30.csv")" "示例乡,32\.3%" "the revision is in the current export"

# a weight change since publication: the reproduction says it differs
q "UPDATE ref.weight SET weight = 2 WHERE figure = 'service'" >/dev/null
out=$(BIZENV_TODAY=2026-11-30 B export 2026-10 --as-of 2026-11-28 --out "$T/w" 2>&1)
like "$out" "注意：数字或排名不同于截至 2026-11-28 的首次发布（导出记录 #1）" \
     "a reproduction that cannot match (weights changed) says so"

dropdb "$db" >/dev/null 2>&1
done_testing
