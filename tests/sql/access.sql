-- The analyst role: report only, no facts/raw, no personal data; every column documented.
BEGIN;
\ir lib/fixture.psql
SELECT plan(23);

SELECT test.town('539901101', '示例乡');
SELECT test.seed_example();
SELECT report.refresh_ranking('2026-10', '2026-11-30');
SELECT meta.run_begin('nightly', '2026-11-30', 'host-a', 4242, 'bizenv test');

SET LOCAL ROLE bizenv_analyst;
SELECT results_eq($$SELECT composite FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES (93.37)$$, 'bizenv_analyst can call report.ranking');
SELECT lives_ok($$SELECT * FROM report.county_summary('2026-10', '2026-11-30')$$,
    'bizenv_analyst can call report.county_summary');
SELECT is((SELECT count(*)::int FROM report.submission), 1, 'bizenv_analyst reads report.submission');
SELECT is((SELECT count(*)::int FROM report.walk), 23, 'bizenv_analyst reads report.walk');
SELECT lives_ok($$SELECT * FROM report.receipt$$, 'bizenv_analyst reads report.receipt');
SELECT results_eq($$SELECT kind, status, build_version FROM report.run$$,
    $$VALUES ('nightly', 'running', 'bizenv test')$$, 'bizenv_analyst reads the runs (bizenv runs)');
SELECT throws_ok($$SELECT * FROM meta.run$$, '42501', NULL, 'but not meta.run itself');
SELECT throws_ok($$SELECT * FROM facts.submission$$, '42501', NULL, 'bizenv_analyst cannot read facts.submission');
SELECT throws_ok($$SELECT * FROM facts.problem$$, '42501', NULL, 'bizenv_analyst cannot read facts.problem');
SELECT throws_ok($$SELECT * FROM raw.file$$, '42501', NULL, 'bizenv_analyst cannot read raw.file');
SELECT throws_ok($$SELECT * FROM ref.weight$$, '42501', NULL, 'bizenv_analyst cannot read ref.weight');
SELECT throws_ok($$SELECT report.refresh_ranking('2026-10', '2026-11-30')$$, '42501', NULL,
    'bizenv_analyst cannot store rankings');
SELECT results_eq($$SELECT code, composite, composite_rank FROM report.ranking_snapshot$$,
    $$VALUES ('539901101', 93.37, 1)$$, 'bizenv_analyst reads stored rankings, ranked');
SELECT throws_ok($$SELECT * FROM facts.ranking_figure$$, '42501', NULL,
    'bizenv_analyst cannot read facts.ranking_figure');
SELECT throws_ok($$SELECT report.store_figures(1, '{}')$$, '42501', NULL,
    'bizenv_analyst cannot store figures');
RESET ROLE;

SELECT hasnt_column('report', 'submission', 'contact_phone', 'report.submission has no contact_phone');
SELECT hasnt_column('report', 'submission', 'contact_name', 'report.submission has no contact name');
SELECT is((SELECT string_agg(column_name, ',') FROM information_schema.columns
           WHERE table_schema = 'report' AND table_name = 'run'
             AND column_name IN ('host', 'pid', 'summary_path')), NULL,
    'report.run shows no host, process id or summary path');
SELECT is((SELECT count(*)::int FROM information_schema.columns
           WHERE table_schema = 'report' AND column_name LIKE 'contact%'), 0,
    'no report view exposes contact data');
SELECT is(
    (SELECT string_agg(c.relname || '.' || a.attname, ', ')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = 'report' AND c.relkind = 'v'
       AND coalesce(col_description(c.oid, a.attnum), '') !~ '[一-龥]'),
    NULL, 'every column of every report view has a Chinese comment');
SELECT is(
    (SELECT string_agg(p.proname, ', ') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'report' AND p.prokind = 'f'
       AND NOT (p.prosecdef AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'])
       AND p.proname NOT IN ('period_bounds', 'township_figures_of', 'composite')),
    NULL, 'report functions are SECURITY DEFINER with a fixed search_path');
SELECT ok(NOT has_function_privilege('bizenv_analyst',
              'report.township_figures_of(date, date, date[], timestamptz, date, text[])', 'EXECUTE')
          AND NOT has_function_privilege('bizenv_loader',
              'report.township_figures_of(date, date, date[], timestamptz, date, text[])', 'EXECUTE'),
    'the inlined figures query (not SECURITY DEFINER) runs only inside the report functions');
SELECT ok(NOT has_function_privilege('public', 'report.ranking(text, date)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'report.refresh_ranking(text, date)', 'EXECUTE'),
    'PUBLIC cannot execute report functions');

SELECT * FROM finish();
ROLLBACK;
