-- report.refresh_ranking_if_changed: a stored ranking is kept when nothing
-- it counts changed, recomputed for the changed townships only when the rest
-- of its inputs are the same, and always equal to report.ranking.
BEGIN;
\ir lib/fixture.psql
SELECT plan(47);

SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇'),
       test.town('539901103', '西河乡'), test.town('539901104', '南坪镇');
SELECT test.seed_example();
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09']);
SELECT test.sub('539901103', '2026-09', 20, 20, ARRAY['market'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P7 2026-09-12']);
SELECT test.sub('539901103', '2026-10', 10, 8, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02'], ARRAY['P7 2026-09-12']);

-- Whether stored run r has exactly the rows report.ranking(P, D) returns.
CREATE FUNCTION test.equals_full(r bigint, p text, d date) RETURNS boolean LANGUAGE sql AS $$
    WITH snap AS (
        SELECT s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
               s.leader_participation, s.composite, s.composite_rank, s.service_rank,
               s.completion_rank, s.coverage_rank, s.status, s.missing_months, s.months_reported,
               s.months_expected, s.reporting_rate, s.on_time_rate, s.handled, s.evaluated, s.due,
               s.done, s.windows_walked, s.windows_listed, s.leaders_walked, s.leaders_listed,
               s.months_present, s.months_on_time
          FROM report.stored_ranking(r) s
    ), full_ranking AS (   -- the same columns, without the weights
        SELECT k.code, k.name, k.service_rate, k.completion_rate, k.walk_coverage,
               k.leader_participation, k.composite, k.composite_rank, k.service_rank,
               k.completion_rank, k.coverage_rank, k.status, k.missing_months, k.months_reported,
               k.months_expected, k.reporting_rate, k.on_time_rate, k.handled, k.evaluated, k.due,
               k.done, k.windows_walked, k.windows_listed, k.leaders_walked, k.leaders_listed,
               k.months_present, k.months_on_time
          FROM report.ranking(p, d) k
    )
    SELECT NOT EXISTS ((SELECT * FROM snap EXCEPT ALL SELECT * FROM full_ranking)
                       UNION ALL
                       (SELECT * FROM full_ranking EXCEPT ALL SELECT * FROM snap))
$$;
CREATE TABLE test.r (step text PRIMARY KEY, run_id bigint, refreshed boolean);
CREATE FUNCTION test.refresh(step text, p text, d date) RETURNS boolean LANGUAGE sql AS $$
    INSERT INTO test.r SELECT step, x.run_id, x.refreshed FROM report.refresh_ranking_if_changed(p, d) x
    RETURNING refreshed
$$;
CREATE FUNCTION test.run(step text) RETURNS bigint LANGUAGE sql AS $$
    SELECT r.run_id FROM test.r r WHERE r.step = $1
$$;

-- The first ranking of a period is computed in full.
SELECT ok(test.refresh('first', '2026-Q4', '2026-11-30'), 'the first refresh computes a ranking');
SELECT ok(test.equals_full(test.run('first'), '2026-Q4', '2026-11-30'), 'and stores report.ranking''s rows');
SELECT is((SELECT r.max_submission_id FROM facts.ranking_run r WHERE r.id = test.run('first')),
          (SELECT max(s.id) FROM facts.submission s), 'it remembers the highest submission id');

-- Nothing changed: kept.
SELECT ok(NOT test.refresh('quiet', '2026-Q4', '2026-11-30'), 'nothing changed: not refreshed');
SELECT is(test.run('quiet'), test.run('first'), 'the stored ranking is returned');
SELECT ok(NOT test.refresh('next day', '2026-Q4', '2026-12-01'::date - 2),
          'a later as-of date with the same ended months and nothing new: kept');

-- A new revision of one township: only that township is recomputed.
-- Marking an unchanged township's stored row shows it is carried over.
UPDATE facts.ranking_figure SET leaders_listed = 99
 WHERE run_id = test.run('first') AND code = '539901101';
SELECT test.sub('539901102', '2026-10', 10, 10, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02'], ARRAY['P1 2026-10-02 2026-10-20', 'P2 2026-10-03 2026-10-09'],
                2, '2026-11-06 09:00+08');
SELECT ok(test.refresh('revision', '2026-Q4', '2026-11-30'), 'a new revision refreshes the ranking');
SELECT is((SELECT s.leaders_listed FROM report.stored_figures(test.run('revision')) s
            WHERE s.code = '539901101'), 99::bigint,
          'an unchanged township''s figures are taken from the stored ranking');
SELECT results_eq($$SELECT r.base_run_id, array_agg(f.code ORDER BY f.code)
                      FROM facts.ranking_run r JOIN facts.ranking_figure f ON f.run_id = r.id
                     WHERE r.id = test.run('revision') GROUP BY r.base_run_id$$,
                  $$VALUES (test.run('first'), ARRAY['539901102'])$$,
                  'it is stored as the changed township only, on the full run');
UPDATE facts.ranking_figure SET leaders_listed = 10
 WHERE run_id IN (test.run('first'), test.run('revision')) AND code = '539901101';
SELECT ok(test.equals_full(test.run('revision'), '2026-Q4', '2026-11-30'),
          'the incremental ranking equals the full one (figures, ranks, order of ties)');
SELECT is((SELECT s.service_rank FROM report.ranking_snapshot s
            WHERE s.run_id = test.run('revision') AND s.code = '539901102'), 1,
          'the changed township''s rank moved (10/10 is now first)');

-- A revision that changes nothing the figures count (same counts): the
-- stored ranking stands, and now stands for the new submission too.
SELECT test.sub('539901102', '2026-10', 10, 10, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02'], ARRAY['P1 2026-10-02 2026-10-20', 'P2 2026-10-03 2026-10-09'],
                3, '2026-11-06 10:00+08');
SELECT ok(NOT test.refresh('same figures', '2026-Q4', '2026-11-30'),
          'a revision with the same figures: not refreshed');
SELECT is(test.run('same figures'), test.run('revision'), 'the stored ranking is returned');
SELECT is((SELECT r.max_submission_id FROM facts.ranking_run r WHERE r.id = test.run('revision')),
          (SELECT max(s.id) FROM facts.submission s), 'and it now covers the new submission');
SELECT ok(test.equals_full(test.run('revision'), '2026-Q4', '2026-11-30'), 'still equal to the full ranking');

-- A month of the ledger before P (September) changes the township's due.
SELECT test.sub('539901103', '2026-09', 20, 20, ARRAY['market'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P7 2026-09-12', 'P8 2026-09-14'], 2, '2026-11-07 09:00+08');
SELECT ok(test.refresh('ledger', '2026-Q4', '2026-11-30'), 'a revision of a month before P refreshes P');
SELECT ok(test.equals_full(test.run('ledger'), '2026-Q4', '2026-11-30'), 'and equals the full ranking');
SELECT results_eq($$SELECT r.base_run_id, count(*)
                      FROM facts.ranking_run r JOIN facts.ranking_figure f ON f.run_id = r.id
                     WHERE r.id = test.run('ledger') GROUP BY r.base_run_id$$,
                  $$VALUES (NULL::bigint, 4::bigint)$$,
                  'two of four townships would differ from the full run: stored in full');

-- A submission received after the as-of date is not counted, then is.
SELECT test.sub('539901104', '2026-10', 5, 5, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01'],
                '{}', 1, '2026-11-29 09:00+08');
SELECT ok(NOT test.refresh('future', '2026-Q4', '2026-11-28'),
          'a submission received after the as-of date changes nothing');
SELECT ok(test.refresh('later', '2026-Q4', '2026-11-30'), 'as of after its receipt it is counted');
SELECT ok(test.equals_full(test.run('later'), '2026-Q4', '2026-11-30'), 'and equals the full ranking');
SELECT is((SELECT s.status FROM report.ranking_snapshot s
            WHERE s.run_id = test.run('later') AND s.code = '539901104'), '已报送',
          '南坪镇 is now ranked');
SELECT results_eq($$SELECT r.base_run_id, array_agg(f.code ORDER BY f.code)
                      FROM facts.ranking_run r JOIN facts.ranking_figure f ON f.run_id = r.id
                     WHERE r.id = test.run('later') GROUP BY r.base_run_id$$,
                  $$VALUES (test.run('ledger'), ARRAY['539901104'])$$,
                  'stored as that township only, on the full run before it');

-- Back to an earlier as-of date: what was received since is not counted.
SELECT ok(test.refresh('earlier', '2026-Q4', '2026-11-06'), 'an earlier as-of date refreshes');
SELECT ok(test.equals_full(test.run('earlier'), '2026-Q4', '2026-11-06'),
          'and equals the full ranking as of that date (revisions received after it dropped)');

-- Weights, registry: everything recomputed, still equal.
UPDATE ref.weight SET weight = 2 WHERE figure = 'coverage';
SELECT ok(test.refresh('weights', '2026-Q4', '2026-12-20'), 'changed weights refresh the ranking');
SELECT ok(test.equals_full(test.run('weights'), '2026-Q4', '2026-12-20'), 'and it equals the full ranking');
SELECT test.town('539901105', '北岭乡');
SELECT ok(test.refresh('registry', '2026-Q4', '2026-12-20'), 'a new township refreshes the ranking');
SELECT ok(test.equals_full(test.run('registry'), '2026-Q4', '2026-12-20'),
          'and it equals the full ranking (北岭乡 未报送)');

-- The three rankings read the same figures: ranking = rank_figures(figures).
SELECT ok(test.equals_full(report.refresh_ranking('2026', '2026-12-20'), '2026', '2026-12-20'),
          'report.refresh_ranking stores report.ranking''s rows');
SELECT is((SELECT count(*) FROM report.township_figures('2026-Q4', '2026-12-20', ARRAY['539901102'])),
          1::bigint, 'township_figures with codes computes only those townships');

-- A township that no longer counts: a delta cannot drop it, so the run is
-- stored in full. 北岭乡 and six more townships; 中和乡 is inactive and
-- counts only by its October submission, received 10 November.
SELECT test.town('539901106', '中和乡', false), test.town('539901107', '东岭乡'),
       test.town('539901108', '西岭乡'), test.town('539901109', '上河乡'),
       test.town('539901110', '下河乡'), test.town('539901111', '前山乡');
SELECT test.sub('539901106', '2026-10', 8, 8, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01'],
                '{}', 1, '2026-11-10 09:00+08');
SELECT ok(test.refresh('oct', '2026-10', '2026-12-20'), 'October as of 20 December');
SELECT is((SELECT status FROM report.stored_figures(test.run('oct')) WHERE code = '539901106'),
          '已报送', '中和乡 is ranked by its submission');
SELECT ok(test.refresh('oct back', '2026-10', '2026-11-08'), 'October as of 8 November');
SELECT results_eq($$SELECT r.base_run_id, count(*), bool_or(f.code = '539901106')
                      FROM facts.ranking_run r JOIN facts.ranking_figure f ON f.run_id = r.id
                     WHERE r.id = test.run('oct back') GROUP BY r.base_run_id$$,
                  $$VALUES (NULL::bigint, 10::bigint, false)$$,
                  '中和乡 no longer counts: stored in full, without it');
SELECT ok(test.equals_full(test.run('oct back'), '2026-10', '2026-11-08'), 'and equals the full ranking');
SELECT ok(test.refresh('oct again', '2026-10', '2026-12-20'), 'October as of 20 December again');
SELECT results_eq($$SELECT r.base_run_id, array_agg(f.code ORDER BY f.code)
                      FROM facts.ranking_run r JOIN facts.ranking_figure f ON f.run_id = r.id
                     WHERE r.id = test.run('oct again') GROUP BY r.base_run_id$$,
                  $$VALUES (test.run('oct back'), ARRAY['539901104', '539901106'])$$,
                  'two of ten differ: a delta, with the township that counts again');
SELECT ok(test.equals_full(test.run('oct again'), '2026-10', '2026-12-20'), 'and equals the full ranking');
SELECT is((SELECT count(*) FROM report.ranking_snapshot s WHERE s.run_id = test.run('oct again')),
          11::bigint, 'report.ranking_snapshot shows every township of a delta run');

-- A month before P counts only through the problem ledger of a township
-- with a submission in P: for another township it changes nothing.
SELECT ok(test.refresh('nov', '2026-11', '2026-12-20'), 'November as of 20 December');
SELECT test.sub('539901107', '2026-10', 5, 5, ARRAY['market'], ARRAY['L01'], ARRAY['L01@W01'],
                ARRAY['P9 2026-10-05'], 1, '2026-12-10 09:00+08');
SELECT ok(NOT test.refresh('nov kept', '2026-11', '2026-12-20'),
          'an October submission of a township with none for November: November kept');
SELECT ok(test.equals_full(test.run('nov kept'), '2026-11', '2026-12-20'), 'and it equals the full ranking');
SELECT is((SELECT r.max_submission_id FROM facts.ranking_run r WHERE r.id = test.run('nov kept')),
          (SELECT max(s.id) FROM facts.submission s), 'the kept ranking now covers it');

-- Several periods at once (the nightly's call): each once, in the order
-- first named; the quarter in full (the registry grew), October again
-- (东岭乡's October), November kept.
CREATE TABLE test.batch AS
SELECT * FROM report.refresh_rankings_if_changed(ARRAY['2026-Q4', '2026-10', '2026-11', '2026-Q4'],
                                                 '2026-12-20');
SELECT results_eq($$SELECT period, refreshed FROM test.batch$$,
                  $$VALUES ('2026-Q4', true), ('2026-10', true), ('2026-11', false)$$,
                  'several periods at once: each once, in order, refreshed where something changed');
SELECT ok((SELECT bool_and(test.equals_full(b.run_id, b.period, '2026-12-20')) FROM test.batch b),
          'and each equals its full ranking');
SELECT is((SELECT b.run_id FROM test.batch b WHERE b.period = '2026-11'), test.run('nov kept'),
          'the kept one is the stored run');

SELECT * FROM finish();
ROLLBACK;
