-- facts.walk_summary (sql/facts/walk_summary.sql) stays what facts.walk says, whatever changes
-- the walks: inserts one by one or many at once, updates, deletes, truncate.
BEGIN;
\ir lib/fixture.psql
SELECT plan(9);

-- What the summary must hold, computed from facts.walk itself.
CREATE FUNCTION test.summary_from_walks()
RETURNS TABLE (submission_id bigint, windows text[], leaders text[]) LANGUAGE sql AS $$
    SELECT k.submission_id, array_agg(DISTINCT k.window_id ORDER BY k.window_id),
           array_agg(DISTINCT k.leader_id ORDER BY k.leader_id)
    FROM facts.walk k GROUP BY k.submission_id
$$;
CREATE FUNCTION test.summary_matches() RETURNS boolean LANGUAGE sql AS $$
    SELECT NOT EXISTS (SELECT * FROM facts.walk_summary EXCEPT SELECT * FROM test.summary_from_walks())
       AND NOT EXISTS (SELECT * FROM test.summary_from_walks() EXCEPT SELECT * FROM facts.walk_summary)
$$;

SELECT test.town('539901101', '示例乡');
SELECT test.town('539901102', '东山镇');
-- walks inserted one statement each (the fixture), two submissions
SELECT test.sub('539901101', '2026-10', 10, 10, ARRAY['market', 'forest', 'agri'], ARRAY['L01', 'L02'],
                ARRAY['L01@W01', 'L02@W01', 'L01@W03']) AS a \gset
SELECT test.sub('539901102', '2026-10', 10, 10, ARRAY['market', 'forest'], ARRAY['L01'],
                ARRAY['L01@W02']) AS b \gset
SELECT test.sub('539901102', '2026-09', 10, 10, ARRAY['market'], ARRAY['L01']) AS c \gset

SELECT results_eq(
    $$SELECT submission_id, windows, leaders FROM facts.walk_summary ORDER BY submission_id$$,
    format($$VALUES (%s::bigint, '{W01,W03}'::text[], '{L01,L02}'::text[]),
                    (%s::bigint, '{W02}'::text[], '{L01}'::text[])$$, :'a', :'b'),
    'one row per submission with walks: the distinct windows and leaders named, sorted');
SELECT is((SELECT count(*) FROM facts.walk_summary WHERE submission_id = :c), 0::bigint,
    'a submission without walks has no row');

-- many rows in one statement (as the loader's COPY)
INSERT INTO facts.walk (submission_id, ord, leader_id, window_id, walk_date)
VALUES (:b, 2, 'L01', 'W01', '2026-10-02'), (:b, 3, 'L01', 'W02', '2026-10-03');
SELECT ok(test.summary_matches(), 'after a multi-row insert');
SELECT is((SELECT windows FROM facts.walk_summary WHERE submission_id = :b), '{W01,W02}'::text[],
    'the new window is added once');

UPDATE facts.walk SET window_id = 'W02' WHERE submission_id = :a AND window_id = 'W03';
SELECT ok(test.summary_matches(), 'after an update');

DELETE FROM facts.walk WHERE submission_id = :a AND leader_id = 'L02';
SELECT is((SELECT leaders FROM facts.walk_summary WHERE submission_id = :a), '{L01}'::text[],
    'a leader no longer named by any walk is dropped');

DELETE FROM facts.walk WHERE submission_id = :b;
SELECT is((SELECT count(*) FROM facts.walk_summary WHERE submission_id = :b), 0::bigint,
    'a submission whose walks are all deleted loses its row');
SELECT ok(test.summary_matches(), 'after deletes');

TRUNCATE facts.walk;
SELECT is((SELECT count(*) FROM facts.walk_summary), 0::bigint, 'TRUNCATE empties it');

SELECT * FROM finish();
ROLLBACK;
