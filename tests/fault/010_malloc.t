#!/bin/sh
# Allocation failure, as SQLite tests itself: `bizenv validate` over valid
# examples of three transports (bare XML, .xml.gz, zip package) is run with
# the 1st, 2nd, ... Nth allocation failing (tests/fault/faultinj.c, an
# LD_PRELOAD shim), until it completes. Each run must end in the reference
# result or an E_NOMEM error with an exit status, and never call a valid
# file bad (E_NOMEM leaves a file in the inbox; a rejection quarantines it).
# The files are read in reader processes (ingest/sandbox.h), forked from
# bizenv: they count on from its count, so the Nth allocation fails in
# bizenv or in a reader, wherever the run gets to N first; the count a
# sweep goes up to is the most any process reached.
# BIZENV_FAULT_STRIDE=k tries every kth N (default 8, about 60 s; 1 tries
# every N, a few minutes).
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "the malloc shim and valgrind both replace the allocator"
[ "${BIZENV_VARIANT:-release}" = asan ] && skip_all "the malloc shim replaces ASan's allocator; release build only"
SO=$(dirname "$BIZENV")/tests/fault/faultinj.so
[ -f "$SO" ] || skip_all "fault shim not built (make unit-build)"
export BIZENV_TODAY=2026-11-28
STRIDE=${BIZENV_FAULT_STRIDE:-8}
H=$(new_home)
python3 "$TOP/jobs/demo/make_inbox.py" "$T/in" >/dev/null

# one line per N: N rc class codes
run_one() {
    n=$1; shift
    BZ_FAULT_MALLOC=$n LD_PRELOAD=$SO "$BIZENV" --home "$H" validate "$@" >"$T/o.$n" 2>&1
    rc=$?
    # GnuTLS (pulled in by libpq) prints its own constructor's failure; the
    # result is otherwise unaffected
    grep -av '^Error in GnuTLS initialization' "$T/o.$n" >"$T/o.$n.f"; mv "$T/o.$n.f" "$T/o.$n"
    if [ $rc = 0 ] && cmp -s "$T/o.$n" "$T/ref"; then c=same
    elif [ $rc -ge 128 ]; then c=signal
    elif [ $rc = 65 ] && grep -aq '\[E_READER_CRASH\]' "$T/o.$n"; then c=reader_crash
    elif [ $rc = 65 ]; then c=false_rejection
    elif grep -aq '\[E_[A-Z_]*\]' "$T/o.$n"; then c=coded
    elif [ $rc = 1 ] && grep -aq '^Fatal Internal Error in libarchive' "$T/o.$n"; then c=libarchive_exit
    elif [ $rc = 0 ]; then c=silent_difference
    else c=uncoded; fi
    echo "$n $rc $c $(grep -ao '\[E_[A-Z_]*\]' "$T/o.$n" | sort -u | tr -d '\n')"
    rm -f "$T/o.$n"
}

# sweep LABEL FILE...: fails the 1st, (1+STRIDE)th, ... allocation up to
# one past the last, then one far past it; results in $T/res.LABEL
sweep() {
    label=$1; shift
    BZ_FAULT_COUNT="$T/count" LD_PRELOAD=$SO "$BIZENV" --home "$H" validate "$@" >"$T/ref" 2>&1; rc=$?
    is "$rc" 0 "$label: without a failure the examples pass"
    M=$(cat "$T/count")
    diag "$label: $M allocations in a full run; trying every ${STRIDE}th"
    : >"$T/res.$label"
    n=1
    while [ $n -le $((M + 1)) ]; do
        run_one $n "$@" >>"$T/res.$label"
        n=$((n + STRIDE))
    done
    # the count varies slightly between runs: check completion far past it
    run_one $((M * 2)) "$@" >>"$T/res.$label"
    awk '{ print $3 }' "$T/res.$label" | sort | uniq -c | while read -r k c; do diag "$label: $c: $k runs"; done
    is "$(tail -1 "$T/res.$label" | awk '{ print $3 }')" same "$label: past the last allocation the run completes with the reference result"
}
count() { awk -v c="$2" '$3 == c' "$T/res.$1" | wc -l; }
list() { awk -v c="$2" '$3 == c { printf "%s:%s%s ", $1, $2, $4 }' "$T/res.$1" | head -c 300; }
not_nomem() { awk '$3 == "coded" && $4 !~ /E_NOMEM/ { printf "%s:%s ", $1, $4 }' "$T/res.$1" | head -c 300; }

# bare XML and .xml.gz: bizenv's own code, zlib and libxml2 (no libarchive)
sweep plain "$T/in/539901101-2026-10.xml" "$T/in/539901103-2026-10.xml.gz"
is "$(count plain signal)" 0 "plain: no run dies of a signal $(list plain signal)"
is "$(count plain reader_crash)" 0 "plain: no reader dies either (its libxml2 and zlib failures are E_NOMEM) $(list plain reader_crash)"
is "$(count plain false_rejection)" 0 "plain: an allocation failure never rejects a valid file $(list plain false_rejection)"
is "$(($(count plain uncoded) + $(count plain silent_difference) + $(count plain libarchive_exit)))" 0 \
    "plain: every failed run names an error code $(list plain uncoded)"
ok $([ "$(awk '$3 == "coded" && $4 ~ /E_NOMEM/' "$T/res.plain" | wc -l)" -gt 0 ] && echo 0 || echo 1) \
    "plain: allocation failures are reported as E_NOMEM"
is "$(not_nomem plain)" "" "plain: no allocation failure is reported under another code"

# the zip package: libarchive's own allocation failures are E_NOMEM too
sweep zip "$T/in/东山镇10月报送.zip"
is "$(count zip false_rejection)" 0 "zip: an allocation failure never rejects a valid file $(list zip false_rejection)"
is "$(($(count zip uncoded) + $(count zip silent_difference)))" 0 \
    "zip: every failed run names an error code $(list zip uncoded)"
is "$(not_nomem zip)" "" "zip: no allocation failure is reported under another code"
# libarchive 3.6.2 itself, when one of ITS allocations fails inside
# archive_read_open1/archive_read_next_header, either calls exit(1) after
# "Fatal Internal Error in libarchive: Out of memory" (its __archive_errx)
# or dereferences the NULL (gdb: the frames are all inside libarchive).
# That now happens in a reader process: bizenv replaces it and reads the
# file again in a fresh one, which (the shim failing the Nth allocation
# once per run) reads it to the end. The run itself never ends that way.
is "$(count zip signal)" 0 "zip: no run dies of a signal $(list zip signal)"
is "$(count zip libarchive_exit)" 0 "zip: no run is ended by libarchive's exit(1) $(list zip libarchive_exit)"
is "$(count zip reader_crash)" 0 "zip: a reader lost to a failed allocation is replaced and the file read again $(list zip reader_crash)"

set -- "$T/in/539901101-2026-10.xml" "$T/in/539901103-2026-10.xml.gz" "$T/in/东山镇10月报送.zip"
BZ_FAULT_COUNT="$T/count" LD_PRELOAD=$SO "$BIZENV" --home "$H" validate "$@" >/dev/null 2>&1
M=$(cat "$T/count")
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
