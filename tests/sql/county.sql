-- report.county_summary and report.refresh_ranking.
BEGIN;
\ir lib/fixture.psql
SELECT plan(16);

SELECT test.town('539901101', '示例乡'), test.town('539901102', '东山镇'),
       test.town('539901103', '西河乡'), test.town('539901104', '南坪镇');
SELECT test.seed_example();                                   -- 30/31, 7/7, 10/12; on time
-- 东山镇: 9/10, 1 of 2 due done, 1 of 2 windows walked; late (received 7 Nov).
SELECT test.sub('539901102', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01'], ARRAY['P1 2026-10-02', 'P2 2026-10-03 2026-10-09'], 1,
                '2026-11-07 10:00+08');
-- 西河乡: 9/10 too (ties 东山镇 on service), no problems, 2 of 2 windows; revision 2 current.
SELECT test.sub('539901103', '2026-10', 10, 1, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02']);
SELECT test.sub('539901103', '2026-10', 10, 9, ARRAY['market', 'agri'], ARRAY['L01'],
                ARRAY['L01@W01', 'L01@W02'], '{}', 2, '2026-11-04 10:00+08');
-- 南坪镇: nothing.

SELECT results_eq(
    $$SELECT townships_listed, townships_expected, townships_reported, townships_complete, townships_on_time
      FROM report.county_summary('2026-10', '2026-11-30')$$,
    $$VALUES (4, 4, 3, 3, 2)$$, 'townships listed / expected / reported / complete / on time');
SELECT results_eq(
    $$SELECT handled, evaluated, service_rate, due, done, completion_rate,
             windows_walked, windows_listed, walk_coverage
      FROM report.county_summary('2026-10', '2026-11-30')$$,
    $$VALUES (51::bigint, 48::bigint, 48::numeric / 51, 9::bigint, 8::bigint, 8::numeric / 9,
              13::bigint, 16::bigint, 13::numeric / 16)$$,
    'county-wide figures pool the counts (sum over sum), not the township rates');
SELECT is((SELECT composite FROM report.county_summary('2026-10', '2026-11-30')),
    round(100 * (48::numeric / 51 + 8::numeric / 9 + 13::numeric / 16) / 3, 2),
    'county composite from the pooled figures');
SELECT results_eq(
    $$SELECT best_service_code, best_service_name, worst_service_code, worst_service_name
      FROM report.county_summary('2026-10', '2026-11-30')$$,
    $$VALUES ('539901101', '示例乡', '539901102', '东山镇')$$,
    'service: best 示例乡 96.77; worst a tie at 90.00 goes to the lowest code');
SELECT results_eq(
    $$SELECT best_completion_code, worst_completion_code, best_coverage_code, worst_coverage_code,
             best_composite_code, worst_composite_code
      FROM report.county_summary('2026-10', '2026-11-30')$$,
    $$VALUES ('539901101', '539901102', '539901103', '539901102', '539901103', '539901102')$$,
    'best and worst per figure; NULL figures are skipped');

-- Rejections and warnings.
INSERT INTO raw.file (sha256, size, original_name, received_at, archive_path)
VALUES (repeat('a', 64), 1, 'x.zip', '2026-11-02', 'a'), (repeat('b', 64), 1, 'y.zip', '2026-11-02', 'b');
INSERT INTO raw.receipt (file_sha256, township_code, period, revision, outcome, codes, body, created_at)
VALUES (repeat('a', 64), '539901104', '2026-10-01', 1, 'rejected', '{E_EVAL_EXCEEDS}', '回执', '2026-11-02 10:00+08'),
       (repeat('a', 64), '539901104', '2026-10-01', 2, 'rejected', '{E_XML_SCHEMA}', '回执', '2026-12-02 10:00+08'),
       (repeat('a', 64), '539901104', '2026-09-01', 1, 'rejected', '{E_XML_SCHEMA}', '回执', '2026-10-02 10:00+08'),
       (repeat('a', 64), '539901101', '2026-10-01', 1, 'accepted', '{}', '回执', '2026-11-03 10:00+08'),
       (repeat('b', 64), NULL, NULL, NULL, 'rejected', '{E_ZIP_CORRUPT}', '回执', '2026-10-15 10:00+08'),
       (repeat('b', 64), NULL, NULL, NULL, 'rejected', '{E_ZIP_CORRUPT}', '回执', '2026-11-15 10:00+08');
INSERT INTO facts.warning (submission_id, ord, code, message)
SELECT s.id, 1, 'W_RATE_MISMATCH', '自报评价率不符' FROM facts.submission s WHERE s.township_code <> '539901104';

SELECT is((SELECT rejected_submissions FROM report.county_summary('2026-10', '2026-11-30')), 2::bigint,
    'rejected: one for October by 30 November, one unreadable file received in October');
SELECT is((SELECT rejected_submissions FROM report.county_summary('2026-10', '2026-12-31')), 3::bigint,
    'a later rejection for October counts once it is before the as-of date');
SELECT is((SELECT warnings FROM report.county_summary('2026-10', '2026-11-30')), 3::bigint,
    'warnings of the current revisions only (西河乡 revision 1 is superseded)');

SELECT throws_ok($$SELECT * FROM report.county_summary('2026-Q9', '2026-11-30')$$, '22023', NULL,
    'county summary rejects a bad period');

-- Snapshots record the weights used.
UPDATE ref.weight SET weight = 3 WHERE figure = 'service';
SELECT lives_ok($$SELECT report.refresh_ranking('2026-10', '2026-11-30')$$, 'refresh_ranking stores a ranking');
SELECT results_eq(
    $$SELECT period, as_of, w_service, w_completion, w_coverage FROM facts.ranking_run$$,
    $$VALUES ('2026-10', '2026-11-30'::date, 3::numeric, 1::numeric, 1::numeric)$$,
    'the run records period, as-of date and weights');
SELECT results_eq(
    $$SELECT code, composite, composite_rank, status FROM report.ranking_snapshot ORDER BY code$$,
    $$SELECT code, composite, composite_rank, status FROM report.ranking('2026-10', '2026-11-30') ORDER BY code$$,
    'the snapshot holds the ranking rows');
UPDATE ref.weight SET weight = 1 WHERE figure = 'service';
SELECT isnt((SELECT composite FROM report.ranking('2026-10', '2026-11-30') WHERE code = '539901102'),
    (SELECT composite FROM report.ranking_snapshot WHERE code = '539901102'),
    'a stored ranking keeps the figures computed with its own weights');

-- The composite is exact at the county level too (issue 13): two townships
-- pooling to service 5/8, no problem due and coverage 2/6, weights 1:1:3:
-- 40.625 exactly, rounded half up to 40.63 (the rounded rates gave 40.62).
SELECT test.town('539901105', '北岭乡'), test.town('539901106', '上坝镇');
SELECT test.sub('539901105', '2027-01', 4, 3, ARRAY['market', 'agri', 'forest'], ARRAY['L01'],
                ARRAY['L01@W01']);
SELECT test.sub('539901106', '2027-01', 4, 2, ARRAY['market', 'agri', 'forest'], ARRAY['L01'],
                ARRAY['L01@W02']);
UPDATE ref.weight SET weight = 3 WHERE figure = 'coverage';
SELECT results_eq(
    $$SELECT handled, evaluated, due, windows_walked, windows_listed, composite::text
      FROM report.county_summary('2027-01', '2027-02-28')$$,
    $$VALUES (8::bigint, 5::bigint, 0::bigint, 2::bigint, 6::bigint, '40.63')$$,
    'county composite from the pooled counts 5/8, -, 2/6 with weights 1:1:3: 40.625 rounds to 40.63');

-- ... and at a prefecture, whose ranking of counties pools each county's
-- roll-up counts the same way.
INSERT INTO ref.county (code, name) VALUES ('539901', '示例县'), ('539902', '邻县');
INSERT INTO raw.file (sha256, size, original_name, received_at, archive_path)
VALUES (repeat('c', 64), 1, '539901.adx.xml', '2026-11-06', 'c');
INSERT INTO facts.rollup (county_code, county_name_given, period, as_of, exported_at, doc_sha256,
                          file_sha256, received_at)
VALUES ('539901', '示例县', '2026-10', '2026-11-06', '2026-11-06 10:00+08', repeat('d', 64),
        repeat('c', 64), '2026-11-06 10:00+08');
INSERT INTO facts.rollup_group
SELECT r.id, g.code, g.name, '2026-10-01', 1, g.handled, g.evaluated, 0, 0, 3, g.walked, 1, 1, 1, 1, 1
FROM facts.rollup r,
     (VALUES ('539901105', '北岭乡', 4, 3, 1), ('539901106', '上坝镇', 4, 2, 1)) AS g(code, name, handled, evaluated, walked);
SELECT results_eq(
    $$SELECT code, handled, evaluated, windows_walked, windows_listed, composite::text, composite_rank
      FROM report.ranking('2026-10', '2026-11-30')$$,
    $$VALUES ('539901', 8::bigint, 5::bigint, 2::bigint, 6::bigint, '40.63', 1),
             ('539902', 0::bigint, 0::bigint, 0::bigint, 0::bigint, NULL, NULL)$$,
    'prefecture: the county pooled to 5/8, -, 2/6 scores 40.63');
SELECT is((SELECT composite::text FROM report.county_summary('2026-10', '2026-11-30')), '40.63',
    'prefecture summary: the pooled counts of its counties, 40.63');
UPDATE ref.weight SET weight = 1;

SELECT * FROM finish();
ROLLBACK;
