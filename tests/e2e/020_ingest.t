#!/bin/sh
# bizenv ingest over a real inbox and a real PostgreSQL: every file ends in
# exactly one place, revisions follow the spec, the same inbox twice changes
# nothing, a database that is down loses nothing.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
db=$(scratch_db)
H=$(new_home)
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@"; }
q() { psql -X -At -d "$db" -c "$1"; }

out=$(B registry load "$TOP/jobs/demo/townships.csv" 2>&1); rc=$?
is "$rc" 0 "registry loads"
like "$out" "新增 10" "ten townships added"

python3 "$TOP/jobs/demo/make_inbox.py" "$H/inbox"
touch "$H/inbox/upload.xml.part" "$H/inbox/.hidden.xml"
out=$(B ingest 2>&1); rc=$?
is "$rc" 0 "ingest exits 0 even with a rejected file"
like "$out" "收件 8 个文件：接收 7，重复 0，退回 1" "summary counts files"
is "$(q 'select count(*) from facts.submission')" 8 "eight submissions stored (two revisions of 白云镇)"
is "$(ls "$H/inbox" | sort | tr '\n' ' ')" "upload.xml.part " "only the .part file is left in the inbox"
test -e "$H/inbox/.hidden.xml"; ok $? "dot files are left alone"
is "$(ls -A "$H/claim" | wc -l)" 0 "nothing left claimed"
ls "$H/quarantine"/*/539901106-2026-10.xml >/dev/null 2>&1; ok $? "rejected file quarantined"
r=$(cat "$H/quarantine"/*/539901106-2026-10.xml.回执.txt)
like "$r" "\[E_EVAL_EXCEEDS\] 第 [0-9]+ 行 /submission/evaluation" "quarantine receipt names the error"
is "$(ls "$H/receipts"/2026-11-28/ | wc -l)" 9 "one receipt per submission in receipts/"
is "$(q "select count(*) from raw.receipt")" 9 "receipts stored in the database"
is "$(q "select count(*) from raw.file")" 8 "every file recorded"
# the archive also keeps the registry file as loaded (for the journal)
reg=$(sha256sum "$TOP/jobs/demo/townships.csv" | cut -c1-64)
test -f "$H/archive/$(echo $reg | cut -c1-2)/$(echo $reg | cut -c3-4)/$reg"
ok $? "the registry file is archived by its SHA-256"
is "$(inbox_archived "$H")" 8 "raw bytes of every file archived"
is "$(q "select max(revision) from facts.submission where township_code='539901107'")" 2 "revision 2 supersedes"
is "$(q "select count(*) from facts.submission where township_code='539901106'")" 0 "rejected submission not loaded"
is "$(q "select count(*) from facts.window w join facts.submission s on s.id=w.submission_id where s.township_code='539901101'")" 12 "example windows loaded"
is "$(q "select count(*) from facts.warning w join facts.submission s on s.id=w.submission_id where s.township_code='539901101'")" 3 "example warnings stored"

# the same inbox again: duplicates only, nothing changes
before=$(q "select count(*), sum(id) from facts.submission")
python3 "$TOP/jobs/demo/make_inbox.py" "$H/inbox"
out=$(B ingest 2>&1); rc=$?
is "$rc" 0 "second ingest exits 0"
like "$out" "重复 7" "accepted files come back as duplicates"
is "$(q "select count(*), sum(id) from facts.submission")" "$before" "database unchanged"

# conflict and stale
sed 's/handled="31" evaluated="30"/handled="31" evaluated="29"/' "$TOP/jobs/demo/539901101-2026-10.xml" >"$H/inbox/conflict.xml"
out=$(B ingest 2>&1); rc=$?
is "$rc" 0 "conflict run exits 0"
r=$(cat "$H/quarantine"/*/conflict.xml.回执.txt 2>/dev/null)
like "$r" "\[E_REVISION_CONFLICT\]" "same revision, other bytes: conflict"
like "$r" "版本号 2" "conflict receipt asks for revision 2"

# a stale revision: 白云镇 is at revision 2
python3 "$TOP/jobs/demo/make_inbox.py" "$T/again"
sed 's/evaluated="30"/evaluated="29"/' "$T/again/539901107-2026-10.xml" >"$H/inbox/stale.xml"
out=$(B ingest 2>&1)
r=$(cat "$H/quarantine"/*/stale.xml.回执.txt 2>/dev/null)
like "$r" "\[E_REVISION_STALE\]" "lower revision: stale"

# the database is down: the file stays in the inbox, exit non-zero, message names the problem
cp "$T/again/539901108-2026-09.xml" "$H/inbox/retry.xml"
out=$("$BIZENV" --home "$H" --db "host=$T/nosuchdir dbname=x" ingest 2>&1); rc=$?
is "$rc" 69 "database down exits 69 (EX_UNAVAILABLE)"
like "$out" "E_DB_CONNECT" "message carries the code"
test -f "$H/inbox/retry.xml"; ok $? "file still in the inbox"
done_testing
