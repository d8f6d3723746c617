-- Analysts cannot harm the night, and the dictionary covers what they read:
-- SECURITY DEFINER functions pin their search_path, none an analyst may
-- call can write, bizenv_analyst creates nothing but temporary tables, the
-- analyst functions make exactly the role they say (sql/meta/analysts.sql),
-- every result column has a meaning, every example query runs.
BEGIN;
\ir lib/fixture.psql
SELECT plan(27);

-- whether a query runs for the current role (its rows are discarded)
CREATE FUNCTION test.runs(q text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE regexp_replace(q, ';\s*$', '');
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'example failed: %', SQLERRM;
    RETURN false;
END
$$;
GRANT USAGE ON SCHEMA test TO bizenv_analyst;

SELECT test.town('539901101', '示例乡');
SELECT test.town('539901102', '东山镇');
SELECT test.seed_example();
SELECT test.sub('539901102', '2026-10', 20, 15, ARRAY['market'], '{L01}', '{L01@W01}', '{"P1 2026-10-02"}');
SELECT report.refresh_ranking('2026-10', '2026-11-30');

-- every SECURITY DEFINER function of bizenv's, in any of its schemas
SELECT is(
    (SELECT string_agg(p.oid::regprocedure::text, ', ')
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('ref', 'raw', 'staging', 'facts', 'load', 'meta', 'report')
       AND p.prosecdef
       AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)),
    NULL, 'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp (pg_temp last)');
SELECT cmp_ok(
    (SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('ref', 'raw', 'staging', 'facts', 'load', 'meta', 'report') AND p.prosecdef),
    '>', 20, 'and there are such functions to check');
SELECT is(
    (SELECT string_agg(p.oid::regprocedure::text, ', ')
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('ref', 'raw', 'staging', 'facts', 'load', 'meta', 'report')
       AND p.prosecdef AND p.provolatile = 'v'
       AND has_function_privilege('bizenv_analyst', p.oid, 'EXECUTE')
       AND has_schema_privilege('bizenv_analyst', n.oid, 'USAGE')),
    NULL, 'no SECURITY DEFINER function an analyst may call is VOLATILE (none can write for them)');

-- no CREATE anywhere; temporary tables allowed
SELECT is(
    (SELECT string_agg(nspname, ', ') FROM pg_namespace
     WHERE has_schema_privilege('bizenv_analyst', oid, 'CREATE')
       AND nspname !~ '^pg_(toast_)?temp_'),
    NULL, 'bizenv_analyst may create in no schema');
SELECT ok(NOT has_database_privilege('bizenv_analyst', current_database(), 'CREATE'),
    'bizenv_analyst may not create schemas');
SELECT ok(has_database_privilege('bizenv_analyst', current_database(), 'TEMPORARY')
          AND has_database_privilege('bizenv_analyst', current_database(), 'CONNECT'),
    'bizenv_analyst may connect and make temporary tables');
SELECT ok(NOT has_schema_privilege('public', 'public', 'CREATE'),
    'PUBLIC may not create in schema public (migration 092)');
SELECT is(
    (SELECT string_agg(c.relname, ', ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'report' AND c.relkind = 'v'
       AND NOT has_table_privilege('bizenv_analyst', c.oid, 'SELECT')),
    NULL, 'bizenv_analyst reads every view of report');
SELECT is(
    (SELECT string_agg(c.relname || ':' || p.priv, ', ')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(priv)
     WHERE n.nspname IN ('ref', 'raw', 'staging', 'facts', 'load', 'meta', 'report', 'public')
       AND c.relkind IN ('r', 'v', 'p', 'm') AND has_table_privilege('bizenv_analyst', c.oid, p.priv)),
    NULL, 'bizenv_analyst may write no table or view');
SELECT is(
    (SELECT string_agg(p.oid::regprocedure::text, ', ')
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'meta' AND p.proname LIKE 'analyst%'
       AND has_function_privilege('bizenv_analyst', p.oid, 'EXECUTE')),
    NULL, 'an analyst may not call the analyst functions');

-- the analyst functions, on a role of this test's own (rolled back)
SELECT 'ana_' || substr(md5(random()::text || clock_timestamp()::text), 1, 12) AS name \gset
SELECT lives_ok(format($$SELECT meta.analyst_create(%L, %L, '2027-06-30', 3, 60000, 120000, 1048576)$$,
                       :'name', 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$QUJD:REVG'),
    'meta.analyst_create makes a role');
SELECT ok(meta.analyst_is(:'name'), 'it is an analyst');
SELECT results_eq(
    format($$SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
                    rolconnlimit, rolvaliduntil FROM pg_roles WHERE rolname = %L$$, :'name'),
    $$VALUES (true, false, false, false, false, false, 3, report.as_of_cutoff('2027-06-30'))$$,
    'a login with no other power, its connection limit, valid through the end of its day');
SELECT ok(pg_has_role(:'name', 'bizenv_analyst', 'MEMBER'), 'a member of bizenv_analyst');
SELECT set_eq(
    format($$SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
             WHERE r.rolname = %L AND s.setdatabase = 0$$, :'name'),
    ARRAY['statement_timeout=60000', 'idle_in_transaction_session_timeout=120000',
          'default_transaction_read_only=on', 'TimeZone=Asia/Shanghai', 'temp_file_limit=1048576kB'],
    'its sessions start with the timeouts, read-only, the county time zone and temp_file_limit');
SELECT throws_ok(format($$SELECT meta.analyst_create(%L, 'x', NULL, 1, 1000, 1000, 1024)$$, :'name'),
    '42710', NULL, 'a second role of the same name is refused');
SELECT throws_ok($$SELECT meta.analyst_password('bizenv_loader', 'x', false, NULL, 1, 1000, 1000, 1024)$$,
    'P0002', NULL, 'the loader is no analyst: its password is not bizenv analyst''s to change');
SELECT throws_ok($$SELECT meta.analyst_drop(current_user)$$, 'P0002', NULL,
    'the owner is no analyst: it cannot be removed');
SELECT lives_ok(format($$SELECT meta.analyst_password(%L, 'SCRAM-SHA-256$4096:c2FsdA==$QQ==:Qg==', true, NULL, 3, 1000, 1000, 1024)$$,
                       :'name'),
    'meta.analyst_password sets a new verifier and a new expiry');
SELECT is((SELECT rolvaliduntil FROM pg_roles WHERE rolname = :'name'), 'infinity'::timestamptz,
    'no expiry: valid until infinity');
SELECT is(meta.analyst_drop(:'name'), 0, 'meta.analyst_drop removes it');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name'), 'the role is gone');

-- the dictionary's own data
SELECT is(
    (SELECT string_agg(p.oid::regprocedure::text || '.' || o.name, ', ')
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     CROSS JOIN LATERAL unnest(p.proargmodes, p.proargnames) AS o(mode, name)
     WHERE n.nspname = 'report' AND o.mode IN ('o', 't', 'b')
       AND has_function_privilege('bizenv_analyst', p.oid, 'EXECUTE')
       AND NOT EXISTS (SELECT 1 FROM report.result_column rc
                       WHERE rc.function = p.oid::regprocedure::text AND rc.column_name = o.name
                         AND rc.meaning ~ '[一-龥]')),
    NULL, 'every column a report function returns as a table has a Chinese meaning');
SELECT is(
    (SELECT string_agg(t.typname || '.' || a.attname, ', ')
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     JOIN pg_type t ON t.oid = p.prorettype AND t.typtype = 'c'
     JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0
     WHERE n.nspname = 'report' AND has_function_privilege('bizenv_analyst', p.oid, 'EXECUTE')
       AND coalesce(col_description(t.typrelid, a.attnum), '') !~ '[一-龥]'),
    NULL, 'every column of the row types report functions return has a Chinese comment');
SELECT is(
    (SELECT string_agg(rc.function || '.' || rc.column_name, ', ')
     FROM report.result_column rc
     WHERE NOT EXISTS (
         SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         CROSS JOIN LATERAL unnest(p.proargmodes, p.proargnames) AS o(mode, name)
         WHERE n.nspname = 'report' AND p.oid::regprocedure::text = rc.function
           AND o.mode IN ('o', 't', 'b') AND o.name = rc.column_name)),
    NULL, 'report.result_column names only columns that exist');
SELECT is((SELECT count(*)::int FROM report.example), 10, 'ten example queries');

-- each example runs as an analyst (tests/db/070_analysts.t runs them again,
-- from the dictionary, over TLS)
SET LOCAL ROLE bizenv_analyst;
SELECT is(
    (SELECT string_agg(e.ord::text, ', ')
     FROM report.example e
     WHERE NOT test.runs(e.query)),
    NULL, 'every example query runs under bizenv_analyst');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
