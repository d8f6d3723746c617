#!/bin/sh
# The township side end to end: `bizenv template` makes the month's
# workbooks (pre-filled, identity sheet, deterministic), a clerk fills one
# (tests/lib/workbook.py), `validate` and `ingest` read it by the same rules
# as the XML, receipts name sheet, row and column, the normalized content is
# the identity (re-saved bytes are a duplicate, other content a conflict),
# --revise makes revision N+1, the next month is pre-filled with windows,
# leaders and the problems still open, and workbooks travel bare, in a
# package and in a batch.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
EX=$TOP/tests/data/539901101-2026-10.xml
db=$(scratch_db)
H=$(new_home)
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@"; }
V() { "$BIZENV" --home "$H" validate "$@"; }
WB() { python3 "$TOP/tests/lib/workbook.py" "$@"; }
q() { psql -X -At -d "$db" -c "$1"; }
sha_line() { printf '%s\n' "$1" | sed -n 's/^SHA-256：//p' | head -1; }

B registry load "$TOP/jobs/demo/townships.csv" >/dev/null
cp "$TOP/jobs/demo/townships.csv" "$H/townships.csv"

# --- templates ------------------------------------------------------------
out=$(B template 2026-10 2>&1); rc=$?
is "$rc" 0 "template for every active township exits 0"
like "$out" "已生成 2026-10 填报表 10 份，跳过 0 个乡镇" "ten workbooks, one per township"
TPL=$H/templates/2026-10/539901101-2026-10-填报表.xlsx
test -f "$TPL"; ok $? "named CODE-PERIOD-填报表.xlsx under templates/PERIOD"
B template 2026-10 --township 539901101 --out "$T/again" >/dev/null
cmp -s "$TPL" "$T/again/539901101-2026-10-填报表.xlsx"; ok $? "the same data gives the same bytes"
is "$(WB get "$TPL" 'bizenv!B1' 'bizenv!B2' 'bizenv!B3' 'bizenv!B4' 'bizenv!B5' | tr '\n' ' ')" \
   "bizenv-填报表 1 539901101 2026-10 1 " "the hidden sheet carries marker, version, township, month, revision"
unzip -p "$TPL" xl/workbook.xml | grep -q 'name="bizenv" sheetId="12" state="hidden"'; ok $? "the identity sheet is hidden"
unzip -p "$TPL" xl/worksheets/sheet12.xml | grep -q '<sheetProtection'; ok $? "and protected"
unzip -p "$TPL" xl/worksheets/sheet6.xml | grep -q "'班子成员'!\$B\$2:\$B\$2001"; ok $? "a walk's leader is a dropdown over the workbook's own list"
unzip -p "$TPL" xl/worksheets/sheet3.xml | grep -q 'type="whole"'; ok $? "counts are validated as whole numbers"
out=$(B template 2026-13 2>&1); rc=$?
is "$rc" 64 "a month that does not exist is a usage error"
out=$(B template 2026-10 --township 539901199 2>&1); rc=$?
is "$rc" 64 "an unknown township is a usage error"
like "$out" "E_USAGE" "with its code"

# --- a filled workbook, read as the XML is --------------------------------
WB fill "$TPL" "$EX" "$T/ex.xlsx"
out=$(V "$T/ex.xlsx" 2>&1); rc=$?
is "$rc" 0 "the example filled into its template is accepted"
like "$out" "结果：接收（有警告）" "with the example's warnings"
like "$out" "\[W_RATE_MISMATCH\] 工作表“好差评”第 4 行 B 列“自报主动评价率（%）”" "a warning names sheet, row, column and item"
is "$(printf '%s\n' "$out" | grep -c '\[W_APPROX_COUNT\] 工作表“一站式服务”')" 2 "120余 and 300余 are the two approximate counts"
sha=$(sha_line "$out")
# the same cells, other bytes: entries recompressed and reordered, strings shared
python3 - "$T/ex.xlsx" "$T/ex2.xlsx" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(src)
items = [(i.filename, z.read(i)) for i in z.infolist()]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as o:
    for name, data in reversed(items):
        o.writestr(name, data)
PY
cmp -s "$T/ex.xlsx" "$T/ex2.xlsx"; isnt=$?
is "$isnt" 1 "the re-saved workbook has other bytes"
is "$(sha_line "$(V "$T/ex2.xlsx")")" "$sha" "and the same content SHA-256"

cp "$T/ex.xlsx" "$H/inbox/示例乡10月.xlsx"
out=$(B ingest 2>&1); rc=$?
is "$rc" 0 "ingest of a bare workbook exits 0"
like "$out" "接收 1，重复 0，退回 0" "the workbook is accepted"
is "$(q "select count(*) from facts.window w join facts.submission s on s.id = w.submission_id where s.township_code = '539901101'")" 12 "its twelve windows are loaded"
is "$(q "select count(*) from facts.walk")" 23 "its 23 walks"
is "$(q "select doc_sha256 from facts.submission")" "$sha" "the stored identity is the content SHA-256"
is "$(find "$H/archive" -type f -exec cmp -s {} "$T/ex.xlsx" \; -print | wc -l)" 1 "the workbook's own bytes are archived as they came"
is "$(q "select count(*) from facts.warning where path like '工作表“%'")" 3 "warnings are stored with their cells"

cp "$T/ex2.xlsx" "$H/inbox/resaved.xlsx"
out=$(B ingest 2>&1)
like "$out" "重复 1" "re-saved bytes with the same content are a duplicate"
WB edit "$T/ex.xlsx" "$T/conflict.xlsx" '好差评!B3=n:29'
cp "$T/conflict.xlsx" "$H/inbox/conflict.xlsx"
B ingest >/dev/null 2>&1
r=$(cat "$H/quarantine"/*/conflict.xlsx.回执.txt 2>/dev/null)
like "$r" "\[E_REVISION_CONFLICT\] 工作表“基本情况”第 5 行 B 列“版本号”" "the same revision with other content is a conflict, at the revision's cell"
is "$(q "select count(*) from facts.submission")" 1 "nothing more was loaded"

# --- corrections ----------------------------------------------------------
out=$(B template 2026-10 --township 539901101 2>&1); rc=$?
is "$rc" 65 "no second revision-1 workbook for a township that has reported"
like "$out" "E_TEMPLATE_EXISTS" "it says why, with the code"
out=$(B template 2026-10 --revise 2>&1); rc=$?
is "$rc" 0 "--revise for every township exits 0"
like "$out" "已生成 2026-10 填报表 1 份（更正版），跳过 9 个乡镇" "only the township that reported gets one"
REV=$H/templates/2026-10/539901101-2026-10-填报表-第2版.xlsx
is "$(WB get "$REV" '基本情况!B5' 'bizenv!B5' | tr '\n' ' ')" "2 2 " "the corrected workbook carries revision 2"
out=$(V "$REV" 2>&1); rc=$?
is "$rc" 0 "the corrected workbook, as made, holds the whole current revision"
like "$out" "版本：2" "as revision 2"
# the correction: one problem is not rectified after all
WB edit "$REV" "$T/rev2.xlsx" '问题整改!D8=s:整改中' '问题整改!E8=x:'
cp "$T/rev2.xlsx" "$H/inbox/"
out=$(B ingest 2>&1)
like "$out" "接收 1" "revision 2 is accepted"
is "$(q "select max(revision) from facts.submission")" 2 "and supersedes revision 1"

# --- the next month is pre-filled ------------------------------------------
B template 2026-11 >/dev/null
NOV=$H/templates/2026-11/539901101-2026-11-填报表.xlsx
is "$(WB get "$NOV" '服务窗口!A2' '服务窗口!B2' '班子成员!B3' '班子成员!C3' | tr '\n' ' ')" \
   "W01 市场监管 乡长 主要领导 " "windows and leaders come from the latest accepted submission"
is "$(WB get "$NOV" '问题整改!A2' '问题整改!D2' '问题整改!A3' | tr '\n' ' ')" "P2026-037 整改中  " \
   "the one problem still open at the end of October is carried, nothing else"
is "$(WB get "$NOV" '一站式服务!B2' '好差评!B2' '基本情况!B7' | tr '\n' ' ')" "  乡党政办 " \
   "counts start empty; the contact is kept"
is "$(WB get "$NOV" 'bizenv!B7' | tr -d '\n')" "2026-10" "the identity sheet names the month it was pre-filled from"
out=$(V "$NOV" 2>&1)
like "$out" "\[E_WB_REQUIRED\] 工作表“好差评”第 2 行 B 列“政务服务事项办件量（件）” 必填单元格为空：未填写；没有请填 0" \
     "an empty template is refused cell by cell"

# --- receipts name the cell ---------------------------------------------------
WB edit "$T/ex.xlsx" "$T/bad.xlsx" '好差评!B2=s:三十一' '好差评!B3=n:32' '走流程!A7=d:2026-09-30' \
    '走流程!C8=s:不存在的窗口' '问题整改!C2=s:2026-02-30' '问题整改!C3=v:60' '一站式服务!B6=s:4余' \
    '一站式服务!B2=x:' '班子成员!C2=s:副职' '服务窗口!A3=s:W01' '一站式服务!B7=f:' \
    '问题整改!D4=s:未整改' '惠企活动!B2=n:1.5' '好差评!B4=s:很高'
out=$(V "$T/bad.xlsx" 2>&1); rc=$?
is "$rc" 65 "a workbook with errors is rejected (65)"
like "$out" "\[E_COUNT_FORMAT\] 工作表“好差评”第 2 行 B 列“政务服务事项办件量（件）”.*“三十一”" "a word in a count cell"
like "$out" "\[E_WALK_DATE\] 工作表“走流程”第 7 行 A 列“日期”" "a walk outside the month"
like "$out" "\[E_REF_WINDOW\] 工作表“走流程”第 8 行 C 列“窗口”.*不在“服务窗口”表中" "a walk's window not in the list"
like "$out" "\[E_DATE_INVALID\] 工作表“问题整改”第 2 行 C 列“发现日期”.*不是实际存在的日期" "a date that does not exist (text)"
like "$out" "\[E_DATE_INVALID\] 工作表“问题整改”第 3 行 C 列.*1900-02-29 不存在" "serial 60, Excel's 1900-02-29"
like "$out" "\[E_COUNT_FORMAT\] 工作表“一站式服务”第 6 行 B 列.*约数" "an approximate count where none is allowed"
like "$out" "\[E_WB_REQUIRED\] 工作表“一站式服务”第 2 行 B 列" "an empty required cell"
like "$out" "\[E_WB_CHOICE\] 工作表“班子成员”第 2 行 C 列“类别”.*主要领导、分管领导" "a value outside the dropdown"
like "$out" "\[E_DUPLICATE_ID\] 工作表“服务窗口”第 3 行 A 列“窗口编号”.*（工作表“服务窗口”第 2 行已使用）" "a duplicate id names the row of the first"
like "$out" "\[E_WB_FORMULA\] 工作表“一站式服务”第 7 行 B 列" "a formula without a cached value"
like "$out" "\[E_PROBLEM_RECTIFIED_FORBIDDEN\] 工作表“问题整改”第 4 行 E 列“整改完成日期”" "a rule about two cells points at the one to fix"
like "$out" "\[E_COUNT_FORMAT\] 工作表“惠企活动”第 2 行 B 列.*1.5" "a fraction in a count cell"
like "$out" "\[E_WB_CELL\] 工作表“好差评”第 4 行 B 列.*“很高”不是数字" "a word in the rate cell"
unlike "$out" "E_XML_SCHEMA|第 [0-9]+ 行 /submission" "no XML line or path reaches the township"
like "$out" "错误 13 项" "each problem listed once (evaluated > handled is not judged on a handled that is no count)"
json=$(V --format json "$T/bad.xlsx")
like "$json" '"code":"E_WALK_DATE","line":0,"path":"工作表“走流程”第 7 行 A 列“日期”"' "json receipts carry the cell as path"

# --- not our workbook -----------------------------------------------------------
WB edit "$T/ex.xlsx" "$T/plain.xlsx" 'drop:bizenv'
out=$(V "$T/plain.xlsx" 2>&1); rc=$?
is "$rc" 65 "a workbook without the identity sheet is rejected"
like "$out" "\[E_WB_NOT_TEMPLATE\].*请使用县里下发的本乡镇本月填报表" "and told to use the county's workbook"
WB edit "$T/ex.xlsx" "$T/v2.xlsx" 'meta:2=2'
like "$(V "$T/v2.xlsx" 2>&1)" "\[E_WB_VERSION\] 工作表“bizenv”第 2 行 B 列" "an unknown template version"
WB edit "$T/ex.xlsx" "$T/other.xlsx" '基本情况!B2=s:539901102'
like "$(V "$T/other.xlsx" 2>&1)" "\[E_WB_MISMATCH\] 工作表“基本情况”第 2 行 B 列“乡镇代码”" "a township code that is not the template's"
WB edit "$T/ex.xlsx" "$T/renamed.xlsx" 'rename:走流程=走流程（10月）'
like "$(V "$T/renamed.xlsx" 2>&1)" "\[E_WB_SHEET\].*缺少工作表“走流程”" "a renamed sheet"
WB edit "$T/ex.xlsx" "$T/header.xlsx" '走流程!B1=s:陪同人员'
like "$(V "$T/header.xlsx" 2>&1)" "\[E_WB_HEADER\] 工作表“走流程”第 1 行 B 列“领导”" "a changed header"
printf '\320\317\021\340\241\261\032\341oldexcel' >"$T/old.xls"
out=$(V "$T/old.xls" 2>&1)
like "$out" "\[E_FILE_TYPE\].*旧版 Excel（.xls）" "an old .xls is named as such"

# --- transports -----------------------------------------------------------------
WB build "$EX" "$T/built.xlsx"
WB build "$EX" "$T/built1904.xlsx" --date1904
s1=$(sha_line "$(V "$T/built.xlsx")")
is "$(sha_line "$(V "$T/built1904.xlsx")")" "$s1" "a workbook of the 1904 date system reads to the same content"
python3 - "$T" <<'PY'
import sys, zipfile
t = sys.argv[1]
wb = open(t + "/built.xlsx", "rb").read()
with zipfile.ZipFile(t + "/pkg.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("示例乡10月填报表.xlsx", wb)
    z.writestr("attachments/报告.pdf", b"%PDF-1.4 signed")
with zipfile.ZipFile(t + "/two.zip", "w") as z:
    z.writestr("a.xlsx", wb)
    z.writestr("a.xml", b"<x/>")
    z.writestr("attachments/a.pdf", b"%PDF")
PY
out=$(V "$T/pkg.zip" 2>&1); rc=$?
is "$rc" 0 "a package whose document is a workbook is accepted"
like "$out" "pkg.zip → 示例乡10月填报表.xlsx" "its receipt names the workbook"
python3 - "$T" <<'PY'
import sys, zipfile
t = sys.argv[1]
with zipfile.ZipFile(t + "/batch.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.write(t + "/pkg.zip", "a.zip")
    z.writestr("b.xlsx", open(t + "/built1904.xlsx", "rb").read())
PY
out=$(V "$T/batch.zip" 2>&1); rc=$?
is "$rc" 0 "a batch of a workbook package and a bare workbook is accepted"
is "$(printf '%s\n' "$out" | grep -c '^回执')" 2 "one receipt per workbook"
like "$out" "a.zip/示例乡10月填报表.xlsx" "a workbook inside a package inside a batch is read"
out=$(V "$T/two.zip" 2>&1)
like "$out" "\[E_ZIP_MANY_XML\]" "a package with an XML and a workbook has two documents: refused"
done_testing
