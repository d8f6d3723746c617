#!/bin/sh
# The readers (ingest/sandbox.h): inbox files are read in sandboxed worker
# processes. With the test binary (bizenv-hooks, built with the readers'
# test hooks) chosen files make their reader dereference NULL, call
# exit(1), open /etc/passwd (which the seccomp filter answers by killing
# it), answer garbage or hang: each such file is read once more by a fresh
# reader, then quarantined with E_READER_CRASH and a receipt saying so,
# and the rest of the night loads exactly as without it. A file whose
# reader fails only the first time is loaded; one whose reader runs out of
# memory goes back to the inbox and loads on the next night.
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "under valgrind the readers run without their filter (valgrind's own system calls); the hooks prove nothing more there"
HOOKS=$(dirname "$BIZENV")/bizenv-hooks
[ -x "$HOOKS" ] || skip_all "test binary not built (make unit-build)"
"$BIZENV" config | grep -q '读取沙箱：开启' || skip_all "this build reads in-process (SANDBOX=0)"
export BIZENV_TODAY=2026-11-28
q() { psql -X -At -d "$1" -c "$2"; }

# the demo night, and the example as 南坪镇's reports of months before it
python3 "$TOP/jobs/demo/make_inbox.py" "$T/demo" >/dev/null
mk() { # mk NAME MONTH
    sed -e "s/539901101/539901104/" -e "s/<period>2026-10</<period>2026-$2</" \
        -e "s/date=\"2026-10-/date=\"2026-$2-/g" -e "s/=\"2026-10-\([0-9][0-9]\)\"/=\"2026-$2-\1\"/g" \
        "$TOP/jobs/demo/539901101-2026-10.xml" >"$T/extra/$1"
}
mkdir -p "$T/extra"
mk crash-null.xml 03
mk crash-exit.xml 04
mk crash-open.xml 05
mk crash-garbage.xml 06
mk flaky.xml 07
mk nomem.xml 08
gzip -c "$T/extra/crash-null.xml" >"$T/extra/crash-null2.xml.gz" && rm "$T/extra/crash-null.xml"

night() { # night HOME DB FILES...: a home whose inbox holds FILES, its registry loaded
    h=$1 d=$2; shift 2
    mkdir -p "$h/inbox"
    cp -p "$@" "$h/inbox/"
    "$BIZENV" --home "$h" --db "dbname=$d" registry load "$TOP/jobs/demo/townships.csv" >/dev/null
}
state() {
    q "$1" "select string_agg(township_code||'/'||to_char(period,'YYYY-MM')||'/r'||revision||'/'||doc_sha256, ' ' order by 1) from facts.submission"
}

# the reference: the demo night and flaky.xml, loaded by the plain binary
ref=$(scratch_db); HR=$(new_home)
night "$HR" "$ref" "$T"/demo/* "$T/extra/flaky.xml"
"$BIZENV" --home "$HR" --db "dbname=$ref" ingest >/dev/null 2>&1
is "$?" 0 "reference night without any hook"

# the same night with the hooks, and the files that fail their readers
db=$(scratch_db); H=$(new_home)
night "$H" "$db" "$T"/demo/* "$T"/extra/*
export BIZENV_TEST_READER='null:crash-null*,exit:crash-exit*,open:crash-open*,garbage:crash-garbage*,null1:flaky*,nomem:nomem*'
out=$("$HOOKS" --home "$H" --db "dbname=$db" ingest 2>&1); rc=$?
is "$rc" 0 "the night ends with exit 0 although five files failed their readers"
like "$out" "未完成 1" "the file whose reader ran out of memory is not finished"
R="$H/quarantine/2026-11-28"
for f in crash-null2.xml.gz crash-exit.xml crash-open.xml crash-garbage.xml; do
    ok $([ -f "$R/$f" ] && echo 0 || echo 1) "$f is quarantined"
    like "$(cat "$R/$f.回执.txt" 2>/dev/null)" '\[E_READER_CRASH\] 文件使读取程序异常终止' "$f: its receipt says the file made the reader fail"
    is "$(q "$db" "select array_to_string(codes, ' ') from raw.receipt r join raw.file f on f.sha256 = r.file_sha256 where f.original_name = '$f'")" \
        E_READER_CRASH "$f: its stored receipt has the code"
done
# (in the ASan+UBSan build UBSan reports the NULL store and exits with 1)
like "$(cat "$R/crash-null2.xml.gz.回执.txt")" '(信号 11（非法内存访问）|退出码 1).*(信号 11|退出码 1)' "NULL: both readers died of SIGSEGV"
like "$(cat "$R/crash-exit.xml.回执.txt")" '退出码 1.*退出码 1' "exit(1): both readers exited with 1"
like "$(cat "$R/crash-open.xml.回执.txt")" '信号 31（越权的系统调用）.*信号 31' "opening /etc/passwd: the filter killed both readers (SIGSYS)"
like "$(cat "$R/crash-garbage.xml.回执.txt")" '返回了无法识别的结果' "garbage: the answer was refused"
is "$(ls "$H/inbox")" "nomem.xml" "the file whose reader ran out of memory is back in the inbox"
is "$(q "$db" "select count(*) from raw.file where original_name = 'nomem.xml'")" 0 "and nothing of it is recorded"
is "$(ls -A "$H/claim" | wc -l)" 0 "nothing is left claimed"
is "$(state "$db")" "$(state "$ref")" "the database holds exactly the reference night: the rest loaded, flaky.xml on its second reading"
is "$(q "$db" "select to_char(period, 'MM') from facts.submission where township_code = '539901104' and period < '2026-09-01' order by 1")" 07 \
    "of 南坪镇's early months only flaky.xml's is loaded: nothing of the crashing files"
is "$(q "$db" "select count(*) from facts.submission")" "$(q "$ref" "select count(*) from facts.submission")" "as many submissions as the reference"

# the next night, without the hooks: the file left in the inbox loads
unset BIZENV_TEST_READER
"$HOOKS" --home "$H" --db "dbname=$db" ingest >/dev/null 2>&1
is "$?" 0 "the next night ends with exit 0"
is "$(q "$db" "select count(*) from facts.submission where township_code = '539901104' and period = '2026-08-01'")" 1 "and loads the file kept in the inbox"
is "$(ls -A "$H/inbox" | wc -l)" 0 "the inbox is empty"

# a reader that hangs is killed after parse_timeout_s and its grace
export BIZENV_TEST_READER='hang:*.gz'
out=$("$HOOKS" --home "$H" --set parse_timeout_s=1 validate "$T/demo/539901103-2026-10.xml.gz" "$T/demo/539901101-2026-10.xml" 2>&1); rc=$?
is "$rc" 65 "validate: a file that hangs its readers is rejected (65)"
# stopped by bizenv past the deadline, or by their own CPU limit, whichever comes first
like "$out" '\[E_READER_CRASH\].*(超时未完成|超过 CPU 时间上限).*(超时未完成|超过 CPU 时间上限)' "validate: both readers were stopped for their time"
like "$out" '539901101 示例乡' "validate: the next file is read"

# validate takes the same readers
export BIZENV_TEST_READER='open:539901101*'
out=$("$HOOKS" --home "$H" validate "$T/demo/539901101-2026-10.xml" 2>&1); rc=$?
is "$rc" 65 "validate: a file that makes its reader open a file is rejected"
like "$out" '结果：退回' "validate: its receipt says rejected"
like "$out" 'E_READER_CRASH' "validate: with E_READER_CRASH"
unset BIZENV_TEST_READER

# the binary everyone else runs has no hooks
BIZENV_TEST_READER='null:*' "$BIZENV" --home "$H" validate "$T/demo/539901101-2026-10.xml" >/dev/null 2>&1
is "$?" 0 "the plain binary ignores the hooks' variable"
done_testing
