-- One shape per concept: a ranked row is report.ranking_row, a unit's
-- figures report.figure (and a stored figure row is run_id and those), the
-- county's time zone is read in one place, and stored rankings compare as
-- whole published rows.
BEGIN;
\ir lib/fixture.psql
SELECT plan(13);

SELECT is(
    (SELECT string_agg(p.proname, ', ' ORDER BY p.proname)
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'report' AND p.prorettype = 'report.ranking_row'::regtype AND p.proretset),
    'county_ranking, rank_figures, ranking, stored_ranking, township_ranking',
    'the rankings return report.ranking_row');
SELECT is(
    (SELECT string_agg(p.oid::regprocedure::text, ', ')
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname IN ('report', 'facts', 'load', 'meta') AND 'composite_rank' = ANY (p.proargnames)),
    NULL, 'no function declares the ranked row''s columns itself');
SELECT is(
    (SELECT array_agg(a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
       FROM pg_attribute a
      WHERE a.attrelid = 'facts.ranking_figure'::regclass AND a.attnum > 1 AND NOT a.attisdropped),
    (SELECT array_agg(a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
       FROM pg_attribute a
      WHERE a.attrelid = (SELECT t.typrelid FROM pg_type t WHERE t.oid = 'report.figure'::regtype)),
    'a stored figure row is run_id, then report.figure''s attributes in order');
SELECT is(
    (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
      WHERE a.attrelid = (SELECT t.typrelid FROM pg_type t WHERE t.oid = 'report.ranking_row'::regtype)
        AND a.attname::text IN (SELECT b.attname::text FROM pg_attribute b
                                 WHERE b.attrelid = (SELECT t.typrelid FROM pg_type t
                                                      WHERE t.oid = 'report.figure'::regtype))),
    (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
      WHERE a.attrelid = (SELECT t.typrelid FROM pg_type t WHERE t.oid = 'report.figure'::regtype)),
    'a ranked row carries every figure, in the same order');

-- The zone: named only where it is read.
SELECT is(
    (SELECT string_agg(p.oid::regprocedure::text, ', ')
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname IN ('report', 'facts', 'load', 'meta')
        AND (p.prosrc LIKE '%Asia/%' OR pg_get_function_arguments(p.oid) LIKE '%Asia/%')
        AND p.oid <> 'report.county_timezone()'::regprocedure),
    NULL, 'no function but report.county_timezone names a time zone');
SELECT is(
    (SELECT string_agg(c.oid::regclass::text, ', ')
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'report' AND c.relkind = 'v' AND pg_get_viewdef(c.oid) LIKE '%Asia/%'),
    NULL, 'no view names a time zone');
SELECT is(report.today(), (now() AT TIME ZONE 'Asia/Shanghai')::date,
    'today is the day in Asia/Shanghai by default');
SELECT is(report.as_of_cutoff('2026-11-05'), '2026-11-06 00:00+08'::timestamptz,
    'the end of a day is the next midnight in the county');
SELECT is(report.deadline('2026-10-01'), report.as_of_cutoff('2026-11-05'),
    'a month''s deadline is the end of the 5th of the next month');
UPDATE ref.setting SET value = 'America/Lima' WHERE key = 'timezone';
SELECT is(report.as_of_cutoff('2026-11-05'), '2026-11-06 00:00-05'::timestamptz,
    'the end of a day follows the county''s time zone');
SELECT is(report.today(), (now() AT TIME ZONE 'America/Lima')::date,
    'and so does today');
UPDATE ref.setting SET value = 'Asia/Shanghai' WHERE key = 'timezone';

-- Stored rankings compare by what an export shows of them.
SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇');
CREATE TEMP TABLE runs AS
SELECT report.store_ranking('2026-10', '2026-11-30', ARRAY[
           ROW('539901101', '示例乡', 0.9, NULL, NULL, NULL, '已报送', '{}', 1, 1,
               10, 9, 0, 0, 0, 0, 0, 0, 1, 1)::report.figure]) AS a,
       report.store_ranking('2026-10', '2026-12-31', ARRAY[
           ROW('539901101', '示例乡', 0.90, NULL, NULL, NULL, '已报送', '{}', 1, 1,
               20, 18, 0, 0, 0, 0, 0, 0, 1, 1)::report.figure]) AS b;
SELECT is((SELECT meta.rankings_differ(a, b) FROM runs), false,
    'the same rates from other counts: the published ranking is the same');
UPDATE ref.weight SET weight = 2 WHERE figure = 'service';
SELECT is((SELECT meta.rankings_differ(a, report.store_ranking('2026-10', '2026-12-31',
               ARRAY(SELECT f FROM report.stored_figures(a) f))) FROM runs), true,
    'other weights: it differs');

SELECT * FROM finish();
ROLLBACK;
