-- report.county_summary and report.refresh_ranking.
BEGIN;
\ir lib/fixture.psql
SELECT plan(13);

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

SELECT * FROM finish();
ROLLBACK;
