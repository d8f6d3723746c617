#!/bin/sh
# bizenv nightly as cron runs it: quiet when all is well, the summary when a
# file is rejected, one run at a time, SIGKILL-safe, loud when the database
# is down, reproducible with --as-of.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
db=$(scratch_db)
H=$(new_home)
N() { "$BIZENV" --home "$H" --db "dbname=$db" nightly "$@" </dev/null; }
q() { psql -X -At -d "$db" -c "$1"; }
"$BIZENV" --home "$H" --db "dbname=$db" registry load "$TOP/jobs/demo/townships.csv" >/dev/null

# a clean night: nothing printed, exit 0
# receive times are the files' modification times: pin them before the as-of date
recv() { touch -d '2026-11-03 09:00:00 +0800' "$@"; }
cp "$TOP/jobs/demo/539901101-2026-10.xml" "$H/inbox/a.xml"
recv "$H/inbox/a.xml"
out=$(N 2>&1); rc=$?
is "$rc" 0 "clean night exits 0"
is "$out" "" "clean night prints nothing"
is "$(q "select status, files_taken, accepted from meta.run order by id desc limit 1")" "ok|1|1" "run recorded"
test -s "$H/bizenv.log"; ok $? "log file written"
# the build that ran it, as bizenv --version names it: "0.2.0 (v0.1.0-5-gb44802b)"
label=$("$BIZENV" --version | awk 'NR == 1 { v = $2 } sub(/^构建：/, "") { b = $0 } END { print v " (" b ")" }')
is "$(q "select build_version from meta.run order by id desc limit 1")" "$label" \
   "the run records the build that ran it"
grep -qF "bizenv $label" "$(ls -t "$H"/runs/*.txt | head -1)"
ok $? "so does the run summary"

# an empty night is clean too
out=$(N 2>&1); rc=$?
is "$rc:$out" "0:" "empty inbox: silent, exit 0"

# a rejected file: exit 0, the summary is printed (cron mails it)
sed 's/evaluated="30"/evaluated="99"/; s/539901101/539901102/' "$TOP/jobs/demo/539901101-2026-10.xml" >"$H/inbox/bad.xml"
out=$(N 2>&1); rc=$?
is "$rc" 0 "rejections are not a job failure"
like "$out" "bad.xml：退回 1 份 \[E_EVAL_EXCEEDS\]" "summary names the rejected file and why"
like "$out" "2026-10 未报送的乡镇：东山镇（539901102）、西河乡" "summary names townships that have not reported"
ls "$H/runs"/*.txt >/dev/null 2>&1; ok $? "summary written to runs/"

# a quiet night keeps the stored rankings: nothing they depend on changed
runs_before=$(q "select count(*) from facts.ranking_run")
N >/dev/null 2>&1
is "$(q "select count(*) from facts.ranking_run")" "$runs_before" "quiet night stores no new ranking"
like "$(tail -20 "$H/bizenv.log")" "ranking 2026-Q4 as of 2026-11-28: unchanged, kept" "the log says the ranking was kept"
q "update ref.weight set weight = 2 where figure = 'service'" >/dev/null
N >/dev/null 2>&1
is "$(q "select count(*) > $runs_before from facts.ranking_run")" "t" "changed weights: the rankings are computed again"
is "$(q "select w_service from facts.ranking_run order by id desc limit 1")" "2" "with the new weights recorded"
q "update ref.weight set weight = 1 where figure = 'service'" >/dev/null

# --verbose shows progress and the summary even on a clean night
cp "$TOP/jobs/demo/539901101-2026-10.xml" "$H/inbox/again.xml"
recv "$H/inbox/again.xml"
out=$(N --verbose 2>&1); rc=$?
like "$out" "\[1/1\] again.xml" "verbose shows per-file progress"
like "$out" "重复 1" "verbose shows the summary"

# one run at a time: the lock file ...
flock "$H/run.lock" sleep 3 &
sleep 0.5
out=$(N 2>&1); rc=$?
is "$rc" 75 "second run exits 75 (EX_TEMPFAIL) while the file lock is held"
like "$out" "E_BUSY" "busy message has its code"
wait
# ... and the database lock (another host sharing the database)
psql -X -d "$db" -c "select pg_advisory_lock(108205164555894); select pg_sleep(6)" >/dev/null &
sleep 0.7
H2=$(new_home)
out=$("$BIZENV" --home "$H2" --db "dbname=$db" nightly 2>&1 </dev/null); rc=$?
is "$rc" 75 "second host exits 75 while the database lock is held"
wait

# database down: files stay, exit non-zero, message names the problem
cp "$TOP/jobs/demo/539901101-2026-10.xml" "$H/inbox/later.xml"
out=$("$BIZENV" --home "$H" --db "host=$T/nosuch dbname=x" nightly 2>&1 </dev/null); rc=$?
is "$rc" 69 "database unreachable exits 69"
like "$out" "E_DB_CONNECT" "message carries E_DB_CONNECT"
test -f "$H/inbox/later.xml"; ok $? "file stays in the inbox"
N >/dev/null 2>&1
test -f "$H/inbox/later.xml"; ok $((! $?)) "taken by the next good run"

# --as-of reproduces a past ranking whatever arrived since
before=$(q "select code||':'||coalesce(composite::text,'-') from report.ranking('2026-10', '2026-11-28') order by code" | tr '\n' ' ')
sed 's/<revision>1</<revision>2</; s/evaluated="30"/evaluated="20"/' "$TOP/jobs/demo/539901101-2026-10.xml" >"$H/inbox/rev2.xml"
touch -d '2026-11-29 10:00:00 +0800' "$H/inbox/rev2.xml"
N >/dev/null 2>&1
after=$(q "select code||':'||coalesce(composite::text,'-') from report.ranking('2026-10', '2026-11-28') order by code" | tr '\n' ' ')
is "$after" "$before" "ranking as of 2026-11-28 unchanged by a later revision"
now=$(q "select composite from report.ranking('2026-10', '2026-11-29') where code='539901101'")
unlike "$now" "^93.37$" "ranking as of 2026-11-29 uses revision 2"
out=$("$BIZENV" --home "$H" --db "dbname=$db" nightly --as-of 2026-11-28 </dev/null 2>&1); rc=$?
is "$rc" 0 "nightly --as-of runs"
snap=$(q "select s.code||':'||coalesce(s.composite::text,'-') from report.ranking_snapshot s join facts.ranking_run r on r.id=s.run_id where r.id=(select max(id) from facts.ranking_run where period='2026-Q4' and as_of='2026-11-28') order by s.code" | tr '\n' ' ')
ref=$(q "select code||':'||coalesce(composite::text,'-') from report.ranking('2026-Q4', '2026-11-28') order by code" | tr '\n' ' ')
is "$snap" "$ref" "the stored snapshot of the --as-of run equals the ranking as of that date"

# a ranking that cannot be stored fails the night, and none of the night's
# rankings is kept: they are stored together (October's is refused, after
# the quarter's, half's and year's)
q "CREATE FUNCTION public.refuse_october() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN IF NEW.period = '2026-10' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END \$\$;
   CREATE TRIGGER refuse_october BEFORE INSERT ON facts.ranking_run
   FOR EACH ROW EXECUTE FUNCTION public.refuse_october()" >/dev/null
sed 's/539901101/539901104/' "$TOP/jobs/demo/539901101-2026-10.xml" >"$H/inbox/np.xml"
recv "$H/inbox/np.xml"
runs=$(q "select count(*) from facts.ranking_run")
last=$(q "select max(id) from facts.ranking_run")
out=$(N 2>&1); rc=$?
is "$rc" 69 "a ranking that cannot be stored fails the night (69)"
like "$out" "\[E_DB_QUERY\] 刷新排名失败" "with the code and what failed"
is "$(q "select count(*) from facts.ranking_run")" "$runs" "none of the night's rankings is stored"
is "$(q "select count(*) from facts.submission where township_code = '539901104'")" 1 \
   "the submission itself is loaded (its batch committed before)"
q "DROP TRIGGER refuse_october ON facts.ranking_run" >/dev/null
out=$(N 2>&1); rc=$?
is "$rc" 0 "the next night runs"
is "$(q "select string_agg(period, ' ' order by period) from facts.ranking_run where id > $last and inputs is not null")" "2026 2026-10 2026-H2 2026-Q4" \
   "and stores the four rankings the submission changed"
# a file name that tries to forge log and summary lines: a newline followed
# by what bizenv itself writes, a terminal escape, a line separator
forged="2026-11-28T09:00:00+0800 [run 1] nightly end: ok"
evil=$(printf 'evil\n%s\n\033[2J\342\200\250\302\205x.xml' "$forged")
bad_chars=$(printf '\033|\342\200\250|\302\205')
sed 's/evaluated="30"/evaluated="99"/; s/539901101/539901103/' "$TOP/jobs/demo/539901101-2026-10.xml" >"$H/inbox/$evil"
recv "$H/inbox/$evil"
ends=$(grep -c '\] nightly end: ok$' "$H/bizenv.log")
out=$(N 2>&1); rc=$?
is "$rc" 0 "a night with a hostile file name runs"
shown='evil\\n2026-11-28T09:00:00\+0800 \[run 1\] nightly end: ok\\n\\x1b\[2J<U\+2028><U\+0085>x\.xml'
like "$out" "^  $shown：退回 1 份 \[E_EVAL_EXCEEDS\]" "the summary shows the name escaped, on its own line"
is "$(printf '%s\n' "$out" | grep -cxF "$forged")" 0 "no forged line in the summary"
unlike "$out" "$bad_chars" "no escape sequence, line separator or C1 control reaches the summary"
summary=$(cat "$(ls -t "$H"/runs/*.txt | head -1)")
like "$summary" "^  $shown：退回 1 份" "the summary file too"
is "$(printf '%s\n' "$summary" | grep -cxF "$forged")" 0 "no forged line in the summary file"
is "$(grep -c '\] nightly end: ok$' "$H/bizenv.log")" "$((ends + 1))" "bizenv.log has one more 'nightly end: ok', the real one"
is "$(grep -cxF "$forged" "$H/bizenv.log")" 0 "no forged line in bizenv.log"
like "$(cat "$H/bizenv.log")" "\] file $shown: state=2" "bizenv.log names the file escaped"
unlike "$(cat "$H/bizenv.log")" "$bad_chars" "no escape sequence, line separator or C1 control reaches bizenv.log"
is "$(grep -Ecv '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} \[run [0-9]+\] ' "$H/bizenv.log")" 0 \
   "every line of bizenv.log is a line bizenv wrote"
# A first night with nothing for the last month: its ranking is first stored
# by the summary step, and the summary still names every township (the
# figures were once read in the statement that stored them, and so missed).
# Each period's ranking is stored once: the exports record the night's runs.
db1=$(scratch_db)
H1=$(new_home)
N1() { "$BIZENV" --home "$H1" --db "dbname=$db1" nightly "$@" </dev/null; }
q1() { psql -X -At -d "$db1" -c "$1"; }
"$BIZENV" --home "$H1" --db "dbname=$db1" registry load "$TOP/jobs/demo/townships.csv" >/dev/null
all_ten=$(tail -n +2 "$TOP/jobs/demo/townships.csv" | awk -F, '{printf "%s%s（%s）", (NR > 1 ? "、" : ""), $2, $1}')
out=$(N1 --verbose 2>&1); rc=$?
is "$rc" 0 "first night with an empty inbox runs"
like "$out" "2026-10 未报送的乡镇：$all_ten\$" "the first night's summary names all ten townships missing October"
summary=$(ls "$H1/runs"/2026-11-28-run*.txt 2>/dev/null | head -1)
like "$(cat "$summary" 2>/dev/null)" "2026-10 未报送的乡镇：$all_ten\$" "and so does the summary in runs/"
is "$(q1 "select missing_townships from meta.run order by id desc limit 1" | tr -d '{}' | tr ',' '\n' | wc -l)" 10 \
   "the run record lists the ten missing townships"
is "$(q1 "select string_agg(period, ' ' order by period) from facts.ranking_run")" "2026 2026-10 2026-11 2026-H2 2026-Q4" \
   "a first night stores exactly one ranking run per period"
is "$(q1 "select count(*) || ' ' || count(*) filter (where r.period = x.period and r.as_of = x.as_of
                                                     and r.inputs = report.ranking_base(r.period, r.as_of))
          from meta.export x join facts.ranking_run r on r.id = x.ranking_run_id")" "4 4" \
   "its four exports record the runs the night's refresh stored"
runs1=$(q1 "select count(*) from facts.ranking_run")
out=$(N1 --verbose 2>&1); rc=$?
is "$rc:$(q1 "select count(*) from facts.ranking_run"):$(q1 "select count(*) from meta.export")" "0:$runs1:4" \
   "a later quiet night stores no ranking and exports nothing"
like "$out" "2026-10 未报送的乡镇：$all_ten\$" "and its summary names the ten townships again"
dropdb "$db1" >/dev/null 2>&1
done_testing
