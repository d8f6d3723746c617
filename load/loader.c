#include "loader.h"

#include "../common/dbuf.h"
#include "db.h"
#include "pgutil.h"
#include "rows.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One COPY row may hold a whole free-text item; text nodes are capped far
 * below this by the transform settings, so hitting it means a bug. */
#define COPY_BUF_LIMIT (32u * 1024 * 1024)

static const char sql_has_role[] = "SELECT pg_has_role('bizenv_loader', 'MEMBER')";
static const char sql_record_files[] =
    "INSERT INTO raw.file (sha256, size, original_name, received_at, archive_path)"
    " SELECT f.sha256, f.size, f.name, to_timestamp(f.t), f.path"
    " FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[])"
    " WITH ORDINALITY AS f (sha256, size, name, t, path, n)"
    " ORDER BY f.n ON CONFLICT (sha256) DO NOTHING";
static const char sql_load_ids[] =
    "SELECT nextval('staging.load_id_seq') FROM generate_series(1, $1::int)";
static const char sql_decide_batch[] =
    "SELECT load_id, outcome, submission_id, current_revision FROM load.decide_batch($1::bigint[])";
static const char sql_finish_batch[] =
    "SELECT submission_id, code, line, path, message FROM load.finish_batch($1::bigint[])";

/* load ids taken from the sequence per round trip, and most held */
#define LOAD_ID_BLOCK 256
#define LOAD_ID_POOL (LOADER_STAGE_MAX + LOAD_ID_BLOCK)
/* most files recorded per flush; a batch closes far earlier */
#define STAGE_FILES_MAX 4096
/* COPY data handed to libpq per call, and per loader_stage_pump */
#define PUMP_CHUNK (64u * 1024)
#define PUMP_BUDGET (256u * 1024)

/* Load ids reserved, in the order they were taken: the stages of one run
 * share one pool, so ids (and the submission ids of sql/load/merge.sql) grow in file
 * order across batches. */
struct id_pool {
    int64_t v[LOAD_ID_POOL];
    size_t n, next;
};

/* Where an in-flight merge is (loader_stage_merge_send .. _collect). */
enum merge_phase {
    MP_NONE,       /* nothing in flight */
    MP_DECIDE,     /* load.decide_batch sent */
    MP_DRAIN,      /* reading the end of a query, then `after` */
    MP_NEXT,       /* start the next table's COPY, or the finish */
    MP_COPY_START, /* COPY sent, waiting for the server to take data */
    MP_COPY_DATA,  /* sending the table's rows */
    MP_COPY_END,   /* all sent, waiting for the COPY's result */
    MP_FINISH,     /* load.finish_batch sent */
    MP_DONE        /* every result read */
};

struct loader_stage {
    struct dbuf copy[ROWS_NTABLES];     /* COPY rows per table */
    struct dbuf receipts;               /* COPY rows for raw.receipt */
    struct dbuf files[ROWS_FILE_NCOLS]; /* array literals for raw.file, without braces */
    size_t nfiles;
    int64_t ids[LOADER_STAGE_MAX]; /* load id of each staged slot, in order */
    /* where each slot's rows start in copy[t] (the buffers hold the slots
     * from `merged` on) */
    size_t mark[LOADER_STAGE_MAX][ROWS_NTABLES];
    struct loader_outcome out[LOADER_STAGE_MAX];
    size_t n;      /* staged submissions */
    size_t merged; /* of them, merged (outcomes valid) */
    struct id_pool own;
    struct id_pool *pool; /* &own, or another stage's (loader_stage_share_ids) */
    /* the merge in flight: slots merged .. inflight_end */
    enum merge_phase phase, after;
    size_t inflight_end;
    int table;     /* the table being copied */
    size_t sent;   /* of its buffer */
    char time[64]; /* the receipts' created_at (loader_stage_set_time), "" = now() */
};

void
loader_stage_set_time(struct loader_stage *stage, const char *time)
{
    snprintf(stage->time, sizeof(stage->time), "%s", time != NULL ? time : "");
}

/* Takes the loader role for the current transaction when this session
 * may, so loading runs with the privileges the baseline
 * (sql/migrations/087) grants and no more. A session that is not a member
 * (an external server's own account setup) loads with its own privileges. */
static int
take_loader_role(PGconn *conn, struct bz_error *e)
{
    int rc = 0;
    PGresult *res = PQexec(conn, sql_has_role);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = db_error(e, conn, res, "检查数据库角色");
    else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
        rc = pgutil_exec(conn, "SET LOCAL ROLE bizenv_loader", "切换数据库角色", e);
    PQclear(res);
    return rc;
}

int
loader_batch_begin(PGconn *conn, struct bz_error *e)
{
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        return bz_error_set(e, E_INTERNAL, "批量装载开始时已有未结束的事务");
    int rc = pgutil_exec(conn, "BEGIN", "开始数据库事务", e);
    if (rc == 0)
        rc = take_loader_role(conn, e);
    if (rc < 0)
        pgutil_rollback(conn);
    return rc;
}

int
loader_batch_commit(PGconn *conn, struct bz_error *e)
{
    return pgutil_commit(conn, "提交批量装载", e);
}

void
loader_batch_rollback(PGconn *conn)
{
    pgutil_rollback(conn);
}

static enum loader_result
parse_result(const char *str)
{
    if (strcmp(str, "accepted") == 0)
        return LOADER_ACCEPTED;
    if (strcmp(str, "duplicate") == 0)
        return LOADER_DUPLICATE;
    if (strcmp(str, "conflict") == 0)
        return LOADER_CONFLICT;
    if (strcmp(str, "stale") == 0)
        return LOADER_STALE;
    return LOADER_UNKNOWN_TOWNSHIP;
}

void
loader_result_message(const struct loader_outcome *o, int64_t revision, char *buf, size_t cap)
{
    switch (o->result) {
    case LOADER_ACCEPTED:
        snprintf(buf, cap, "已接收，当前版本为 %" PRId64, o->current_revision);
        break;
    case LOADER_DUPLICATE:
        snprintf(buf, cap, "该报表此前已接收（内容完全相同），未作任何更改");
        break;
    case LOADER_CONFLICT:
        snprintf(buf, cap, "版本号 %" PRId64 " 已有不同内容，请以版本号 %" PRId64 " 重新报送",
                 revision, o->current_revision + 1);
        break;
    case LOADER_STALE:
        snprintf(buf, cap, "版本号 %" PRId64 " 低于已接收的版本 %" PRId64 "，未予采用", revision,
                 o->current_revision);
        break;
    case LOADER_UNKNOWN_TOWNSHIP:
        snprintf(buf, cap, "乡镇代码不在全县乡镇名录中（或已停用）");
        break;
    }
}

struct loader_stage *
loader_stage_new(void)
{
    struct loader_stage *stage = calloc(1, sizeof(*stage));
    if (stage == NULL)
        return NULL;
    for (int t = 0; t < ROWS_NTABLES; t++)
        dbuf_init(&stage->copy[t], COPY_BUF_LIMIT);
    dbuf_init(&stage->receipts, COPY_BUF_LIMIT);
    for (int k = 0; k < ROWS_FILE_NCOLS; k++)
        dbuf_init(&stage->files[k], COPY_BUF_LIMIT);
    for (size_t i = 0; i < LOADER_STAGE_MAX; i++)
        diag_list_init(&stage->out[i].warnings, 64);
    stage->pool = &stage->own;
    return stage;
}

void
loader_stage_share_ids(struct loader_stage *stage, struct loader_stage *with)
{
    stage->pool = with->pool;
}

void
loader_stage_reset(struct loader_stage *stage)
{
    if (stage == NULL)
        return;
    for (int t = 0; t < ROWS_NTABLES; t++)
        dbuf_reset(&stage->copy[t]);
    dbuf_reset(&stage->receipts);
    for (int k = 0; k < ROWS_FILE_NCOLS; k++)
        dbuf_reset(&stage->files[k]);
    for (size_t i = 0; i < stage->n; i++) {
        diag_list_free(&stage->out[i].warnings);
        diag_list_init(&stage->out[i].warnings, 64);
    }
    stage->nfiles = 0;
    stage->n = 0;
    stage->merged = 0;
    stage->phase = MP_NONE;
    /* reserved ids may belong to a rolled-back sequence call: nextval is
     * never rolled back, so they stay unique and usable */
}

void
loader_stage_free(struct loader_stage *stage)
{
    if (stage == NULL)
        return;
    loader_stage_reset(stage);
    for (int t = 0; t < ROWS_NTABLES; t++)
        dbuf_free(&stage->copy[t]);
    dbuf_free(&stage->receipts);
    for (int k = 0; k < ROWS_FILE_NCOLS; k++)
        dbuf_free(&stage->files[k]);
    for (size_t i = 0; i < LOADER_STAGE_MAX; i++)
        diag_list_free(&stage->out[i].warnings);
    free(stage);
}

int
loader_stage_full(const struct loader_stage *stage)
{
    size_t bytes = stage->receipts.len;
    for (int t = 0; t < ROWS_NTABLES; t++)
        bytes += stage->copy[t].len;
    return stage->n >= LOADER_STAGE_MAX || stage->nfiles >= STAGE_FILES_MAX ||
           bytes >= LOADER_STAGE_BYTES;
}

int
loader_stage_file(struct loader_stage *stage, const char *sha256, int64_t size,
                  const char *original_name, time_t received_at, const char *archive_path,
                  struct bz_error *e)
{
    if (stage->nfiles >= STAGE_FILES_MAX)
        return bz_error_set(e, E_INTERNAL, "批量装载的文件数超过上限");
    int rc = rows_file(stage->files, sha256, size, original_name, received_at, archive_path);
    if (rc < 0)
        return pgutil_buffer_error(rc, e);
    stage->nfiles++;
    return 0;
}

/* Makes at least `want` load ids available without asking the server. */
static int
fill_pool(PGconn *conn, struct id_pool *p, size_t want, struct bz_error *e)
{
    size_t left = p->n - p->next;
    if (left >= want)
        return 0;
    memmove(p->v, p->v + p->next, left * sizeof(p->v[0]));
    p->n = left;
    p->next = 0;
    size_t more = want - left < LOAD_ID_BLOCK ? LOAD_ID_BLOCK : want - left;
    if (more > LOAD_ID_POOL - left)
        more = LOAD_ID_POOL - left;
    char n[16];
    const char *params[1] = {n};
    snprintf(n, sizeof(n), "%zu", more);
    PGresult *res = PQexecParams(conn, sql_load_ids, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || (size_t)PQntuples(res) != more) {
        int rc = db_error(e, conn, res, "分配装载编号");
        PQclear(res);
        return rc;
    }
    for (size_t i = 0; i < more; i++)
        p->v[p->n++] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
    PQclear(res);
    return 0;
}

int
loader_stage_reserve(PGconn *conn, struct loader_stage *stage, size_t n, struct bz_error *e)
{
    return fill_pool(conn, stage->pool, n > LOADER_STAGE_MAX ? LOADER_STAGE_MAX : n, e);
}

size_t
loader_stage_ids_left(const struct loader_stage *stage)
{
    return stage->pool->n - stage->pool->next;
}

int
loader_stage_submission(PGconn *conn, struct loader_stage *stage, const struct submission *sub,
                        const struct diag_list *warnings, const struct rows_origin *origin,
                        size_t *slot, struct bz_error *e)
{
    if (stage->n >= LOADER_STAGE_MAX)
        return bz_error_set(e, E_INTERNAL, "批量装载的报表数超过上限");
    size_t *mark = stage->mark[stage->n];
    if (stage->phase != MP_NONE)
        return bz_error_set(e, E_INTERNAL, "合并尚未结束时又暂存了报表");
    int rc = fill_pool(conn, stage->pool, 1, e);
    if (rc < 0)
        return rc;
    int64_t id = stage->pool->v[stage->pool->next++];
    for (int t = 0; t < ROWS_NTABLES; t++)
        mark[t] = stage->copy[t].len;
    rc = rows_submission(stage->copy, id, sub, warnings, origin);
    if (rc < 0)
        return pgutil_buffer_error(rc, e);
    stage->ids[stage->n] = id;
    *slot = stage->n++;
    return 0;
}

int
loader_stage_receipt(struct loader_stage *stage, const struct rows_receipt *r, struct bz_error *e)
{
    struct rows_receipt timed = *r;
    timed.created_at = stage->time[0] != '\0' ? stage->time : NULL;
    int rc = rows_receipt(&stage->receipts, &timed);
    return rc < 0 ? pgutil_buffer_error(rc, e) : 0;
}

/* One COPY of a whole buffer, sent in PGUTIL_COPY_FLUSH pieces. */
static int
copy_all(PGconn *conn, const char *sql, const char *what, struct dbuf *b, struct bz_error *e)
{
    if (b->len == 0)
        return 0;
    int rc = pgutil_copy_begin(conn, sql, what, e);
    if (rc == 0)
        rc = pgutil_copy_end(conn, b, what, e);
    dbuf_reset(b);
    return rc;
}

static int
send_files(PGconn *conn, struct loader_stage *stage, struct bz_error *e)
{
    struct dbuf lit[ROWS_FILE_NCOLS];
    const char *params[ROWS_FILE_NCOLS];
    int rc = 0;

    if (stage->nfiles == 0)
        return 0;
    for (int k = 0; k < ROWS_FILE_NCOLS; k++)
        dbuf_init(&lit[k], COPY_BUF_LIMIT);
    for (int k = 0; rc == 0 && k < ROWS_FILE_NCOLS; k++) {
        rc = dbuf_adds(&lit[k], "{");
        rc = rc ? rc : dbuf_add(&lit[k], stage->files[k].data, stage->files[k].len);
        rc = rc ? rc : dbuf_adds(&lit[k], "}");
        params[k] = lit[k].data;
    }
    if (rc < 0) {
        rc = pgutil_buffer_error(rc, e);
    } else {
        PGresult *res =
            PQexecParams(conn, sql_record_files, ROWS_FILE_NCOLS, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = db_error(e, conn, res, "记录收到的文件");
        PQclear(res);
    }
    for (int k = 0; k < ROWS_FILE_NCOLS; k++) {
        dbuf_free(&lit[k]);
        dbuf_reset(&stage->files[k]);
    }
    stage->nfiles = 0;
    return rc;
}

/* Sends a query with one bigint[] parameter (ids[from..to)) without
 * waiting for its result. */
static int
send_ids(PGconn *conn, const char *sql, const int64_t *ids, size_t from, size_t to,
         const char *what, struct bz_error *e)
{
    struct dbuf arr;
    dbuf_init(&arr, (size_t)LOADER_STAGE_MAX * 24 + 8);
    int rc = dbuf_adds(&arr, "{");
    for (size_t i = from; rc == 0 && i < to; i++)
        rc = dbuf_printf(&arr, i > from ? ",%" PRId64 : "%" PRId64, ids[i]);
    rc = rc ? rc : dbuf_adds(&arr, "}");
    if (rc < 0) {
        rc = pgutil_buffer_error(rc, e);
    } else {
        const char *params[1] = {arr.data};
        if (PQsendQueryParams(conn, sql, 1, NULL, params, NULL, NULL, 0) != 1)
            rc = db_error(e, conn, NULL, what);
    }
    dbuf_free(&arr);
    return rc;
}

/* The next result of the statement in flight: 1 with *res set (NULL when
 * the statement is done), 0 when it has not come yet (only when not
 * `block`), BZ_EDB when the connection failed. */
static int
next_result(PGconn *conn, int block, PGresult **res, const char *what, struct bz_error *e)
{
    if (!block) {
        if (PQconsumeInput(conn) == 0)
            return db_error(e, conn, NULL, what);
        if (PQisBusy(conn))
            return 0;
    }
    *res = PQgetResult(conn);
    return 1;
}

/* The decisions of load.decide_batch, one row per slot in order. Then the
 * rows of submissions not accepted are dropped from the buffers, so what
 * is left is exactly what goes into facts. */
static int
read_decisions(PGconn *conn, struct loader_stage *stage, PGresult *res, struct bz_error *e)
{
    size_t from = stage->merged, to = stage->inflight_end;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || (size_t)PQntuples(res) != to - from)
        return db_error(e, conn, res, "合并报表");
    for (size_t i = from; i < to; i++) {
        int r = (int)(i - from);
        struct loader_outcome *o = &stage->out[i];
        o->result = parse_result(PQgetvalue(res, r, 1));
        o->submission_id = PQgetisnull(res, r, 2) ? 0 : strtoll(PQgetvalue(res, r, 2), NULL, 10);
        o->current_revision = PQgetisnull(res, r, 3) ? 0 : strtoll(PQgetvalue(res, r, 3), NULL, 10);
        if (o->result == LOADER_ACCEPTED && o->submission_id != stage->ids[i])
            return bz_error_set(e, E_INTERNAL, "合并结果与装载编号对不上");
    }
    for (int t = ROWS_WINDOW; t < ROWS_NTABLES; t++) {
        struct dbuf *b = &stage->copy[t];
        size_t w = 0;
        for (size_t i = from; i < to; i++) {
            size_t start = stage->mark[i][t], end = i + 1 < to ? stage->mark[i + 1][t] : b->len;
            if (stage->out[i].result != LOADER_ACCEPTED || end == start)
                continue;
            if (w != start)
                memmove(b->data + w, b->data + start, end - start);
            w += end - start;
        }
        b->len = w;
    }
    return 0;
}

/* The merge's own warnings (load.finish_batch), to the accepted slots. */
static int
read_warnings(PGconn *conn, struct loader_stage *stage, PGresult *res, struct bz_error *e)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_error(e, conn, res, "读取装载警告");
    /* rows come ordered by submission id, as the accepted slots are */
    size_t slot = stage->merged, to = stage->inflight_end;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t sid = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        while (slot < to && !(stage->out[slot].result == LOADER_ACCEPTED &&
                              stage->out[slot].submission_id == sid))
            slot++;
        if (slot == to)
            return bz_error_set(e, E_INTERNAL, "装载警告与报表对不上");
        long line = PQgetisnull(res, r, 2) ? 0 : atol(PQgetvalue(res, r, 2));
        if (diag_add(&stage->out[slot].warnings, PQgetvalue(res, r, 1), line, PQgetvalue(res, r, 3),
                     "%s", PQgetvalue(res, r, 4)) < 0)
            return bz_error_set(e, E_NOMEM, "内存不足，无法记录装载警告");
    }
    return 0;
}

/* Starts the COPY of the next table with rows, or, after the last, the
 * finishing query (or nothing: no submission was accepted). */
static int
start_next(PGconn *conn, struct loader_stage *stage, struct bz_error *e)
{
    while (++stage->table < ROWS_NTABLES && stage->copy[stage->table].len == 0)
        ;
    if (stage->table < ROWS_NTABLES) {
        stage->sent = 0;
        stage->phase = MP_COPY_START;
        if (PQsendQuery(conn, rows_copy_sql[stage->table]) != 1)
            return db_error(e, conn, NULL, rows_copy_what[stage->table]);
        return 0;
    }
    int64_t sids[LOADER_STAGE_MAX];
    size_t nsids = 0;
    for (size_t i = stage->merged; i < stage->inflight_end; i++)
        if (stage->out[i].result == LOADER_ACCEPTED)
            sids[nsids++] = stage->out[i].submission_id;
    if (nsids == 0) {
        stage->phase = MP_DONE;
        return 0;
    }
    stage->phase = MP_FINISH;
    return send_ids(conn, sql_finish_batch, sids, 0, nsids, "合并报表", e);
}

/* Room in the socket for more COPY data without waiting. */
static int
writable(PGconn *conn)
{
    struct pollfd p = {.fd = PQsocket(conn), .events = POLLOUT};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

/* Sends rows of the current table: all of them when `block`, else what
 * the socket takes now, at most PUMP_BUDGET bytes. Returns 1 when the
 * table is sent (COPY ended), 0 when rows are left, or the failure. */
static int
send_rows(PGconn *conn, struct loader_stage *stage, int block, struct bz_error *e)
{
    struct dbuf *b = &stage->copy[stage->table];
    size_t budget = PUMP_BUDGET;
    while (stage->sent < b->len) {
        if (!block && (budget == 0 || !writable(conn)))
            return PQflush(conn) < 0 ? db_error(e, conn, NULL, rows_copy_what[stage->table]) : 0;
        size_t n = b->len - stage->sent < PUMP_CHUNK ? b->len - stage->sent : PUMP_CHUNK;
        if (!block && n > budget)
            n = budget;
        if (PQputCopyData(conn, b->data + stage->sent, (int)n) != 1)
            return db_error(e, conn, NULL, rows_copy_what[stage->table]);
        stage->sent += n;
        budget -= n;
    }
    if (PQputCopyEnd(conn, NULL) != 1)
        return db_error(e, conn, NULL, rows_copy_what[stage->table]);
    dbuf_reset(b);
    return 1;
}

/* Moves the merge in flight along: as far as it can without waiting, or
 * (`block`) to its end. A failed statement's error is the result. */
static int
run_merge(PGconn *conn, struct loader_stage *stage, int block, struct bz_error *e)
{
    PGresult *res = NULL;
    int rc = 0;
    while (rc == 0) {
        enum merge_phase ph = stage->phase;
        const char *what = ph == MP_COPY_START || ph == MP_COPY_DATA || ph == MP_COPY_END
                               ? rows_copy_what[stage->table]
                               : "合并报表";
        if (ph == MP_NONE)
            return 0;
        if (ph == MP_DONE) {
            stage->merged = stage->inflight_end;
            stage->phase = MP_NONE;
            return 0;
        }
        if (ph == MP_NEXT) {
            rc = start_next(conn, stage, e);
            continue;
        }
        if (ph == MP_COPY_DATA) {
            rc = send_rows(conn, stage, block, e);
            if (rc == 0)
                return 0; /* the socket is full: later */
            if (rc == 1) {
                rc = 0;
                stage->phase = MP_COPY_END;
            }
            continue;
        }
        int got = next_result(conn, block, &res, what, e);
        if (got <= 0)
            return got;
        switch (ph) {
        case MP_DECIDE:
            rc = read_decisions(conn, stage, res, e);
            stage->table = ROWS_SUBMISSION;
            stage->after = MP_NEXT;
            stage->phase = MP_DRAIN;
            break;
        case MP_COPY_START:
            if (PQresultStatus(res) == PGRES_COPY_IN) {
                stage->phase = MP_COPY_DATA;
            } else {
                rc = db_error(e, conn, res, what);
                stage->after = MP_NEXT;
                stage->phase = MP_DRAIN;
            }
            break;
        case MP_COPY_END:
        case MP_FINISH:
            if (ph == MP_FINISH)
                rc = read_warnings(conn, stage, res, e);
            else if (PQresultStatus(res) != PGRES_COMMAND_OK)
                rc = db_error(e, conn, res, what);
            stage->after = ph == MP_FINISH ? MP_DONE : MP_NEXT;
            stage->phase = MP_DRAIN;
            break;
        default: /* MP_DRAIN: the statement's end, or an error after its result */
            if (res == NULL)
                stage->phase = stage->after;
            else if (PQresultStatus(res) == PGRES_FATAL_ERROR)
                rc = db_error(e, conn, res, what);
            break;
        }
        PQclear(res);
        res = NULL;
    }
    return rc;
}

int
loader_stage_merge_send(PGconn *conn, struct loader_stage *stage, struct bz_error *e)
{
    size_t from = stage->merged;

    if (stage->phase != MP_NONE)
        return bz_error_set(e, E_INTERNAL, "上一次合并尚未取回结果");
    int rc = send_files(conn, stage, e);
    if (rc < 0 || from == stage->n)
        return rc;
    rc = copy_all(conn, rows_copy_sql[ROWS_SUBMISSION], rows_copy_what[ROWS_SUBMISSION],
                  &stage->copy[ROWS_SUBMISSION], e);
    if (rc == 0)
        rc = send_ids(conn, sql_decide_batch, stage->ids, from, stage->n, "合并报表", e);
    if (rc == 0) {
        stage->phase = MP_DECIDE;
        stage->inflight_end = stage->n;
    }
    return rc;
}

int
loader_stage_pump(PGconn *conn, struct loader_stage *stage, struct bz_error *e)
{
    return run_merge(conn, stage, 0, e);
}

int
loader_stage_merge_collect(PGconn *conn, struct loader_stage *stage, struct bz_error *e)
{
    return run_merge(conn, stage, 1, e);
}

/* Reads what is left of a sent statement (ending a COPY in progress), so
 * the connection takes the next one. */
static void
drain(PGconn *conn)
{
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType status = PQresultStatus(res);
        PQclear(res);
        if (status == PGRES_COPY_IN) {
            if (PQputCopyEnd(conn, "批量装载已放弃") < 0)
                return;
        } else if (status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
            return;
        }
    }
}

void
loader_stage_merge_cancel(PGconn *conn, struct loader_stage *stage)
{
    if (stage->phase == MP_NONE)
        return;
    if (stage->phase == MP_COPY_DATA) {
        /* the COPY ends with an error; its statement is then over */
        PQputCopyEnd(conn, "批量装载已放弃");
    } else if (stage->phase != MP_DONE) {
        PGcancel *c = PQgetCancel(conn);
        if (c != NULL) {
            char err[256];
            PQcancel(c, err, sizeof(err));
            PQfreeCancel(c);
        }
    }
    stage->phase = MP_NONE;
    drain(conn);
}

int
loader_stage_merge(PGconn *conn, struct loader_stage *stage, struct bz_error *e)
{
    int rc = loader_stage_merge_send(conn, stage, e);
    if (rc == 0)
        rc = loader_stage_merge_collect(conn, stage, e);
    return rc;
}

struct loader_outcome *
loader_stage_outcome(struct loader_stage *stage, size_t slot)
{
    return slot < stage->merged ? &stage->out[slot] : NULL;
}

int
loader_stage_finish(PGconn *conn, struct loader_stage *stage, struct bz_error *e)
{
    int rc = loader_stage_merge(conn, stage, e);
    if (rc == 0)
        rc = copy_all(conn, stage->time[0] ? rows_copy_receipt_timed : rows_copy_receipt,
                      "保存回执", &stage->receipts, e);
    if (rc == 0)
        loader_stage_reset(stage);
    return rc;
}
