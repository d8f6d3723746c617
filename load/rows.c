#include "rows.h"

#include "pgutil.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

const char *const rows_copy_sql[ROWS_NTABLES] = {copy_submission, copy_window,  copy_leader,
                                                 copy_walk,       copy_problem, copy_text_item,
                                                 copy_attachment, copy_warning};
const char *const rows_copy_what[ROWS_NTABLES] = {"写入报表暂存表", "写入窗口表", "写入领导表",
                                                  "写入走流程表",   "写入问题表", "写入文字表",
                                                  "写入附件表",     "写入警告表"};

const char rows_copy_receipt[] =
    "COPY raw.receipt (file_sha256, member, township_code, period, revision, outcome, codes,"
    " body, body_json) FROM STDIN";
const char rows_copy_receipt_timed[] =
    "COPY raw.receipt (file_sha256, member, township_code, period, revision, outcome, codes,"
    " body, body_json, created_at) FROM STDIN";

static const char *const text_kinds[SUBM_TEXT_KINDS] = {"mechanism", "difficulty", "next_step",
                                                        "suggestion"};

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
submission_row(struct dbuf *b, int64_t load_id, const struct submission *sub,
               const struct rows_origin *m)
{
    char received[32];
    format_time(m->received_at, received);
    int rc = pgutil_copy_int(b, 1, load_id);
    rc = rc ? rc : pgutil_copy_text(b, 0, m->file_sha256);
    rc = rc ? rc : pgutil_copy_text(b, 0, m->member ? m->member : "");
    rc = rc ? rc : pgutil_copy_text(b, 0, sub->doc_sha256);
    rc = rc ? rc : pgutil_copy_text(b, 0, received);
    rc = rc ? rc : pgutil_copy_text(b, 0, sub->township_code);
    rc = rc ? rc : pgutil_copy_text(b, 0, sub->township_name ? sub->township_name : "");
    rc = rc ? rc : pgutil_copy_date(b, 0, (int32_t)(sub->year * 10000 + sub->month * 100 + 1));
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->revision);
    rc = rc ? rc : pgutil_copy_text(b, 0, sub->submitted_at);
    rc = rc ? rc : pgutil_copy_text(b, 0, sub->contact_name ? sub->contact_name : "");
    rc = rc ? rc : pgutil_copy_text(b, 0, sub->contact_phone);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->sites_total);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->sites_with_window);
    rc = rc ? rc : count_field(b, &sub->consultations, 1);
    rc = rc ? rc : count_field(b, &sub->job_postings, 1);
    rc = rc ? rc : count_field(b, &sub->recruitment_events, 0);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->county_items);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->handled);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->evaluated);
    rc = rc ? rc : pgutil_copy_text(b, 0, sub->reported_rate);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->symposia);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->merchants_visited);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->enterprises_visited);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->inspections);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->warning_sessions);
    rc = rc ? rc : pgutil_copy_int(b, 0, sub->violations);
    if (sub->has_complaints) {
        rc = rc ? rc : pgutil_copy_int(b, 0, sub->complaints_received);
        rc = rc ? rc : pgutil_copy_int(b, 0, sub->complaints_resolved);
    } else {
        rc = rc ? rc : pgutil_copy_text(b, 0, NULL);
        rc = rc ? rc : pgutil_copy_text(b, 0, NULL);
    }
    return rc ? rc : pgutil_copy_end_row(b);
}

/* One column of a child table, read from each item at `off`; the rows of
 * windows, leaders, walks, problems and attachments differ only in these
 * lists, so one loop (child_rows) writes them all. */
enum child_kind {
    COL_TEXT,  /* const char * */
    COL_CHARS, /* char[] */
    COL_INT,   /* int64_t */
    COL_DATE,  /* int32_t yyyymmdd, 0 for none */
    COL_IDS,   /* const char **, with its size_t count at `count` */
};

struct child_col {
    enum child_kind kind;
    size_t off;   /* of the value in the item */
    size_t count; /* COL_IDS only: of the element count in the item */
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct child_col window_cols[] = {
    {COL_TEXT, offsetof(struct subm_window, id), 0},
    {COL_TEXT, offsetof(struct subm_window, name), 0},
    {COL_TEXT, offsetof(struct subm_window, catalog), 0},
};

static const struct child_col leader_cols[] = {
    {COL_TEXT, offsetof(struct subm_leader, id), 0},
    {COL_TEXT, offsetof(struct subm_leader, role), 0},
    {COL_TEXT, offsetof(struct subm_leader, title), 0},
};

static const struct child_col walk_cols[] = {
    {COL_TEXT, offsetof(struct subm_walk, leader), 0},
    {COL_TEXT, offsetof(struct subm_walk, window), 0},
    {COL_DATE, offsetof(struct subm_walk, date), 0},
    {COL_IDS, offsetof(struct subm_walk, problems), offsetof(struct subm_walk, nproblems)},
};

static const struct child_col problem_cols[] = {
    {COL_TEXT, offsetof(struct subm_problem, id), 0},
    {COL_TEXT, offsetof(struct subm_problem, source), 0},
    {COL_TEXT, offsetof(struct subm_problem, status), 0},
    {COL_DATE, offsetof(struct subm_problem, found), 0},
    {COL_DATE, offsetof(struct subm_problem, rectified), 0},
    {COL_DATE, offsetof(struct subm_problem, deadline), 0},
    {COL_TEXT, offsetof(struct subm_problem, text), 0},
};

static const struct child_col attachment_cols[] = {
    {COL_TEXT, offsetof(struct subm_attachment, name), 0},
    {COL_INT, offsetof(struct subm_attachment, size), 0},
    {COL_CHARS, offsetof(struct subm_attachment, sha256), 0},
};

static int
child_value(struct dbuf *b, const char *item, const struct child_col *c)
{
    const void *v = item + c->off;
    switch (c->kind) {
    case COL_TEXT:
        return pgutil_copy_text(b, 0, *(const char *const *)v);
    case COL_CHARS:
        return pgutil_copy_text(b, 0, (const char *)v);
    case COL_INT:
        return pgutil_copy_int(b, 0, *(const int64_t *)v);
    case COL_DATE:
        return pgutil_copy_date(b, 0, *(const int32_t *)v);
    case COL_IDS:
        return pgutil_copy_text_array(b, 0, *(const char **const *)v,
                                      *(const size_t *)(item + c->count));
    }
    return 0;
}

/* COPY rows of one list of a submission's children: the submission id, the
 * item's place in the list from 1 (ord), then `cols` of the item. */
static int
child_rows(struct dbuf *b, int64_t id, const void *items, size_t n, size_t size,
           const struct child_col *cols, size_t ncols)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *item = (const char *)items + i * size;
        rc = pgutil_copy_int(b, 1, id);
        rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
        for (size_t k = 0; rc == 0 && k < ncols; k++)
            rc = child_value(b, item, &cols[k]);
        rc = rc ? rc : pgutil_copy_end_row(b);
    }
    return rc;
}

static int
text_rows(struct dbuf *b, int64_t id, const struct submission *sub)
{
    int rc = 0;
    for (int k = 0; k < SUBM_TEXT_KINDS; k++)
        for (size_t i = 0; rc == 0 && i < sub->texts[k].n; i++) {
            rc = pgutil_copy_int(b, 1, id);
            rc = rc ? rc : pgutil_copy_text(b, 0, text_kinds[k]);
            rc = rc ? rc : pgutil_copy_int(b, 0, (int64_t)i + 1);
            rc = rc ? rc : pgutil_copy_text(b, 0, sub->texts[k].items[i]);
            rc = rc ? rc : pgutil_copy_end_row(b);
        }
    return rc;
}

/* Only warnings are stored (a submission with errors is never loaded),
 * numbered from 1 in the transform's order (facts.warning). */
static int
warning_rows(struct dbuf *b, int64_t id, const struct diag_list *w)
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

int
rows_submission(struct dbuf tables[ROWS_NTABLES], int64_t load_id, const struct submission *sub,
                const struct diag_list *warnings, const struct rows_origin *origin)
{
    size_t mark[ROWS_NTABLES];
    for (int t = 0; t < ROWS_NTABLES; t++)
        mark[t] = tables[t].len;
    int rc = submission_row(&tables[ROWS_SUBMISSION], load_id, sub, origin);
    rc = rc ? rc
            : child_rows(&tables[ROWS_WINDOW], load_id, sub->windows, sub->nwindows,
                         sizeof *sub->windows, window_cols, NCOLS(window_cols));
    rc = rc ? rc
            : child_rows(&tables[ROWS_LEADER], load_id, sub->leaders, sub->nleaders,
                         sizeof *sub->leaders, leader_cols, NCOLS(leader_cols));
    rc = rc ? rc
            : child_rows(&tables[ROWS_WALK], load_id, sub->walks, sub->nwalks, sizeof *sub->walks,
                         walk_cols, NCOLS(walk_cols));
    rc = rc ? rc
            : child_rows(&tables[ROWS_PROBLEM], load_id, sub->problems, sub->nproblems,
                         sizeof *sub->problems, problem_cols, NCOLS(problem_cols));
    rc = rc ? rc : text_rows(&tables[ROWS_TEXT], load_id, sub);
    rc = rc ? rc
            : child_rows(&tables[ROWS_ATTACHMENT], load_id, sub->attachments, sub->nattachments,
                         sizeof *sub->attachments, attachment_cols, NCOLS(attachment_cols));
    rc = rc ? rc : warning_rows(&tables[ROWS_WARNING], load_id, warnings);
    if (rc < 0) /* no partial rows: the buffers stay whole */
        for (int t = 0; t < ROWS_NTABLES; t++)
            tables[t].len = mark[t];
    return rc;
}

int
rows_receipt(struct dbuf *b, const struct rows_receipt *r)
{
    char period[16];
    const char *codes[64];
    size_t ncodes = 0;
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
    if (r->created_at != NULL)
        rc = rc ? rc : pgutil_copy_text(b, 0, r->created_at);
    rc = rc ? rc : pgutil_copy_end_row(b);
    if (rc < 0)
        b->len = mark;
    return rc;
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
rows_file(struct dbuf cols[ROWS_FILE_NCOLS], const char *sha256, int64_t size,
          const char *original_name, time_t received_at, const char *archive_path)
{
    char ssize[32], stime[32];
    size_t mark[ROWS_FILE_NCOLS];
    snprintf(ssize, sizeof(ssize), "%" PRId64, size);
    snprintf(stime, sizeof(stime), "%lld", (long long)received_at);
    const char *v[ROWS_FILE_NCOLS] = {sha256, ssize, original_name, stime, archive_path};
    int rc = 0;
    for (int k = 0; k < ROWS_FILE_NCOLS; k++)
        mark[k] = cols[k].len;
    for (int k = 0; rc == 0 && k < ROWS_FILE_NCOLS; k++)
        rc = array_add(&cols[k], v[k]);
    if (rc < 0)
        for (int k = 0; k < ROWS_FILE_NCOLS; k++)
            cols[k].len = mark[k];
    return rc;
}
