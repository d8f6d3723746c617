#!/bin/sh
# valgrind over the real binary: validate every transport and a real ingest
# and nightly; no invalid access, no definite or indirect leak.
# (The ASan/UBSan build runs every other test; this is the release build.)
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "this test is a small valgrind pass of its own"
[ "${BIZENV_VARIANT:-release}" = asan ] && skip_all "valgrind runs on the release build"
command -v valgrind >/dev/null || skip_all "valgrind not installed"
export BIZENV_TODAY=2026-11-28
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
H=$(new_home)
python3 "$TOP/jobs/demo/make_inbox.py" "$H/inbox"

out=$($VG "$BIZENV" --home "$H" validate "$H"/inbox/* 2>&1); rc=$?
is "$rc" 65 "validate of the demo inbox under valgrind: clean, one rejected file"
unlike "$out" "==[0-9]+==" "no valgrind report"

db=$(scratch_db)
B="$BIZENV --home $H --db dbname=$db"
$B registry load "$TOP/jobs/demo/townships.csv" >/dev/null
out=$($VG $B nightly </dev/null 2>&1); rc=$?
is "$rc" 0 "nightly under valgrind exits 0"
unlike "$out" "==[0-9]+==" "no valgrind report for a nightly run"
out=$($VG $B rank 2026-10 2>&1); rc=$?
is "$rc" 0 "rank under valgrind"
unlike "$out" "==[0-9]+==" "no valgrind report for rank"
done_testing
