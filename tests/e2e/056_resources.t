#!/bin/sh
# Resource caps hold: `bizenv validate` on every file of the hostile corpus
# (tests/corpus: the transport cases and a whole hostile night) and on a
# 200 MB bare XML, then one `bizenv ingest` of the whole night, each with
# its peak RSS and wall time measured (GNU time) and printed; each must stay
# under the configured max_memory_bytes and parse_timeout_s and end with an
# exit status (never a signal). Then caps lowered with --set so that a file
# needs more than allowed: a clear rejection or E_NOMEM, never a crash.
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "it would measure valgrind's memory and time, not bizenv's"
[ "${BIZENV_VARIANT:-release}" = asan ] && skip_all "ASan's shadow memory is not the program's; release build only"
[ -x /usr/bin/time ] || skip_all "GNU time (/usr/bin/time, Debian package time) not installed"
export BIZENV_TODAY=2026-11-28
MEM=1G; MEM_KB=$((1024 * 1024)) # the defaults, given explicitly
TIMEOUT=60
H=$(new_home)
B="$BIZENV --home $H --set max_memory_bytes=$MEM --set parse_timeout_s=$TIMEOUT"
python3 "$TOP/tests/corpus/make_corpus.py" "$T/c" >/dev/null
python3 "$TOP/tests/corpus/make_night.py" "$T/n" >/dev/null
rm -f "$T/c/manifest.tsv"
# a 200 MB bare XML: one text node (rejected by size before it is read)
{ printf '<?xml version="1.0" encoding="UTF-8"?>\n<submission xmlns="urn:bizenv:submission:1" schemaVersion="1"><note>'
  head -c 200000000 /dev/zero | tr '\0' 'a'
  printf '</note></submission>\n'; } >"$T/big200.xml"

# measure LABEL CMD...: runs CMD under GNU time; sets rc kb secs
measure() {
    label=$1; shift
    /usr/bin/time -o "$T/time" -f '%M %e' "$@" >"$T/out" 2>&1 </dev/null
    rc=$?
    # the last line: GNU time puts "Command exited with non-zero status" first
    read -r kb secs <<EOT
$(tail -n 1 "$T/time")
EOT
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$rc" "$kb" "$secs" "$(grep -ao '\[E_[A-Z_]*\]' "$T/out" | head -1)" >>"$T/m.tsv"
}

: >"$T/m.tsv"
for f in "$T"/c/* "$T"/n/inbox/* "$T/big200.xml"; do
    [ -f "$f" ] || [ -p "$f" ] || continue
    measure "validate $(basename "$(dirname "$f")")/$(basename "$f")" $B validate "$f"
done
nv=$(wc -l <"$T/m.tsv")
diag "validate, one file each: exit, peak RSS KB, wall s, first code"
sort -t"$(printf '\t')" -k3,3n "$T/m.tsv" | tail -15 | while IFS="$(printf '\t')" read -r l r k s c; do diag "$(printf '%-40.40s rc=%-3s %7s KB %6s s %s' "$l" "$r" "$k" "$s" "$c")"; done
max_kb=$(cut -f3 "$T/m.tsv" | sort -n | tail -1)
max_s=$(cut -f4 "$T/m.tsv" | sort -n | tail -1)
diag "largest peak RSS $max_kb KB, longest $max_s s over $nv files (caps: $MEM_KB KB, $TIMEOUT s)"
is "$(awk -F'\t' '$2 >= 128' "$T/m.tsv" | wc -l)" 0 "validate: no file kills the process with a signal"
is "$(awk -F'\t' -v cap="$MEM_KB" '$3 >= cap' "$T/m.tsv" | cut -f1 | tr '\n' ' ')" "" "validate: every file's peak RSS under max_memory_bytes"
is "$(awk -F'\t' -v cap="$TIMEOUT" '$4 >= cap' "$T/m.tsv" | cut -f1 | tr '\n' ' ')" "" "validate: every file read within parse_timeout_s"
like "$(grep 'big200.xml' "$T/m.tsv")" "	65	.*E_LIMIT_" "the 200 MB XML is rejected by a size limit"
ok $([ "$(grep 'big200.xml' "$T/m.tsv" | cut -f3)" -lt 65536 ] && echo 0 || echo 1) "the 200 MB XML is rejected without being read into memory (< 64 MB RSS)"

# one ingest of the whole hostile night
db=$(scratch_db)
"$BIZENV" --home "$H" --db "dbname=$db" registry load "$TOP/jobs/demo/townships.csv" >/dev/null
[ -f "$T/n/townships.csv" ] && "$BIZENV" --home "$H" --db "dbname=$db" registry load "$T/n/townships.csv" >/dev/null
mkdir -p "$H/inbox"; cp -p "$T"/n/inbox/* "$H/inbox/" 2>/dev/null
n=$(ls "$H/inbox" | wc -l)
: >"$T/m.tsv"
measure "ingest" $B --db "dbname=$db" ingest
IFS="$(printf '\t')" read -r l rc kb secs c <"$T/m.tsv"
diag "ingest of the hostile night ($n files): rc=$rc, peak RSS $kb KB, $secs s"
ok $([ "$rc" -lt 128 ] && echo 0 || echo 1) "ingest: the night ends with an exit status ($rc)"
ok $([ "$kb" -lt "$MEM_KB" ] && echo 0 || echo 1) "ingest: peak RSS under max_memory_bytes"
ok $(awk -v s="$secs" -v c="$TIMEOUT" -v n="$n" 'BEGIN { exit !(s < c * n) }' && echo 0 || echo 1) "ingest: within parse_timeout_s per file"

# caps lowered: a file that needs more than allowed
python3 "$TOP/jobs/demo/make_inbox.py" "$T/demo" >/dev/null
python3 - "$TOP/tests/data/539901101-2026-10.xml" "$T/big15.xml" <<'PY'
import sys
x = open(sys.argv[1], "rb").read()
i = x.index(b"?>") + 2
# 15 MB of comment: within max_xml_bytes (16 MB), read whole into memory
open(sys.argv[2], "wb").write(x[:i] + b"\n<!--" + b"x" * (15 << 20) + b"-->" + x[i:])
PY
: >"$T/m.tsv"
measure "max_xml_bytes=4K" "$BIZENV" --home "$H" --set max_xml_bytes=4K validate "$TOP/tests/data/539901101-2026-10.xml"
measure "max_memory_bytes=24M" "$BIZENV" --home "$H" --set max_memory_bytes=24M validate "$T/big15.xml"
measure "max_memory_bytes=12M" "$BIZENV" --home "$H" --set max_memory_bytes=12M validate "$T/demo/东山镇10月报送.zip"
while IFS="$(printf '\t')" read -r l r k s c; do diag "$(printf '%-22s rc=%-3s %7s KB %6s s %s' "$l" "$r" "$k" "$s" "$c")"; done <"$T/m.tsv"
like "$(sed -n 1p "$T/m.tsv")" "	65	.*\[E_LIMIT_ENTRY_SIZE\]" "a 6 KB XML over max_xml_bytes=4K: rejected with E_LIMIT_ENTRY_SIZE"
like "$(sed -n 2p "$T/m.tsv")" "	71	.*\[E_NOMEM\]" "a 15 MB XML under max_memory_bytes=24M: E_NOMEM (exit 71), not a crash"
ok $([ "$(sed -n 2p "$T/m.tsv" | cut -f3)" -lt $((2 * 24 * 1024)) ] && echo 0 || echo 1) \
    "under max_memory_bytes=24M the process never grew past it (RSS counts the shared libraries' code too)"
like "$(sed -n 3p "$T/m.tsv")" "	(0|71)	" "a package under max_memory_bytes=12M: accepted or E_NOMEM, never a crash"
done_testing
