/* Migration runner: applies once, safe when two processes race, refuses a
 * database that does not match the binary. Each test has its own database. */
#include "support.h"

#include <pthread.h>

static int
known_count(void)
{
    struct migrate_item items[MIGRATE_MAX];
    size_t n = 0;
    struct bz_error e;
    bz_error_clear(&e);
    assert_int_equal(migrate_known(items, MIGRATE_MAX, &n, &e), 0);
    return (int)n;
}

static void
applies_every_migration_once_then_nothing(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    int applied = -1;
    int known = known_count();

    scratch_create_empty(&s);
    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &applied, &e), 0);
    assert_int_equal(applied, known);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), known);
    assert_int_equal(scratch_long(s.conn, "SELECT min(version) FROM meta.migration"), 1);
    /* 002 really ran: its tables and functions exist */
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM staging.submission"), 0);
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_proc WHERE proname = 'merge_registry'"), 1);

    assert_int_equal(migrate_apply(s.conn, &applied, &e), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), known);
    scratch_drop(&s);
}

static void
pending_lists_all_on_empty_database_and_none_after(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    struct migrate_item items[MIGRATE_MAX];
    size_t n = 99;
    int applied;

    scratch_create_empty(&s);
    bz_error_clear(&e);
    assert_int_equal(migrate_pending(s.conn, items, MIGRATE_MAX, &n, &e), 0);
    assert_int_equal((int)n, known_count());
    assert_int_equal(items[0].version, 1);
    assert_string_equal(items[0].name, "schema");
    assert_int_equal(items[1].version, 2);
    assert_string_equal(items[1].name, "load");
    assert_int_equal((int)strlen(items[1].sha256), 64);
    /* listing changes nothing */
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'meta'"), 0);

    assert_int_equal(migrate_apply(s.conn, &applied, &e), 0);
    assert_int_equal(migrate_pending(s.conn, items, MIGRATE_MAX, &n, &e), 0);
    assert_int_equal((int)n, 0);
    scratch_drop(&s);
}

struct racer {
    const char *conninfo;
    int rc;
    int applied;
    struct bz_error e;
};

static void *
race(void *arg)
{
    struct racer *r = arg;
    PGconn *c = PQconnectdb(r->conninfo);
    bz_error_clear(&r->e);
    r->rc = PQstatus(c) == CONNECTION_OK ? migrate_apply(c, &r->applied, &r->e) : -100;
    PQfinish(c);
    return NULL;
}

static void
concurrent_migrations_apply_each_file_exactly_once(void **state)
{
    (void)state;
    struct scratch s;
    struct racer r[4];
    pthread_t t[4];
    int known = known_count();

    scratch_create_empty(&s);
    for (int i = 0; i < 4; i++) {
        r[i] = (struct racer){.conninfo = s.conninfo, .rc = -1, .applied = -1};
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (r[i].rc != 0)
            fail_msg("racer %d: %d [%s] %s (%s)", i, r[i].rc, r[i].e.code, r[i].e.message,
                     r[i].e.detail);
        total += r[i].applied;
    }
    assert_int_equal(total, known);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), known);
    scratch_drop(&s);
}

static void
refuses_applied_migration_whose_checksum_changed(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    int applied = -1;

    scratch_create(&s);
    scratch_exec(s.conn, "UPDATE meta.migration SET sha256 = repeat('0', 64) WHERE version = 2");
    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &applied, &e), BZ_ECONFLICT);
    assert_string_equal(e.code, "E_DB_MIGRATE");
    assert_non_null(strstr(e.message, "002_load"));
    assert_int_equal(applied, 0);
    scratch_drop(&s);
}

static void
refuses_database_with_version_newer_than_binary(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    int applied = -1;
    struct migrate_item items[MIGRATE_MAX];
    size_t n;

    scratch_create(&s);
    scratch_exec(s.conn, "INSERT INTO meta.migration (version, name, sha256)"
                         " VALUES (999, 'future', repeat('a', 64))");
    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &applied, &e), BZ_ECONFLICT);
    assert_string_equal(e.code, "E_DB_MIGRATE");
    assert_non_null(strstr(e.message, "999"));
    assert_int_equal(migrate_pending(s.conn, items, MIGRATE_MAX, &n, &e), BZ_ECONFLICT);
    scratch_drop(&s);
}

static void
failed_migration_is_rolled_back_and_not_recorded(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    int applied = -1;

    /* a table 002 wants to create already exists: 002 fails, 001 stays */
    scratch_create_empty(&s);
    scratch_exec(s.conn, "CREATE SCHEMA staging; CREATE TABLE staging.window (x int)");
    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &applied, &e), BZ_EDB);
    assert_string_equal(e.code, "E_DB_MIGRATE");
    assert_int_equal(applied, 1);
    assert_int_equal(scratch_long(s.conn, "SELECT max(version) FROM meta.migration"), 1);
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'load'"), 0);
    /* the connection is usable and the advisory lock was released */
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    scratch_drop(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(applies_every_migration_once_then_nothing),
        cmocka_unit_test(pending_lists_all_on_empty_database_and_none_after),
        cmocka_unit_test(concurrent_migrations_apply_each_file_exactly_once),
        cmocka_unit_test(refuses_applied_migration_whose_checksum_changed),
        cmocka_unit_test(refuses_database_with_version_newer_than_binary),
        cmocka_unit_test(failed_migration_is_rolled_back_and_not_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
