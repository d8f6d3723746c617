#!/bin/bash
# A power cut: the private server and a night killed with SIGKILL in the
# middle of its load, then, as after a reboot, an unrelated live process
# holding the pid that postmaster.pid (and the socket's lock file) names.
# The next night starts the server and runs, and nothing is lost: the
# database equals an uninterrupted night's, every file is in exactly one
# place, and the journal rebuilds it. New private clusters have data
# checksums; `bizenv db check` passes on this one, and finds a page damaged
# on disk.
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "a night killed mid-load under valgrind proves nothing more"
. "$(dirname "$0")/../lib/private.sh"
SLEEPER=""
# the process holding the dead postmaster's pid goes first
before_exit() { if [ -n "$SLEEPER" ]; then kill "$SLEEPER" 2>/dev/null; fi; }
export BIZENV_TODAY=2025-04-10
state() {
    q "$1" "
      select count(*)||' '||md5(string_agg(township_code||'/'||period||'/r'||revision||'/'||doc_sha256, ' '
             order by township_code, period, revision)) from facts.submission;
      select (select count(*) from facts.window)||' '||(select count(*) from facts.walk)||' '||
             (select count(*) from facts.problem)||' '||(select count(*) from facts.warning)||' '||
             (select count(*) from raw.file)||' '||(select count(*) from raw.receipt);
      select md5(string_agg(code||':'||coalesce(composite::text, '-'), ' ' order by code))
        from report.ranking('2025-Q1', '2025-04-10');"
}
places() { # inbox claimed quarantine archived
    echo "$(ls "$1/inbox" | wc -l) $(ls -A "$1/claim" 2>/dev/null | wc -l) $(find "$1/quarantine" -type f ! -name '*.回执.txt' 2>/dev/null | wc -l) $(inbox_archived "$1")"
}

python3 "$TOP/tests/bench/gen.py" --townships 60 --months 3 "$T/gen" >/dev/null
nfiles=$(ls "$T/gen/inbox" | wc -l)

# the uninterrupted night
HR=$(new_home)
HOMES="$HR"
B "$HR" registry load "$T/gen/townships.csv" >/dev/null
cp -p "$T/gen/inbox"/* "$HR/inbox/"
B "$HR" --set batch_size=5 nightly --as-of 2025-04-10 >/dev/null 2>&1
ok $? "an uninterrupted night"
want=$(state "$HR")
is "$(places "$HR")" "0 0 0 $nfiles" "every file archived, none left"
is "$(q "$HR" "show data_checksums")" on "a new private cluster has data checksums"

# the night of the power cut: the server and bizenv die mid-load
H=$(new_home)
HOMES="$HOMES $H"
B "$H" registry load "$T/gen/townships.csv" >/dev/null
cp -p "$T/gen/inbox"/* "$H/inbox/"
"$BIZENV" --home "$H" --set batch_size=5 nightly --as-of 2025-04-10 >/dev/null 2>&1 </dev/null &
night=$!
loaded=0
for _ in $(seq 1 3000); do
    loaded=$(q "$H" "select count(*) from raw.file" 2>/dev/null || echo 0)
    [ "${loaded:-0}" -ge 10 ] && break
    kill -0 "$night" 2>/dev/null || break
    sleep 0.01
done
pm=$(head -1 "$H/pg/postmaster.pid")
kill -9 "$night" 2>/dev/null
killed_night=$?
kill -9 "$pm" $(ps -o pid= --ppid "$pm") 2>/dev/null
{ wait "$night"; } 2>/dev/null # bash's "Killed" notice is expected
is "$killed_night" 0 "the night was killed with SIGKILL after $loaded files were loaded"
ok $([ "$loaded" -lt "$nfiles" ] && echo 0 || echo 1) "before the end of its load ($loaded of $nfiles)"
test -f "$H/pg/postmaster.pid"; ok $? "the dead server's postmaster.pid is left behind"
# after the reboot another process has the pid the files name
sleep 600 &
SLEEPER=$!
sed -i "1s/.*/$SLEEPER/" "$H/pg/postmaster.pid"
[ -f "$H/pg/.s.PGSQL.5432.lock" ] && sed -i "1s/.*/$SLEEPER/" "$H/pg/.s.PGSQL.5432.lock"
out=$(B "$H" db status 2>&1)
like "$out" "已创建，已停止" "db status: a live pid that is not this cluster's server is not a running server"

out=$(B "$H" --set batch_size=5 nightly --as-of 2025-04-10 2>&1); rc=$?
is "$rc" 0 "the next night starts the server and runs"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /' | head -10
kill -0 "$SLEEPER" 2>/dev/null; ok $? "the unrelated process was left alone"
is "$(state "$H")" "$want" "nothing lost, nothing twice: the database equals the uninterrupted night's"
is "$(places "$H")" "0 0 0 $nfiles" "every file in exactly one place"

out=$(B "$H" db check 2>&1); rc=$?
is "$rc" 0 "bizenv db check passes after the crash"
like "$out" "数据页校验和：开启" "and says the data checksums are on"
like "$out" "校验通过" "and that nothing is damaged"

n=$(ls "$H/exports" | sed 's/\.\(xlsx\|csv\|adx\.xml\)$//' | sort -u | wc -l)
rebuild_anew "$H"
is "$rc" 0 "the journal rebuilds the night"
like "$out" "^$n/$n exports reproduced" "every export of it reproduced"
is "$(state "$H")" "$want" "into the same database"

# a page damaged on disk: found by its checksum
rel=$(q "$H" "select pg_relation_filepath('facts.window')")
B "$H" db stop >/dev/null
printf 'damaged by the test' | dd of="$H/pg/$rel" bs=1 seek=4000 conv=notrunc status=none
B "$H" db start >/dev/null
out=$(B "$H" db check 2>&1); rc=$?
is "$rc" 65 "db check on a damaged page exits 65"
like "$out" "\[E_DB_CORRUPT\]" "with E_DB_CORRUPT"
like "$out" "facts.*window|window" "naming the damaged table"

B "$H" db stop >/dev/null; B "$HR" db stop >/dev/null
done_testing
