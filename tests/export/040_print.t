#!/bin/sh
# The workbook prints as an official table (issue 18): every sheet's print
# set-up read from the workbook's XML (A4 landscape, one page wide, title
# and header rows repeated, the footer with page numbers and the trace
# code), the title row, the charts, 较上期 in the CSV and the sheet, a
# 反馈单 per township, 趋势 for a quarter, the same bytes for a repeated
# export; then, in the release pass and when LibreOffice is installed, the
# workbook printed to PDF once and read back with pdftotext.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-20
db=$(scratch_db) || skip_all "no database"
H=$(new_home)
dir=$(cd "$(dirname "$0")" && pwd)
B() { "$BIZENV" --home "$H" --db "dbname=$db" --set county_name=示例县 "$@" </dev/null; }
X() { python3 "$dir/xlsx_read.py" "$@"; }
q() { psql -X -At -d "$db" -c "$1"; }

B migrate >/dev/null 2>&1
ok $? "migrations apply"
# 40 townships, only the service rate present (composite = evaluated %):
#   September: township i (1..39) scores 90 - i, so it ranks i; 40 has no report.
#   October:   i scores 50 + i (10 and 11 both 60: a tie), 39 has no report,
#              40 (new) scores 99 and ranks 1; so i ranks 40 - i (10, 11: 29).
# Township 5 has a long name; 39 carries open problems from September, 2 a
# warning in October.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$T/fixture.log" 2>&1 <<EOF_SQL
\i $TOP/tests/sql/lib/fixture.psql
SELECT test.town('539901' || (100 + i), n)
FROM unnest(ARRAY['城关镇', '东山镇', '西河乡', '南坪镇', '黄土坡彝族苗族自治乡', '石门乡', '青龙镇',
                  '白沙乡', '红旗镇', '太平镇', '永安乡', '新华镇', '和平乡', '长岭镇', '清水河乡',
                  '大坪乡', '小河镇', '金竹乡', '银杏镇', '凤凰镇', '龙泉乡', '马鞍山乡', '牛角镇',
                  '羊街乡', '鹤庆镇', '松坪乡', '柏林镇', '桃源乡', '李家寨乡', '杨柳镇', '梅子乡',
                  '兰花镇', '竹林乡', '菊香镇', '古城镇', '新村乡', '老街镇', '高桥乡', '平安镇',
                  '北岭乡']) WITH ORDINALITY AS t(n, i);
SELECT test.sub('539901' || (100 + i), '2026-09', 100, 90 - i, '{}', '{}', '{}',
                CASE WHEN i = 39 THEN ARRAY['P1 2026-09-03', 'P2 2026-09-04 2026-09-20'] ELSE '{}' END)
FROM generate_series(1, 39) AS i;
SELECT test.sub('539901' || (100 + i), '2026-10', 100, CASE WHEN i = 11 THEN 60 ELSE 50 + i END,
                '{}', '{}')
FROM generate_series(1, 38) AS i;
SELECT test.sub('539901140', '2026-10', 100, 99, '{}', '{}');
INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
SELECT s.id, 1, 'W_RATE_MISMATCH', 12, '/report/evaluation', '自报评价率与计算值相差 1.2 个百分点'
FROM facts.submission s WHERE s.township_code = '539901102' AND s.period = '2026-10-01';
EOF_SQL
ok $? "fixture rows load"

B export 2026-10 >/dev/null 2>&1
ok $? "2026-10 exported"
base="$H/exports/539901_2026-10_2026-11-20"
trace=$(sha256sum "$base.csv" | cut -c1-8)

# --- print set-up, from the workbook's XML -------------------------------------
X print "$base.xlsx" >"$T/print.tsv" 2>&1
ok $? "the workbook's print set-up reads"
is "$(wc -l <"$T/print.tsv" | tr -d ' ')" 45 \
   "45 sheets: 排名, two charts, 明细, 汇总, 40 反馈单 (no 趋势 for a month)"
is "$(cut -f1 "$T/print.tsv" | head -5 | tr '\n' ' ')" "排名 综合得分图 三项指标图 明细 汇总 " \
   "排名, 综合得分图, 三项指标图, 明细, 汇总 first"
is "$(cut -f1 "$T/print.tsv" | sed -n '6p;7p;45p' | tr '\n' ' ')" "北岭乡 高桥乡 平安镇 " \
   "then a 反馈单 per township, in rank order (the unranked last)"
is "$(awk -F'\t' '$3 != "landscape" || $4 != 9' "$T/print.tsv")" "" "every sheet: A4 (paper 9), landscape"
is "$(awk -F'\t' '$2 == "worksheet" && $5 !~ /^1x/' "$T/print.tsv")" "" "every worksheet fits one page wide"
is "$(awk -F'\t' '$1 == "排名" { print $5 }' "$T/print.tsv")" "1x1" \
   "the ranking of 40 townships fits one page tall as well"
is "$(awk -F'\t' '$2 == "chartsheet" { print $1 ":" $5 }' "$T/print.tsv" | tr '\n' ' ')" \
   "综合得分图:page 三项指标图:page " "each chart on a chart sheet of its own: one page"
is "$(awk -F'\t' '$2 == "worksheet" && $6 !~ /!\$1:\$2$/' "$T/print.tsv")" "" \
   "every worksheet repeats its title and header rows on every page"
want_footer="&L539901_2026-10_2026-11-20&C第 &P 页 共 &N 页&R校验码 $trace"
is "$(awk -F'\t' -v f="$want_footer" '$7 != f' "$T/print.tsv")" "" \
   "every sheet's footer: the file, 第 N 页 共 M 页, 校验码 = the CSV's SHA-256 (first 8)"
is "$(q "select count(*) from meta.export_file where kind = 'csv' and sha256 like '$trace%'")" 1 \
   "the trace code leads to the export's record"

X cells "$base.xlsx" 排名 >"$T/rank.tsv"
is "$(head -1 "$T/rank.tsv" | cut -f1)" "示例县营商环境评价排名　2026年10月（截至 2026-11-20）" \
   "排名's title row: county, period in words, as-of date"
is "$(X cells "$base.xlsx" 明细 | head -1 | cut -f1)" "示例县营商环境评价明细　2026年10月（截至 2026-11-20）" \
   "so has 明细's"
like "$(X cells "$base.xlsx" 黄土坡彝族苗族自治乡 | head -1 | cut -f1)" \
     "^示例县营商环境评价反馈单·黄土坡彝族苗族自治乡.2026年10月（截至 2026-11-20）$" "and each 反馈单's"

# --- the charts ------------------------------------------------------------------
X check "$base.xlsx" >"$T/check.txt" 2>&1
like "$(cat "$T/check.txt")" "^chart xl/charts/chart1.xml barChart '排名'!\\\$B\\\$3:\\\$B\\\$41 '排名'!\\\$F\\\$3:\\\$F\\\$41$" \
     "composite chart: the 39 ranked townships (rows 3-41, rank order), not the unranked one"
python3 - "$base.xlsx" >"$T/chart.txt" <<'EOF_PY'
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
c1 = z.read("xl/charts/chart1.xml").decode()
c2 = z.read("xl/charts/chart2.xml").decode()
print("title", re.search(r"<a:t>([^<]*)</a:t>", c1).group(1))
print("skip", re.findall(r'<c:tickLblSkip val="(\d+)"/>', c1), re.findall(r'<c:tickLblSkip val="(\d+)"/>', c2))
print("series2", len(re.findall(r"<c:ser>", c2)), re.findall(r"<c:(barDir) val=\"(\w+)\"", c2))
EOF_PY
like "$(cat "$T/chart.txt")" "^title 示例县各乡镇综合得分（全县 $(q "select composite from report.county_summary('2026-10', '2026-11-20')")）　2026年10月（截至 2026-11-20）$" \
     "the composite chart's title names the county's composite"
like "$(cat "$T/chart.txt")" "^skip \['1'\] \['1'\]$" "both charts label every township"
like "$(cat "$T/chart.txt")" "^series2 3 \[\('barDir', 'col'\)\]$" "三项指标图: three series side by side"

# --- 较上期 --------------------------------------------------------------------------
move() { awk -F, -v c="$1" '$10 == c { print $8 "|" $9 }' "$base.csv"; }
is "$(head -1 "$base.csv" | cut -d, -f8,9)" "较上期,综合得分较上期" "the CSV carries 较上期 and the composite's change"
is "$(move 539901140)" "新|" "a township new to the ranking: 新"
is "$(move 539901138)" "↑36|+36.00" "38th in September, 2nd now: ↑36, +36.00"
is "$(move 539901120)" "–|0.00" "20th both times: –, 0.00"
is "$(move 539901110):$(move 539901111)" "↓19|-20.00:↓18|-19.00" \
   "tied 29th now (10th and 11th before): ↓19 and ↓18"
is "$(move 539901101)" "↓38|-38.00" "first before, 39th now: ↓38, -38.00 (a plain number, no apostrophe)"
is "$(move 539901139)" "|" "not ranked now: no movement"
python3 - "$base.csv" "$db" >"$T/csvcmp.txt" 2>&1 <<'EOF_PY'
import csv, subprocess, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))[1:]
q = """SELECT code, coalesce(movement, ''),
              coalesce(CASE WHEN composite_change > 0 THEN '+' ELSE '' END || composite_change, '')
         FROM report.ranking_change('2026-10', '2026-11-20')"""
ref = {r[0]: r[1:] for r in csv.reader(subprocess.run(["psql", "-X", "-q", "--csv", "-d", sys.argv[2], "-c", q],
                                                       capture_output=True, text=True).stdout.splitlines()[1:])}
bad = [r for r in rows if [r[7], r[8]] != ref[r[9]]]
print("same" if not bad and len(rows) == 40 else bad)
EOF_PY
is "$(cat "$T/csvcmp.txt")" same "every township's 较上期 is report.ranking_change's"
is "$(awk -F'\t' '$10 == "539901120" { print $8 }' "$T/rank.tsv")" "–" "the 排名 sheet shows it too"
like "$(tail -1 "$T/rank.tsv" | cut -f1)" "^较上期：与2026年9月比较（两期均按截至 2026-11-20 收到的报表计算）" \
     "a note says what 较上期 compares"

# --- 反馈单 -------------------------------------------------------------------------
X cells "$base.xlsx" 黄土坡彝族苗族自治乡 >"$T/fb5.tsv"
like "$(sed -n 2p "$T/fb5.tsv")" "乡镇：黄土坡彝族苗族自治乡（539901105）　报送状态：已报送" "names the township and its status"
like "$(grep '^综合得分	' "$T/fb5.tsv")" "^综合得分	55	35	$(q "select composite from report.county_summary('2026-10', '2026-11-20')")	↓30	-30$" \
     "its composite, rank, the county's, movement and change"
like "$(grep '^服务率	' "$T/fb5.tsv")" "^服务率	0\.55	35	" "its service rate and rank"
X cells "$base.xlsx" 平安镇 >"$T/fb39.tsv"
like "$(cat "$T/fb39.tsv")" "缺报月份	2026-10" "an unreported township: its missing month"
like "$(cat "$T/fb39.tsv")" "P1	监督检查	2026-09-03		未整改	问题P1" "its problem still open, with its found date"
unlike "$(cat "$T/fb39.tsv")" "P2	" "not one rectified"
like "$(X cells "$base.xlsx" 东山镇)" "2026-10	1	W_RATE_MISMATCH			自报评价率与计算值相差 1.2 个百分点" \
     "the warnings its report raised"

# --- the same bytes again -------------------------------------------------------------
sleep 1
B export 2026-10 --out "$T/again" >/dev/null 2>&1
cmp -s "$base.xlsx" "$T/again/539901_2026-10_2026-11-20.xlsx"
ok $? "a repeated export writes the same workbook, byte for byte"
cmp -s "$base.csv" "$T/again/539901_2026-10_2026-11-20.csv"
ok $? "and the same CSV (so the same trace code)"

# --- 趋势 in a quarter --------------------------------------------------------------------
B export 2026-Q4 --as-of 2026-11-20 >/dev/null 2>&1
qb="$H/exports/539901_2026-Q4_2026-11-20"
like "$(X check "$qb.xlsx" | head -1)" "^sheets 排名 综合得分图 三项指标图 趋势 趋势图 明细 汇总 " \
     "a quarter adds 趋势 and its chart"
is "$(X cells "$qb.xlsx" 趋势 | sed -n 2p)" "$(printf '本期排名\t乡镇\t10月\t11月')" \
   "趋势: the months of the quarter begun by the as-of date"
is "$(X cells "$qb.xlsx" 趋势 | awk -F'\t' '$2 == "平安镇"' )" "$(printf '\t平安镇\t\t')" \
   "an unranked township's months are empty"
is "$(X cells "$qb.xlsx" 趋势 | awk -F'\t' '$2 == "北岭乡" { print $1 "|" $3 "|" $4 }')" "1|99|" \
   "each cell is report.ranking_trend's composite"

# --- printed: LibreOffice to PDF, once (release pass only) -----------------------------
lo=$(command -v soffice || command -v libreoffice || true)
if [ "${BIZENV_VARIANT:-release}" != release ]; then
    diag "PDF checks run in the release pass only"
elif [ -z "$lo" ] || ! command -v pdftotext >/dev/null 2>&1; then
    diag "LibreOffice or pdftotext not installed: PDF checks skipped (the XML checks above ran)"
else
    # a profile of its own: parallel conversions never share one
    (cd "$T" && HOME="$T" timeout 300 "$lo" -env:UserInstallation="file://$T/lo-profile" --headless \
        --convert-to pdf --outdir "$T/pdf" "$base.xlsx" >"$T/lo.log" 2>&1)
    pdf="$T/pdf/539901_2026-10_2026-11-20.pdf"
    test -s "$pdf"
    ok $? "LibreOffice prints the workbook to PDF"
    pages=$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
    is "$pages" 45 "45 pages: the ranking, two charts, 明细, 汇总, 40 反馈单 — one page each"
    page() { pdftotext -layout -f "$1" -l "$1" "$pdf" - 2>/dev/null; }
    # the names the query $2 returns that the page text $1 does not hold
    missing_from() {
        for n in $(q "$2"); do
            printf '%s\n' "$1" | grep -q "$n" || printf ' %s' "$n"
        done
    }
    p1=$(page 1)
    like "$p1" "示例县营商环境评价排名 +2026年10月（截至 2026-11-20）" "page 1: the title"
    like "$p1" "排名 +乡镇 +服务率 .*综合得分 +报送状态 +较上期 .*走流程覆盖率排名" \
         "page 1: every column of the ranking, first to last: one page wide"
    is "$(missing_from "$p1" "select name from report.township")" "" \
       "page 1: all 40 townships: the ranking on one page"
    like "$p1" "第 1 页 共 45 页" "page 1: 第 1 页 共 45 页"
    like "$p1" "校验码 $trace" "page 1: the trace code"
    p2=$(page 2)
    like "$p2" "示例县各乡镇综合得分（全县" "page 2: the composite chart"
    is "$(missing_from "$p2" "select name from report.ranking('2026-10', '2026-11-20') where composite_rank is not null")" "" \
       "page 2: every ranked township's name on the chart page"
    unlike "$p2" "平安镇" "page 2: not the unranked one"
    nofoot=""
    fb=""
    i=1
    while [ $i -le 45 ]; do
        t=$(page $i)
        printf '%s\n' "$t" | grep -q "第 $i 页 共 45 页" || nofoot="$nofoot $i"
        printf '%s\n' "$t" | grep -q "校验码 $trace" || nofoot="$nofoot $i"
        [ $i -ge 6 ] && fb="$fb$(printf '%s\n' "$t" | grep -o '反馈单·[^ ]*' | head -1) "
        i=$((i + 1))
    done
    is "$nofoot" "" "every page: 第 N 页 共 45 页 and the trace code"
    want=""
    for n in $(q "select name from report.ranking('2026-10', '2026-11-20')"); do want="$want反馈单·$n "; done
    is "$fb" "$want" "pages 6-45: one 反馈单 per township, in rank order"
fi

dropdb "$db" >/dev/null 2>&1
done_testing
