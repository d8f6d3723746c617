#!/bin/sh
# The problem ledger across months through the real pipeline: a problem
# still open in September that is missing from October's ledger gets
# W_PROBLEM_DISAPPEARED on October's receipt (in the same batch or not),
# stays open in the database, and counts as due in October's completion.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
EX="$TOP/jobs/demo/539901101-2026-10.xml"
db=$(scratch_db)
H=$(new_home)
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@" </dev/null; }
q() { psql -X -At -d "$db" -c "$1"; }
B registry load "$TOP/jobs/demo/townships.csv" >/dev/null

# September: October's document moved back a month, plus one open problem
sed -e 's/<period>2026-10</<period>2026-09</' -e 's/"2026-10-\([0-9][0-9]\)"/"2026-09-\1"/g' \
    -e 's/2026-09-31/2026-09-30/g' \
    -e 's|<problems>|<problems>\n    <problem id="P-OPEN" source="supervision" found="2026-09-02" status="open">窗口排队时间过长</problem>|' \
    "$EX" >"$H/inbox/sep.xml"
cp "$EX" "$H/inbox/oct.xml"
touch -d '2026-10-03 09:00:00 +0800' "$H/inbox/sep.xml"
touch -d '2026-11-03 09:00:00 +0800' "$H/inbox/oct.xml"
out=$(B ingest 2>&1); rc=$?
is "$rc" 0 "both months ingested in one run (one batch)"
like "$out" "接收 2" "both accepted"
r=$(cat "$H"/receipts/*/oct.xml.回执.txt)
like "$r" "\[W_PROBLEM_DISAPPEARED\].*P-OPEN" "October's receipt warns that P-OPEN disappeared while open"
unlike "$(cat "$H"/receipts/*/sep.xml.回执.txt)" "W_PROBLEM_DISAPPEARED" "September's receipt has no such warning"
is "$(q "select count(*) from facts.warning w join facts.submission s on s.id = w.submission_id where s.period = '2026-10-01' and w.code = 'W_PROBLEM_DISAPPEARED'")" 1 "the warning is stored with October's submission"
# October: 7 problems found and rectified + P-OPEN still open => due 8, done 7
is "$(q "select due || '/' || done from report.ranking('2026-10', '2026-11-28') where code = '539901101'")" "8/7" "the vanished open problem stays due in October"

# the same in two separate runs gives the same warning
db2=$(scratch_db)
H2=$(new_home)
B2() { "$BIZENV" --home "$H2" --db "dbname=$db2" "$@" </dev/null; }
B2 registry load "$TOP/jobs/demo/townships.csv" >/dev/null
sed -e 's/<period>2026-10</<period>2026-09</' -e 's/"2026-10-\([0-9][0-9]\)"/"2026-09-\1"/g' \
    -e 's/2026-09-31/2026-09-30/g' \
    -e 's|<problems>|<problems>\n    <problem id="P-OPEN" source="supervision" found="2026-09-02" status="open">窗口排队时间过长</problem>|' \
    "$EX" >"$H2/inbox/sep.xml"
touch -d '2026-10-03 09:00:00 +0800' "$H2/inbox/sep.xml"
B2 ingest >/dev/null 2>&1
cp "$EX" "$H2/inbox/oct.xml"
touch -d '2026-11-03 09:00:00 +0800' "$H2/inbox/oct.xml"
B2 ingest >/dev/null 2>&1
like "$(cat "$H2"/receipts/*/oct.xml.回执.txt)" "\[W_PROBLEM_DISAPPEARED\].*P-OPEN" "separate runs: the same warning"
done_testing
