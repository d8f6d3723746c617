-- report.ranking: expected months, 未报送 / 缺报, as-of dates, revisions, timeliness.
BEGIN;
\ir lib/fixture.psql
SELECT plan(17);

SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇'),
       test.town('539901103', '西河乡'), test.town('539901109', '旧乡', false),
       test.town('539901110', '撤并乡', false);

-- 示例乡: October on time (3 Nov), November late (6 Nov 00:00:01 is after the 5th), December missing.
SELECT test.sub('539901101', '2026-10', 10, 10, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901101', '2026-11', 10, 5, ARRAY['market'], ARRAY['L01'], '{}', '{}', 1,
                '2026-12-06 00:00:01+08');
-- 东山镇: October first revision at the last second of the deadline, then a late correction.
SELECT test.sub('539901102', '2026-10', 10, 2, ARRAY['market'], ARRAY['L01'], '{}', '{}', 1,
                '2026-11-05 23:59:59+08');
SELECT test.sub('539901102', '2026-10', 10, 8, ARRAY['market'], ARRAY['L01'], '{}', '{}', 2,
                '2026-11-20 09:00:00+08');
-- 西河乡: nothing in Q4. 旧乡 (inactive): one month in Q4. 撤并乡 (inactive): nothing.
SELECT test.sub('539901109', '2026-10', 4, 4, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);

SELECT results_eq(
    $$SELECT code, status, missing_months, months_reported, months_expected
      FROM report.ranking('2026-Q4', '2027-01-31') ORDER BY code$$,
    $$VALUES ('539901101', '缺报', ARRAY['2026-12'], 2, 3),
             ('539901102', '缺报', ARRAY['2026-11', '2026-12'], 1, 3),
             ('539901103', '未报送', ARRAY['2026-10', '2026-11', '2026-12'], 0, 3),
             ('539901109', '缺报', ARRAY['2026-11', '2026-12'], 1, 3)$$,
    'Q4: 缺报 names the missing months, 未报送 has nothing; inactive townships only with a submission');
SELECT results_eq(
    $$SELECT code, composite, composite_rank FROM report.ranking('2026-Q4', '2027-01-31') WHERE composite_rank IS NOT NULL$$,
    $$VALUES ('539901109', 100.00, 1), ('539901101', 87.50, 2), ('539901102', 40.00, 3)$$,
    '缺报 townships are ranked on the months present');
SELECT results_eq(
    $$SELECT reporting_rate, on_time_rate, months_on_time
      FROM report.ranking('2026-Q4', '2027-01-31') WHERE code = '539901101'$$,
    $$VALUES (2::numeric / 3, 1::numeric / 3, 1)$$,
    'reporting rate 2/3; on time only October (November arrived after the 5th)');
SELECT results_eq(
    $$SELECT on_time_rate, service_rate FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901102'$$,
    $$VALUES (1::numeric, 0.8)$$,
    'on time by the first revision (23:59:59 on the 5th); figures from the later revision');

-- Expected months are the months ended by the as-of date.
SELECT results_eq(
    $$SELECT months_expected, missing_months, reporting_rate, status
      FROM report.ranking('2026-Q4', '2026-11-15') WHERE code = '539901101'$$,
    $$VALUES (1, '{}'::text[], 1::numeric, '已报送')$$,
    'as of 15 November only October is expected');
SELECT results_eq(
    $$SELECT months_expected, reporting_rate, on_time_rate, status
      FROM report.ranking('2026-Q4', '2026-10-31') WHERE code = '539901103'$$,
    $$VALUES (0, NULL::numeric, NULL::numeric, '未报送')$$,
    'no month expected yet: rates are NULL');
SELECT is((SELECT months_expected FROM report.ranking('2026-10', '2026-11-01') WHERE code = '539901101'),
    1, 'October is expected from 1 November');

-- as_of excludes later-received submissions and later revisions.
SELECT results_eq(
    $$SELECT status, service_rate, months_present FROM report.ranking('2026-Q4', '2026-12-05') WHERE code = '539901101'$$,
    $$VALUES ('缺报', 1::numeric, 1)$$,
    'as of 5 December the November report (received the 6th) does not count');
SELECT results_eq(
    $$SELECT service_rate FROM report.ranking('2026-10', '2026-11-19') WHERE code = '539901102'$$,
    $$VALUES (0.2)$$, 'as of 19 November revision 1 is current');
SELECT results_eq(
    $$SELECT service_rate FROM report.ranking('2026-10', '2026-11-20') WHERE code = '539901102'$$,
    $$VALUES (0.8)$$, 'as of 20 November revision 2 is current');
SELECT results_eq(
    $$SELECT status, months_reported, missing_months, composite_rank
      FROM report.ranking('2026-10', '2026-11-02') WHERE code = '539901101'$$,
    $$VALUES ('未报送', 0, ARRAY['2026-10'], NULL::int)$$,
    'as of 2 November the October report (received the 3rd) does not count: 未报送, no rank');

-- The as-of boundary is midnight Asia/Shanghai, not UTC.
SELECT test.sub('539901103', '2026-10', 1, 1, ARRAY['market'], ARRAY['L01'], '{}', '{}', 1,
                '2026-11-10 23:30:00+08');
SELECT is((SELECT months_present FROM report.ranking('2026-10', '2026-11-10') WHERE code = '539901103'),
    1, 'received 23:30 Shanghai time counts on that day');
SELECT is((SELECT months_present FROM report.ranking('2026-10', '2026-11-09') WHERE code = '539901103'),
    0, 'but not the day before');

-- Deadline day is configurable.
UPDATE ref.setting SET value = '10' WHERE key = 'deadline_day';
SELECT is((SELECT on_time_rate FROM report.ranking('2026-11', '2026-12-31') WHERE code = '539901101'),
    1::numeric, 'deadline_day 10: the November report of 6 December is on time');
UPDATE ref.setting SET value = '5' WHERE key = 'deadline_day';
SELECT is((SELECT on_time_rate FROM report.ranking('2026-11', '2026-12-31') WHERE code = '539901101'),
    0::numeric, 'deadline_day 5: it is late');

-- A late first revision stays late whatever follows.
SELECT test.sub('539901101', '2026-12', 1, 1, ARRAY['market'], ARRAY['L01'], '{}', '{}', 1,
                '2027-01-09 10:00:00+08');
SELECT test.sub('539901101', '2026-12', 1, 1, ARRAY['market'], ARRAY['L01'], '{}', '{}', 2,
                '2027-01-12 10:00:00+08');
SELECT results_eq(
    $$SELECT on_time_rate, months_on_time FROM report.ranking('2026-12', '2027-01-31') WHERE code = '539901101'$$,
    $$VALUES (0::numeric, 0)$$, 'a month whose first revision was late is late');
SELECT is((SELECT status FROM report.ranking('2026-Q4', '2027-01-31') WHERE code = '539901101'),
    '已报送', 'all three months present: 已报送');

SELECT * FROM finish();
ROLLBACK;
