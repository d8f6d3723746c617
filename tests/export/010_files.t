#!/bin/sh
# bizenv export: the workbook, the CSV and the ADX roll-up of one period,
# read back and compared with report.ranking; nightly exports quietly.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-12-05
db=$(scratch_db) || skip_all "no database"
H=$(new_home)
dir=$(cd "$(dirname "$0")" && pwd)
B() { "$BIZENV" --home "$H" --db "dbname=$db" --set county_name=示例县 "$@" </dev/null; }
X() { python3 "$dir/xlsx_read.py" "$@"; }

B migrate >/dev/null 2>&1
ok $? "migrations apply"
# hostile names: formula starters, a comma, quotes and a newline
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$T/fixture.log" 2>&1 <<EOF_SQL
\i $TOP/tests/sql/lib/fixture.psql
SELECT test.town('539901101', '示例乡'), test.town('539901102', '=东山镇'),
       test.town('539901103', E'西河乡,"新"\n二村'), test.town('539901104', '+南坪镇'),
       test.town('539901105', '@北岭乡'), test.town('539901106', '-石门乡');
SELECT test.seed_example();
SELECT test.sub('539901101', '2026-11', 20, 18, ARRAY['market', 'agri'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
SELECT test.sub('539901103', '2026-10', 5, 5, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901103', '2026-11', 5, 4, ARRAY['market'], ARRAY['L01']);
SELECT test.sub('539901105', '2026-11', 8, 8, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901106', '2026-10', 0, 0, ARRAY['market'], ARRAY['L01']);
SELECT test.sub('539901106', '2026-11', 0, 0, ARRAY['market'], ARRAY['L01']);
EOF_SQL
ok $? "fixture rows load"

out=$(B export 2026-Q4 2>&1); rc=$?
is "$rc" 0 "export exits 0"
base="$H/exports/539901_2026-Q4_2026-12-05"
test -s "$base.xlsx" && test -s "$base.csv" && test -s "$base.adx.xml"
ok $? "files named by county, period and as-of date in exports/"
like "$out" "已导出 2026-Q4（截至 2026-12-05）：6 个单位" "export says what it wrote"
ls -A "$H/exports" | grep -q '\.tmp$'
ok $((! $?)) "no temporary files left"

# the record: one row per file with the file's SHA-256, weights via the stored ranking
for k in xlsx csv adx; do
    f=$base.$k; [ $k = adx ] && f=$base.adx.xml
    is "$(psql -X -At -d "$db" -c "select sha256 from meta.export_file where kind='$k'")" \
       "$(sha256sum "$f" | cut -d' ' -f1)" "export record holds the SHA-256 of the $k file"
done
is "$(psql -X -At -d "$db" -c "select period, as_of, w_service, w_completion, w_coverage, published_figures_changed from report.export_log")" \
   "2026-Q4|2026-12-05|1|1|1|f" "export log: period, as-of, weights"
label=$("$BIZENV" --version | awk 'NR == 1 { v = $2 } sub(/^构建：/, "") { b = $0 } END { print v " (" b ")" }')
is "$(psql -X -At -d "$db" -c "select build_version from report.export_log")" "$label" \
   "export log names the build that wrote the files"
python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("docProps/core.xml").decode())' \
    "$base.xlsx" | grep -qF "bizenv $label"
ok $? "so do the workbook's properties"

# --- the workbook -----------------------------------------------------------
check=$(X check "$base.xlsx" 2>&1)
ok $? "every part of the workbook is well-formed XML in a sound zip"
like "$check" "^sheets 排名 综合得分图 三项指标图 趋势 趋势图 明细 汇总 @北岭乡 539901103 示例乡 =东山镇 -石门乡 \+南坪镇$" \
     "sheets 排名, the charts, 趋势 (a quarter), 明细, 汇总, a 反馈单 per township in rank order (by code when the name cannot name a sheet)"
like "$check" "^chart xl/charts/chart1.xml barChart '排名'!\\\$B\\\$3:\\\$B\\\$7 '排名'!\\\$F\\\$3:\\\$F\\\$7$" \
     "a native bar chart of the composite column (F) by township name: the five ranked townships only"
like "$check" "^frozen 排名 2$" "title and header rows frozen"

q_rank="SELECT r.composite_rank, r.name, r.service_rate, r.completion_rate, r.walk_coverage,
               r.composite, r.status, c.movement, c.composite_change, r.code,
               array_to_string(r.missing_months, ' '), r.service_rank, r.completion_rank,
               r.coverage_rank
          FROM report.ranking('2026-Q4', '2026-12-05') r
          JOIN report.ranking_change('2026-Q4', '2026-12-05') c USING (code)
         ORDER BY r.composite_rank NULLS LAST, r.code"
q_detail="SELECT code, name, handled, evaluated, due, done, windows_listed, windows_walked,
                 leaders_listed, leaders_walked, leader_participation, months_expected,
                 months_reported, months_on_time, reporting_rate, on_time_rate
            FROM report.ranking('2026-Q4', '2026-12-05') ORDER BY composite_rank NULLS LAST, code"
psql -X -q --csv -d "$db" -c "$q_rank" >"$T/rank.csv"
psql -X -q --csv -d "$db" -c "$q_detail" >"$T/detail.csv"
X cells "$base.xlsx" 排名 >"$T/rank.tsv"
X cells "$base.xlsx" 明细 >"$T/detail.tsv"
# cells equal the query: numbers to 1e-12, text exactly (\n escaped in the TSV)
cmp_cells() {
python3 - "$1" "$2" <<'EOF_PY'
import csv, sys
want = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))[1:]
# the sheet: a title row, the headers, the rows, then (排名) a note
got = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")][2:2 + len(want)]
assert len(want) == len(got), (len(want), len(got))
for w, g in zip(want, got):
    assert len(w) == len(g), (w, g)
    for a, b in zip(w, g):
        a = a.replace("\n", "\\n")
        try:
            assert abs(float(a) - float(b)) < 1e-12, (a, b)
        except ValueError:
            assert a == b, (a, b)
print("same")
EOF_PY
}
is "$(cmp_cells "$T/rank.csv" "$T/rank.tsv" 2>&1)" same "排名 cells read back equal report.ranking"
is "$(cmp_cells "$T/detail.csv" "$T/detail.tsv" 2>&1)" same "明细 cells read back equal the counts of report.ranking"
is "$(sed -n 2p "$T/rank.tsv")" "$(printf '排名\t乡镇\t服务率\t整改完成率\t走流程覆盖率\t综合得分\t报送状态\t较上期\t综合得分较上期\t乡镇代码\t缺报月份\t服务率排名\t整改完成率排名\t走流程覆盖率排名')" \
   "Chinese headers in the order of metrics.md's Display section, then the change since the previous period"
like "$(head -1 "$T/rank.tsv")" "^示例县营商环境评价排名　2026年第四季度（截至 2026-12-05）" \
     "a title row: county, the period in words, the as-of date"
X formats "$base.xlsx" 排名 >"$T/formats.tsv"
n=$(grep -n '	示例乡	' "$T/rank.tsv" | cut -d: -f1)
like "$(sed -n "${n}p" "$T/formats.tsv")" "^0	-	0\.0%	0\.0%	0\.0%	0\.00	-	-		-	" \
     "percentages are percentage cells with one decimal, composite two (no 2026-Q3: no change)"
st=$(paste "$T/rank.tsv" "$T/formats.tsv" | awk -F'\t' 'NR>2 && NR<9 {print $7 ":" $21}' | sort -u | tr '\n' ' ')
is "$st" "已报送:- 未报送:-+fill 缺报:-+fill " "缺报 and 未报送 status cells are highlighted, 已报送 not"
sum=$(X cells "$base.xlsx" 汇总)
like "$sum" "权重：服务率	1" "汇总 shows the weights used"
like "$sum" "全县综合得分	$(psql -X -At -d "$db" -c "select composite from report.county_summary('2026-Q4','2026-12-05')")" \
     "汇总 shows the county summary"
if command -v libreoffice >/dev/null 2>&1 || command -v soffice >/dev/null 2>&1; then
    lo=$(command -v libreoffice || command -v soffice)
    (cd "$T" && HOME="$T" timeout 120 "$lo" --headless --convert-to "csv:Text - txt - csv (StarCalc):44,34,76" --outdir "$T/lo" "$base.xlsx" >/dev/null 2>&1)
    grep -q 示例乡 "$T/lo/539901_2026-Q4_2026-12-05.csv"
    ok $? "LibreOffice opens and converts the workbook"
else
    diag "libreoffice not installed: conversion check skipped"
fi

# --- the CSV ------------------------------------------------------------------
head -c 3 "$base.csv" | od -An -tx1 | tr -d ' \n' | grep -qx efbbbf
ok $? "CSV starts with a UTF-8 BOM"
is "$(head -1 "$base.csv" | tail -c 2 | od -An -tx1 | tr -d ' ')" "0d0a" "header line ends with CRLF"
csv_out=$(python3 - "$base.csv" "$db" <<'EOF_PY'
import csv, re, subprocess, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
q = """SELECT coalesce(r.composite_rank::text, ''), r.name,
              coalesce(round(r.service_rate * 100, 1)::text || '%', ''),
              coalesce(round(r.completion_rate * 100, 1)::text || '%', ''),
              coalesce(round(r.walk_coverage * 100, 1)::text || '%', ''),
              coalesce(r.composite::text, ''), r.status, coalesce(c.movement, ''),
              coalesce(CASE WHEN c.composite_change > 0 THEN '+' ELSE '' END || c.composite_change, ''),
              r.code, array_to_string(r.missing_months, ' '),
              coalesce(r.service_rank::text, ''), coalesce(r.completion_rank::text, ''),
              coalesce(r.coverage_rank::text, '')
         FROM report.ranking('2026-Q4', '2026-12-05') r
         JOIN report.ranking_change('2026-Q4', '2026-12-05') c USING (code)
        ORDER BY r.composite_rank NULLS LAST, r.code"""
ref = list(csv.reader(subprocess.run(["psql", "-X", "-q", "--csv", "-d", sys.argv[2], "-c", q],
                                     capture_output=True, text=True).stdout.splitlines(True)))[1:]
number = lambda s: re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", s) is not None
neutral = lambda s: "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") and not number(s) else s
ref = [[neutral(x) for x in r] for r in ref]
assert rows[1:] == ref, (rows[1:], ref)
raw = open(sys.argv[1], "rb").read()
assert raw.count(b"\r\n") == len(rows), "one CRLF per record"
print("round trip", len(rows) - 1)
EOF_PY
)
is "$csv_out" "round trip 6" "CSV round-trips through a CSV parser: BOM, quotes, comma and newline in names"
grep -q "^[0-9]*,'=东山镇," "$base.csv"; ok $? "a name starting with = is neutralised"
grep -q ",'+南坪镇," "$base.csv"; ok $? "a name starting with + is neutralised"
grep -q ",'@北岭乡," "$base.csv"; ok $? "a name starting with @ is neutralised"
grep -q ",'-石门乡," "$base.csv"; ok $? "a name starting with - is neutralised"
grep -q '"西河乡,""新""' "$base.csv"; ok $? "quotes doubled inside a quoted field"

# --- the ADX roll-up ----------------------------------------------------------------
xmllint --noout --schema "$TOP/transform/adx-1.xsd" "$base.adx.xml" 2>"$T/xmllint.log"
ok $? "ADX validates against transform/adx-1.xsd"
is "$(grep -c '<group ' "$base.adx.xml")" 24 "one group per township and sub-period (Oct, Nov, Dec, Q4)"
like "$(grep -o 'period="[^"]*"' "$base.adx.xml" | sort -u | tr '\n' ' ')" \
     'period="2026-10-01/P1M" period="2026-10-01/P3M" period="2026-11-01/P1M" period="2026-12-01/P1M" period="2026-Q4"' \
     "periods as start/duration"
is "$(grep -A11 'orgUnit="539901101"[^>]*period="2026-10-01/P3M"' "$base.adx.xml" | grep -o 'dataElement="[A-Z_]*" value="[0-9]*"' | tr '\n' ' ')" \
   'dataElement="HANDLED" value="51" dataElement="EVALUATED" value="48" dataElement="PROBLEMS_DUE" value="7" dataElement="PROBLEMS_DONE" value="7" dataElement="WINDOWS_LISTED" value="12" dataElement="WINDOWS_WALKED" value="10" dataElement="LEADERS_LISTED" value="10" dataElement="LEADERS_WALKED" value="10" dataElement="MONTHS_EXPECTED" value="2" dataElement="MONTHS_REPORTED" value="2" dataElement="MONTHS_ON_TIME" value="2" ' \
   "the quarter's counts are the quarter's own, not the sum of its months (windows counted once)"
grep -q 'orgUnitName="西河乡,&quot;新&quot;&#10;二村"' "$base.adx.xml"
ok $? "a newline in a name survives in the ADX attribute"
B export 2026 >/dev/null 2>&1
y="$H/exports/539901_2026_2026-12-05.adx.xml"
xmllint --noout --schema "$TOP/transform/adx-1.xsd" "$y" 2>/dev/null
ok $? "the year's roll-up validates too"
like "$(grep -o 'period="[^"]*/P[0-9][MY]"' "$y" | sort -u | tr '\n' ' ')" \
     '2026-01-01/P1Y.*2026-01-01/P3M.*2026-01-01/P6M.*2026-07-01/P6M' "a year carries its months, quarters, halves and itself"

# --- usage ------------------------------------------------------------------------
B export 2026-13 >/dev/null 2>"$T/err"; is $? 64 "a bad period exits 64"
like "$(cat "$T/err")" "无效的排名期间" "and says why"
B export 2026-10 --as-of 2026-02-30 >/dev/null 2>&1; is $? 64 "a bad as-of date exits 64"
B export >/dev/null 2>&1; is $? 64 "a missing period exits 64"
"$BIZENV" --home "$H" --db "dbname=$db" --set county_code=12 export 2026-10 >/dev/null 2>"$T/err"
is $? 78 "a malformed county code exits 78"
psql -X -q -d "$db" -c "INSERT INTO ref.township (code, name) VALUES ('539902101', '邻县乡')"
B export 2026-10 >/dev/null 2>"$T/err"; rc=$?
is "$rc" 78 "a registry spanning two counties, without county_code, exits 78"
like "$(cat "$T/err")" "E_CONFIG.*2 个县" "and says the registry spans 2 counties"
"$BIZENV" --home "$H" --db "dbname=$db" --set county_code=539901 export 2026-10 >/dev/null 2>"$T/err"
unlike "$(cat "$T/err")" "E_CONFIG" "with county_code set, the county is known"
psql -X -q -d "$db" -c "DELETE FROM ref.township WHERE code = '539902101'"

# --- nightly calls it ----------------------------------------------------------------
# the registry was changed above with SQL, outside bizenv: the next night
# says so (and the journal records the registry as found)
rm -f "$H"/exports/*
out=$(B nightly 2>&1); rc=$?
is "$rc" 0 "nightly with exports exits 0"
like "$out" "^\[W_JOURNAL_DRIFT\] 数据库中的乡镇名录被绕过 bizenv 直接修改过" \
   "and says the registry was changed outside bizenv"
ls "$H/exports/539901_2026-Q4_2026-12-05.xlsx" "$H/exports/539901_2026-12_2026-12-05.csv" \
   "$H/exports/539901_2026_2026-12-05.adx.xml" >/dev/null 2>&1
ok $? "nightly exports the periods it refreshes"
out=$(B nightly 2>&1); rc=$?
is "$rc:$out" "0:" "the next nightly with exports stays quiet"

dropdb "$db" >/dev/null 2>&1
done_testing
