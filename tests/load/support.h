/*
 * Helpers shared by the load tests: a scratch database per test (created
 * through the PG* environment that tests/lib/with-cluster exports, dropped
 * afterwards), migrated with migrate_apply; a small valid submission built
 * by hand in its arena; and one submission, file or receipt put in through
 * the loader's own batch and stage (load/loader.h), as a batch of one, so
 * the revision rules the tests exercise are the ones every night runs.
 * Included by each tests/load/test_*.c; every function is static inline so
 * a test that does not use one does not warn.
 */
#ifndef BZ_TEST_LOAD_SUPPORT_H
#define BZ_TEST_LOAD_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../common/error.h"
#include "../../load/loader.h"
#include "../../load/migrate.h"
#include "../../transform/submission.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct scratch {
    char name[64];
    char conninfo[128];
    PGconn *conn;
};

static inline PGconn *
scratch_admin(void)
{
    PGconn *c = PQconnectdb("dbname=postgres");
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to the test cluster (run under tests/lib/with-cluster): %s",
                 PQerrorMessage(c));
    return c;
}

static inline void
scratch_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* The first column of the first row of a query, as a long. */
static inline long
scratch_long(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    long v = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static inline void
scratch_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Creates an empty database t_<pid>_<random> and connects to it. */
static inline void
scratch_create_empty(struct scratch *s)
{
    static unsigned counter;
    char sql[128];
    snprintf(s->name, sizeof(s->name), "t_load_%ld_%u_%ld", (long)getpid(), counter++,
             (long)(time(NULL) % 100000));
    PGconn *admin = scratch_admin();
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", s->name);
    scratch_exec(admin, sql);
    PQfinish(admin);
    snprintf(s->conninfo, sizeof(s->conninfo), "dbname=%s", s->name);
    s->conn = PQconnectdb(s->conninfo);
    assert_int_equal(PQstatus(s->conn), CONNECTION_OK);
    PQsetNoticeProcessor(s->conn, scratch_quiet, NULL); /* as db_connect does */
    scratch_exec(s->conn, "SET TimeZone = 'Asia/Shanghai'");
}

/* A scratch database with every migration applied. */
static inline void
scratch_create(struct scratch *s)
{
    struct bz_error e;
    static struct migrate_plan migrated; /* large: not on the test's stack */
    scratch_create_empty(s);
    bz_error_clear(&e);
    int rc = migrate_apply(s->conn, &migrated, &e);
    if (rc != 0)
        fail_msg("migrate_apply: [%s] %s (%s)", e.code, e.message, e.detail);
    assert_true(migrated.npending >= 1 && migrated.definitions > 0);
}

static inline void
scratch_drop(struct scratch *s)
{
    char sql[128];
    if (s->conn != NULL)
        PQfinish(s->conn);
    s->conn = NULL;
    PGconn *admin = scratch_admin();
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->name);
    scratch_exec(admin, sql);
    PQfinish(admin);
}

static inline const char *
arena_fmt(struct submission *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    const char *p = arena_strdup(&s->arena, buf);
    assert_non_null(p);
    return p;
}

/*
 * A small valid submission: 2 windows, 2 leaders, 1 walk naming problem
 * P1, one open problem P1 found on the 3rd of the month, one mechanism.
 * `doc` distinguishes documents: doc_sha256 is 64 copies of that hex digit.
 */
static inline void
fill_submission(struct submission *s, const char *code, int year, int month, int revision, char doc)
{
    submission_init(s, 1 << 20);
    memcpy(s->township_code, code, 10);
    s->township_name = arena_fmt(s, "示例乡");
    s->year = year;
    s->month = month;
    s->revision = revision;
    s->submitted_at = arena_fmt(s, "%04d-%02d-28T09:30:00+08:00", year, month);
    s->contact_name = arena_fmt(s, "乡党政办");
    s->contact_phone = NULL;
    s->sites_total = 8;
    s->sites_with_window = 8;
    s->consultations.value = 120;
    s->consultations.approx = 1;
    s->job_postings.value = 300;
    s->recruitment_events.value = 4;
    s->county_items = 142;
    s->handled = 31;
    s->evaluated = 30;
    s->reported_rate = arena_fmt(s, "98");
    s->reported_rate_value = 98;
    s->nwindows = 2;
    s->windows = arena_alloc(&s->arena, 2 * sizeof(*s->windows));
    s->windows[0] = (struct subm_window){"W01", "市场监管", "market", 10};
    s->windows[1] = (struct subm_window){"W02", "农业农村", "agri", 11};
    s->nleaders = 2;
    s->leaders = arena_alloc(&s->arena, 2 * sizeof(*s->leaders));
    s->leaders[0] = (struct subm_leader){"L01", "principal", "党委书记", 12};
    s->leaders[1] = (struct subm_leader){"L02", "deputy", "副乡长", 13};
    s->nwalks = 1;
    s->walks = arena_alloc(&s->arena, sizeof(*s->walks));
    const char **ids = arena_alloc(&s->arena, sizeof(*ids));
    ids[0] = "P1";
    s->walks[0] =
        (struct subm_walk){"L01", "W01", (int32_t)(year * 10000 + month * 100 + 3), ids, 1, 14};
    s->nproblems = 1;
    s->problems = arena_alloc(&s->arena, sizeof(*s->problems));
    s->problems[0] = (struct subm_problem){
        "P1", "walk", "open", (int32_t)(year * 10000 + month * 100 + 3), 0, 0, "窗口办事指南未更新",
        15};
    const char **mech = arena_alloc(&s->arena, sizeof(*mech));
    mech[0] = "走流程工作制度";
    s->texts[SUBM_MECHANISM].items = mech;
    s->texts[SUBM_MECHANISM].n = 1;
    s->symposia = 1;
    s->merchants_visited = 36;
    s->enterprises_visited = 2;
    memset(s->doc_sha256, doc, 64);
    s->doc_sha256[64] = '\0';
    s->member = "";
}

/*
 * Loads one submission in a batch of its own: returns 0 with *out filled
 * (its warnings the caller's to free), or the failure with e filled, the
 * batch rolled back and the connection idle.
 */
static inline int
test_load(PGconn *conn, const struct submission *sub, const struct diag_list *warnings,
          const struct rows_origin *origin, struct loader_outcome *out, struct bz_error *e)
{
    size_t slot = 0;
    memset(out, 0, sizeof(*out));
    diag_list_init(&out->warnings, 64);
    struct loader_stage *stage = loader_stage_new();
    assert_non_null(stage);
    int rc = loader_batch_begin(conn, e);
    if (rc == 0)
        rc = loader_stage_submission(conn, stage, sub, warnings, origin, &slot, e);
    if (rc == 0)
        rc = loader_stage_merge(conn, stage, e);
    if (rc == 0) {
        const struct loader_outcome *o = loader_stage_outcome(stage, slot);
        out->result = o->result;
        out->submission_id = o->submission_id;
        out->current_revision = o->current_revision;
        assert_int_equal(
            diag_list_append(&out->warnings, &loader_stage_outcome(stage, slot)->warnings), 0);
        rc = loader_stage_finish(conn, stage, e);
    }
    if (rc == 0)
        rc = loader_batch_commit(conn, e);
    if (rc < 0) {
        loader_stage_merge_cancel(conn, stage);
        loader_batch_rollback(conn);
        diag_list_free(&out->warnings);
        memset(out, 0, sizeof(*out));
    }
    loader_stage_free(stage);
    return rc;
}

/* Records an inbox file (raw.file) and stores a receipt (raw.receipt;
 * either may be NULL) in a batch of their own. Returns 0 or the failure,
 * the batch rolled back. */
struct test_file {
    const char *sha256, *name, *archive_path;
    int64_t size;
    time_t received_at;
};

static inline int
test_store(PGconn *conn, const struct test_file *f, const struct rows_receipt *r,
           struct bz_error *e)
{
    struct loader_stage *stage = loader_stage_new();
    assert_non_null(stage);
    int rc = loader_batch_begin(conn, e);
    if (rc == 0 && f != NULL)
        rc = loader_stage_file(stage, f->sha256, f->size, f->name, f->received_at, f->archive_path,
                               e);
    if (rc == 0 && r != NULL)
        rc = loader_stage_receipt(stage, r, e);
    if (rc == 0)
        rc = loader_stage_finish(conn, stage, e);
    if (rc == 0)
        rc = loader_batch_commit(conn, e);
    else
        loader_batch_rollback(conn);
    loader_stage_free(stage);
    return rc;
}

#endif
