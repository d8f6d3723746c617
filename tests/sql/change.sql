-- Change over time and the feedback lists: report.previous_period,
-- period_name, ranking_change (against a hand-computed example with a tie
-- and a new township), ranking_trend, open_problems, period_warnings.
BEGIN;
\ir lib/fixture.psql
SELECT plan(26);

-- Periods ---------------------------------------------------------------------
SELECT results_eq(
    $$SELECT report.previous_period(p) FROM unnest(ARRAY['2026-10', '2026-01', '2026-Q1', '2026-Q4',
                                                      '2026-H1', '2026-H2', '2026']) p$$,
    $$VALUES ('2026-09'), ('2025-12'), ('2025-Q4'), ('2026-Q3'), ('2025-H2'), ('2026-H1'), ('2025')$$,
    'the previous period is of the same kind, across a year''s turn');
SELECT is(report.previous_period('1900-01'), NULL, 'none before 1900 (period_bounds refuses it)');
SELECT results_eq(
    $$SELECT report.period_name(p) FROM unnest(ARRAY['2026-10', '2026-01', '2026-Q4', '2026-H1',
                                                   '2026-H2', '2026']) p$$,
    $$VALUES ('2026年10月'), ('2026年1月'), ('2026年第四季度'), ('2026年上半年'), ('2026年下半年'),
             ('2026年度')$$,
    'periods in words');
SELECT throws_ok($$SELECT report.period_name('2026-13')$$, '22023', NULL,
    'a bad period is refused as everywhere');

-- The hand-computed example -----------------------------------------------------
-- Only the service rate is present (no windows, no problems): the composite
-- is evaluated/handled as a percentage.
--            September          October
--   A 101    90  rank 1         80  rank 2 (tie)   ↓1  -10
--   B 102    80  rank 2         50  rank 6         ↓4  -30
--   C 103    70  rank 3         80  rank 2 (tie)   ↑1  +10
--   D 104    60  rank 4         95  rank 1         ↑3  +35
--   E 105    (none)             70  rank 4         新
--   F 106    50  rank 5         65  rank 5         –   +15
--   G 107    40  rank 6         (未报送)           (none)
SELECT test.town('539901101', 'A乡'), test.town('539901102', 'B乡'), test.town('539901103', 'C乡'),
       test.town('539901104', 'D乡'), test.town('539901105', 'E乡'), test.town('539901106', 'F乡'),
       test.town('539901107', 'G乡');
SELECT test.sub(t, '2026-09', 100, s, '{}', '{}')
FROM (VALUES ('539901101', 90), ('539901102', 80), ('539901103', 70), ('539901104', 60),
             ('539901106', 50), ('539901107', 40)) AS v(t, s);
SELECT test.sub(t, '2026-10', 100, s, '{}', '{}')
FROM (VALUES ('539901101', 80), ('539901102', 50), ('539901103', 80), ('539901104', 95),
             ('539901105', 70), ('539901106', 65)) AS v(t, s);

SELECT results_eq(
    $$SELECT code, current_rank, previous_period, previous_rank, rank_change, movement,
             composite_change
      FROM report.ranking_change('2026-10', '2026-11-05')$$,
    $$VALUES ('539901104', 1, '2026-09', 4, 3, '↑3', 35.00),
             ('539901101', 2, '2026-09', 1, -1, '↓1', -10.00),
             ('539901103', 2, '2026-09', 3, 1, '↑1', 10.00),
             ('539901105', 4, '2026-09', NULL, NULL, '新', NULL),
             ('539901106', 5, '2026-09', 5, 0, '–', 15.00),
             ('539901102', 6, '2026-09', 2, -4, '↓4', -30.00),
             ('539901107', NULL, '2026-09', 6, NULL, NULL, NULL)$$,
    'movement against the hand-computed example: a tie shares its rank, E is new, G unranked has none');
SELECT results_eq(
    $$SELECT code, name, composite, previous_composite FROM report.ranking_change('2026-10', '2026-11-05')
      WHERE code IN ('539901101', '539901105')$$,
    $$VALUES ('539901101', 'A乡', 80.00, 90.00), ('539901105', 'E乡', 70.00, NULL::numeric)$$,
    'both composites are report.ranking''s');
SELECT is(
    (SELECT count(*)::int FROM report.ranking_change('2026-10', '2026-11-05') c
     JOIN report.ranking('2026-10', '2026-11-05') r USING (code)
     WHERE c.current_rank IS NOT DISTINCT FROM r.composite_rank
       AND c.composite IS NOT DISTINCT FROM r.composite),
    7, 'every row''s rank and composite are those of report.ranking for the period');
SELECT is(
    (SELECT count(*)::int FROM report.ranking_change('2026-10', '2026-11-05') c
     JOIN report.ranking('2026-09', '2026-11-05') r USING (code)
     WHERE c.previous_rank IS NOT DISTINCT FROM r.composite_rank
       AND c.previous_composite IS NOT DISTINCT FROM r.composite),
    7, 'and the previous ones those of report.ranking for the previous period, same as-of date');

-- Same as-of rules: a September revision received after the as-of date does
-- not move anyone as of that date; as of a later date it does.
SELECT test.sub('539901102', '2026-09', 100, 99, '{}', '{}', '{}', '{}', 2, '2026-11-10 10:00+08');
SELECT is((SELECT movement FROM report.ranking_change('2026-10', '2026-11-05') WHERE code = '539901102'),
    '↓4', 'a revision of the previous period received after the as-of date changes nothing');
SELECT results_eq(
    $$SELECT previous_rank, movement, composite_change FROM report.ranking_change('2026-10', '2026-11-30')
      WHERE code = '539901102'$$,
    $$VALUES (1, '↓5', -49.00)$$,
    'as of a date after it, B was first in September: ↓5, -49.00');
SELECT results_eq(
    $$SELECT code, previous_rank, movement FROM report.ranking_change('2026-10', '2026-11-30')
      WHERE code IN ('539901101', '539901104')$$,
    $$VALUES ('539901104', 4, '↑3'), ('539901101', 2, '–')$$,
    'and the others'' previous ranks follow: A was 2nd in September then, and is 2nd now');
SELECT is((SELECT count(*)::int FROM report.ranking_change('1900-01', '1900-02-05')), 7,
    'before 1900 there is no previous period: every township is listed');

-- Trend --------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT code, month, composite, month_rank FROM report.ranking_trend('2026-Q4', '2026-11-05')
      WHERE code IN ('539901104', '539901107')$$,
    $$VALUES ('539901104', '2026-10', 95.00, 1), ('539901104', '2026-11', NULL, NULL),
             ('539901107', '2026-10', NULL, NULL), ('539901107', '2026-11', NULL, NULL)$$,
    'trend: the months of the quarter begun by the as-of date, each month ranked on its own');
SELECT results_eq(
    $$SELECT DISTINCT ON (code) code FROM report.ranking_trend('2026-Q4', '2026-11-05')$$,
    $$SELECT code FROM report.ranking('2026-Q4', '2026-11-05') ORDER BY code$$,
    'every township of the period''s ranking');
SELECT results_eq(
    $$SELECT array_agg(code ORDER BY ord) FROM (
        SELECT code, min(o) AS ord FROM (SELECT code, row_number() OVER () AS o
                                         FROM report.ranking_trend('2026-Q3', '2026-11-05')) x
        GROUP BY code) y$$,
    $$SELECT array_agg(code) FROM report.ranking('2026-Q3', '2026-11-05')$$,
    'in the order of the period''s ranking');
SELECT results_eq(
    $$SELECT month, composite FROM report.ranking_trend('2026-Q3', '2026-11-05') WHERE code = '539901101'$$,
    $$VALUES ('2026-07', NULL::numeric), ('2026-08', NULL), ('2026-09', 90.00)$$,
    'a past quarter: all three months');

-- Open problems -------------------------------------------------------------------
-- H: P1 found in September, still open in October; P2 found and rectified in
-- October; P3 found in September, rectified on 2026-10-20; P4 reported in
-- September as rectified on 2026-10-02 (after September's end); P5 found in
-- October, open, left out of a later revision of October (its ledger keeps
-- the later revision: not listed for October).
SELECT test.town('539901108', 'H乡');
SELECT test.sub('539901108', '2026-09', 10, 9, '{}', '{}', '{}',
                ARRAY['P1 2026-09-02', 'P3 2026-09-05', 'P4 2026-09-06 2026-10-02']);
SELECT test.sub('539901108', '2026-10', 10, 9, '{}', '{}', '{}',
                ARRAY['P1 2026-09-02', 'P2 2026-10-03 2026-10-09', 'P3 2026-09-05 2026-10-20',
                      'P5 2026-10-12']);
SELECT results_eq(
    $$SELECT problem_id, status, found, rectified, last_month FROM report.open_problems('2026-09', '2026-11-05')
      WHERE township_code = '539901108'$$,
    $$VALUES ('P1', 'open', date '2026-09-02', NULL::date, '2026-09'),
             ('P3', 'open', date '2026-09-05', NULL, '2026-09'),
             ('P4', 'rectified', date '2026-09-06', date '2026-10-02', '2026-09')$$,
    'September: open at its end, also P4 rectified only after it');
SELECT results_eq(
    $$SELECT problem_id, source, found FROM report.open_problems('2026-10', '2026-11-05')
      WHERE township_code = '539901108'$$,
    $$VALUES ('P1', 'supervision', date '2026-09-02'), ('P5', 'supervision', date '2026-10-12')$$,
    'October: P1 and P5 open; P2, P3 and P4 rectified within October');
SELECT is(
    (SELECT count(*)::int FROM report.open_problems('2026-10', '2026-11-05') o
     JOIN report.ranking('2026-10', '2026-11-05') r ON r.code = o.township_code
     WHERE r.code = '539901108'),
    (SELECT (due - done)::int FROM report.ranking('2026-10', '2026-11-05') WHERE code = '539901108'),
    'as many as the completion rate''s due and not done');
SELECT is((SELECT count(*)::int FROM report.open_problems('2026-10', '2026-10-31')
           WHERE township_code = '539901108'), 2,
    'as of a date before the October report arrived: September''s ledger (P1, P3 open; P4 rectified in time)');

-- Warnings -----------------------------------------------------------------------
INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
SELECT s.id, w.ord, w.code, NULL, '/report', w.msg
FROM facts.submission s,
     (VALUES (1, 'W_RATE_MISMATCH', '自报评价率与计算值不符'), (2, 'W_PROBLEM_OVERDUE', '问题逾期')) AS w(ord, code, msg)
WHERE s.township_code = '539901108' AND s.period = '2026-10-01';
SELECT test.sub('539901101', '2026-10', 100, 80, '{}', '{}', '{}', '{}', 2, '2026-11-20 10:00+08');
INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
SELECT s.id, 1, 'W_RATE_MISMATCH', 3, '/report', '第一版的警告'
FROM facts.submission s WHERE s.township_code = '539901101' AND s.period = '2026-10-01' AND s.revision = 1;
SELECT results_eq(
    $$SELECT township_code, month, revision, ord, code, message FROM report.period_warnings('2026-10', '2026-11-05')$$,
    $$VALUES ('539901101', '2026-10', 1, 1, 'W_RATE_MISMATCH', '第一版的警告'),
             ('539901108', '2026-10', 1, 1, 'W_RATE_MISMATCH', '自报评价率与计算值不符'),
             ('539901108', '2026-10', 1, 2, 'W_PROBLEM_OVERDUE', '问题逾期')$$,
    'warnings of the reports counted as of the date, in order');
SELECT results_eq(
    $$SELECT township_code, revision FROM report.period_warnings('2026-Q4', '2026-11-30')$$,
    $$VALUES ('539901108', 1), ('539901108', 1)$$,
    'a later revision without warnings replaces the earlier one''s');
SELECT is((SELECT count(*)::int FROM report.period_warnings('2026-10', '2026-11-05')),
    (SELECT warnings::int FROM report.county_summary('2026-10', '2026-11-05')),
    'as many as the county summary counts');

-- Analysts -------------------------------------------------------------------------
SET LOCAL ROLE bizenv_analyst;
SELECT lives_ok($$SELECT * FROM report.ranking_change('2026-10', '2026-11-05')$$,
    'bizenv_analyst can call report.ranking_change');
SELECT lives_ok($$SELECT * FROM report.ranking_trend('2026-Q4', '2026-11-05'),
                                report.open_problems('2026-10', '2026-11-05'),
                                report.period_warnings('2026-10', '2026-11-05')$$,
    'and ranking_trend, open_problems, period_warnings');
RESET ROLE;
SELECT is(
    (SELECT string_agg(p.proname, ', ') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'report'
       AND p.proname IN ('period_name', 'previous_period', 'ranking_change', 'ranking_trend',
                         'open_problems', 'period_warnings')
       AND coalesce(obj_description(p.oid, 'pg_proc'), '') !~ '[一-龥]'),
    NULL, 'each has a Chinese comment');

SELECT * FROM finish();
ROLLBACK;
