#!/bin/sh
# Database and folder faults around a real night, end to end:
#   a) the PostgreSQL server stopped (pg_ctl stop -m immediate) in the middle
#      of an ingest: E_DB_CONNECT, exit status, nothing lost; after a restart
#      a rerun gives exactly the uninterrupted run's database;
#   b) lock_timeout hit (a psql session holds ACCESS EXCLUSIVE on
#      facts.submission): exit 75, E_TIMEOUT, nothing loaded, files back;
#   c) statement_timeout hit (a slow trigger): the same;
#   d) a read-only inbox (read-only bind mount as root, chmod 555 for a
#      non-root user): a coded error, nothing lost;
#   e) the archive folder full (a 64 KB tmpfs as root, mode 0750 as any
#      folder of bizenv's must be; otherwise the fault shim's write
#      budget): E_IO_WRITE, nothing lost, a rerun after it is fixed loads
#      everything once.
# The server is private to this test (initdb/pg_ctl here), since (a)
# stops it; tests/lib/with-cluster's server is shared by every test.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
[ -x "$bindir/pg_ctl" ] || skip_all "no PostgreSQL server programs in $bindir"
root=0; [ "$(id -u)" = 0 ] && root=1
as_pg() { if [ $root = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

P="$T/pg"; mkdir -p "$P"; chmod 755 "$P"
[ $root = 1 ] && chown postgres "$P"
as_pg "$bindir/initdb" -D "$P/data" -U bz --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$P/initdb.log" 2>&1 ||
    { cat "$P/initdb.log" | sed 's/^/# /'; skip_all "initdb failed"; }
pg() { as_pg "$bindir/pg_ctl" -D "$P/data" -l "$P/server.log" -w -t 60 "$@" >/dev/null; }
start() { pg -o "-c listen_addresses='' -c unix_socket_directories=$P -c fsync=off -c max_connections=50" start; }
mounts=""
cleanup() {
    for m in $mounts; do umount "$m" 2>/dev/null; done
    as_pg "$bindir/pg_ctl" -D "$P/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
start || skip_all "private server did not start"
export PGHOST="$P" PGPORT=5432 PGUSER=bz
unset PGDATABASE PGSERVICE PGPASSWORD 2>/dev/null || true
q() { psql -X -At -d "$1" -c "$2"; }

# 1200 submissions: several batches (batch_size, default 250), so
# the server can be stopped after one batch committed and before the end
python3 "$TOP/tests/bench/gen.py" --townships 200 --months 6 "$T/gen" >/dev/null
nfiles=$(ls "$T/gen/inbox" | wc -l)
createdb tpl
"$BIZENV" --home "$(new_home)" --db "dbname=tpl" registry load "$T/gen/townships.csv" >/dev/null
state() {
    q "$1" "select count(*)||' '||md5(string_agg(township_code||'/'||period||'/r'||revision||'/'||doc_sha256, ' ' order by township_code, period, revision)) from facts.submission"
    q "$1" "select (select count(*) from facts.window)||' '||(select count(*) from facts.walk)||' '||(select count(*) from facts.problem)||' '||(select count(*) from raw.file)"
}
# Archiving is a copy made before the load; a file leaves the inbox only
# after its COMMIT. So nothing is lost when every file is either still in
# the inbox or loaded (raw.file), and none is both.
loaded() { q "$1" "select count(*) from raw.file"; }
places() { # inbox claimed quarantine archive
    echo "$(ls "$1/inbox" | wc -l) $(ls -A "$1/claim" 2>/dev/null | wc -l) $(find "$1/quarantine" -type f ! -name '*.回执.txt' 2>/dev/null | wc -l) $(inbox_archived "$1" 2>/dev/null)"
}
fresh() { # fresh home with the whole inbox, and a database from the template
    _h=$(new_home); mkdir -p "$_h/inbox"; cp -p "$T/gen/inbox"/* "$_h/inbox/"
    createdb -T tpl "$2"; eval "$1=\$_h"
}
no_signal() { [ "$1" -ne 0 ] && [ "$1" -lt 128 ] && echo 0 || echo 1; }

# the uninterrupted night
fresh HR ref
"$BIZENV" --home "$HR" --db dbname=ref ingest >"$T/ref.out" 2>&1; rc=$?
is "$rc" 0 "uninterrupted night: exit 0"
want=$(state ref)
want_places=$(places "$HR")
is "$want_places" "0 0 0 $nfiles" "uninterrupted night: every file archived"
is "$(loaded ref)" "$nfiles" "uninterrupted night: every file loaded"

# ---- a) the server stops in the middle of the night
fresh HA a
"$BIZENV" --home "$HA" --db dbname=a ingest >"$T/a.out" 2>&1 </dev/null &
pid=$!
i=0 # wait until the first batch is committed (its files leave the inbox)
while [ "$(loaded a)" = 0 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
pg -m immediate stop
wait $pid; rc=$?
ok "$(no_signal $rc)" "server stopped mid-run: the run ends with an exit status ($rc)"
diag "server stopped: $(grep -A2 -m1 "\[E_" "$T/a.out" | tr "\n" " ")"
like "$(cat "$T/a.out")" "\[E_DB_CONNECT\]" "server stopped mid-run: the message carries E_DB_CONNECT"
set -- $(places "$HA")
is "$2" 0 "server stopped mid-run: no file left claimed"
inbox_a=$1
start
is "$((inbox_a + $(loaded a)))" "$nfiles" "server stopped mid-run: every file is still in the inbox or was loaded ($inbox_a in the inbox)"
ok $([ "$inbox_a" -gt 0 ] && [ "$inbox_a" -lt "$nfiles" ] && echo 0 || echo 1) "the stop really fell in the middle of the night"
"$BIZENV" --home "$HA" --db dbname=a ingest >"$T/a2.out" 2>&1; rc=$?
is "$rc" 0 "after a restart the rerun exits 0"
is "$(state a)" "$want" "after a restart the database equals the uninterrupted night's"
is "$(places "$HA")" "$want_places" "after a restart every file is archived once"

# ---- b) lock_timeout: another session holds facts.submission
fresh HB b
psql -X -q -d b -c "begin; lock table facts.submission in access exclusive mode; select pg_sleep(60);" >/dev/null 2>&1 &
lpid=$!
i=0
while [ "$(q b "select count(*) from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'submission' and l.mode = 'AccessExclusiveLock' and l.granted")" = 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
out=$("$BIZENV" --home "$HB" --db dbname=b --set lock_timeout_ms=500 ingest 2>&1 </dev/null); rc=$?
is "$rc" 75 "lock_timeout hit: exit 75 (EX_TEMPFAIL)"
like "$out" "\[E_TIMEOUT\]" "lock_timeout hit: the message carries E_TIMEOUT"
q b "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'b' and pid <> pg_backend_pid()" >/dev/null
wait $lpid 2>/dev/null
is "$(q b 'select count(*) from facts.submission')" 0 "lock_timeout hit: nothing loaded"
is "$(places "$HB" | cut -d' ' -f1-3)" "$nfiles 0 0" "lock_timeout hit: every file back in the inbox"

# ---- c) statement_timeout: a trigger makes one statement slow
fresh HC c
q c "create function public.slow() returns trigger language plpgsql as \$\$ begin perform pg_sleep(3); return new; end \$\$;
     create trigger slow before insert on facts.submission for each row execute function public.slow();" >/dev/null
out=$("$BIZENV" --home "$HC" --db dbname=c --set statement_timeout_ms=1000 ingest 2>&1 </dev/null); rc=$?
is "$rc" 75 "statement_timeout hit: exit 75"
like "$out" "\[E_TIMEOUT\]" "statement_timeout hit: the message carries E_TIMEOUT"
is "$(q c 'select count(*) from facts.submission')" 0 "statement_timeout hit: nothing loaded"
is "$(places "$HC" | cut -d' ' -f1-3)" "$nfiles 0 0" "statement_timeout hit: every file back in the inbox"
q c "drop trigger slow on facts.submission" >/dev/null
"$BIZENV" --home "$HC" --db dbname=c ingest >/dev/null 2>&1; rc=$?
is "$rc:$(state c)" "0:$want" "statement_timeout: once the slow trigger is gone a rerun loads the night exactly"

# ---- d) a read-only inbox
fresh HD d
if [ $root = 1 ]; then
    mount --bind "$HD/inbox" "$HD/inbox" && mounts="$HD/inbox $mounts" && mount -o remount,bind,ro "$HD/inbox"
    how="read-only bind mount"
else
    chmod 555 "$HD/inbox"; how="chmod 555"
fi
out=$("$BIZENV" --home "$HD" --db dbname=d ingest 2>&1 </dev/null); rc=$?
ok "$(no_signal $rc)" "read-only inbox ($how): the run ends with an exit status ($rc)"
like "$out" "\[E_[A-Z_]+\]" "read-only inbox: the message carries a code"
diag "read-only inbox: $(printf '%s' "$out" | grep -m1 '\[E_' )"
is "$(ls "$HD/inbox" | wc -l)" "$nfiles" "read-only inbox: every file still in the inbox"
is "$(q d 'select count(*) from facts.submission')" 0 "read-only inbox: nothing loaded"
if [ $root = 1 ]; then umount "$HD/inbox"; else chmod 755 "$HD/inbox"; fi
"$BIZENV" --home "$HD" --db dbname=d ingest >/dev/null 2>&1; rc=$?
is "$rc:$(state d)" "0:$want" "read-only inbox: once writable, a rerun loads the night exactly"

# ---- e) the archive folder full
fresh HE e
mkdir -p "$HE/archive"
SO=$(dirname "$BIZENV")/tests/fault/faultinj.so
if [ $root = 1 ] && mount -t tmpfs -o size=64k,mode=0750 tmpfs "$HE/archive" 2>/dev/null; then
    mounts="$HE/archive $mounts"; how="64 KB tmpfs"; pre=""
elif [ -f "$SO" ] && [ "${BIZENV_VARIANT:-release}" != asan ]; then
    how="fault shim, 64 KB budget"; pre="env BZ_FAULT_WRITE_DIR=$HE/archive BZ_FAULT_WRITE_AFTER=65536 LD_PRELOAD=$SO"
else
    how=""
fi
if [ -n "$how" ]; then
    out=$($pre "$BIZENV" --home "$HE" --db dbname=e ingest 2>&1 </dev/null); rc=$?
    ok "$(no_signal $rc)" "archive full ($how): the run ends with an exit status ($rc)"
    like "$out" "\[E_IO_WRITE\]" "archive full: the message carries E_IO_WRITE"
    set -- $(places "$HE")
    is "$2" 0 "archive full: no file left claimed"
    is "$(($1 + $(loaded e)))" "$nfiles" "archive full: every file is still in the inbox or was loaded ($1 in the inbox)"
    is "$(find "$HE/archive" -name '.incoming*' | wc -l)" 0 "archive full: no half-written archive file left"
    if [ -z "$pre" ]; then
        # move what fitted to a roomy folder, as an operator would
        mkdir -p "$T/keep"; cp -a "$HE/archive/." "$T/keep/"; umount "$HE/archive"; cp -a "$T/keep/." "$HE/archive/"
    fi
    "$BIZENV" --home "$HE" --db dbname=e ingest >/dev/null 2>&1; rc=$?
    is "$rc:$(state e)" "0:$want" "archive full: once there is room, a rerun loads the night exactly"
    is "$(places "$HE")" "$want_places" "archive full: every file archived once"
fi
done_testing
