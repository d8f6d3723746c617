#!/bin/sh
# UTF-16 documents through ingest (XML 1.0 4.3.3; Windows Notepad saves
# "Unicode" as UTF-16LE with a BOM): with a BOM, little- or big-endian, the
# file is archived as received and the database holds exactly what the
# UTF-8 original gives. Without a BOM, declared as another encoding, or cut
# in the middle of a character, it is rejected (E_XML_ENCODING) and nothing
# of it is loaded.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
EX="$TOP/jobs/demo/539901101-2026-10.xml"
recv() { touch -d '2026-11-03 09:00:00 +0800' "$@"; }

# A database and home with the demo registry: "db home".
setup() {
    _db=$(scratch_db) || return 1
    _h=$(new_home) || return 1
    "$BIZENV" --home "$_h" --db "dbname=$_db" registry load "$TOP/jobs/demo/townships.csv" >/dev/null || return 1
    echo "$_db $_h"
}
ingest() { "$BIZENV" --home "$2" --db "dbname=$1" ingest 2>&1; }
q() { psql -X -At -d "$1" -c "$2"; }
# Everything the database holds of the submissions but ids, hashes and times.
stored() {
    q "$1" "SELECT t, v FROM (
        SELECT 'submission' AS t, (to_jsonb(s) - '{id,doc_sha256,file_sha256,received_at,loaded_at}'::text[])::text AS v
          FROM facts.submission s
        UNION ALL SELECT 'window', (to_jsonb(x) - 'submission_id')::text FROM facts.window x
        UNION ALL SELECT 'leader', (to_jsonb(x) - 'submission_id')::text FROM facts.leader x
        UNION ALL SELECT 'walk', (to_jsonb(x) - 'submission_id')::text FROM facts.walk x
        UNION ALL SELECT 'problem', (to_jsonb(x) - 'submission_id')::text FROM facts.problem x
        UNION ALL SELECT 'text', (to_jsonb(x) - 'submission_id')::text FROM facts.text_item x
        UNION ALL SELECT 'warning', (to_jsonb(x) - 'submission_id')::text FROM facts.warning x) a
      ORDER BY t, v"
}
declared_utf16() { sed 's/encoding="UTF-8"/encoding="UTF-16"/' "$EX"; }
bom_le() { printf '\377\376'; }
bom_be() { printf '\376\377'; }

# the UTF-8 original
set -- $(setup); db8=$1 h8=$2
cp "$EX" "$h8/inbox/r.xml"; recv "$h8/inbox/r.xml"
ingest "$db8" "$h8" >/dev/null
is "$(q "$db8" "select count(*) from facts.submission")" 1 "the UTF-8 original is loaded"
want=$(stored "$db8")

# UTF-16LE with a BOM, as Notepad saves it
set -- $(setup); db=$1 h=$2
{ bom_le; declared_utf16 | iconv -f UTF-8 -t UTF-16LE; } >"$h/inbox/r16le.xml"
recv "$h/inbox/r16le.xml"
cp "$h/inbox/r16le.xml" "$T/r16le.xml"
out=$(ingest "$db" "$h"); rc=$?
is "$rc" 0 "ingest of a UTF-16LE document exits 0"
like "$out" "接收 1，重复 0，退回 0" "the UTF-16LE document is accepted"
got=$(stored "$db")
test -n "$want" && [ "$got" = "$want" ]; ok $? "the database holds what the UTF-8 original gives"
if [ "$got" != "$want" ]; then
    echo "$want" >"$T/want"; echo "$got" >"$T/got"
    diff "$T/want" "$T/got" | head -10 | sed 's/^/# /'
fi
sha=$(sha256sum "$T/r16le.xml" | cut -c1-64)
is "$(q "$db" "select sha256 from raw.file")" "$sha" "raw.file records the bytes received"
cmp -s "$T/r16le.xml" "$h/archive/$(echo "$sha" | cut -c1-2)/$(echo "$sha" | cut -c3-4)/$sha"
ok $? "the archive keeps the UTF-16 bytes as received"
like "$(q "$db" "select w.name from facts.window w where w.window_id = 'W11'")" "^民政$" \
   "a window name reads as in the original"

# UTF-16BE with a BOM
set -- $(setup); dbbe=$1 hbe=$2
{ bom_be; declared_utf16 | iconv -f UTF-8 -t UTF-16BE; } >"$hbe/inbox/r16be.xml"
recv "$hbe/inbox/r16be.xml"
out=$(ingest "$dbbe" "$hbe"); rc=$?
is "$rc" 0 "ingest of a UTF-16BE document exits 0"
like "$out" "接收 1，重复 0，退回 0" "the UTF-16BE document is accepted"
is "$(stored "$dbbe")" "$want" "and stored as the UTF-8 original"

# the same report resent in UTF-8 is another document (other bytes) with
# the same revision: a conflict, as for a GB18030 one; the stored one stays
cp "$EX" "$h/inbox/again.xml"; recv "$h/inbox/again.xml"
out=$(ingest "$db" "$h")
like "$(cat "$h/quarantine"/*/again.xml.回执.txt 2>/dev/null)" "\[E_REVISION_CONFLICT\]" \
   "resent in UTF-8 with the same revision: a revision conflict"
is "$(stored "$db")" "$want" "the stored submission stays"

# rejected: no BOM, a declaration that contradicts the BOM, a cut character
declared_utf16 | iconv -f UTF-8 -t UTF-16LE >"$h/inbox/nobom.xml"
{ bom_le; iconv -f UTF-8 -t UTF-16LE "$EX"; } >"$h/inbox/says_utf8.xml"
{ bom_le; sed 's/539901101/539901102/' "$EX" | sed 's/encoding="UTF-8"/encoding="UTF-16"/' \
    | iconv -f UTF-8 -t UTF-16LE; } | head -c -1 >"$h/inbox/cut.xml"
recv "$h/inbox/nobom.xml" "$h/inbox/says_utf8.xml" "$h/inbox/cut.xml"
before=$(stored "$db")
out=$(ingest "$db" "$h"); rc=$?
is "$rc" 0 "rejections are not a failure of ingest"
like "$out" "退回 3" "all three are rejected"
for f in nobom says_utf8 cut; do
    like "$(cat "$h/quarantine"/*/$f.xml.回执.txt 2>/dev/null)" "\[E_XML_ENCODING\]" "$f.xml: E_XML_ENCODING in its receipt"
done
like "$(cat "$h/quarantine"/*/says_utf8.xml.回执.txt)" "UTF-8.*BOM 矛盾" "the receipt says the declaration contradicts the BOM"
like "$(cat "$h/quarantine"/*/nobom.xml.回执.txt)" "没有 BOM 的 UTF-16" "the receipt says a UTF-16 document needs a BOM"
is "$(stored "$db")" "$before" "nothing of the rejected files is loaded"
is "$(q "$db" "select count(*) from raw.receipt where outcome = 'rejected' and 'E_XML_ENCODING' = any (codes)")" 3 \
   "three rejected receipts stored"

for d in "$db8" "$db" "$dbbe"; do dropdb "$d" >/dev/null 2>&1; done
done_testing
