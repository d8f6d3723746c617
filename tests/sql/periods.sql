-- report.ranking over quarters, halves and years: counts that are not sums of months.
BEGIN;
\ir lib/fixture.psql
SELECT plan(9);

SELECT test.town('539901101', '示例乡');
-- Window market walked in October and November, agri only listed; L01 walks twice.
SELECT test.sub('539901101', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01', 'L02'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-10']);
SELECT test.sub('539901101', '2026-11', 10, 9, ARRAY['market', 'agri'], ARRAY['L01', 'L02'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-10']);
SELECT test.sub('539901101', '2026-12', 10, 9, ARRAY['market', 'agri', 'civil'], ARRAY['L01', 'L02'],
                '{}', ARRAY['P1 2026-10-10']);

SELECT results_eq(
    $$SELECT windows_walked, windows_listed FROM report.ranking('2026-Q4', '2027-01-31')$$,
    $$VALUES (1::bigint, 3::bigint)$$,
    'a window walked in two months counts once; listed windows are the union over the months');
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2026-Q4', '2027-01-31')$$,
    $$VALUES (1::bigint, 0::bigint)$$, 'a problem open for three months is due once in the quarter');
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2026-H2', '2027-01-31')$$,
    $$VALUES (1::bigint, 0::bigint)$$, '... and once in the half year');
SELECT results_eq(
    $$SELECT handled, evaluated, due, windows_walked, windows_listed, leaders_walked, leaders_listed
      FROM report.ranking('2026', '2027-01-31')$$,
    $$VALUES (30::bigint, 27::bigint, 1::bigint, 1::bigint, 3::bigint, 1::bigint, 2::bigint)$$,
    'the year: sums of cases, distinct windows and leaders, problems once');
SELECT results_eq(
    $$SELECT months_expected, months_reported, cardinality(missing_months), status
      FROM report.ranking('2026', '2027-01-31')$$,
    $$VALUES (12, 3, 9, '缺报')$$, 'the year expects twelve months');
SELECT results_eq(
    $$SELECT months_expected, months_reported, status FROM report.ranking('2026-H2', '2027-01-31')$$,
    $$VALUES (6, 3, '缺报')$$, 'the second half expects six months');

-- The problem is rectified in January: due in Q4 (open then), done in 2027-01 only.
SELECT test.sub('539901101', '2027-01', 1, 1, ARRAY['market'], ARRAY['L01'], '{}',
                ARRAY['P1 2026-10-10 2027-01-15']);
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2026-Q4', '2027-02-28')$$,
    $$VALUES (1::bigint, 0::bigint)$$, 'Q4 as of February: rectified after e is not done in Q4');
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2027-01', '2027-02-28')$$,
    $$VALUES (1::bigint, 1::bigint)$$, 'January: rectified in the month is done');
SELECT results_eq(
    $$SELECT due FROM report.ranking('2027-02', '2027-03-31')$$,
    $$VALUES (0::bigint)$$, 'February: rectified before the period is not due');

SELECT * FROM finish();
ROLLBACK;
