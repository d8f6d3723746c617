#!/bin/sh
# bizenv validate on real files: receipts, exit statuses, every transport.
. "$(dirname "$0")/../lib/tap.sh"
EX=$TOP/tests/data/539901101-2026-10.xml
export BIZENV_TODAY=2026-11-28
H=$(new_home)
cp "$TOP/jobs/demo/townships.csv" "$H/townships.csv"
V() { "$BIZENV" --home "$H" validate "$@"; }

out=$(V "$EX" 2>&1); rc=$?
is "$rc" 0 "the normative example is accepted"
like "$out" "乡镇：539901101 示例乡" "receipt names the township"
like "$out" "月份：2026-10" "receipt names the period"
like "$out" "版本：1" "receipt names the revision"
like "$out" "结果：接收（有警告）" "accepted with warnings"
like "$out" "\[W_RATE_MISMATCH\] 第 [0-9]+ 行 /submission/evaluation/@reportedRate" "rate mismatch warning with line and path"
is "$(printf '%s\n' "$out" | grep -c '\[W_APPROX_COUNT\]')" 2 "two approximate counts"
unlike "$out" "错误 [0-9]+ 项" "no errors listed"

json=$(V --format json "$EX"); rc=$?
is "$rc" 0 "json: exit 0"
like "$json" '"outcome":"accepted_with_warnings"' "json outcome"
like "$json" '"township_code":"539901101"' "json township"
like "$json" '"code":"W_RATE_MISMATCH","line":[0-9]+,"path":"/submission/evaluation/@reportedRate"' "json warning entry"
is "$(printf '%s\n' "$json" | wc -l)" 1 "json receipt is one line"

# one document with several errors: all are reported in one pass
sed -e 's/handled="31" evaluated="30"/handled="31" evaluated="32"/' \
    -e 's/window="W05" date="2026-10-13"/window="W99" date="2026-10-13"/' \
    -e 's/found="2026-10-23" status="rectified" rectified="2026-10-30"/found="2026-10-23" status="open" rectified="2026-10-30"/' \
    "$EX" >"$T/bad.xml"
out=$(V "$T/bad.xml" 2>&1); rc=$?
is "$rc" 65 "rejected file exits 65 (EX_DATAERR)"
like "$out" "结果：退回" "receipt says rejected"
like "$out" "\[E_EVAL_EXCEEDS\] 第 [0-9]+ 行 /submission/evaluation" "evaluated above handled"
like "$out" "\[E_REF_WINDOW\] 第 [0-9]+ 行 /submission/walks/walk\[6\]/@window" "unknown window reference, with position"
like "$out" "\[E_PROBLEM_RECTIFIED_FORBIDDEN\] 第 [0-9]+ 行 /submission/problems/problem\[3\]" "rectified date on an open problem"
like "$out" "错误 3 项" "exactly three errors"

out=$(V "$T/nope.xml" 2>&1); rc=$?
is "$rc" 66 "missing file exits 66 (EX_NOINPUT)"
like "$out" "E_NOINPUT" "missing file message has its code"

# several files: the worst status wins, every receipt printed
out=$(V "$EX" "$T/bad.xml" 2>&1); rc=$?
is "$rc" 65 "one rejected among two files exits 65"
is "$(printf '%s\n' "$out" | grep -c '^回执')" 2 "two receipts"

# transports: gzip, package with attachment, batch
gzip -c "$EX" >"$T/ex.xml.gz"
out=$(V "$T/ex.xml.gz" 2>&1); rc=$?
is "$rc" 0 "xml.gz accepted"
python3 - "$T" "$EX" <<'PY'
import sys, zipfile
t, ex = sys.argv[1], sys.argv[2]
data = open(ex, 'rb').read()
with zipfile.ZipFile(t + '/pkg.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('539901101-2026-10.xml', data)
    z.writestr('attachments/报告.pdf', b'%PDF-1.4 test')
with zipfile.ZipFile(t + '/batch.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.write(t + '/pkg.zip', 'a.zip')
    z.writestr('b.xml', data.replace(b'<revision>1<', b'<revision>2<'))
PY
out=$(V "$T/pkg.zip" 2>&1); rc=$?
is "$rc" 0 "zip package accepted"
like "$out" "文件：.*pkg.zip → 539901101-2026-10.xml" "package receipt names the member"
out=$(V "$T/batch.zip" 2>&1); rc=$?
is "$rc" 0 "batch accepted"
like "$out" "a.zip/539901101-2026-10.xml" "batch receipt names the nested member"
like "$out" "版本：2" "second document of the batch read"

# transport-level rejection: one receipt for the file
head -c 300 "$T/pkg.zip" >"$T/trunc.zip"
out=$(V "$T/trunc.zip" 2>&1); rc=$?
is "$rc" 65 "truncated zip rejected"
like "$out" "\[E_ZIP_CORRUPT\]" "truncated zip code"

# registry: a code not in the registry is rejected
sed 's/code="539901101"/code="539901199"/' "$EX" >"$T/unknown.xml"
out=$(V "$T/unknown.xml" 2>&1); rc=$?
is "$rc" 65 "unknown township rejected"
like "$out" "\[E_TOWNSHIP_UNKNOWN\] 第 [0-9]+ 行 /submission/township/@code" "unknown township code"

# GB18030-declared document is converted and accepted
sed 's/encoding="UTF-8"/encoding="GB18030"/' "$EX" | iconv -f UTF-8 -t GB18030 >"$T/gb.xml"
out=$(V "$T/gb.xml" 2>&1); rc=$?
is "$rc" 0 "GB18030 document accepted"
like "$out" "示例乡" "GB18030 text converted to UTF-8"

# an unreadable file is an I/O failure, not a rejection (as another user: root reads anything)
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    cp "$EX" "$T/secret.xml"; chmod 600 "$T/secret.xml"
    chmod 777 "$H"
    out=$(runuser -u nobody -- "$BIZENV" --home "$H" validate "$T/secret.xml" 2>&1); rc=$?
    is "$rc" 74 "unreadable file exits 74 (EX_IOERR)"
    like "$out" "E_IO_READ" "I/O failure carries its code"
else
    ok 0 "# SKIP needs root to run as another user"
    ok 0 "# SKIP needs root to run as another user"
fi

out=$("$BIZENV" --home "$H" validate --format xml "$EX" 2>&1); rc=$?
is "$rc" 64 "bad --format is a usage error"
done_testing
