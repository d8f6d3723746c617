#!/bin/sh
# Allocation failure, as SQLite tests itself: `bizenv validate` over valid
# examples of three transports (bare XML, .xml.gz, zip package) is run with
# the 1st, 2nd, ... Nth allocation failing (tests/fault/faultinj.c, an
# LD_PRELOAD shim), until it completes. Each run must end in the reference
# result or a coded error with an exit status, never a signal, and never
# call a valid file bad.
# BIZENV_FAULT_STRIDE=k tries every kth N (default 5, about 40 s; 1 tries
# every N, about 3 minutes).
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = asan ] && skip_all "the malloc shim replaces ASan's allocator; release build only"
SO=$(dirname "$BIZENV")/tests/fault/faultinj.so
[ -f "$SO" ] || skip_all "fault shim not built (make unit-build)"
export BIZENV_TODAY=2026-11-28
STRIDE=${BIZENV_FAULT_STRIDE:-5}
H=$(new_home)
python3 "$TOP/jobs/demo/make_inbox.py" "$T/in" >/dev/null
set -- "$T/in/539901101-2026-10.xml" "$T/in/539901103-2026-10.xml.gz" "$T/in/东山镇10月报送.zip"

BZ_FAULT_COUNT="$T/count" LD_PRELOAD=$SO "$BIZENV" --home "$H" validate "$@" >"$T/ref" 2>&1; rc=$?
is "$rc" 0 "without a failure the three examples pass"
M=$(cat "$T/count")
diag "$M allocations in a full run; trying every ${STRIDE}th"

# one line per N: N rc class
run_one() {
    n=$1; shift
    BZ_FAULT_MALLOC=$n LD_PRELOAD=$SO "$BIZENV" --home "$H" validate "$@" >"$T/o.$n" 2>&1
    rc=$?
    # GnuTLS (pulled in by libpq) prints its own constructor's failure; the
    # result is otherwise unaffected
    grep -v '^Error in GnuTLS initialization' "$T/o.$n" >"$T/o.$n.f"; mv "$T/o.$n.f" "$T/o.$n"
    if [ $rc = 0 ] && cmp -s "$T/o.$n" "$T/ref"; then c=same
    elif [ $rc -ge 128 ]; then c=signal
    elif [ $rc = 65 ]; then c=false_rejection
    elif grep -q '\[E_[A-Z_]*\]' "$T/o.$n"; then c=coded
    elif [ $rc = 0 ]; then c=silent_difference
    else c=uncoded; fi
    echo "$n $rc $c $(grep -o '\[E_[A-Z_]*\]' "$T/o.$n" | sort -u | tr -d '\n')"
    rm -f "$T/o.$n"
}
: >"$T/res"
n=1
while [ $n -le $((M + 1)) ]; do
    run_one $n "$@" >>"$T/res"
    n=$((n + STRIDE))
done
run_one $((M * 2)) "$@" >>"$T/res"
awk '{ print $3 }' "$T/res" | sort | uniq -c | while read -r k c; do diag "$c: $k runs"; done

is "$(tail -1 "$T/res" | awk '{ print $3 }')" same "past the last allocation the run completes with the reference result"
n_sig=$(awk '$3 == "signal"' "$T/res" | wc -l)
n_false=$(awk '$3 == "false_rejection"' "$T/res" | wc -l)
n_unc=$(awk '$3 == "uncoded" || $3 == "silent_difference"' "$T/res" | wc -l)
n_nomem=$(awk '$3 == "coded" && $4 ~ /E_NOMEM/' "$T/res" | wc -l)
ok $([ "$n_nomem" -gt 0 ] && echo 0 || echo 1) "allocation failures are reported as E_NOMEM ($n_nomem runs)"
# Known, not yet fixed (see the report of the hostile-input work): a few
# runs die inside libarchive/libc paths, and libarchive's own allocation
# failures come back as "corrupt zip". Kept visible as TODO tests.
_tap_n=$((_tap_n + 1))
if [ "$n_sig" = 0 ]; then echo "ok $_tap_n - no run dies of a signal"; else
    echo "not ok $_tap_n - no run dies of a signal # TODO $n_sig runs: $(awk '$3 == "signal" { printf "%s ", $1 }' "$T/res" | head -c 200)"; fi
_tap_n=$((_tap_n + 1))
if [ "$n_false" = 0 ]; then echo "ok $_tap_n - an allocation failure never rejects a valid file"; else
    echo "not ok $_tap_n - an allocation failure never rejects a valid file # TODO $n_false runs: $(awk '$3 == "false_rejection" { printf "%s:%s ", $1, $4 }' "$T/res" | head -c 300)"; fi
_tap_n=$((_tap_n + 1))
if [ "$n_unc" = 0 ]; then echo "ok $_tap_n - every failed run names an error code"; else
    echo "not ok $_tap_n - every failed run names an error code # TODO $n_unc runs: $(awk '$3 == "uncoded" || $3 == "silent_difference" { printf "%s:%s ", $1, $2 }' "$T/res" | head -c 300)"; fi

# leaks: a sample of N under valgrind (every failing path frees what it took)
if command -v valgrind >/dev/null; then
    leaks=0; k=0
    step=$((M / 12 + 1))
    n=$((step / 2))
    while [ $n -le "$M" ]; do
        k=$((k + 1))
        BZ_FAULT_MALLOC=$n LD_PRELOAD=$SO valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
            --error-exitcode=99 "$BIZENV" --home "$H" validate "$@" >"$T/vg" 2>&1
        [ $? = 99 ] && { leaks=$((leaks + 1)); diag "N=$n: $(grep -m3 'definitely\|Invalid' "$T/vg" | tr '\n' ' ')"; }
        n=$((n + step))
    done
    is "$leaks" 0 "no definite leak or invalid access in $k sampled failing runs under valgrind"
fi
done_testing
