-- Analyst logins (bizenv analyst add|list|remove|passwd, load/analyst.c).
--
-- An analyst is a login role that is a direct member of bizenv_analyst and
-- holds no other power (not a superuser, cannot create roles or databases,
-- replicate or bypass row security): it reads the report schema and
-- nothing else. Roles are the server's, not the database's: an analyst can
-- reach every bizenv database on the server that grants bizenv_analyst.
--
-- The functions take the name and the SCRAM-SHA-256 verifier as values and
-- put them into the role statements with format() (%I, %L): the password
-- itself never reaches the server (the client computes the verifier, libpq
-- PQencryptPasswordConn), and the statements run inside a function, which
-- log_statement does not log. An error in them is raised again without the
-- statement as its context, so pg.log never holds a verifier either.
-- They run with the caller's rights (SECURITY INVOKER): only the owner may
-- call them, and creating roles needs CREATEROLE (the embedded cluster's
-- owner is a superuser).
--
-- Per role, so an analyst's session starts with them (ALTER ROLE ... SET):
-- statement_timeout, idle_in_transaction_session_timeout, temp_file_limit
-- (only a superuser, or a role granted SET on it, may set that one; an
-- analyst cannot raise it) and default_transaction_read_only (writes to
-- anything but temporary tables are refused by the grants anyway), and
-- TimeZone, the county's. The connection limit is the role's CONNECTION
-- LIMIT.

-- Whether name is an analyst bizenv may change or remove.
CREATE FUNCTION meta.analyst_is(p_name text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
        FROM pg_roles r
        JOIN pg_auth_members m ON m.member = r.oid
        JOIN pg_roles g ON g.oid = m.roleid AND g.rolname = 'bizenv_analyst'
        WHERE r.rolname = p_name AND r.rolcanlogin
          AND NOT (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication
                   OR r.rolbypassrls))
$$;
COMMENT ON FUNCTION meta.analyst_is(text) IS
    'whether the role is an analyst login bizenv manages: LOGIN, a direct member of bizenv_analyst, no other power';

-- Runs one role statement; an error comes back without the statement
-- (which may hold a verifier) as its context.
CREATE FUNCTION meta.analyst_exec(p_sql text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE p_sql;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM, DETAIL = detail;
END
$$;
COMMENT ON FUNCTION meta.analyst_exec(text) IS
    'runs one role statement of the analyst functions; an error is raised again without the statement text';

-- The limits every analyst session starts with. Returns the settings that
-- could not be set (temp_file_limit, for an owner that may not set it).
CREATE FUNCTION meta.analyst_limits(p_name text, p_connections int, p_statement_ms bigint,
                                    p_idle_ms bigint, p_temp_kb bigint)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    skipped text[] := '{}';
BEGIN
    PERFORM meta.analyst_exec(format('ALTER ROLE %I CONNECTION LIMIT %s', p_name, p_connections));
    PERFORM meta.analyst_exec(format('ALTER ROLE %I SET statement_timeout = %L', p_name,
                                     p_statement_ms::text));
    PERFORM meta.analyst_exec(format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L',
                                     p_name, p_idle_ms::text));
    PERFORM meta.analyst_exec(format('ALTER ROLE %I SET default_transaction_read_only = on',
                                     p_name));
    -- times shown in the county's zone, as everything bizenv prints
    PERFORM meta.analyst_exec(format('ALTER ROLE %I SET TimeZone = %L', p_name,
                                     report.county_timezone()));
    IF has_parameter_privilege('temp_file_limit', 'SET') THEN
        PERFORM meta.analyst_exec(format('ALTER ROLE %I SET temp_file_limit = %L', p_name,
                                         p_temp_kb::text || 'kB'));
    ELSE
        skipped := skipped || 'temp_file_limit'::text;
    END IF;
    RETURN skipped;
END
$$;
COMMENT ON FUNCTION meta.analyst_limits(text, int, bigint, bigint, bigint) IS
    'sets an analyst''s connection limit and session settings; returns those it could not set';

-- The end of the expiry day (county time), or infinity.
CREATE FUNCTION meta.analyst_valid_until(p_expires date)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_expires IS NULL THEN 'infinity'
                ELSE report.as_of_cutoff(p_expires)::text END
$$;
COMMENT ON FUNCTION meta.analyst_valid_until(date) IS
    'VALID UNTIL of an analyst valid through the given day (its end in the county''s time zone); infinity for none';

CREATE FUNCTION meta.analyst_create(p_name text, p_verifier text, p_expires date,
                                    p_connections int, p_statement_ms bigint, p_idle_ms bigint,
                                    p_temp_kb bigint)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN
        RAISE EXCEPTION 'role "%" already exists', p_name USING ERRCODE = 'duplicate_object';
    END IF;
    PERFORM meta.analyst_exec(format(
        'CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS'
        ' INHERIT VALID UNTIL %L PASSWORD %L IN ROLE bizenv_analyst',
        p_name, meta.analyst_valid_until(p_expires), p_verifier));
    PERFORM meta.analyst_exec(format('COMMENT ON ROLE %I IS %L', p_name,
        'bizenv 分析人员账号（' || report.today()::text || ' 由 bizenv analyst add 添加）'));
    RETURN meta.analyst_limits(p_name, p_connections, p_statement_ms, p_idle_ms, p_temp_kb);
END
$$;
COMMENT ON FUNCTION meta.analyst_create(text, text, date, int, bigint, bigint, bigint) IS
    'adds an analyst login in bizenv_analyst with a SCRAM verifier, an expiry day and the limits';

-- A new password; a new expiry when p_set_expiry (p_expires NULL = none).
CREATE FUNCTION meta.analyst_password(p_name text, p_verifier text, p_set_expiry boolean,
                                      p_expires date, p_connections int, p_statement_ms bigint,
                                      p_idle_ms bigint, p_temp_kb bigint)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT meta.analyst_is(p_name) THEN
        RAISE EXCEPTION 'no analyst "%"', p_name USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM meta.analyst_exec(format('ALTER ROLE %I PASSWORD %L', p_name, p_verifier));
    IF p_set_expiry THEN
        PERFORM meta.analyst_exec(format('ALTER ROLE %I VALID UNTIL %L', p_name,
                                         meta.analyst_valid_until(p_expires)));
    END IF;
    RETURN meta.analyst_limits(p_name, p_connections, p_statement_ms, p_idle_ms, p_temp_kb);
END
$$;
COMMENT ON FUNCTION meta.analyst_password(text, text, boolean, date, int, bigint, bigint, bigint) IS
    'sets an analyst''s new SCRAM verifier (and expiry), and the current limits';

-- Removes an analyst: no new logins, its sessions ended (where this role
-- may end them), then the role. Returns the sessions ended.
CREATE FUNCTION meta.analyst_drop(p_name text)
RETURNS int
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ended int := 0;
    a record;
BEGIN
    IF NOT meta.analyst_is(p_name) THEN
        RAISE EXCEPTION 'no analyst "%"', p_name USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM meta.analyst_exec(format('ALTER ROLE %I NOLOGIN', p_name));
    FOR a IN SELECT s.pid FROM pg_stat_activity s WHERE s.usename = p_name LOOP
        BEGIN
            IF pg_terminate_backend(a.pid) THEN
                ended := ended + 1;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            NULL; -- its session ends by itself; NOLOGIN keeps it from coming back
        END;
    END LOOP;
    PERFORM meta.analyst_exec(format('DROP ROLE %I', p_name));
    RETURN ended;
END
$$;
COMMENT ON FUNCTION meta.analyst_drop(text) IS
    'removes an analyst login: NOLOGIN, its sessions ended, the role dropped';

REVOKE ALL ON FUNCTION meta.analyst_is(text), meta.analyst_exec(text),
    meta.analyst_limits(text, int, bigint, bigint, bigint), meta.analyst_valid_until(date),
    meta.analyst_create(text, text, date, int, bigint, bigint, bigint),
    meta.analyst_password(text, text, boolean, date, int, bigint, bigint, bigint),
    meta.analyst_drop(text)
    FROM PUBLIC;
