-- report.period_bounds: months, quarters, halves, years; anything else is a clear error.
BEGIN;
SELECT plan(12);

SELECT results_eq($$SELECT first_day, last_day, months FROM report.period_bounds('2026-10')$$,
    $$VALUES ('2026-10-01'::date, '2026-10-31'::date, ARRAY['2026-10-01']::date[])$$,
    'a month is one month');
SELECT results_eq($$SELECT first_day, last_day, months FROM report.period_bounds('2026-Q4')$$,
    $$VALUES ('2026-10-01'::date, '2026-12-31'::date,
              ARRAY['2026-10-01', '2026-11-01', '2026-12-01']::date[])$$,
    'a quarter is three months');
SELECT results_eq($$SELECT first_day, last_day FROM report.period_bounds('2028-Q1')$$,
    $$VALUES ('2028-01-01'::date, '2028-03-31'::date)$$, 'Q1 ends on 31 March');
SELECT results_eq($$SELECT first_day, last_day, cardinality(months) FROM report.period_bounds('2026-H2')$$,
    $$VALUES ('2026-07-01'::date, '2026-12-31'::date, 6)$$, 'the second half is July to December');
SELECT results_eq($$SELECT first_day, last_day, cardinality(months) FROM report.period_bounds('2026-H1')$$,
    $$VALUES ('2026-01-01'::date, '2026-06-30'::date, 6)$$, 'the first half is January to June');
SELECT results_eq($$SELECT first_day, last_day, cardinality(months) FROM report.period_bounds('2026')$$,
    $$VALUES ('2026-01-01'::date, '2026-12-31'::date, 12)$$, 'a year is twelve months');
SELECT results_eq($$SELECT last_day FROM report.period_bounds('2028-02')$$,
    $$VALUES ('2028-02-29'::date)$$, 'a leap February ends on the 29th');

SELECT throws_ok($$SELECT * FROM report.period_bounds('2026-13')$$, '22023',
    '无效的排名期间“2026-13”', 'rejects month 13');
SELECT throws_ok($$SELECT * FROM report.period_bounds('2026-Q5')$$, '22023', NULL, 'rejects quarter 5');
SELECT throws_ok($$SELECT * FROM report.period_bounds('2026-10-01')$$, '22023', NULL, 'rejects a full date');
SELECT throws_ok($$SELECT * FROM report.period_bounds(NULL)$$, '22023', NULL, 'rejects NULL');
SELECT throws_ok($$SELECT * FROM report.ranking('26-10', '2026-11-30')$$, '22023', NULL,
    'ranking rejects a bad period');

SELECT * FROM finish();
ROLLBACK;
