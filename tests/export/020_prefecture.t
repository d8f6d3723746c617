#!/bin/sh
# One level up: two counties export ADX roll-ups, a prefecture's bizenv
# (configured with a registry of counties) ingests them and ranks the
# counties with the same rules; the ranking is computed by hand below.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
dbA=$(scratch_db) || skip_all "no database"
dbB=$(scratch_db); dbP=$(scratch_db)
HA=$(new_home); HB=$(new_home); HP=$(new_home)
A() { "$BIZENV" --home "$HA" --db "dbname=$dbA" --set county_name=甲县 "$@" </dev/null; }
Bc() { "$BIZENV" --home "$HB" --db "dbname=$dbB" --set county_name=乙县 "$@" </dev/null; }
P() { "$BIZENV" --home "$HP" --db "dbname=$dbP" "$@" </dev/null; }
fixture() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" >>"$T/fixture.log" 2>&1; }

A migrate >/dev/null 2>&1 && Bc migrate >/dev/null 2>&1
ok $? "county databases migrate"
# county A (539901): 示例乡 = the worked example; 东山镇 10/9, 1 of 2 problems, 1 of 2 windows
fixture "$dbA" <<EOF_SQL
\i $TOP/tests/sql/lib/fixture.psql
SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇');
SELECT test.seed_example();
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
EOF_SQL
ok $? "county A fixture"
# county B (539902): 一乡 20/20, 1 of 1 problem, 3 of 3 windows; 二乡 nothing handled, 0 of 1 window
fixture "$dbB" <<EOF_SQL
\i $TOP/tests/sql/lib/fixture.psql
SELECT test.town('539902101', '一乡'), test.town('539902102', '二乡');
SELECT test.sub('539902101', '2026-10', 20, 20, ARRAY['market', 'agri', 'forest'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02', 'L01@W03'], ARRAY['P1 2026-10-05 2026-10-10']);
SELECT test.sub('539902102', '2026-10', 0, 0, ARRAY['market'], ARRAY['L01']);
EOF_SQL
ok $? "county B fixture"
A export 2026-Q4 >/dev/null 2>&1 && Bc export 2026-Q4 >/dev/null 2>&1
ok $? "both counties export 2026-Q4"
adxA="$HA/exports/539901_2026-Q4_2026-11-28.adx.xml"
adxB="$HB/exports/539902_2026-Q4_2026-11-28.adx.xml"

# the prefecture: its registry of counties (丙县 never reports)
printf 'code,name\r\n539901,甲县\r\n539902,乙县\r\n539903,"丙县"\r\n' >"$T/counties.csv"
out=$(P counties load "$T/counties.csv" 2>&1)
is "$out" "县名录已载入：新增 3，更名 0，停用 0" "prefecture loads its registry of counties"
printf 'code,name\n5399,甲县\n' >"$T/bad.csv"
P counties load "$T/bad.csv" >/dev/null 2>"$T/err"
is $? 65 "a malformed county registry is refused (65)"
like "$(cat "$T/err")" "第 2 行" "naming the line"

cp "$adxA" "$HP/inbox/a.adx.xml"; cp "$adxB" "$HP/inbox/b.xml"
touch -d '2026-11-28 12:00:00 +0800' "$HP/inbox/a.adx.xml" "$HP/inbox/b.xml"
out=$(P ingest 2>&1); rc=$?
is "$rc" 0 "prefecture ingest exits 0"
like "$out" "报表 2 份：接收 2，重复 0，退回 0" "both roll-ups accepted"
is "$(psql -X -At -d "$dbP" -c "select county_code || ':' || count(*) from facts.rollup r join facts.rollup_group g on g.rollup_id = r.id group by county_code order by county_code" | tr '\n' ' ')" \
   "539901:6 539902:6 " "every group stored (2 townships x Oct, Nov, Q4)"

# by hand, 2026-10 (months of P present: October only)
#   甲县: service (30+9)/(31+10) = 39/41 = 95.12%; completion (7+1)/(7+2) = 8/9 = 88.89%;
#         coverage (10+1)/(12+2) = 11/14 = 78.57%; composite = (95.1220+88.8889+78.5714)/3 = 87.53
#   乙县: service 20/20 = 100%; completion 1/1 = 100%; coverage 3/(3+1) = 75%;
#         composite = (100+100+75)/3 = 91.67
#   丙县: no roll-up -> 未报送, missing 2026-10
expected='rank,code,name,service_rate,completion_rate,walk_coverage,composite,service_rank,completion_rank,coverage_rank,status,missing_months
1,539902,乙县,100.00,100.00,75.00,91.67,1,1,2,已报送,
2,539901,甲县,95.12,88.89,78.57,87.53,2,2,1,已报送,
,539903,丙县,,,,,,,,未报送,2026-10'
is "$(P rank 2026-10 --as-of 2026-11-28 --format csv 2>&1)" "$expected" \
   "the prefecture's bizenv rank ranks counties by the same rules (computed by hand)"
is "$(P rank 2026-Q4 --as-of 2026-11-28 --format csv 2>&1 | sed -n 2,3p | cut -d, -f1-7)" \
   "1,539902,乙县,100.00,100.00,75.00,91.67
2,539901,甲县,95.12,88.89,78.57,87.53" "the quarter ranks from the roll-ups' quarter groups"
is "$(psql -X -At -d "$dbP" -c "select months_reported, months_expected, status from report.ranking('2026-10', '2026-11-28') where code = '539901'")" \
   "2|2|已报送" "completeness counts township-months"

# the same file again: duplicate; a damaged one: rejected with its reasons
cp "$adxA" "$HP/inbox/again.xml"
like "$(P ingest 2>&1)" "重复 1" "the same roll-up again is a duplicate"
sed 's/county="539901"/county="539909"/; s/orgUnit="539901/orgUnit="539909/g' "$adxA" >"$HP/inbox/unknown.xml"
sed '0,/dataElement="EVALUATED" value="30"/s//dataElement="EVALUATED" value="99"/' "$adxA" >"$HP/inbox/inconsistent.xml"
sed 's/orgUnit="539901102"/orgUnit="539902102"/' "$adxA" >"$HP/inbox/foreign.xml"
sed 's#2026-10-01/P3M#2026-11-01/P3M#' "$adxA" >"$HP/inbox/period.xml"
sed 's/<dataValue dataElement="HANDLED" value="31"\/>//' "$adxA" >"$HP/inbox/schema.xml"
python3 - "$adxA" "$HP/inbox/twice.xml" <<'PY'
import sys
s = open(sys.argv[1], encoding="utf-8").read()
a = s.index("<group")
b = s.index("</group>", a) + len("</group>")
open(sys.argv[2], "w", encoding="utf-8").write(s[:b] + s[a:b] + s[b:])
PY
{ printf '<?xml version="1.0"?>\n<!DOCTYPE adx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'; sed 1d "$adxA" | sed 's/countyName="甲县"/countyName="\&x;"/'; } >"$HP/inbox/xxe.xml"
out=$(P ingest 2>&1)
like "$out" "unknown.xml：退回（报表 1 份，退回 1 份：E_ADX_COUNTY_UNKNOWN" "a county outside the registry is rejected"
like "$out" "inconsistent.xml：退回.*E_ADX_INCONSISTENT" "counts that contradict each other are rejected"
like "$out" "foreign.xml：退回.*E_ADX_ORGUNIT" "a township of another county is rejected"
like "$out" "period.xml：退回.*E_ADX_PERIOD" "a quarter not on a quarter boundary is rejected"
like "$out" "twice.xml：退回.*E_XML_SCHEMA" "a township's period given twice is refused by the XSD, and the night goes on"
like "$out" "schema.xml：退回.*E_XML_SCHEMA" "a group missing a count fails the XSD"
like "$out" "xxe.xml：退回.*E_XML_DOCTYPE" "a DOCTYPE is refused, no entity is loaded"
unlike "$(cat "$HP"/receipts/*/xxe.xml*.txt 2>/dev/null)" "root:" "no file content leaks into the receipt"
is "$(psql -X -At -d "$dbP" -c "select count(*) from facts.rollup")" 2 "nothing of a rejected roll-up is stored"

# a newer export of the same county and period supersedes; history kept
psql -X -q -d "$dbB" -c "SELECT test.sub('539902102', '2026-10', 10, 5, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01'], '{}', 2, '2026-11-29 09:00+08')" >/dev/null
BIZENV_TODAY=2026-11-30 Bc export 2026-Q4 >/dev/null 2>&1
cp "$HB/exports/539902_2026-Q4_2026-11-30.adx.xml" "$HP/inbox/b2.xml"
touch -d '2026-11-30 12:00:00 +0800' "$HP/inbox/b2.xml"
P ingest >/dev/null 2>&1
# 乙县 now: service 25/30 = 83.33%, completion 1/1, coverage 4/4 -> (83.3333+100+100)/3 = 94.44
is "$(P rank 2026-10 --as-of 2026-11-30 --format csv | grep 539902 | cut -d, -f1-7)" \
   "1,539902,乙县,83.33,100.00,100.00,94.44" "the newer roll-up supersedes the older one"
is "$(P rank 2026-10 --as-of 2026-11-28 --format csv | grep 539902 | cut -d, -f1-7)" \
   "1,539902,乙县,100.00,100.00,75.00,91.67" "as of the earlier date the prefecture still ranks the older one"
is "$(psql -X -At -d "$dbP" -c "select count(*) from facts.rollup where county_code = '539902'")" 2 "both roll-ups kept"

# a county instance is untouched: report.ranking still ranks townships there
is "$(psql -X -At -d "$dbA" -c "select string_agg(code, ' ' order by code) from report.ranking('2026-10', '2026-11-28')")" \
   "539901101 539901102" "a county's ranking still lists townships"

for d in "$dbA" "$dbB" "$dbP"; do dropdb "$d" >/dev/null 2>&1; done
done_testing
