#include "loader.h"

#include "../common/dbuf.h"
#include "db.h"
#include "pgutil.h"
#include "regcsv.h"

#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One COPY row may hold a whole free-text item; text nodes are capped far
 * below this by the transform settings, so hitting it means a bug. */
#define COPY_BUF_LIMIT (32u * 1024 * 1024)

static const char sql_has_role[] = "SELECT pg_has_role('bizenv_loader', 'MEMBER')";
static const char sql_next_load[] = "SELECT nextval('staging.load_id_seq')";
static const char sql_record_file[] =
    "INSERT INTO raw.file (sha256, size, original_name, received_at, archive_path)"
    " VALUES ($1, $2::bigint, $3, to_timestamp($4::bigint), $5)"
    " ON CONFLICT (sha256) DO NOTHING";
static const char sql_store_receipt[] =
    "INSERT INTO raw.receipt (file_sha256, member, township_code, period, revision, outcome,"
    " codes, body, body_json)"
    " VALUES ($1, $2, $3, $4::date, $5::int, $6, $7::text[], $8, $9::jsonb) RETURNING id";
static const char sql_merge_registry[] =
    "SELECT added, renamed, inactivated, reactivated, unchanged"
    " FROM load.merge_registry($1::bigint)";
static const char sql_lookup[] = "SELECT name FROM ref.township WHERE code = $1 AND active";

static const char copy_submission[] =
    "COPY staging.submission (load_id, file_sha256, member, doc_sha256, received_at,"
    " township_code, township_name_given, period, revision, submitted_at, contact_name,"
    " contact_phone, sites_total, sites_with_window, consultations, consultations_approx,"
    " job_postings, job_postings_approx, recruitment_events, county_items, handled, evaluated,"
    " reported_rate, symposia, merchants_visited, enterprises_visited, inspections,"
    " warning_sessions, violations, complaints_received, complaints_resolved) FROM STDIN";
/* Child rows go straight into facts, only for the submissions
 * load.decide_batch accepted, carrying the load id as submission id (sql/load/merge.sql). */
static const char copy_window[] =
    "COPY facts.window (submission_id, ord, window_id, name, catalog) FROM STDIN";
static const char copy_leader[] =
    "COPY facts.leader (submission_id, ord, leader_id, role, title) FROM STDIN";
static const char copy_walk[] =
    "COPY facts.walk (submission_id, ord, leader_id, window_id, walk_date, problem_ids) FROM STDIN";
static const char copy_problem[] =
    "COPY facts.problem (submission_id, ord, problem_id, source, status, found, rectified,"
    " deadline, description) FROM STDIN";
static const char copy_text_item[] =
    "COPY facts.text_item (submission_id, kind, ord, body) FROM STDIN";
static const char copy_attachment[] =
    "COPY facts.attachment (submission_id, ord, name, size, sha256) FROM STDIN";
static const char copy_warning[] =
    "COPY facts.warning (submission_id, ord, code, line, path, message) FROM STDIN";
static const char copy_registry[] = "COPY staging.registry (load_id, line, code, name) FROM STDIN";

static const char *const text_kinds[SUBM_TEXT_KINDS] = {"mechanism", "difficulty", "next_step",
                                                        "suggestion"};

/* Takes the loader role for the current transaction when this session
 * may, so loading runs with the privileges the baseline (sql/migrations/087) grants and no more. A
 * session that is not a member (an external server's own account setup)
 * loads with its own privileges. */
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

/* Opens the unit of work of one loader call: its own transaction, or,
 * inside a batch (loader_batch_begin), a savepoint, so the call stays
 * atomic while many of them share one COMMIT. *nested says which, for
 * end_unit/abort_unit. */
static int
begin_unit(PGconn *conn, int *nested, struct bz_error *e)
{
    *nested = PQtransactionStatus(conn) == PQTRANS_INTRANS;
    if (*nested)
        return pgutil_exec(conn, "SAVEPOINT bizenv_unit", "设置保存点", e);
    int rc = pgutil_exec(conn, "BEGIN", "开始数据库事务", e);
    if (rc == 0)
        rc = take_loader_role(conn, e);
    if (rc < 0)
        pgutil_rollback(conn);
    return rc;
}

static int
end_unit(PGconn *conn, int nested, const char *what, struct bz_error *e)
{
    return pgutil_exec(conn, nested ? "RELEASE SAVEPOINT bizenv_unit" : "COMMIT", what, e);
}

/* Undoes the unit; inside a batch the batch itself stays usable. */
static void
abort_unit(PGconn *conn, int nested)
{
    if (!nested) {
        pgutil_rollback(conn);
        return;
    }
    PQclear(PQexec(conn, "ROLLBACK TO SAVEPOINT bizenv_unit; RELEASE SAVEPOINT bizenv_unit"));
}

int
loader_batch_begin(PGconn *conn, struct bz_error *e)
{
    int nested;
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        return bz_error_set(e, BZ_EDB, "E_INTERNAL", "批量装载开始时已有未结束的事务");
    return begin_unit(conn, &nested, e);
}

int
loader_batch_commit(PGconn *conn, struct bz_error *e)
{
    int rc = pgutil_exec(conn, "COMMIT", "提交批量装载", e);
    if (rc < 0)
        pgutil_rollback(conn);
    return rc;
}

void
loader_batch_rollback(PGconn *conn)
{
    pgutil_rollback(conn);
}

/* Runs a one-row query with text parameters; the caller clears *res. */
static int
query_row(PGconn *conn, const char *sql, int n, const char *const *params, const char *what,
          PGresult **res, struct bz_error *e)
{
    *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(*res) != PGRES_TUPLES_OK || PQntuples(*res) != 1)
        return db_error(e, conn, *res, what);
    return 0;
}

static int
next_load_id(PGconn *conn, int64_t *id, struct bz_error *e)
{
    PGresult *res;
    int rc = query_row(conn, sql_next_load, 0, NULL, "分配装载编号", &res, e);
    if (rc == 0)
        *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return rc;
}

/* time_t as a timestamptz COPY/parameter value (UTC, explicit offset). */
static void
format_time(time_t t, char buf[32])
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%d %H:%M:%S+00", &tm) == 0)
        snprintf(buf, 32, "1970-01-01 00:00:00+00");
}

static int
count_field(struct dbuf *b, const struct subm_count *c, int with_approx)
{
    int rc = pgutil_copy_int(b, 0, c->value);
    if (rc == 0 && with_approx)
        rc = pgutil_copy_text(b, 0, c->approx ? "t" : "f");
    return rc;
}

static int
submission_row(struct dbuf *b, int64_t load_id, const struct submission *s,
               const struct loader_meta *m)
{
    char received[32];
    format_time(m->received_at, received);
    int rc = pgutil_copy_int(b, 1, load_id);
    rc = rc ? rc : pgutil_copy_text(b, 0, m->file_sha256);
    rc = rc ? rc : pgutil_copy_text(b, 0, m->member ? m->member : "");
    rc = rc ? rc : pgutil_copy_text(b, 0, s->doc_sha256);
    rc = rc ? rc : pgutil_copy_text(b, 0, received);
    rc = rc ? rc : pgutil_copy_text(b, 0, s->township_code);
    rc = rc ? rc : pgutil_copy_text(b, 0, s->township_name ? s->township_name : "");
    rc = rc ? rc : pgutil_copy_date(b, 0, (int32_t)(s->year * 10000 + s->month * 100 + 1));
    rc = rc ? rc : pgutil_copy_int(b, 0, s->revision);
    rc = rc ? rc : pgutil_copy_text(b, 0, s->submitted_at);
    rc = rc ? rc : pgutil_copy_text(b, 0, s->contact_name ? s->contact_name : "");
    rc = rc ? rc : pgutil_copy_text(b, 0, s->contact_phone);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->sites_total);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->sites_with_window);
    rc = rc ? rc : count_field(b, &s->consultations, 1);
    rc = rc ? rc : count_field(b, &s->job_postings, 1);
    rc = rc ? rc : count_field(b, &s->recruitment_events, 0);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->county_items);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->handled);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->evaluated);
    rc = rc ? rc : pgutil_copy_text(b, 0, s->reported_rate);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->symposia);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->merchants_visited);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->enterprises_visited);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->inspections);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->warning_sessions);
    rc = rc ? rc : pgutil_copy_int(b, 0, s->violations);
    if (s->has_complaints) {
        rc = rc ? rc : pgutil_copy_int(b, 0, s->complaints_received);
        rc = rc ? rc : pgutil_copy_int(b, 0, s->complaints_resolved);
    } else {
        rc = rc ? rc : pgutil_copy_text(b, 0, NULL);
        rc = rc ? rc : pgutil_copy_text(b, 0, NULL);
    }
    return rc ? rc : pgutil_copy_end_row(b);
}

/* COPY rows of the submission's windows (facts.window). */
static int
window_rows(struct dbuf *b, int64_t id, const struct submission *s)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nwindows; i++) {
        const struct subm_window *w = &s->windows[i];
        rc = pgutil_copy_int(b, 1, id);
        rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
        rc = rc ? rc : pgutil_copy_text(b, 0, w->id);
        rc = rc ? rc : pgutil_copy_text(b, 0, w->name);
        rc = rc ? rc : pgutil_copy_text(b, 0, w->catalog);
        rc = rc ? rc : pgutil_copy_end_row(b);
    }
    return rc;
}

/* COPY rows of the submission's leaders (facts.leader). */
static int
leader_rows(struct dbuf *b, int64_t id, const struct submission *s)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nleaders; i++) {
        const struct subm_leader *l = &s->leaders[i];
        rc = pgutil_copy_int(b, 1, id);
        rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
        rc = rc ? rc : pgutil_copy_text(b, 0, l->id);
        rc = rc ? rc : pgutil_copy_text(b, 0, l->role);
        rc = rc ? rc : pgutil_copy_text(b, 0, l->title);
        rc = rc ? rc : pgutil_copy_end_row(b);
    }
    return rc;
}

/* COPY rows of the submission's walks (facts.walk). */
static int
walk_rows(struct dbuf *b, int64_t id, const struct submission *s)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nwalks; i++) {
        const struct subm_walk *w = &s->walks[i];
        rc = pgutil_copy_int(b, 1, id);
        rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
        rc = rc ? rc : pgutil_copy_text(b, 0, w->leader);
        rc = rc ? rc : pgutil_copy_text(b, 0, w->window);
        rc = rc ? rc : pgutil_copy_date(b, 0, w->date);
        rc = rc ? rc : pgutil_copy_text_array(b, 0, w->problems, w->nproblems);
        rc = rc ? rc : pgutil_copy_end_row(b);
    }
    return rc;
}

/* COPY rows of the submission's problems (facts.problem). */
static int
problem_rows(struct dbuf *b, int64_t id, const struct submission *s)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nproblems; i++) {
        const struct subm_problem *p = &s->problems[i];
        rc = pgutil_copy_int(b, 1, id);
        rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
        rc = rc ? rc : pgutil_copy_text(b, 0, p->id);
        rc = rc ? rc : pgutil_copy_text(b, 0, p->source);
        rc = rc ? rc : pgutil_copy_text(b, 0, p->status);
        rc = rc ? rc : pgutil_copy_date(b, 0, p->found);
        rc = rc ? rc : pgutil_copy_date(b, 0, p->rectified);
        rc = rc ? rc : pgutil_copy_date(b, 0, p->deadline);
        rc = rc ? rc : pgutil_copy_text(b, 0, p->text);
        rc = rc ? rc : pgutil_copy_end_row(b);
    }
    return rc;
}

static int
text_rows(struct dbuf *b, int64_t id, const struct submission *s)
{
    int rc = 0;
    for (int k = 0; k < SUBM_TEXT_KINDS; k++)
        for (size_t i = 0; rc == 0 && i < s->texts[k].n; i++) {
            rc = pgutil_copy_int(b, 1, id);
            rc = rc ? rc : pgutil_copy_text(b, 0, text_kinds[k]);
            rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
            rc = rc ? rc : pgutil_copy_text(b, 0, s->texts[k].items[i]);
            rc = rc ? rc : pgutil_copy_end_row(b);
        }
    return rc;
}

static int
attachment_rows(struct dbuf *b, int64_t id, const struct submission *s)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nattachments; i++) {
        const struct subm_attachment *a = &s->attachments[i];
        rc = pgutil_copy_int(b, 1, id);
        rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
        rc = rc ? rc : pgutil_copy_text(b, 0, a->name);
        rc = rc ? rc : pgutil_copy_int(b, 0, a->size);
        rc = rc ? rc : pgutil_copy_text(b, 0, a->sha256);
        rc = rc ? rc : pgutil_copy_end_row(b);
    }
    return rc;
}

/* Only warnings are stored (a submission with errors is never loaded),
 * numbered from 1 in the transform's order (facts.warning). */
static int
diagnostic_rows(struct dbuf *b, int64_t id, const struct diag_list *w)
{
    int rc = 0;
    int64_t ord = 0;
    for (size_t i = 0; w != NULL && rc == 0 && i < w->n; i++) {
        const struct diag *d = &w->items[i];
        if (d->severity != DIAG_WARNING)
            continue;
        rc = pgutil_copy_int(b, 1, id);
        rc = rc ? rc : pgutil_copy_int(b, 0, ++ord);
        rc = rc ? rc : pgutil_copy_text(b, 0, d->code);
        if (d->line > 0)
            rc = rc ? rc : pgutil_copy_int(b, 0, d->line);
        else
            rc = rc ? rc : pgutil_copy_text(b, 0, NULL);
        rc = rc ? rc : pgutil_copy_text(b, 0, d->path ? d->path : "");
        rc = rc ? rc : pgutil_copy_text(b, 0, d->message ? d->message : "");
        rc = rc ? rc : pgutil_copy_end_row(b);
    }
    return rc;
}

static int
buffer_error(int rc, struct bz_error *e)
{
    if (rc == BZ_ENOMEM)
        return bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足，无法装载报表");
    return bz_error_set(e, BZ_ELIMIT, "E_INTERNAL", "装载数据超过缓冲区上限");
}

static enum loader_result
parse_result(const char *s)
{
    if (strcmp(s, "accepted") == 0)
        return LOADER_ACCEPTED;
    if (strcmp(s, "duplicate") == 0)
        return LOADER_DUPLICATE;
    if (strcmp(s, "conflict") == 0)
        return LOADER_CONFLICT;
    if (strcmp(s, "stale") == 0)
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

/* A single statement as one unit (transaction or savepoint) under the
 * loader role. */
static int
exec_as_loader(PGconn *conn, const char *sql, int n, const char *const *params, ExecStatusType want,
               const char *what, PGresult **keep, struct bz_error *e)
{
    int nested;
    int rc = begin_unit(conn, &nested, e);
    if (rc < 0)
        return rc;
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != want)
        rc = db_error(e, conn, res, what);
    if (rc == 0)
        rc = end_unit(conn, nested, what, e);
    if (rc < 0)
        abort_unit(conn, nested);
    if (keep != NULL && rc == 0)
        *keep = res;
    else
        PQclear(res);
    return rc;
}

int
loader_record_file(PGconn *conn, const char *sha256, int64_t size, const char *original_name,
                   time_t received_at, const char *archive_path, struct bz_error *e)
{
    char ssize[32], stime[32];
    snprintf(ssize, sizeof(ssize), "%" PRId64, size);
    snprintf(stime, sizeof(stime), "%lld", (long long)received_at);
    const char *params[5] = {sha256, ssize, original_name, stime, archive_path};
    return exec_as_loader(conn, sql_record_file, 5, params, PGRES_COMMAND_OK, "记录收到的文件",
                          NULL, e);
}

int
loader_store_receipt(PGconn *conn, const struct loader_receipt *r, int64_t *id, struct bz_error *e)
{
    char period[16], revision[32];
    const char *codes[64];
    size_t ncodes = 0;
    struct dbuf arr;
    PGresult *res = NULL;

    /* codes are catalog identifiers; the array keeps the first 64 distinct */
    for (size_t i = 0; r->diags != NULL && i < r->diags->n && ncodes < 64; i++) {
        size_t k = 0;
        while (k < ncodes && strcmp(codes[k], r->diags->items[i].code) != 0)
            k++;
        if (k == ncodes)
            codes[ncodes++] = r->diags->items[i].code;
    }
    dbuf_init(&arr, 64 * 40);
    int rc = pgutil_array_literal(&arr, codes, ncodes);
    if (rc < 0)
        return buffer_error(rc, e);
    snprintf(period, sizeof(period), "%04d-%02d-01", r->year, r->month);
    snprintf(revision, sizeof(revision), "%" PRId64, r->revision);
    const char *params[9] = {r->file_sha256,
                             r->member ? r->member : "",
                             r->township_code,
                             r->year > 0 ? period : NULL,
                             r->revision > 0 ? revision : NULL,
                             r->outcome,
                             arr.data,
                             r->body,
                             r->body_json};
    rc = exec_as_loader(conn, sql_store_receipt, 9, params, PGRES_TUPLES_OK, "保存回执", &res, e);
    if (rc == 0 && id != NULL)
        *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    dbuf_free(&arr);
    return rc;
}

static int
read_file(const char *path, struct dbuf *b, struct bz_error *e)
{
    FILE *f = fopen(path, "rb");
    int rc = 0;
    if (f == NULL) {
        int err = errno;
        if (err == ENOENT)
            rc = bz_error_set(e, BZ_ENOTFOUND, "E_NOINPUT", "找不到乡镇名录文件“%s”", path);
        else
            rc = bz_error_set(e, BZ_EIO, "E_IO_READ", "无法打开乡镇名录文件“%s”", path);
        bz_error_detail(e, "%s", strerror(err));
        bz_error_at(e, path, 0);
        return rc;
    }
    char chunk[8192];
    size_t n;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = dbuf_add(b, chunk, n);
        if (rc == BZ_ELIMIT)
            rc =
                bz_error_set(e, BZ_ELIMIT, "E_REGISTRY_FORMAT", "乡镇名录文件“%s”超过 %ld 字节上限",
                             path, (long)LOADER_REGISTRY_MAX_BYTES);
        else if (rc < 0)
            rc = buffer_error(rc, e);
    }
    if (rc == 0 && ferror(f)) {
        rc = bz_error_set(e, BZ_EIO, "E_IO_READ", "读取乡镇名录文件“%s”失败", path);
        bz_error_at(e, path, 0);
    }
    fclose(f);
    return rc;
}

static int
stage_registry(PGconn *conn, int64_t id, const struct regcsv *r, struct bz_error *e)
{
    struct dbuf b;
    dbuf_init(&b, COPY_BUF_LIMIT);
    int rc = pgutil_copy_begin(conn, copy_registry, "写入乡镇名录暂存表", e);
    for (size_t i = 0; rc == 0 && i < r->n; i++) {
        int brc = pgutil_copy_int(&b, 1, id);
        brc = brc ? brc : pgutil_copy_int(&b, 0, r->rows[i].line);
        brc = brc ? brc : pgutil_copy_text(&b, 0, r->rows[i].code);
        brc = brc ? brc : pgutil_copy_text(&b, 0, r->rows[i].name);
        brc = brc ? brc : pgutil_copy_end_row(&b);
        rc = brc < 0 ? buffer_error(brc, e) : pgutil_copy_flush(conn, &b, 0, e);
    }
    if (rc == 0)
        rc = pgutil_copy_end(conn, &b, "写入乡镇名录暂存表", e);
    else if (PQtransactionStatus(conn) == PQTRANS_ACTIVE)
        pgutil_copy_abort(conn);
    dbuf_free(&b);
    return rc;
}

static int
merge_registry(PGconn *conn, int64_t id, struct loader_registry_stats *st, struct bz_error *e)
{
    char sid[32];
    const char *params[1] = {sid};
    PGresult *res;
    snprintf(sid, sizeof(sid), "%" PRId64, id);
    int rc = query_row(conn, sql_merge_registry, 1, params, "合并乡镇名录", &res, e);
    if (rc == 0) {
        st->added = atoi(PQgetvalue(res, 0, 0));
        st->renamed = atoi(PQgetvalue(res, 0, 1));
        st->inactivated = atoi(PQgetvalue(res, 0, 2));
        st->reactivated = atoi(PQgetvalue(res, 0, 3));
        st->unchanged = atoi(PQgetvalue(res, 0, 4));
    }
    PQclear(res);
    return rc;
}

int
loader_registry_load(PGconn *conn, const char *csv_path, struct loader_registry_stats *st,
                     struct bz_error *e)
{
    struct dbuf data;
    memset(st, 0, sizeof(*st));
    dbuf_init(&data, LOADER_REGISTRY_MAX_BYTES);
    int rc = read_file(csv_path, &data, e);
    if (rc == 0)
        rc = loader_registry_merge(conn, data.data ? data.data : "", data.len, csv_path, st, e);
    dbuf_free(&data);
    return rc;
}

int
loader_registry_read(const char *path, struct dbuf *data, struct bz_error *e)
{
    return read_file(path, data, e);
}

int
loader_registry_merge(PGconn *conn, const char *data, size_t len, const char *shown,
                      struct loader_registry_stats *st, struct bz_error *e)
{
    struct regcsv reg;
    int64_t id = 0;
    int in_tx = 0, nested = 0;

    memset(st, 0, sizeof(*st));
    memset(&reg, 0, sizeof(reg));
    int rc = regcsv_parse(data, len, shown, &reg, e);
    if (rc < 0)
        goto out;
    rc = begin_unit(conn, &nested, e);
    if (rc < 0)
        goto out;
    in_tx = 1;
    rc = next_load_id(conn, &id, e);
    if (rc == 0)
        rc = stage_registry(conn, id, &reg, e);
    if (rc == 0)
        rc = merge_registry(conn, id, st, e);
    if (rc == 0)
        rc = end_unit(conn, nested, "提交乡镇名录", e);
out:
    if (rc < 0 && in_tx) {
        abort_unit(conn, nested);
        memset(st, 0, sizeof(*st));
    }
    regcsv_free(&reg);
    return rc;
}

int
loader_township_lookup(const char *code, const char **name, void *conn)
{
    static char found[REGCSV_MAX_NAME * 2];
    const char *params[1] = {code};
    PGresult *res = PQexecParams(conn, sql_lookup, 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = BZ_EDB;
    } else if (PQntuples(res) == 1) {
        bz_strlcpy_utf8(found, PQgetvalue(res, 0, 0), sizeof(found));
        if (name != NULL)
            *name = found;
        rc = 1;
    }
    PQclear(res);
    return rc;
}

/* Staged batches ----------------------------------------------------------- */

enum {
    ST_SUBMISSION, /* staging.submission: the headers load.decide_batch judges */
    ST_WINDOW,     /* the rest: facts tables, accepted submissions only */
    ST_LEADER,
    ST_WALK,
    ST_PROBLEM,
    ST_TEXT,
    ST_ATTACHMENT,
    ST_WARNING,
    ST_TABLES
};

/* windows and leaders before walks (the walk's foreign keys) */
static const char *const stage_copy_sql[ST_TABLES] = {copy_submission, copy_window,  copy_leader,
                                                      copy_walk,       copy_problem, copy_text_item,
                                                      copy_attachment, copy_warning};
static const char *const stage_copy_what[ST_TABLES] = {"写入报表暂存表", "写入窗口表", "写入领导表",
                                                       "写入走流程表",   "写入问题表", "写入文字表",
                                                       "写入附件表",     "写入警告表"};

static const char copy_receipt[] =
    "COPY raw.receipt (file_sha256, member, township_code, period, revision, outcome, codes,"
    " body, body_json) FROM STDIN";
/* the same with the time set by loader_stage_set_time (bizenv rebuild) */
static const char copy_receipt_timed[] =
    "COPY raw.receipt (file_sha256, member, township_code, period, revision, outcome, codes,"
    " body, body_json, created_at) FROM STDIN";
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
    size_t block; /* most taken per round trip: LOAD_ID_BLOCK, or 1 */
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
    struct dbuf copy[ST_TABLES]; /* COPY rows per table */
    struct dbuf receipts;        /* COPY rows for raw.receipt */
    struct dbuf files[5];        /* array literals for raw.file, without braces */
    size_t nfiles;
    int64_t ids[LOADER_STAGE_MAX]; /* load id of each staged slot, in order */
    /* where each slot's rows start in copy[t] (the buffers hold the slots
     * from `merged` on) */
    size_t mark[LOADER_STAGE_MAX][ST_TABLES];
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
loader_stage_set_time(struct loader_stage *st, const char *time)
{
    snprintf(st->time, sizeof(st->time), "%s", time != NULL ? time : "");
}

struct loader_stage *
loader_stage_new(void)
{
    struct loader_stage *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    for (int t = 0; t < ST_TABLES; t++)
        dbuf_init(&st->copy[t], COPY_BUF_LIMIT);
    dbuf_init(&st->receipts, COPY_BUF_LIMIT);
    for (int k = 0; k < 5; k++)
        dbuf_init(&st->files[k], COPY_BUF_LIMIT);
    for (size_t i = 0; i < LOADER_STAGE_MAX; i++)
        diag_list_init(&st->out[i].warnings, 64);
    st->own.block = LOAD_ID_BLOCK;
    st->pool = &st->own;
    return st;
}

void
loader_stage_share_ids(struct loader_stage *st, struct loader_stage *with)
{
    st->pool = with->pool;
}

void
loader_stage_reset(struct loader_stage *st)
{
    if (st == NULL)
        return;
    for (int t = 0; t < ST_TABLES; t++)
        dbuf_reset(&st->copy[t]);
    dbuf_reset(&st->receipts);
    for (int k = 0; k < 5; k++)
        dbuf_reset(&st->files[k]);
    for (size_t i = 0; i < st->n; i++) {
        diag_list_free(&st->out[i].warnings);
        diag_list_init(&st->out[i].warnings, 64);
    }
    st->nfiles = 0;
    st->n = 0;
    st->merged = 0;
    st->phase = MP_NONE;
    /* reserved ids may belong to a rolled-back sequence call: nextval is
     * never rolled back, so they stay unique and usable */
}

void
loader_stage_free(struct loader_stage *st)
{
    if (st == NULL)
        return;
    loader_stage_reset(st);
    for (int t = 0; t < ST_TABLES; t++)
        dbuf_free(&st->copy[t]);
    dbuf_free(&st->receipts);
    for (int k = 0; k < 5; k++)
        dbuf_free(&st->files[k]);
    for (size_t i = 0; i < LOADER_STAGE_MAX; i++)
        diag_list_free(&st->out[i].warnings);
    free(st);
}

int
loader_stage_full(const struct loader_stage *st)
{
    size_t bytes = st->receipts.len;
    for (int t = 0; t < ST_TABLES; t++)
        bytes += st->copy[t].len;
    return st->n >= LOADER_STAGE_MAX || st->nfiles >= STAGE_FILES_MAX ||
           bytes >= LOADER_STAGE_BYTES;
}

/* Appends one element to an array literal under construction. */
static int
array_add(struct dbuf *b, const char *v)
{
    int rc = dbuf_adds(b, b->len ? ",\"" : "\"");
    for (const char *p = v; rc == 0 && *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            rc = dbuf_add(b, "\\", 1);
        if (rc == 0)
            rc = dbuf_add(b, p, 1);
    }
    return rc ? rc : dbuf_adds(b, "\"");
}

int
loader_stage_file(struct loader_stage *st, const char *sha256, int64_t size,
                  const char *original_name, time_t received_at, const char *archive_path,
                  struct bz_error *e)
{
    char ssize[32], stime[32];
    if (st->nfiles >= STAGE_FILES_MAX)
        return bz_error_set(e, BZ_ELIMIT, "E_INTERNAL", "批量装载的文件数超过上限");
    snprintf(ssize, sizeof(ssize), "%" PRId64, size);
    snprintf(stime, sizeof(stime), "%lld", (long long)received_at);
    const char *v[5] = {sha256, ssize, original_name, stime, archive_path};
    int rc = 0;
    for (int k = 0; rc == 0 && k < 5; k++)
        rc = array_add(&st->files[k], v[k]);
    if (rc < 0)
        return buffer_error(rc, e);
    st->nfiles++;
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
    size_t more = want - left < p->block ? p->block : want - left;
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
loader_stage_reserve(PGconn *conn, struct loader_stage *st, size_t n, struct bz_error *e)
{
    return fill_pool(conn, st->pool, n > LOADER_STAGE_MAX ? LOADER_STAGE_MAX : n, e);
}

size_t
loader_stage_ids_left(const struct loader_stage *st)
{
    return st->pool->n - st->pool->next;
}

int
loader_stage_submission(PGconn *conn, struct loader_stage *st, const struct submission *s,
                        const struct diag_list *warnings, const struct loader_meta *meta,
                        size_t *slot, struct bz_error *e)
{
    if (st->n >= LOADER_STAGE_MAX)
        return bz_error_set(e, BZ_ELIMIT, "E_INTERNAL", "批量装载的报表数超过上限");
    size_t *mark = st->mark[st->n];
    if (st->phase != MP_NONE)
        return bz_error_set(e, BZ_EDB, "E_INTERNAL", "合并尚未结束时又暂存了报表");
    int rc = fill_pool(conn, st->pool, 1, e);
    if (rc < 0)
        return rc;
    int64_t id = st->pool->v[st->pool->next++];
    for (int t = 0; t < ST_TABLES; t++)
        mark[t] = st->copy[t].len;
    rc = submission_row(&st->copy[ST_SUBMISSION], id, s, meta);
    rc = rc ? rc : window_rows(&st->copy[ST_WINDOW], id, s);
    rc = rc ? rc : leader_rows(&st->copy[ST_LEADER], id, s);
    rc = rc ? rc : walk_rows(&st->copy[ST_WALK], id, s);
    rc = rc ? rc : problem_rows(&st->copy[ST_PROBLEM], id, s);
    rc = rc ? rc : text_rows(&st->copy[ST_TEXT], id, s);
    rc = rc ? rc : attachment_rows(&st->copy[ST_ATTACHMENT], id, s);
    rc = rc ? rc : diagnostic_rows(&st->copy[ST_WARNING], id, warnings);
    if (rc < 0) {
        /* drop the partial rows so the stage stays consistent */
        for (int t = 0; t < ST_TABLES; t++)
            st->copy[t].len = mark[t];
        return buffer_error(rc, e);
    }
    st->ids[st->n] = id;
    *slot = st->n++;
    return 0;
}

int
loader_stage_receipt(struct loader_stage *st, const struct loader_receipt *r, struct bz_error *e)
{
    char period[16];
    const char *codes[64];
    size_t ncodes = 0;
    struct dbuf *b = &st->receipts;
    size_t mark = b->len;

    for (size_t i = 0; r->diags != NULL && i < r->diags->n && ncodes < 64; i++) {
        size_t k = 0;
        while (k < ncodes && strcmp(codes[k], r->diags->items[i].code) != 0)
            k++;
        if (k == ncodes)
            codes[ncodes++] = r->diags->items[i].code;
    }
    snprintf(period, sizeof(period), "%04d-%02d-01", r->year, r->month);
    int rc = pgutil_copy_text(b, 1, r->file_sha256);
    rc = rc ? rc : pgutil_copy_text(b, 0, r->member ? r->member : "");
    rc = rc ? rc : pgutil_copy_text(b, 0, r->township_code);
    rc = rc ? rc : pgutil_copy_text(b, 0, r->year > 0 ? period : NULL);
    if (r->revision > 0)
        rc = rc ? rc : pgutil_copy_int(b, 0, r->revision);
    else
        rc = rc ? rc : pgutil_copy_text(b, 0, NULL);
    rc = rc ? rc : pgutil_copy_text(b, 0, r->outcome);
    rc = rc ? rc : pgutil_copy_text_array(b, 0, codes, ncodes);
    rc = rc ? rc : pgutil_copy_text(b, 0, r->body);
    rc = rc ? rc : pgutil_copy_text(b, 0, r->body_json);
    if (st->time[0] != '\0')
        rc = rc ? rc : pgutil_copy_text(b, 0, st->time);
    rc = rc ? rc : pgutil_copy_end_row(b);
    if (rc < 0) {
        b->len = mark;
        return buffer_error(rc, e);
    }
    return 0;
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
send_files(PGconn *conn, struct loader_stage *st, struct bz_error *e)
{
    struct dbuf lit[5];
    const char *params[5];
    int rc = 0;

    if (st->nfiles == 0)
        return 0;
    for (int k = 0; k < 5; k++)
        dbuf_init(&lit[k], COPY_BUF_LIMIT);
    for (int k = 0; rc == 0 && k < 5; k++) {
        rc = dbuf_adds(&lit[k], "{");
        rc = rc ? rc : dbuf_add(&lit[k], st->files[k].data, st->files[k].len);
        rc = rc ? rc : dbuf_adds(&lit[k], "}");
        params[k] = lit[k].data;
    }
    if (rc < 0) {
        rc = buffer_error(rc, e);
    } else {
        PGresult *res = PQexecParams(conn, sql_record_files, 5, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = db_error(e, conn, res, "记录收到的文件");
        PQclear(res);
    }
    for (int k = 0; k < 5; k++) {
        dbuf_free(&lit[k]);
        dbuf_reset(&st->files[k]);
    }
    st->nfiles = 0;
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
        rc = buffer_error(rc, e);
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
read_decisions(PGconn *conn, struct loader_stage *st, PGresult *res, struct bz_error *e)
{
    size_t from = st->merged, to = st->inflight_end;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || (size_t)PQntuples(res) != to - from)
        return db_error(e, conn, res, "合并报表");
    for (size_t i = from; i < to; i++) {
        int r = (int)(i - from);
        struct loader_outcome *o = &st->out[i];
        o->result = parse_result(PQgetvalue(res, r, 1));
        o->submission_id = PQgetisnull(res, r, 2) ? 0 : strtoll(PQgetvalue(res, r, 2), NULL, 10);
        o->current_revision = PQgetisnull(res, r, 3) ? 0 : strtoll(PQgetvalue(res, r, 3), NULL, 10);
        if (o->result == LOADER_ACCEPTED && o->submission_id != st->ids[i])
            return bz_error_set(e, BZ_EDB, "E_INTERNAL", "合并结果与装载编号对不上");
    }
    for (int t = ST_WINDOW; t < ST_TABLES; t++) {
        struct dbuf *b = &st->copy[t];
        size_t w = 0;
        for (size_t i = from; i < to; i++) {
            size_t start = st->mark[i][t], end = i + 1 < to ? st->mark[i + 1][t] : b->len;
            if (st->out[i].result != LOADER_ACCEPTED || end == start)
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
read_warnings(PGconn *conn, struct loader_stage *st, PGresult *res, struct bz_error *e)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_error(e, conn, res, "读取装载警告");
    /* rows come ordered by submission id, as the accepted slots are */
    size_t slot = st->merged, to = st->inflight_end;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t sid = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        while (slot < to &&
               !(st->out[slot].result == LOADER_ACCEPTED && st->out[slot].submission_id == sid))
            slot++;
        if (slot == to)
            return bz_error_set(e, BZ_EDB, "E_INTERNAL", "装载警告与报表对不上");
        long line = PQgetisnull(res, r, 2) ? 0 : atol(PQgetvalue(res, r, 2));
        if (diag_add(&st->out[slot].warnings, PQgetvalue(res, r, 1), line, PQgetvalue(res, r, 3),
                     "%s", PQgetvalue(res, r, 4)) < 0)
            return bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足，无法记录装载警告");
    }
    return 0;
}

/* Starts the COPY of the next table with rows, or, after the last, the
 * finishing query (or nothing: no submission was accepted). */
static int
start_next(PGconn *conn, struct loader_stage *st, struct bz_error *e)
{
    while (++st->table < ST_TABLES && st->copy[st->table].len == 0)
        ;
    if (st->table < ST_TABLES) {
        st->sent = 0;
        st->phase = MP_COPY_START;
        if (PQsendQuery(conn, stage_copy_sql[st->table]) != 1)
            return db_error(e, conn, NULL, stage_copy_what[st->table]);
        return 0;
    }
    int64_t sids[LOADER_STAGE_MAX];
    size_t nsids = 0;
    for (size_t i = st->merged; i < st->inflight_end; i++)
        if (st->out[i].result == LOADER_ACCEPTED)
            sids[nsids++] = st->out[i].submission_id;
    if (nsids == 0) {
        st->phase = MP_DONE;
        return 0;
    }
    st->phase = MP_FINISH;
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
send_rows(PGconn *conn, struct loader_stage *st, int block, struct bz_error *e)
{
    struct dbuf *b = &st->copy[st->table];
    size_t budget = PUMP_BUDGET;
    while (st->sent < b->len) {
        if (!block && (budget == 0 || !writable(conn)))
            return PQflush(conn) < 0 ? db_error(e, conn, NULL, stage_copy_what[st->table]) : 0;
        size_t n = b->len - st->sent < PUMP_CHUNK ? b->len - st->sent : PUMP_CHUNK;
        if (!block && n > budget)
            n = budget;
        if (PQputCopyData(conn, b->data + st->sent, (int)n) != 1)
            return db_error(e, conn, NULL, stage_copy_what[st->table]);
        st->sent += n;
        budget -= n;
    }
    if (PQputCopyEnd(conn, NULL) != 1)
        return db_error(e, conn, NULL, stage_copy_what[st->table]);
    dbuf_reset(b);
    return 1;
}

/* Moves the merge in flight along: as far as it can without waiting, or
 * (`block`) to its end. A failed statement's error is the result. */
static int
advance(PGconn *conn, struct loader_stage *st, int block, struct bz_error *e)
{
    PGresult *res = NULL;
    int rc = 0;
    while (rc == 0) {
        enum merge_phase ph = st->phase;
        const char *what = ph == MP_COPY_START || ph == MP_COPY_DATA || ph == MP_COPY_END
                               ? stage_copy_what[st->table]
                               : "合并报表";
        if (ph == MP_NONE)
            return 0;
        if (ph == MP_DONE) {
            st->merged = st->inflight_end;
            st->phase = MP_NONE;
            return 0;
        }
        if (ph == MP_NEXT) {
            rc = start_next(conn, st, e);
            continue;
        }
        if (ph == MP_COPY_DATA) {
            rc = send_rows(conn, st, block, e);
            if (rc == 0)
                return 0; /* the socket is full: later */
            if (rc == 1) {
                rc = 0;
                st->phase = MP_COPY_END;
            }
            continue;
        }
        int got = next_result(conn, block, &res, what, e);
        if (got <= 0)
            return got;
        switch (ph) {
        case MP_DECIDE:
            rc = read_decisions(conn, st, res, e);
            st->table = ST_SUBMISSION;
            st->after = MP_NEXT;
            st->phase = MP_DRAIN;
            break;
        case MP_COPY_START:
            if (PQresultStatus(res) == PGRES_COPY_IN) {
                st->phase = MP_COPY_DATA;
            } else {
                rc = db_error(e, conn, res, what);
                st->after = MP_NEXT;
                st->phase = MP_DRAIN;
            }
            break;
        case MP_COPY_END:
        case MP_FINISH:
            if (ph == MP_FINISH)
                rc = read_warnings(conn, st, res, e);
            else if (PQresultStatus(res) != PGRES_COMMAND_OK)
                rc = db_error(e, conn, res, what);
            st->after = ph == MP_FINISH ? MP_DONE : MP_NEXT;
            st->phase = MP_DRAIN;
            break;
        default: /* MP_DRAIN: the statement's end, or an error after its result */
            if (res == NULL)
                st->phase = st->after;
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
loader_stage_merge_send(PGconn *conn, struct loader_stage *st, struct bz_error *e)
{
    size_t from = st->merged;

    if (st->phase != MP_NONE)
        return bz_error_set(e, BZ_EDB, "E_INTERNAL", "上一次合并尚未取回结果");
    int rc = send_files(conn, st, e);
    if (rc < 0 || from == st->n)
        return rc;
    rc = copy_all(conn, copy_submission, stage_copy_what[ST_SUBMISSION], &st->copy[ST_SUBMISSION],
                  e);
    if (rc == 0)
        rc = send_ids(conn, sql_decide_batch, st->ids, from, st->n, "合并报表", e);
    if (rc == 0) {
        st->phase = MP_DECIDE;
        st->inflight_end = st->n;
    }
    return rc;
}

int
loader_stage_pump(PGconn *conn, struct loader_stage *st, struct bz_error *e)
{
    return advance(conn, st, 0, e);
}

int
loader_stage_merge_collect(PGconn *conn, struct loader_stage *st, struct bz_error *e)
{
    return advance(conn, st, 1, e);
}

/* Reads what is left of a sent statement (ending a COPY in progress), so
 * the connection takes the next one. */
static void
drain(PGconn *conn)
{
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType s = PQresultStatus(res);
        PQclear(res);
        if (s == PGRES_COPY_IN) {
            if (PQputCopyEnd(conn, "批量装载已放弃") < 0)
                return;
        } else if (s == PGRES_COPY_OUT || s == PGRES_COPY_BOTH) {
            return;
        }
    }
}

void
loader_stage_merge_cancel(PGconn *conn, struct loader_stage *st)
{
    if (st->phase == MP_NONE)
        return;
    if (st->phase == MP_COPY_DATA) {
        /* the COPY ends with an error; its statement is then over */
        PQputCopyEnd(conn, "批量装载已放弃");
    } else if (st->phase != MP_DONE) {
        PGcancel *c = PQgetCancel(conn);
        if (c != NULL) {
            char err[256];
            PQcancel(c, err, sizeof(err));
            PQfreeCancel(c);
        }
    }
    st->phase = MP_NONE;
    drain(conn);
}

int
loader_stage_merge(PGconn *conn, struct loader_stage *st, struct bz_error *e)
{
    int rc = loader_stage_merge_send(conn, st, e);
    if (rc == 0)
        rc = loader_stage_merge_collect(conn, st, e);
    return rc;
}

struct loader_outcome *
loader_stage_outcome(struct loader_stage *st, size_t slot)
{
    return slot < st->merged ? &st->out[slot] : NULL;
}

int
loader_stage_finish(PGconn *conn, struct loader_stage *st, struct bz_error *e)
{
    int rc = loader_stage_merge(conn, st, e);
    if (rc == 0)
        rc = copy_all(conn, st->time[0] ? copy_receipt_timed : copy_receipt, "保存回执",
                      &st->receipts, e);
    if (rc == 0)
        loader_stage_reset(st);
    return rc;
}

/* A single load is a staged batch of one, so the revision rules the tests
 * exercise are the ones every night runs. */
int
loader_load(PGconn *conn, const struct submission *s, const struct diag_list *warnings,
            const struct loader_meta *meta, struct loader_outcome *out, struct bz_error *e)
{
    size_t slot = 0;

    out->result = LOADER_UNKNOWN_TOWNSHIP;
    out->submission_id = 0;
    out->current_revision = 0;
    diag_list_init(&out->warnings, 64);

    struct loader_stage *st = loader_stage_new();
    if (st == NULL)
        return bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足，无法装载报表");
    st->own.block = 1;
    int nested;
    int rc = begin_unit(conn, &nested, e);
    if (rc == 0) {
        rc = loader_stage_submission(conn, st, s, warnings, meta, &slot, e);
        if (rc == 0)
            rc = loader_stage_merge(conn, st, e);
        if (rc == 0) {
            const struct loader_outcome *o = &st->out[slot];
            out->result = o->result;
            out->submission_id = o->submission_id;
            out->current_revision = o->current_revision;
            if (diag_list_append(&out->warnings, &st->out[slot].warnings) < 0)
                rc = bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足，无法记录装载警告");
        }
        if (rc == 0)
            rc = end_unit(conn, nested, "提交报表装载", e);
        if (rc < 0) {
            loader_stage_merge_cancel(conn, st);
            abort_unit(conn, nested);
            diag_list_free(&out->warnings);
            out->result = LOADER_UNKNOWN_TOWNSHIP;
            out->submission_id = 0;
            out->current_revision = 0;
        }
    }
    loader_stage_free(st);
    return rc;
}

/* Township registry copy ------------------------------------------------------ */

#define TOWNSHIPS_MAX 100000

struct township_entry {
    char code[16];
    char *name;
};

struct loader_townships {
    struct township_entry *v;
    size_t n;
};

static int
township_cmp(const void *a, const void *b)
{
    return strcmp(((const struct township_entry *)a)->code,
                  ((const struct township_entry *)b)->code);
}

void
loader_townships_free(struct loader_townships *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
    free(t);
}

int
loader_townships_load(PGconn *conn, struct loader_townships **out, struct bz_error *e)
{
    int rc = 0;
    *out = NULL;
    PGresult *res = PQexec(conn, "SELECT code, name FROM ref.township WHERE active ORDER BY code");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "读取乡镇名录");
        PQclear(res);
        return rc;
    }
    size_t n = (size_t)PQntuples(res);
    struct loader_townships *t = calloc(1, sizeof(*t));
    if (t == NULL || n > TOWNSHIPS_MAX || (n > 0 && (t->v = calloc(n, sizeof(*t->v))) == NULL)) {
        rc = bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足，无法读取乡镇名录");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *code = PQgetvalue(res, (int)i, 0);
        if (strlen(code) >= sizeof(t->v[i].code))
            continue; /* never a valid code: it can match nothing anyway */
        t->v[t->n].name = strdup(PQgetvalue(res, (int)i, 1));
        if (t->v[t->n].name == NULL) {
            rc = bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足，无法读取乡镇名录");
            goto out;
        }
        memcpy(t->v[t->n].code, code, strlen(code) + 1);
        t->n++;
    }
    /* the server's collation may order codes differently from strcmp */
    if (t->n > 1)
        qsort(t->v, t->n, sizeof(*t->v), township_cmp);
out:
    PQclear(res);
    if (rc < 0)
        loader_townships_free(t);
    else
        *out = t;
    return rc;
}

int
loader_townships_lookup(const char *code, const char **name, void *arg)
{
    const struct loader_townships *t = arg;
    struct township_entry key;
    if (t == NULL || code == NULL || strlen(code) >= sizeof(key.code))
        return 0;
    memcpy(key.code, code, strlen(code) + 1);
    const struct township_entry *hit =
        t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), township_cmp) : NULL;
    if (hit == NULL)
        return 0;
    if (name != NULL)
        *name = hit->name;
    return 1;
}
