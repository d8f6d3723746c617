/* db: target selection, the session every connection gets, and how server
 * failures map to error codes. The connection tests need the run's
 * throwaway cluster (PGHOST from tests/lib/with-cluster) and create no
 * objects, so they share its database. */
/* nftw, to remove the scratch home */
#define _XOPEN_SOURCE 700

#include "../../load/cluster.h"
#include "../../load/db.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Saved PG* environment, restored after each target test. */
static char *saved[3];
static const char *const env_names[3] = {"PGHOST", "PGDATABASE", "PGSERVICE"};

static int
save_env(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(env_names[i]);
        saved[i] = v != NULL ? strdup(v) : NULL;
        unsetenv(env_names[i]);
    }
    return 0;
}

static int
restore_env(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        if (saved[i] != NULL)
            setenv(env_names[i], saved[i], 1);
        else
            unsetenv(env_names[i]);
        free(saved[i]);
        saved[i] = NULL;
    }
    return 0;
}

static void
defaults(struct settings *s)
{
    settings_defaults(s, "/nonexistent-bizenv-home");
    settings_resolve(s);
}

static void
target_is_embedded_without_configuration(void **state)
{
    (void)state;
    struct settings s;
    defaults(&s);
    assert_int_equal(db_target(&s), DB_TARGET_EMBEDDED);
}

static void
target_prefers_db_setting_over_environment(void **state)
{
    (void)state;
    struct settings s;
    defaults(&s);
    setenv("PGHOST", "/tmp", 1);
    strcpy(s.db, "dbname=x");
    assert_int_equal(db_target(&s), DB_TARGET_CONNINFO);
}

static void
target_follows_pghost_pgdatabase_or_pgservice(void **state)
{
    (void)state;
    struct settings s;
    defaults(&s);
    for (int i = 0; i < 3; i++) {
        setenv(env_names[i], "x", 1);
        assert_int_equal(db_target(&s), DB_TARGET_ENVIRONMENT);
        unsetenv(env_names[i]);
    }
    setenv("PGHOST", "", 1); /* empty counts as unset */
    assert_int_equal(db_target(&s), DB_TARGET_EMBEDDED);
}

static int
need_cluster(void)
{
    const char *h = getenv("PGHOST");
    return h != NULL && h[0] != '\0';
}

static PGconn *
connect_or_fail(const struct settings *s)
{
    struct bz_error e;
    bz_error_clear(&e);
    PGconn *conn = db_connect(s, &e);
    if (conn == NULL)
        fail_msg("db_connect: %s %s: %s", e.code, e.message, e.detail);
    return conn;
}

static void
expect_setting(PGconn *conn, const char *name, const char *want)
{
    const char *params[] = {name};
    PGresult *res =
        PQexecParams(conn, "SELECT current_setting($1)", 1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), want);
    PQclear(res);
}

static void
connection_gets_timezone_encoding_name_and_timeouts(void **state)
{
    (void)state;
    if (!need_cluster())
        skip();
    struct settings s;
    defaults(&s);
    s.statement_timeout_ms = 12000;
    s.lock_timeout_ms = 3000;
    PGconn *conn = connect_or_fail(&s);
    expect_setting(conn, "TimeZone", "Asia/Shanghai");
    expect_setting(conn, "client_encoding", "UTF8");
    expect_setting(conn, "application_name", "bizenv");
    expect_setting(conn, "statement_timeout", "12s");
    expect_setting(conn, "lock_timeout", "3s");
    expect_setting(conn, "idle_in_transaction_session_timeout", "10min");
    PQfinish(conn);
}

static void
application_name_wins_over_conninfo(void **state)
{
    (void)state;
    if (!need_cluster())
        skip();
    struct settings s;
    defaults(&s);
    strcpy(s.db, "application_name=other");
    PGconn *conn = connect_or_fail(&s);
    expect_setting(conn, "application_name", "bizenv");
    PQfinish(conn);
}

static void
unknown_database_is_E_DB_CONNECT_naming_it(void **state)
{
    (void)state;
    if (!need_cluster())
        skip();
    struct settings s;
    struct bz_error e;
    defaults(&s);
    strcpy(s.db, "dbname=nosuchdb_bz");
    bz_error_clear(&e);
    assert_null(db_connect(&s, &e));
    assert_int_equal(e.status, BZ_EDB);
    assert_string_equal(e.code, "E_DB_CONNECT");
    assert_non_null(strstr(e.message, "nosuchdb_bz"));
    assert_non_null(strstr(e.detail, "does not exist"));
    size_t n = strlen(e.detail);
    assert_true(n > 0 && e.detail[n - 1] != '\n');
}

/* Runs sql expecting failure and returns db_error's status. */
static int
fail_with(PGconn *conn, const char *sql, struct bz_error *e)
{
    bz_error_clear(e);
    PGresult *res = PQexec(conn, sql);
    assert_int_not_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    int rc = db_error(e, conn, res, "测试查询");
    PQclear(res);
    return rc;
}

static void
statement_timeout_maps_to_E_TIMEOUT(void **state)
{
    (void)state;
    if (!need_cluster())
        skip();
    struct settings s;
    struct bz_error e;
    defaults(&s);
    s.statement_timeout_ms = 50;
    PGconn *conn = connect_or_fail(&s);
    assert_int_equal(fail_with(conn, "SELECT pg_sleep(2)", &e), BZ_ETIMEOUT);
    assert_string_equal(e.code, "E_TIMEOUT");
    assert_non_null(strstr(e.detail, "57014"));
    PQfinish(conn);
}

static void
lock_timeout_maps_to_E_TIMEOUT(void **state)
{
    (void)state;
    if (!need_cluster())
        skip();
    struct settings s;
    struct bz_error e;
    defaults(&s);
    s.lock_timeout_ms = 50;
    PGconn *holder = connect_or_fail(&s);
    PGconn *waiter = connect_or_fail(&s);
    PGresult *res = PQexec(holder, "SELECT pg_advisory_lock(7301)");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    assert_int_equal(fail_with(waiter, "SELECT pg_advisory_lock(7301)", &e), BZ_ETIMEOUT);
    assert_string_equal(e.code, "E_TIMEOUT");
    assert_non_null(strstr(e.detail, "55P03"));
    PQfinish(waiter);
    PQfinish(holder);
}

static void
syntax_error_maps_to_E_DB_QUERY_with_server_message(void **state)
{
    (void)state;
    if (!need_cluster())
        skip();
    struct settings s;
    struct bz_error e;
    defaults(&s);
    PGconn *conn = connect_or_fail(&s);
    assert_int_equal(fail_with(conn, "SELEC 1", &e), BZ_EDB);
    assert_string_equal(e.code, "E_DB_QUERY");
    assert_non_null(strstr(e.message, "测试查询"));
    assert_non_null(strstr(e.detail, "42601"));
    assert_non_null(strstr(e.detail, "syntax error"));
    PQfinish(conn);
}

static void
terminated_backend_maps_to_E_DB_CONNECT(void **state)
{
    (void)state;
    if (!need_cluster())
        skip();
    struct settings s;
    struct bz_error e;
    defaults(&s);
    PGconn *killer = connect_or_fail(&s);
    PGconn *victim = connect_or_fail(&s);
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", PQbackendPID(victim));
    const char *params[] = {pid};
    PGresult *res = PQexecParams(killer, "SELECT pg_terminate_backend($1::int, 5000)", 1, NULL,
                                 params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    assert_int_equal(fail_with(victim, "SELECT 1", &e), BZ_EDB);
    assert_string_equal(e.code, "E_DB_CONNECT");
    PQfinish(victim);
    PQfinish(killer);
}

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The embedded test's home; its teardown stops the cluster even when an
 * assertion failed halfway, so no postmaster is left behind. */
static char scratch_home[] = "/tmp/bizenv-dbtest-XXXXXX";

static int
remove_scratch_home(void **state)
{
    struct settings s;
    struct bz_error e;
    if (strstr(scratch_home, "XXXXXX") == NULL) {
        settings_defaults(&s, scratch_home);
        settings_resolve(&s);
        cluster_stop(&s, &e);
        nftw(scratch_home, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    return restore_env(state);
}

static void
embedded_connect_creates_starts_and_configures(void **state)
{
    (void)state;
    struct settings s;
    struct bz_error e;
    struct cluster_status st;
    char *home = scratch_home;
    assert_non_null(mkdtemp(home));
    chmod(home, 0755); /* the server user must reach pgdata when we are root */
    settings_defaults(&s, home);
    settings_resolve(&s);
    assert_int_equal(db_target(&s), DB_TARGET_EMBEDDED);

    PGconn *conn = connect_or_fail(&s);
    expect_setting(conn, "TimeZone", "Asia/Shanghai");
    expect_setting(conn, "listen_addresses", "");
    PGresult *res = PQexec(conn, "SELECT current_user, current_database()");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "bizenv");
    assert_string_equal(PQgetvalue(res, 0, 1), "bizenv");
    PQclear(res);
    PQfinish(conn);

    bz_error_clear(&e);
    assert_int_equal(cluster_status(&s, &st, &e), 0);
    assert_true(st.exists && st.running && st.pid > 0);
    assert_int_equal(cluster_stop(&s, &e), 0);
    assert_int_equal(cluster_status(&s, &st, &e), 0);
    assert_true(st.exists && !st.running);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(target_is_embedded_without_configuration, save_env,
                                        restore_env),
        cmocka_unit_test_setup_teardown(target_prefers_db_setting_over_environment, save_env,
                                        restore_env),
        cmocka_unit_test_setup_teardown(target_follows_pghost_pgdatabase_or_pgservice, save_env,
                                        restore_env),
        cmocka_unit_test(connection_gets_timezone_encoding_name_and_timeouts),
        cmocka_unit_test(application_name_wins_over_conninfo),
        cmocka_unit_test(unknown_database_is_E_DB_CONNECT_naming_it),
        cmocka_unit_test(statement_timeout_maps_to_E_TIMEOUT),
        cmocka_unit_test(lock_timeout_maps_to_E_TIMEOUT),
        cmocka_unit_test(syntax_error_maps_to_E_DB_QUERY_with_server_message),
        cmocka_unit_test(terminated_backend_maps_to_E_DB_CONNECT),
        cmocka_unit_test_setup_teardown(embedded_connect_creates_starts_and_configures, save_env,
                                        remove_scratch_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
