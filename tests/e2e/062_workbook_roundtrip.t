#!/bin/sh
# One rule set, two readers: every valid report of the test corpus
# (tests/corpus/valid_reports.py: tests/data and the spec example, the demo
# inbox, the hostile night's accepted files, a benchmark sample) goes in as
# XML into one database and, through its township's template filled by
# tests/lib/workbook.py, as a workbook into another: both hold the same
# normalized submissions (every column of every fact, warnings by code),
# rank the same (report.ranking, month to year) and `bizenv nightly` stores
# the same rankings for both. Then the same workbooks
# re-saved by LibreOffice (when installed) are duplicates of what is stored
# and, loaded into a third database, rank the same again.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
AS_OF=2026-11-28
WB() { python3 "$TOP/tests/lib/workbook.py" "$@"; }
D=$T/docs
python3 "$TOP/tests/corpus/valid_reports.py" "$D" || exit 1

dbx=$(scratch_db); dbw=$(scratch_db); dbl=$(scratch_db)
HX=$(new_home); HW=$(new_home); HL=$(new_home)
B() { h=$1 d=$2; shift 2; "$BIZENV" --home "$h" --db "dbname=$d" "$@"; }
for p in "$HX $dbx" "$HW $dbw" "$HL $dbl"; do
    # shellcheck disable=SC2086
    B $p registry load "$D/townships.csv" >/dev/null
done

# the reports in receive order: month, then revision; one minute apart
ls "$D"/*.xml | sed 's|.*/||; s|\.xml$||' | awk -F_ '{ print $2 "\t" $3 "\t" $1 }' | sort \
    | awk -F'\t' '{ print $3 "_" $1 "_" $2 }' >"$T/order"
base=1793667600
i=0
while read -r k; do
    cp "$D/$k.xml" "$HX/inbox/$k.xml"
    touch -d "@$((base + 60 * i))" "$HX/inbox/$k.xml"
    i=$((i + 1))
done <"$T/order"
n=$(wc -l <"$T/order")
B "$HX" "$dbx" ingest >"$T/x.out" 2>&1
ok $? "the $n XML reports are ingested"
accepted=$(psql -X -At -d "$dbx" -c "select count(*) from facts.submission")
diag "$accepted of $n accepted as XML (the others are rejected by the format)"
[ "$accepted" -ge 30 ]; ok $? "at least 30 valid reports to carry across"

# the same reports as workbooks: round 1 every report whose revision is the
# first of its month here, round 2 the corrections (template --revise)
mkdir -p "$T/tpl" "$T/wb1" "$T/wb2"
: >"$T/fill1"; : >"$T/fill2"
prev=""
while read -r k; do
    code=${k%%_*}; rest=${k#*_}; period=${rest%%_*}; rev=${rest#*_r}
    if [ "$code/$period" = "$prev" ]; then
        printf '%s\t%s\t%s\n' "$code" "$period" "$k" >>"$T/round2"
    else
        printf '%s\t%s\t%s\t%s\n' "$code" "$period" "$k" "$rev" >>"$T/round1"
    fi
    prev="$code/$period"
done <"$T/order"
for period in $(cut -f2 "$T/round1" | sort -u); do
    B "$HW" "$dbw" template "$period" --out "$T/tpl/$period" >/dev/null || echo "template $period failed"
done
while IFS="$(printf '\t')" read -r code period k rev; do
    r=""; [ "$rev" != 1 ] && r=$rev # a first revision above 1: the county's correction template
    printf '%s\t%s\t%s\t%s\n' "$T/tpl/$period/$code-$period-填报表.xlsx" "$D/$k.xml" "$T/wb1/$k.xlsx" "$r" >>"$T/fill1"
done <"$T/round1"
WB fill-many "$T/fill1"
ok $? "every report of round 1 filled into its township's template"
# receive times as the XML's: the order file gives each key its minute
# (to_inbox WORKBOOKS HOME: each key's workbook into HOME's inbox)
to_inbox() {
    i=0
    while read -r k; do
        [ -f "$1/$k.xlsx" ] && cp "$1/$k.xlsx" "$2/inbox/" && touch -d "@$((base + 60 * i))" "$2/inbox/$k.xlsx"
        i=$((i + 1))
    done <"$T/order"
}
to_inbox "$T/wb1" "$HW"
B "$HW" "$dbw" ingest >"$T/w1.out" 2>&1
ok $? "round 1 workbooks ingested"
if [ -s "$T/round2" ]; then
    for period in $(cut -f2 "$T/round2" | sort -u); do
        B "$HW" "$dbw" template "$period" --revise --out "$T/tpl2/$period" >/dev/null
    done
    while IFS="$(printf '\t')" read -r code period k; do
        t=$(ls "$T/tpl2/$period/$code-$period-"*.xlsx)
        printf '%s\t%s\t%s\n' "$t" "$D/$k.xml" "$T/wb2/$k.xlsx" >>"$T/fill2"
    done <"$T/round2"
    WB fill-many "$T/fill2"
    to_inbox "$T/wb2" "$HW"
    B "$HW" "$dbw" ingest >"$T/w2.out" 2>&1
    ok $? "round 2: $(wc -l <"$T/round2") corrections through template --revise"
fi

# every fact, without what names the file (ids, SHA-256, member, load time);
# a reported rate compares as a number (the XML's "100.0" is the cell's 100)
facts() {
    psql -X -At -d "$1" <<'SQL'
\pset null '∅'
SELECT 'S', township_code, period, revision, received_at, submitted_at, township_name_given,
       contact_name, contact_phone, sites_total, sites_with_window, consultations,
       consultations_approx, job_postings, job_postings_approx, recruitment_events, county_items,
       handled, evaluated, trim_scale(reported_rate), symposia, merchants_visited,
       enterprises_visited, inspections, warning_sessions, violations, complaints_received,
       complaints_resolved
  FROM facts.submission ORDER BY 2, 3, 4;
SELECT 'W', s.township_code, s.period, s.revision, w.ord, w.window_id, w.name, w.catalog
  FROM facts.window w JOIN facts.submission s ON s.id = w.submission_id ORDER BY 2, 3, 4, 5;
SELECT 'L', s.township_code, s.period, s.revision, l.ord, l.leader_id, l.role, l.title
  FROM facts.leader l JOIN facts.submission s ON s.id = l.submission_id ORDER BY 2, 3, 4, 5;
SELECT 'K', s.township_code, s.period, s.revision, k.ord, k.leader_id, k.window_id, k.walk_date,
       k.problem_ids
  FROM facts.walk k JOIN facts.submission s ON s.id = k.submission_id ORDER BY 2, 3, 4, 5;
SELECT 'P', s.township_code, s.period, s.revision, p.ord, p.problem_id, p.source, p.status,
       p.found, p.rectified, p.deadline, p.description
  FROM facts.problem p JOIN facts.submission s ON s.id = p.submission_id ORDER BY 2, 3, 4, 5;
SELECT 'T', s.township_code, s.period, s.revision, t.kind, t.ord, t.body
  FROM facts.text_item t JOIN facts.submission s ON s.id = t.submission_id ORDER BY 2, 3, 4, 5, 6;
SELECT 'V', s.township_code, s.period, s.revision, string_agg(v.code, ' ' ORDER BY v.code)
  FROM facts.warning v JOIN facts.submission s ON s.id = v.submission_id GROUP BY 2, 3, 4 ORDER BY 2, 3, 4;
SQL
}
ranks() {
    for p in $(psql -X -At -d "$1" -c "select distinct to_char(period, 'YYYY-MM') from facts.submission order by 1"); do
        y=${p%-*}; m=${p#*-}; m=${m#0}; qn=$(( (m - 1) / 3 + 1 ))
        for per in "$p" "$y-Q$qn" "$y"; do
            echo "== $per"
            psql -X -At -d "$1" -c "select * from report.ranking('$per', '$AS_OF') order by 1"
        done
    done
}
facts "$dbx" >"$T/facts.x"
facts "$dbw" >"$T/facts.w"
diff "$T/facts.x" "$T/facts.w" >"$T/facts.diff"; rc=$?
is "$rc" 0 "the workbooks hold exactly the XML's normalized submissions ($(wc -l <"$T/facts.x") fact rows)"
[ $rc = 0 ] || head -20 "$T/facts.diff" | sed 's/^/# /'
is "$(psql -X -At -d "$dbw" -c "select count(*) from facts.submission")" "$accepted" "as many accepted as from the XML"
ranks "$dbx" >"$T/ranks.x"
ranks "$dbw" >"$T/ranks.w"
diff "$T/ranks.x" "$T/ranks.w" >"$T/ranks.diff"; rc=$?
is "$rc" 0 "and rank the same ($(grep -c '^==' "$T/ranks.x") rankings, month, quarter and year)"
[ $rc = 0 ] || head -20 "$T/ranks.diff" | sed 's/^/# /'
# the night ranks them the same: its stored rankings, run for run
stored() {
    psql -X -At -d "$1" -c "select r.period, r.as_of, s.code, s.name, s.service_rate, s.completion_rate,
        s.walk_coverage, s.leader_participation, s.composite, s.composite_rank, s.service_rank,
        s.completion_rank, s.coverage_rank, s.status, s.missing_months, s.reporting_rate,
        s.on_time_rate from report.ranking_run r join report.ranking_snapshot s on s.run_id = r.id
        order by 1, 2, 3"
}
B "$HX" "$dbx" nightly --as-of "$AS_OF" >/dev/null 2>&1
B "$HW" "$dbw" nightly --as-of "$AS_OF" >/dev/null 2>&1
stored "$dbx" >"$T/night.x"
stored "$dbw" >"$T/night.w"
[ -s "$T/night.x" ]; ok $? "the XML night stored its rankings ($(cut -d'|' -f1 "$T/night.x" | sort -u | tr '\n' ' '))"
diff "$T/night.x" "$T/night.w" >"$T/night.diff"; rc=$?
is "$rc" 0 "bizenv nightly ranks the workbooks exactly as it ranks the XML"
[ $rc = 0 ] || head -20 "$T/night.diff" | sed 's/^/# /'
rej_x=$(grep -o '退回 [0-9]*' "$T/x.out" | tail -1)
diag "XML: $rej_x; workbooks: $(grep -o '退回 [0-9]*' "$T/w1.out" | tail -1) and $(grep -o '退回 [0-9]*' "$T/w2.out" 2>/dev/null | tail -1)"

# --- LibreOffice -------------------------------------------------------------
if ! command -v soffice >/dev/null 2>&1; then
    ok 0 "# SKIP soffice (LibreOffice) not installed"
    ok 0 "# SKIP soffice (LibreOffice) not installed"
    ok 0 "# SKIP soffice (LibreOffice) not installed"
    done_testing
    exit
fi
mkdir -p "$T/lo1" "$T/lo2"
lo() { timeout 900 soffice -env:UserInstallation="file://$T/lo-profile" --headless --convert-to xlsx --outdir "$@" >>"$T/lo.log" 2>&1; }
lo "$T/lo1" "$T"/wb1/*.xlsx
[ -s "$T/round2" ] && lo "$T/lo2" "$T"/wb2/*.xlsx
is "$(ls "$T/lo1" "$T/lo2" | grep -c xlsx)" "$(ls "$T/wb1" "$T/wb2" | grep -c xlsx)" "LibreOffice re-saved every workbook"
# re-saved: other bytes, the same content: duplicates of what is stored
for f in "$T"/lo1/*.xlsx "$T"/lo2/*.xlsx; do cp "$f" "$HW/inbox/lo-$(basename "$f")"; done
out=$(B "$HW" "$dbw" ingest 2>&1)
is "$(printf '%s\n' "$out" | grep -o '接收 [0-9]*，重复 [0-9]*' | tail -1)" "接收 0，重复 $accepted" \
   "every re-saved workbook of an accepted report is a duplicate of it"
# and loaded on their own, the same facts and ranks as the XML
to_inbox "$T/lo1" "$HL"
B "$HL" "$dbl" ingest >/dev/null 2>&1
to_inbox "$T/lo2" "$HL"
B "$HL" "$dbl" ingest >/dev/null 2>&1
facts "$dbl" >"$T/facts.l"
ranks "$dbl" >"$T/ranks.l"
diff "$T/facts.x" "$T/facts.l" >"$T/facts.ldiff" && diff "$T/ranks.x" "$T/ranks.l" >>"$T/facts.ldiff"; rc=$?
is "$rc" 0 "LibreOffice's copies hold the same submissions and rank the same"
[ $rc = 0 ] || head -20 "$T/facts.ldiff" | sed 's/^/# /'
done_testing
