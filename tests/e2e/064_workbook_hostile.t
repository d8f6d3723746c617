#!/bin/sh
# The hostile-workbook corpus (tests/corpus/make_workbooks.py): every zip
# limit inside a workbook, macros, DOCTYPEs and entities in any part,
# shared strings out of range, caps on rows, cells, strings, text and
# dimensions, formulas without values, broken structure, other formats,
# all bare, in packages and in batches. `validate` gives each its exact
# code first; one ingest night quarantines each with that code, loads
# nothing of them, and accepts the cases whose external links, DDE and
# hyperlinks are simply never followed.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
db=$(scratch_db)
H=$(new_home)
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@"; }
q() { psql -X -At -d "$db" -c "$1"; }
C=$T/corpus
python3 "$TOP/tests/corpus/make_workbooks.py" "$C" || exit 1
B registry load "$TOP/jobs/demo/townships.csv" >/dev/null
TAB=$(printf '\t')

bad=0; n=0
while IFS="$TAB" read -r f want; do
    n=$((n + 1))
    got=$("$BIZENV" --home "$H" validate --format json "$C/$f" 2>/dev/null |
          grep -o '"errors":\[{"code":"[A-Z0-9_]*"' | head -1 | sed 's/.*"code":"//; s/"$//')
    [ -n "$got" ] || got=ok
    if [ "$got" != "$want" ]; then bad=$((bad + 1)); diag "$f: expected $want, validate says $got"; fi
done <"$C/manifest.tsv"
is "$bad" 0 "validate gives each of the $n hostile workbooks its exact code"

mkdir -p "$H/inbox"
while IFS="$TAB" read -r f want; do cp "$C/$f" "$H/inbox/"; done <"$C/manifest.tsv"
out=$(timeout 600 "$BIZENV" --home "$H" --db "dbname=$db" ingest 2>&1); rc=$?
is "$rc" 0 "the night over them finishes and exits 0"
bad=0; nbad=0
while IFS="$TAB" read -r f want; do
    r="$H/quarantine/2026-11-28/$f.回执.txt"
    if [ "$want" = ok ]; then
        [ -e "$r" ] && { bad=$((bad + 1)); diag "$f: quarantined, expected accepted"; }
        continue
    fi
    nbad=$((nbad + 1))
    got=$(grep -o '\[E_[A-Z0-9_]*\]' "$r" 2>/dev/null | head -1)
    if [ "$got" != "[$want]" ] || [ ! -e "$H/quarantine/2026-11-28/$f" ]; then
        bad=$((bad + 1)); diag "$f: expected [$want] in quarantine, got '${got:-no receipt}'"
    fi
done <"$C/manifest.tsv"
is "$bad" 0 "$nbad rejected workbooks quarantined with their exact code, the others accepted"
got=$(q "select township_code||'/'||to_char(period,'YYYY-MM') from facts.submission order by 1")
is "$got" "$(cat "$C/accepted.txt")" "the database holds exactly the accepted cases"
is "$(q "select count(*) from raw.file")" "$n" "every file taken is recorded once"
is "$(ls -A "$H/inbox" | grep -v '^.bizenv$' | wc -l)" 0 "nothing is left in the inbox"
r=$(cat "$H/quarantine/2026-11-28/wb_million_cells.xlsx.回执.txt")
like "$r" "\[E_WB_LIMIT\] 工作表“长效机制及建议” .*200000" "a cap names the sheet and the limit"
r=$(cat "$H/quarantine/2026-11-28/pkg_wb_macro.zip.回执.txt")
like "$r" "文件：pkg_wb_macro.zip → 填报表.xlsx" "a workbook in a package is named in its receipt"
like "$r" "\[E_WB_MACRO\] xl/vbaProject.bin" "with the part that made it refused"
done_testing
