#!/bin/sh
# Disk faults around a night: the archive folder full (ENOSPC from the
# fault shim's write budget) and a failing rename. The run ends with a coded
# error and an exit status (no signal), nothing is lost, and a rerun once
# the fault is gone loads everything exactly once.
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "the fault shim (LD_PRELOAD) and valgrind both replace the same calls"
[ "${BIZENV_VARIANT:-release}" = asan ] && skip_all "the fault shim is for the release build"
SO=$(dirname "$BIZENV")/tests/fault/faultinj.so
[ -f "$SO" ] || skip_all "fault shim not built (make unit-build)"
export BIZENV_TODAY=2026-11-28
db=$(scratch_db)
H=$(new_home)
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@"; }
q() { psql -X -At -d "$db" -c "$1"; }
B registry load "$TOP/jobs/demo/townships.csv" >/dev/null
python3 "$TOP/jobs/demo/make_inbox.py" "$T/src" >/dev/null
nfiles=$(ls "$T/src" | wc -l)
mkdir -p "$H/inbox" "$H/archive"
cp -p "$T/src"/* "$H/inbox/"

# the archive takes 3000 bytes, then the disk is full
out=$(BZ_FAULT_WRITE_DIR="$H/archive" BZ_FAULT_WRITE_AFTER=3000 LD_PRELOAD=$SO "$BIZENV" --home "$H" --db "dbname=$db" ingest 2>&1); rc=$?
ok $([ $rc -ne 0 ] && [ $rc -lt 128 ] && echo 0 || echo 1) "archive full: the run stops with an exit status ($rc), not a signal"
like "$out" "\[E_IO_WRITE\]" "archive full: the message carries E_IO_WRITE"
left=$(($(ls "$H/inbox" | wc -l) + $(ls -A "$H/claim" 2>/dev/null | wc -l)))
ok $([ "$left" -ge 1 ] && echo 0 || echo 1) "archive full: the file being archived is not lost ($left files still to take)"

# a failing rename (the second one of the run)
out=$(BZ_FAULT_RENAME=2 BZ_FAULT_ERRNO=30 LD_PRELOAD=$SO "$BIZENV" --home "$H" --db "dbname=$db" ingest 2>&1); rc=$?
ok $([ $rc -lt 128 ] && echo 0 || echo 1) "rename failing with EROFS: exit status $rc, not a signal"
like "$out" "\[E_[A-Z_]+\]" "rename failing: the message carries a code"

# the fault is gone: everything ends in exactly one place, loaded once
out=$(B ingest 2>&1); rc=$?
is "$rc" 0 "the rerun without faults exits 0"
is "$(ls "$H/inbox" | wc -l) $(ls -A "$H/claim" 2>/dev/null | wc -l)" "0 0" "nothing left in the inbox"
is "$(inbox_archived "$H")" "$nfiles" "every file archived once"
is "$(find "$H/archive" -name '.incoming*' | wc -l)" 0 "no half-written archive file left"
is "$(q 'select count(*) from facts.submission')" 8 "the eight good reports loaded once"
done_testing
