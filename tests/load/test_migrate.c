/* Migration runner: migrations applied once and definitions re-applied when
 * their files change, safe when processes race, refusing a database that
 * does not match the binary. Each test has its own database. */
#include "support.h"

#include "../../common/embedded.h"
#include "../../load/migrate_test.h"

#include <pthread.h>

/* Larger than a test's stack should carry; the tests run one at a time. */
static struct migrate_plan done;

/* How many migrations this binary carries. */
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

/* How many definition files: every embedded sql/ file but the migrations. */
static int
definition_count(void)
{
    int n = 0;
    for (const struct embedded_file *f = embedded_files; f->path != NULL; f++)
        n += strncmp(f->path, "sql/", 4) == 0 && strncmp(f->path, "sql/migrations/", 15) != 0;
    return n;
}

static long
report_functions(PGconn *c)
{
    return scratch_long(c, "SELECT count(*) FROM pg_proc p JOIN pg_namespace n"
                           " ON n.oid = p.pronamespace WHERE n.nspname = 'report'");
}

/* migrate_apply refuses (E_DB_MIGRATE, exit 70), saying `why`, and
 * reports nothing done. */
static void
assert_apply_refused(PGconn *c, const char *why, struct bz_error *e)
{
    bz_error_clear(e);
    assert_int_equal(migrate_apply(c, &done, e), BZ_ESCHEMA);
    assert_string_equal(e->code, "E_DB_MIGRATE");
    if (strstr(e->message, why) == NULL)
        fail_msg("expected \"%s\" in: %s", why, e->message);
    assert_int_equal((int)done.npending, 0);
    assert_int_equal(done.definitions, 0);
    assert_false(done.rebase);
}

/* migrate_check refuses (E_DB_SCHEMA), saying `why`. */
static void
assert_check_refused(PGconn *c, const char *why, struct bz_error *e)
{
    bz_error_clear(e);
    assert_int_equal(migrate_check(c, e), BZ_ESCHEMA);
    assert_string_equal(e->code, "E_DB_SCHEMA");
    if (strstr(e->message, why) == NULL)
        fail_msg("expected \"%s\" in: %s", why, e->message);
}

/* Marks one definition file as applied with other bytes. */
static void
make_definitions_stale(PGconn *c)
{
    scratch_exec(c, "UPDATE meta.definition_file SET sha256 = repeat('0', 64)"
                    " WHERE path = 'sql/report/figures.sql'");
}

static void
applies_migrations_and_definitions_once_then_nothing(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create_empty(&s);
    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal((int)done.npending, known_count());
    assert_int_equal(done.definitions, definition_count());
    assert_false(done.rebase);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), known_count());
    assert_int_equal(scratch_long(s.conn, "SELECT min(version) FROM meta.migration"), 87);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.definition_file"),
                     definition_count());
    /* the baseline really ran, and so did the definitions */
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM staging.submission"), 0);
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_proc WHERE proname = 'merge_registry'"), 1);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM report.ranking('2026-10')"), 0);

    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal((int)done.npending, 0);
    assert_int_equal(done.definitions, 0);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), known_count());
    scratch_drop(&s);
}

static void
plan_lists_everything_on_empty_database_and_nothing_after(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    static struct migrate_plan plan;

    scratch_create_empty(&s);
    bz_error_clear(&e);
    assert_int_equal(migrate_plan(s.conn, &plan, &e), 0);
    assert_int_equal((int)plan.npending, known_count());
    assert_int_equal(plan.pending[0].version, 87);
    assert_string_equal(plan.pending[0].name, "baseline");
    assert_int_equal((int)strlen(plan.pending[0].sha256), 64);
    assert_int_equal(plan.definitions, definition_count());
    /* listing changes nothing */
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'meta'"), 0);

    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal(migrate_plan(s.conn, &plan, &e), 0);
    assert_int_equal((int)plan.npending, 0);
    assert_int_equal(plan.definitions, 0);
    make_definitions_stale(s.conn);
    assert_int_equal(migrate_plan(s.conn, &plan, &e), 0);
    assert_int_equal((int)plan.npending, 0);
    assert_int_equal(plan.definitions, definition_count());
    scratch_drop(&s);
}

struct racer {
    const char *conninfo;
    int rc;
    struct migrate_plan done;
    struct bz_error e;
};

static void *
race(void *arg)
{
    struct racer *r = arg;
    PGconn *c = PQconnectdb(r->conninfo);
    PQsetNoticeProcessor(c, scratch_quiet, NULL); /* as db_connect does */
    bz_error_clear(&r->e);
    r->rc = PQstatus(c) == CONNECTION_OK ? migrate_apply(c, &r->done, &r->e) : -100;
    PQfinish(c);
    return NULL;
}

static void
run_racers(const char *conninfo, int *migrations, int *definitions)
{
    static struct racer r[4];
    pthread_t t[4];

    for (int i = 0; i < 4; i++) {
        r[i] = (struct racer){.conninfo = conninfo, .rc = -1};
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    *migrations = *definitions = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (r[i].rc != 0)
            fail_msg("racer %d: %d [%s] %s (%s)", i, r[i].rc, r[i].e.code, r[i].e.message,
                     r[i].e.detail);
        *migrations += (int)r[i].done.npending;
        *definitions += r[i].done.definitions;
    }
}

static void
concurrent_runs_apply_everything_exactly_once(void **state)
{
    (void)state;
    struct scratch s;
    int migrations, definitions;

    scratch_create_empty(&s);
    run_racers(s.conninfo, &migrations, &definitions);
    assert_int_equal(migrations, known_count());
    assert_int_equal(definitions, definition_count());
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), known_count());

    /* a changed file: one of them re-applies the definitions, once */
    make_definitions_stale(s.conn);
    run_racers(s.conninfo, &migrations, &definitions);
    assert_int_equal(migrations, 0);
    assert_int_equal(definitions, definition_count());
    scratch_drop(&s);
}

static void
changed_definition_file_reapplies_every_definition(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create(&s);
    long functions = report_functions(s.conn);
    /* a function edited by hand, and one the files do not define */
    scratch_exec(s.conn, "CREATE OR REPLACE FUNCTION report.weights()"
                         " RETURNS TABLE (w_service numeric, w_completion numeric,"
                         " w_coverage numeric) LANGUAGE sql AS 'SELECT 2::numeric, 2, 2'");
    scratch_exec(s.conn,
                 "CREATE FUNCTION report.leftover() RETURNS int LANGUAGE sql AS 'SELECT 1'");
    scratch_exec(s.conn, "CREATE VIEW report.leftover_view AS SELECT report.leftover()");
    make_definitions_stale(s.conn);

    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal((int)done.npending, 0);
    assert_int_equal(done.definitions, definition_count());
    assert_int_equal(scratch_long(s.conn, "SELECT w_service FROM report.weights()"), 1);
    assert_int_equal(report_functions(s.conn), functions);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM pg_class"
                                          " WHERE relname = 'leftover_view'"),
                     0);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.definition_file"
                                          " WHERE sha256 = repeat('0', 64)"),
                     0);
    /* the walk triggers are back */
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM pg_trigger"
                                          " WHERE tgrelid = 'facts.walk'::regclass"
                                          " AND NOT tgisinternal"),
                     4);
    scratch_drop(&s);
}

/* Advisory locks held in this database: other tests' runs, in other
 * databases of the same server, hold their own. */
static long
advisory_locks(PGconn *conn)
{
    return scratch_long(conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                              " AND database = (SELECT oid FROM pg_database"
                              " WHERE datname = current_database())");
}

static void
refuses_to_drop_definitions_other_objects_depend_on(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create(&s);
    long functions = report_functions(s.conn);
    scratch_exec(s.conn, "CREATE TABLE public.kept (zone text DEFAULT report.county_timezone())");
    make_definitions_stale(s.conn);

    bz_error_clear(&e);
    assert_apply_refused(s.conn, "有其他对象依赖", &e);
    assert_non_null(strstr(e.detail, "table kept"));
    assert_int_equal(done.definitions, 0);
    /* nothing changed: the definitions and the stale record stay */
    assert_int_equal(report_functions(s.conn), functions);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.definition_file"
                                          " WHERE sha256 = repeat('0', 64)"),
                     1);
    assert_int_equal(advisory_locks(s.conn), 0);

    scratch_exec(s.conn, "DROP TABLE public.kept");
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal(done.definitions, definition_count());
    scratch_drop(&s);
}

static void
up_to_date_database_takes_no_lock(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create(&s);
    PGconn *holder = PQconnectdb(s.conninfo);
    assert_int_equal(PQstatus(holder), CONNECTION_OK);
    scratch_exec(holder, "SELECT pg_advisory_lock(108170854213238)");
    scratch_exec(s.conn, "SET lock_timeout = '200ms'");

    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    /* with something to do, it waits for the lock */
    make_definitions_stale(s.conn);
    assert_int_equal(migrate_apply(s.conn, &done, &e), BZ_ETIMEOUT);
    assert_int_equal(done.definitions, 0);

    PQfinish(holder);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal(done.definitions, definition_count());
    scratch_drop(&s);
}

static void
refuses_applied_migration_whose_checksum_changed(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create(&s);
    long functions = report_functions(s.conn);
    scratch_exec(s.conn, "UPDATE meta.migration SET sha256 = repeat('0', 64) WHERE version = 87");
    bz_error_clear(&e);
    assert_apply_refused(s.conn, "087_baseline", &e);
    assert_int_equal((int)done.npending, 0);
    assert_int_equal(report_functions(s.conn), functions);
    scratch_drop(&s);
}

static void
refuses_database_with_version_newer_than_binary(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    static struct migrate_plan plan;

    scratch_create(&s);
    scratch_exec(s.conn, "INSERT INTO meta.migration (version, name, sha256)"
                         " VALUES (999, 'future', repeat('a', 64))");
    make_definitions_stale(s.conn); /* the newer binary's definitions stay */
    bz_error_clear(&e);
    assert_apply_refused(s.conn, "999", &e);
    assert_int_equal(done.definitions, 0);
    assert_int_equal(migrate_plan(s.conn, &plan, &e), BZ_ESCHEMA);
    scratch_drop(&s);
}

/*
 * With `obstacle` in the way of `migration`, a run on an empty database
 * fails there, and nothing of the upgrade stays: no migration recorded or
 * applied, not even the runner's own tables, no definition; the lock is
 * released. With `removal` done, the next run does it all.
 */
static void
fails_at_then_finishes(const char *obstacle, const char *removal, const char *migration)
{
    struct scratch s;
    struct bz_error e;

    scratch_create_empty(&s);
    scratch_exec(s.conn, obstacle);
    bz_error_clear(&e);
    assert_apply_refused(s.conn, migration, &e);
    assert_int_equal((int)done.npending, 0);
    assert_int_equal(done.definitions, 0);
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'meta'"), 0);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM pg_class"
                                          " WHERE oid = to_regclass('ref.township')"),
                     0);
    assert_int_equal(report_functions(s.conn), 0);
    /* the connection is usable and the advisory lock was released */
    assert_int_equal(PQtransactionStatus(s.conn), PQTRANS_IDLE);
    assert_int_equal(advisory_locks(s.conn), 0);

    scratch_exec(s.conn, removal);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal((int)done.npending, known_count());
    assert_int_equal(done.definitions, definition_count());
    scratch_drop(&s);
}

static void
failed_migration_is_rolled_back_and_not_recorded(void **state)
{
    (void)state;
    /* a table the baseline creates exists already */
    fails_at_then_finishes("CREATE SCHEMA ref; CREATE TABLE ref.county (x int)",
                           "DROP SCHEMA ref CASCADE", "087_baseline");
}

static void
failed_later_migration_rolls_back_the_earlier_ones(void **state)
{
    (void)state;
    /* a type 088 creates exists already: the baseline, run before it in
     * the same transaction, is undone too */
    fails_at_then_finishes("CREATE SCHEMA report; CREATE TYPE report.ranking_row AS (x int)",
                           "DROP SCHEMA report CASCADE", "088_ranking_row");
}

/*
 * A database in use, its definitions in place, and a migration that
 * fails: the upgrade drops every definition before the migrations and
 * re-creates them after, all in one transaction, so after the failure
 * the report functions and views are all still there and still answer
 * (an analyst connected meanwhile never meets a database without them).
 */
static void
failed_migration_leaves_the_definitions_in_place(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create(&s);
    long functions = report_functions(s.conn);
    long views = scratch_long(s.conn, "SELECT count(*) FROM pg_views WHERE schemaname = 'report'");
    assert_true(functions > 0 && views > 0);
    /* 088 forgotten: run again, it finds its type there and fails */
    scratch_exec(s.conn,
                 "CREATE TEMP TABLE kept AS SELECT * FROM meta.migration WHERE version = 88;"
                 " DELETE FROM meta.migration WHERE version = 88");
    bz_error_clear(&e);
    assert_apply_refused(s.conn, "088_ranking_row", &e);
    assert_int_equal((int)done.npending, 0);
    assert_int_equal(report_functions(s.conn), functions);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM pg_views"
                                          " WHERE schemaname = 'report'"),
                     views);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM report.ranking('2026-10')"), 0);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.definition_file"),
                     definition_count());
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"),
                     known_count() - 1);
    assert_int_equal(advisory_locks(s.conn), 0);

    scratch_exec(s.conn, "INSERT INTO meta.migration SELECT * FROM kept");
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal((int)done.npending, 0);
    assert_int_equal(done.definitions, 0);
    scratch_drop(&s);
}

/* Makes meta.migration say exactly what the previous release recorded
 * (but for `except_version`), and forgets the definition files. */
static void
record_previous_release(PGconn *c, int except_version)
{
    size_t n;
    const struct migrate_item *prev = migrate_previous_release(&n);
    char sql[256];
    scratch_exec(c, "DELETE FROM meta.migration; DO $$ BEGIN"
                    " IF to_regclass('meta.definition_file') IS NOT NULL THEN"
                    " DELETE FROM meta.definition_file; END IF; END $$");
    for (size_t i = 0; i < n; i++) {
        if (prev[i].version == except_version)
            continue;
        snprintf(
            sql, sizeof(sql),
            "INSERT INTO meta.migration (version, name, sha256, applied_at)"
            " VALUES (%d, '%s', '%s', '2026-11-01 10:00+08'::timestamptz + interval '%zu min')",
            prev[i].version, prev[i].name, prev[i].sha256, i);
        scratch_exec(c, sql);
    }
}

/*
 * An empty database made what the previous release (v0.1.0) left: its
 * tables are exactly the embedded baseline's (the baseline stands for
 * them), and meta.migration records its 001–086, as its runner made the
 * table. Its functions and views are left out: the upgrade drops them
 * unread (tests/db/030_upgrade.t upgrades a database the release's own
 * files built, from git history).
 */
static void
scratch_create_previous_release(struct scratch *s)
{
    const struct embedded_file *baseline = embedded_find("sql/migrations/087_baseline.sql");
    assert_non_null(baseline);
    scratch_create_empty(s);
    scratch_exec(s->conn, "CREATE SCHEMA meta; CREATE TABLE meta.migration ("
                          " version int PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
                          " applied_at timestamptz NOT NULL DEFAULT now())");
    scratch_exec(s->conn, (const char *)baseline->data);
    record_previous_release(s->conn, 0);
}

static void
rebases_the_previous_release_records(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create_previous_release(&s);
    bz_error_clear(&e);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_true(done.rebase);
    assert_int_equal(done.baseline.version, 87);
    assert_int_equal((int)done.npending, known_count() - 1);
    assert_int_equal(done.pending[0].version, 88);
    assert_int_equal(done.definitions, definition_count());
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), known_count());
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration WHERE version = 87"
                                          " AND name = 'baseline'"
                                          " AND applied_at = '2026-11-01 10:00+08'"),
                     1);
    /* it ends with the tables, functions and views of a fresh database */
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM report.ranking('2026-10')"), 0);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.instance"), 0);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_false(done.rebase);
    assert_int_equal(done.definitions, 0);
    scratch_drop(&s);
}

static void
refuses_incomplete_previous_release_records(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;

    scratch_create_previous_release(&s);
    scratch_exec(s.conn, "DELETE FROM meta.migration WHERE version = 86");
    bz_error_clear(&e);
    assert_apply_refused(s.conn, "v0.1.0", &e);
    assert_false(done.rebase);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration"), 13);

    /* the whole set, one checksum changed */
    record_previous_release(s.conn, 0);
    scratch_exec(s.conn, "UPDATE meta.migration SET sha256 = repeat('1', 64) WHERE version = 20");
    assert_apply_refused(s.conn, "020", &e);
    assert_int_equal(scratch_long(s.conn, "SELECT max(version) FROM meta.migration"), 86);
    scratch_drop(&s);
}

/* migrate_check, for commands that only read: 0 only for a database
 * migrate_apply would leave as it is; E_DB_SCHEMA otherwise, and nothing
 * changed. */
static void
check_accepts_only_what_apply_would_leave(void **state)
{
    (void)state;
    struct scratch s;
    struct bz_error e;
    const char *stale = "SELECT count(*) FROM meta.definition_file WHERE sha256 = repeat('0', 64)";

    scratch_create_empty(&s);
    bz_error_clear(&e);
    assert_int_equal(migrate_check(s.conn, &e), BZ_ESCHEMA);
    assert_string_equal(e.code, "E_DB_SCHEMA");
    assert_int_equal(
        scratch_long(s.conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'meta'"), 0);
    scratch_drop(&s);

    scratch_create(&s);
    bz_error_clear(&e);
    assert_int_equal(migrate_check(s.conn, &e), 0);

    /* a definition file applied with other bytes (older or newer) */
    make_definitions_stale(s.conn);
    assert_check_refused(s.conn, "sql/report/figures.sql", &e);
    assert_int_equal(scratch_long(s.conn, stale), 1);
    assert_int_equal(migrate_apply(s.conn, &done, &e), 0);
    assert_int_equal(migrate_check(s.conn, &e), 0);

    /* the last migration not recorded */
    scratch_exec(s.conn, "CREATE TEMP TABLE kept AS SELECT * FROM meta.migration"
                         " WHERE version = (SELECT max(version) FROM meta.migration);"
                         " DELETE FROM meta.migration WHERE version IN (SELECT version FROM kept)");
    assert_check_refused(s.conn, "缺少升级", &e);
    scratch_exec(s.conn, "INSERT INTO meta.migration SELECT * FROM kept");
    assert_int_equal(migrate_check(s.conn, &e), 0);

    /* a version this binary does not know */
    scratch_exec(s.conn, "INSERT INTO meta.migration (version, name, sha256)"
                         " VALUES (999, 'later', repeat('0', 64))");
    assert_check_refused(s.conn, "999", &e);

    /* the previous release's records, not rebased yet */
    record_previous_release(s.conn, 0);
    assert_check_refused(s.conn, "v0.1.0", &e);
    assert_int_equal(scratch_long(s.conn, "SELECT count(*) FROM meta.migration WHERE version < 87"),
                     14);
    scratch_drop(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(applies_migrations_and_definitions_once_then_nothing),
        cmocka_unit_test(plan_lists_everything_on_empty_database_and_nothing_after),
        cmocka_unit_test(concurrent_runs_apply_everything_exactly_once),
        cmocka_unit_test(changed_definition_file_reapplies_every_definition),
        cmocka_unit_test(refuses_to_drop_definitions_other_objects_depend_on),
        cmocka_unit_test(up_to_date_database_takes_no_lock),
        cmocka_unit_test(refuses_applied_migration_whose_checksum_changed),
        cmocka_unit_test(refuses_database_with_version_newer_than_binary),
        cmocka_unit_test(failed_migration_is_rolled_back_and_not_recorded),
        cmocka_unit_test(failed_later_migration_rolls_back_the_earlier_ones),
        cmocka_unit_test(failed_migration_leaves_the_definitions_in_place),
        cmocka_unit_test(rebases_the_previous_release_records),
        cmocka_unit_test(refuses_incomplete_previous_release_records),
        cmocka_unit_test(check_accepts_only_what_apply_would_leave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
