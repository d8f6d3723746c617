-- report.ranking: the three figures, the composite and the ranks (metrics.md).
BEGIN;
\ir lib/fixture.psql
SELECT plan(34);

-- The worked example -------------------------------------------------------
SELECT test.town('539901101', '示例乡');
SELECT test.seed_example();

SELECT results_eq(
    $$SELECT service_rate, completion_rate, walk_coverage, leader_participation, composite
      FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES (30::numeric / 31, 1::numeric, 10::numeric / 12, 1::numeric, 93.37)$$,
    'worked example: 96.8% / 100.0% / 83.3%, participation 100%, composite 93.37');
SELECT results_eq(
    $$SELECT round(service_rate * 100, 1), round(completion_rate * 100, 1), round(walk_coverage * 100, 1)
      FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES (96.8, 100.0, 83.3)$$, 'worked example displays as 96.8 / 100.0 / 83.3');
SELECT results_eq(
    $$SELECT handled, evaluated, due, done, windows_walked, windows_listed, leaders_walked, leaders_listed
      FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES (31::bigint, 30::bigint, 7::bigint, 7::bigint, 10::bigint, 12::bigint, 10::bigint, 10::bigint)$$,
    'worked example counts: 31/30 cases, 7/7 problems, 10/12 windows, 10/10 leaders');
SELECT results_eq(
    $$SELECT composite_rank, service_rank, completion_rank, coverage_rank, status, missing_months,
             w_service, w_completion, w_coverage
      FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES (1, 1, 1, 1, '已报送', '{}'::text[], 1::numeric, 1::numeric, 1::numeric)$$,
    'worked example: ranked first everywhere, reported, default weights 1:1:1');

-- Weights live in the database ---------------------------------------------
UPDATE ref.weight SET weight = 2 WHERE figure = 'coverage';
SELECT results_eq(
    $$SELECT composite, w_coverage FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES (round(100 * (30::numeric / 31 + 1 + 2 * 10::numeric / 12) / 4, 2), 2::numeric)$$,
    'changing ref.weight changes the composite and the weights reported');
SELECT is((SELECT composite FROM report.ranking('2026-10', '2026-11-30')), 90.86,
    'coverage weighted 2: (96.774 + 100 + 2 * 83.333) / 4 = 90.86');
UPDATE ref.weight SET weight = 0 WHERE figure IN ('completion', 'coverage');
SELECT is((SELECT composite FROM report.ranking('2026-10', '2026-11-30')), 96.77,
    'weights 1:0:0 make the composite the service rate');
UPDATE ref.weight SET weight = 1;

-- Sums across months, problem ledger over months ---------------------------
SELECT test.town('539901102', '东山镇');
-- October: 10 handled, 5 evaluated; P1 found in Oct and still open; P2 found and rectified in Oct.
SELECT test.sub('539901102', '2026-10', 10, 5, ARRAY['market', 'agri'], ARRAY['L01', 'L02'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
-- November: 30 handled, 30 evaluated; P1 carried over and rectified in Nov; P3 open.
SELECT test.sub('539901102', '2026-11', 30, 30, ARRAY['market', 'agri'], ARRAY['L01', 'L02'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02 2026-11-20', 'P3 2026-11-05']);
-- December: P3 disappears from the ledger while open; P4 found and rectified.
SELECT test.sub('539901102', '2026-12', 0, 0, ARRAY['market', 'agri'], ARRAY['L01', 'L02'],
                ARRAY['L02@W02'], ARRAY['P4 2026-12-01 2026-12-02']);

SELECT is((SELECT service_rate FROM report.ranking('2026-Q4', '2027-01-31') WHERE code = '539901102'),
    35::numeric / 40, 'service sums evaluated and handled over the months (35/40), not a mean of rates');
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2026-10', '2026-12-31') WHERE code = '539901102'$$,
    $$VALUES (2::bigint, 1::bigint)$$, 'October: open P1 due not done, P2 due and done');
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2026-11', '2026-12-31') WHERE code = '539901102'$$,
    $$VALUES (2::bigint, 1::bigint)$$,
    'November: P1 carried over and rectified counts done; P2 rectified before November is not due');
SELECT results_eq(
    $$SELECT due, done, completion_rate FROM report.ranking('2026-12', '2027-01-31') WHERE code = '539901102'$$,
    $$VALUES (2::bigint, 1::bigint, 0.5)$$,
    'December: P3 disappeared while open stays open and due; P4 done');
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2026-Q4', '2026-12-02') WHERE code = '539901102'$$,
    $$VALUES (2::bigint, 1::bigint)$$,
    'as of 2 December (November received on the 3rd), P1 is still open as last seen in October');
SELECT results_eq(
    $$SELECT due, done FROM report.ranking('2026-Q4', '2027-01-31') WHERE code = '539901102'$$,
    $$VALUES (4::bigint, 3::bigint)$$,
    'Q4: P1 open over two months is due once; P1, P2, P4 done; P3 open');
SELECT is((SELECT service_rate FROM report.ranking('2026-12', '2027-01-31') WHERE code = '539901102'),
    NULL, 'service rate is NULL when nothing was handled');
SELECT is((SELECT composite FROM report.ranking('2026-12', '2027-01-31') WHERE code = '539901102'),
    round(100 * (0.5 + 0.5) / 2, 2), 'composite over completion and coverage when service is NULL');
SELECT is((SELECT service_rank FROM report.ranking('2026-12', '2027-01-31') WHERE code = '539901102'),
    NULL, 'a NULL figure gets no rank');

-- NULL completion: no problem due.
SELECT test.town('539901103', '西河乡');
SELECT test.sub('539901103', '2026-10', 4, 3, ARRAY['market', 'agri', 'other:税务'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W03']);
SELECT results_eq(
    $$SELECT completion_rate, due, composite, completion_rank
      FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901103'$$,
    $$VALUES (NULL::numeric, 0::bigint, round(100 * (0.75 + 2::numeric / 3) / 2, 2), NULL::int)$$,
    'completion NULL without due problems; composite over service and coverage only');

-- Ties ----------------------------------------------------------------------
DELETE FROM facts.problem; DELETE FROM facts.walk; DELETE FROM facts.leader;
DELETE FROM facts.window; DELETE FROM facts.submission;
DELETE FROM ref.township;
SELECT test.town('539901201', 'A乡'), test.town('539901202', 'B乡'), test.town('539901203', 'C乡'),
       test.town('539901204', 'D乡'), test.town('539901205', 'E乡');
-- service 9/10 = 90%, 3 towns tie at 80% (one as 8/10, one as 4/5, one 80.001% vs 80.00 after rounding)
SELECT test.sub('539901201', '2026-10', 10, 9, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901204', '2026-10', 10, 8, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901202', '2026-10', 5, 4, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901203', '2026-10', 100000, 80001, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);
SELECT test.sub('539901205', '2026-10', 10, 7, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01']);

SELECT results_eq(
    $$SELECT code, service_rank FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES ('539901201', 1), ('539901202', 2), ('539901203', 2), ('539901204', 2), ('539901205', 5)$$,
    'ties on the rounded percentage share a rank and the next skips (1,2,2,2,5), code order in a tie');
SELECT results_eq(
    $$SELECT code, composite_rank, composite FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES ('539901201', 1, 95.00), ('539901202', 2, 90.00), ('539901203', 2, 90.00),
             ('539901204', 2, 90.00), ('539901205', 5, 85.00)$$,
    'composite ranks share ties on the rounded composite');
SELECT is((SELECT array_agg(DISTINCT coverage_rank) FROM report.ranking('2026-10', '2026-11-30')),
    ARRAY[1], 'all equal coverage: everybody ranks 1');
SELECT isnt((SELECT service_rate FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901203'),
    0.8, 'the stored rate stays exact (unrounded)');

-- 1,2,2,4 -------------------------------------------------------------------
DELETE FROM facts.walk WHERE submission_id IN (SELECT id FROM facts.submission WHERE township_code = '539901204');
SELECT results_eq(
    $$SELECT code, composite_rank FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES ('539901201', 1), ('539901202', 2), ('539901203', 2), ('539901205', 4), ('539901204', 5)$$,
    'competition ranking 1,2,2,4: the composite that ties skips the next rank');
SELECT results_eq(
    $$SELECT code, coverage_rank FROM report.ranking('2026-10', '2026-11-30') ORDER BY code$$,
    $$VALUES ('539901201', 1), ('539901202', 1), ('539901203', 1), ('539901204', 5), ('539901205', 1)$$,
    'coverage: four tie at 100% (rank 1), the unwalked one ranks 5');

-- Windows mapped to other count by their own names; leaders by id across months.
DELETE FROM facts.walk; DELETE FROM facts.leader; DELETE FROM facts.window; DELETE FROM facts.submission;
SELECT test.sub('539901201', '2026-10', 1, 1, ARRAY['market', 'other:税务', 'other:邮政', 'market'],
                ARRAY['L01', 'L02'], ARRAY['L01@W02', 'L01@W04']);
SELECT test.sub('539901201', '2026-11', 1, 1, ARRAY['other:税务', 'other:电力'],
                ARRAY['L02', 'L03'], ARRAY['L03@W01']);
SELECT results_eq(
    $$SELECT windows_listed, windows_walked FROM report.ranking('2026-Q4', '2027-01-31') WHERE code = '539901201'$$,
    $$VALUES (4::bigint, 2::bigint)$$,
    'coverage: market, 税务, 邮政, 电力 listed (two market windows are one), market and 税务 walked');
SELECT results_eq(
    $$SELECT leaders_listed, leaders_walked, leader_participation
      FROM report.ranking('2026-Q4', '2027-01-31') WHERE code = '539901201'$$,
    $$VALUES (3::bigint, 2::bigint, 2::numeric / 3)$$,
    'leaders identified by id across months: L01..L03 listed, L01 and L03 walked');

-- Display order: composite rank, then code; unranked last by code.
SELECT results_eq(
    $$SELECT code, status FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES ('539901201', '已报送'), ('539901202', '未报送'), ('539901203', '未报送'),
             ('539901204', '未报送'), ('539901205', '未报送')$$,
    'unranked townships come last in code order');
SELECT results_eq(
    $$SELECT composite_rank, service_rank, completion_rank, coverage_rank, service_rate, composite
      FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901202'$$,
    $$VALUES (NULL::int, NULL::int, NULL::int, NULL::int, NULL::numeric, NULL::numeric)$$,
    '未报送: no figures and no ranks');

-- The composite is exact (issue 13) ------------------------------------------
-- Weights 1:1:3, service 5/8, no problem due, coverage 2/6:
-- (62.5 + 3 * 100/3) / 4 = 40.625 exactly, which rounds half up to 40.63; a
-- rate rounded before combining (1/3 to 20 digits) gave 40.62.
SELECT test.town('539901301', '半分乡');
SELECT test.sub('539901301', '2026-10', 8, 5,
                ARRAY['market', 'agri', 'forest', 'medins', 'social', 'veteran'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02']);
UPDATE ref.weight SET weight = 3 WHERE figure = 'coverage';
SELECT is((SELECT composite::text FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901301'),
    '40.63', 'weights 1:1:3, service 5/8, no completion, coverage 2/6: 40.625 exactly, rounded half up to 40.63');
SELECT is((SELECT composite_rank FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901301'),
    2, 'ranked on the rounded composite: 40.63 after 100.00');
CREATE TEMP TABLE stored AS SELECT report.refresh_ranking('2026-10', '2026-11-30') AS run_id;
SELECT is((SELECT s.composite::text FROM stored x, report.stored_ranking(x.run_id) s
           WHERE s.code = '539901301'),
    '40.63', 'a stored ranking reads back with the exact composite');
UPDATE ref.weight SET weight = CASE figure WHEN 'coverage' THEN 0.75 ELSE 0.25 END;
SELECT is((SELECT composite::text FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901301'),
    '40.63', 'decimal weights 0.25:0.25:0.75 give the same exact 40.63');
UPDATE ref.weight SET weight = 1;
SELECT is((SELECT c FROM report.composite(1, 3, 0, 0, 1, 6, 1, 1, 0.5) c), 27.78,
    'report.composite: (100/3 + 0.5 * 100/6) / 1.5 = 27.777... rounds to 27.78');
SELECT throws_ok($$UPDATE ref.weight SET weight = 'Infinity' WHERE figure = 'service'$$, '23514', NULL,
    'an infinite weight is refused');
SELECT throws_ok($$UPDATE ref.weight SET weight = 'NaN' WHERE figure = 'service'$$, '23514', NULL,
    'NaN is refused as a weight');

SELECT * FROM finish();
ROLLBACK;
