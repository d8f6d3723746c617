#include "pipeline.h"

#include "../common/dbuf.h"
#include "../common/receipt.h"
#include "../ingest/archived.h"
#include "../ingest/inbox.h"
#include "../ingest/sandbox.h"
#include "../load/jstate.h"
#include "../load/loader.h"
#include "../load/registry.h"
#include "../load/rollup.h"
#include "../transform/workbook.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A receipt is at most max_diagnostics lines of a few hundred bytes. */
#define RECEIPT_LIMIT (4u << 20)
/* The quarantine copy of a batch's receipts: every receipt of the file. */
#define QUARANTINE_TEXT_LIMIT (64u << 20)
/* Inbox entries taken in one run; the rest wait for the next night. */
#define MAX_FILES_PER_RUN 100000
/* A run lists the inbox this many entries at a time (inbox_scan): what it
 * holds of the listing does not grow with the inbox. Each further window
 * lists the folder again; with a few thousand entries a window, that is a
 * handful of listings for a province-year. */
#define INBOX_WINDOW 4096

struct batch;

/* The state of one inbox file while its submissions are handled. */
struct file_run {
    struct batch *batch; /* the open batch it is loaded in */
    size_t ndocs;        /* documents handed to on_document */
    PGconn *conn;
    const struct settings *s;
    const struct pipeline_opts *o;
    struct pipeline_stats *stats;
    struct inbox_file *f;   /* &file */
    struct inbox_file file; /* its own copy of the listing's entry (name owned): the
                               listing window moves on while the file is in a batch */
    struct inbox_dirs *dirs;
    char sha256[65]; /* of the inbox file; "" when not archived */
    int copy;        /* bizenv's archive copy (read-only), what the reader reads; -1 when none */
    char archive_path[BZ_PATH_MAX + 80]; /* where the copy is, for raw.file */
    int staged;                          /* its raw.file row is staged in the batch */
    int retry;                /* a reader ran out of memory: back to the inbox, the run goes on */
    struct sandbox_job *job;  /* its reading, handed to a reader by start_file */
    int start_rc;             /* what start_file met, handled when the file's turn comes */
    struct bz_error start_e;  /* and its error: the file before it still uses e */
    struct timespec deadline; /* parse_timeout_s from the start of the copy */
    char reject_code[32];     /* why the file was not archived (E_FILE_NOT_REGULAR, */
    char reject_msg[512];     /* E_LIMIT_FILE_SIZE, E_LIMIT_TIME); "" when it was */
    struct pipeline_file res;
    struct dbuf rejected_text; /* receipts that go to quarantine with the file */
    struct bz_error *e;
};

static void
note_code(struct pipeline_file *res, const struct diag_list *d)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->items[i].severity != DIAG_ERROR)
            continue;
        if (res->first_error[0] == '\0')
            snprintf(res->first_error, sizeof(res->first_error), "%s", d->items[i].message);
        if (strstr(res->codes, d->items[i].code) != NULL)
            continue;
        size_t len = strlen(res->codes);
        if (len + strlen(d->items[i].code) + 2 < sizeof(res->codes))
            snprintf(res->codes + len, sizeof(res->codes) - len, "%s%s", len ? " " : "",
                     d->items[i].code);
    }
}

static void
note_period(struct pipeline_stats *stats, int year, int month)
{
    char p[16];
    snprintf(p, sizeof(p), "%04u-%02u", (unsigned)year % 10000u, (unsigned)month % 100u);
    for (size_t i = 0; i < stats->nperiods; i++)
        if (strcmp(stats->periods[i], p) == 0)
            return;
    if (stats->nperiods < sizeof(stats->periods) / sizeof(stats->periods[0]))
        memcpy(stats->periods[stats->nperiods++], p, sizeof(stats->periods[0]));
}

/*
 * Files are loaded in batches: one transaction (loader_batch_begin) holds
 * the loads of many files, and only after its COMMIT are those files put
 * away and counted. A batch closes after batch_size submissions or files
 * (setting, default 250, at most BATCH_FILES) or BATCH_MS milliseconds, whichever comes
 * first: the COMMIT's fsync is then paid about once per second of work
 * instead of three times per submission, while a failure or a kill redoes
 * at most the two batches in flight (their files are still claimed, and go
 * back to the inbox).
 */
#define BATCH_FILES 500
#define BATCH_MS 1000

/* A document read and judged by transform whose receipt waits for the
 * batch merge (its outcome depends on it). */
struct pending {
    struct file_run *fr;
    size_t slot;         /* loader stage slot; NO_SLOT: rejected by transform */
    size_t index;        /* position in the file */
    char *member;        /* owned */
    char *township_name; /* owned; NULL when unknown */
    char township_code[16];
    char period[16]; /* "YYYY-MM" or "" */
    char sha256[65];
    long revision;
    int year, month;
    int workbook;           /* read from a workbook: paths are cells */
    struct diag_list diags; /* owned */
};

#define NO_SLOT ((size_t)-1)
#define PENDING_MAX LOADER_STAGE_MAX

struct ingest;

struct batch {
    struct ingest *in;
    struct file_run *runs[BATCH_FILES]; /* processed, not yet put away */
    struct loader_stage *stage;         /* staged rows, files, receipts */
    struct pending pending[PENDING_MAX];
    size_t npending;
    struct dbuf receipts; /* receipt files written for it (receipts/<day>/), NUL-separated */
    int unsynced;         /* it wrote files without fsync since its last sync */
    size_t n;
    size_t submissions;
    struct timespec started;
    struct pipeline_stats saved; /* *stats when the batch started, restored when abandoned */
    PGconn *conn;
    int open;        /* its transaction is open */
    char time[64];   /* its transaction's time: its receipts', and its journal group's */
    long long group; /* pipeline_replay: the journal group it replays, 0 before its first file */
};

/*
 * Two batches at a time: while the server merges the batch just sent
 * (`sent`, its merge sent with loader_stage_merge_send and moved along
 * with loader_stage_pump after each file), the client reads, checks and
 * stages the next files into `reading`, on two cores at once. The
 * connection is busy until the sent batch is committed (commit_sent:
 * merge collected, receipts stored, files synced, COMMIT, files put
 * away); the batch being read commits the sent one before it needs the
 * server (its BEGIN, a mid-batch merge, a roll-up, load ids beyond those
 * reserved), so batches still commit one after another, in file order,
 * each in its own transaction.
 */
struct ingest {
    PGconn *conn;
    struct pipeline_stats *stats;
    struct bz_error *e;
    struct registry_townships *towns; /* registry copy for transform, read once */
    size_t batch_size;                /* setting batch_size, at most BATCH_FILES */
    struct batch *batches[2];
    struct batch *reading; /* files being read */
    struct batch *sent;    /* its merge sent, not yet committed; NULL when none */
    struct inbox_dirs *dirs;
    struct record *rec;     /* the journal of the files taken (o->rec), NULL none */
    const char *replay_jid; /* pipeline_replay: the journal its groups commit under; NULL for
                               an ingest */
};

/* Remembers a receipt written for the batch: removed if the batch is
 * dropped, so a rolled-back batch leaves no receipt behind. */
static int
receipt_written(struct batch *batch, const char *name, struct bz_error *e)
{
    batch->unsynced = 1;
    if (dbuf_add(&batch->receipts, name, strlen(name) + 1) < 0)
        return bz_error_set(e, E_NOMEM, "内存不足，无法记录回执文件");
    return 0;
}

/* Makes every file written for the batch durable. */
static int
sync_batch(struct batch *batch, struct bz_error *e)
{
    int rc = batch->unsynced ? inbox_sync(batch->in->dirs, e) : 0;
    if (rc == 0)
        batch->unsynced = 0;
    return rc;
}

/* Renders, stores and writes one receipt; adds it to the quarantine text
 * when it is a rejection. */
static int
issue_receipt(struct file_run *fr, const struct receipt *r, int year, int month, size_t index)
{
    struct dbuf text, json;
    int rc;

    dbuf_init(&text, RECEIPT_LIMIT);
    dbuf_init(&json, RECEIPT_LIMIT);
    rc = receipt_render_text(r, &text);
    if (rc == 0)
        rc = receipt_render_json(r, &json);
    if (rc < 0) {
        if (rc == BZ_ENOMEM)
            bz_error_set(fr->e, E_NOMEM, "内存不足，无法生成回执（%s）", fr->f->name);
        else
            bz_error_set(fr->e, E_INTERNAL, "回执过长，无法生成（%s）", fr->f->name);
        goto out;
    }
    if (fr->sha256[0] != '\0') {
        struct rows_receipt lr = {fr->sha256,
                                  r->member,
                                  r->township_code,
                                  year,
                                  month,
                                  r->revision,
                                  receipt_outcome_name(r->outcome),
                                  r->diags,
                                  text.data,
                                  json.data,
                                  NULL};
        rc = loader_stage_receipt(fr->batch->stage, &lr, fr->e);
        if (rc < 0)
            goto out;
    }
    if (fr->batch->in->replay_jid != NULL)
        goto out; /* bizenv rebuild: the receipt files are in receipts/ already */
    /* made durable by the batch's sync before its COMMIT */
    char written[INBOX_RECEIPT_NAME];
    rc = inbox_write_receipt(fr->dirs, fr->f->name, index, text.data, text.len, 0, written, fr->e);
    if (rc == 0)
        rc = receipt_written(fr->batch, written, fr->e);
    if (rc == 0 && r->outcome == RECEIPT_REJECTED) {
        if (dbuf_add(&fr->rejected_text, text.data, text.len) < 0 ||
            dbuf_adds(&fr->rejected_text, "\n") < 0)
            rc = bz_error_set(fr->e, E_NOMEM, "回执过长（%s）", fr->f->name);
    }
out:
    dbuf_free(&text);
    dbuf_free(&json);
    return rc;
}

/* A format-1 path as the receipt shows it: the cell, for a workbook. */
static const char *
shown_path(int workbook, const char *path, char *buf, size_t cap)
{
    return workbook && workbook_cell_of_path(path, buf, cap) ? buf : path;
}

/* Turns the loader's verdict into the receipt outcome, adding the reason
 * of a refusal to the diagnostics. */
static enum receipt_outcome
judge(const struct loader_outcome *lo, long revision, int workbook, struct diag_list *diags)
{
    char msg[512], cell[256];
    const char *rev = shown_path(workbook, "/submission/revision", cell, sizeof(cell));
    loader_result_message(lo, revision, msg, sizeof(msg));
    switch (lo->result) {
    case LOADER_ACCEPTED:
        return receipt_outcome_for(diags, RECEIPT_ACCEPTED);
    case LOADER_DUPLICATE:
        return RECEIPT_DUPLICATE;
    case LOADER_CONFLICT:
        diag_add(diags, "E_REVISION_CONFLICT", 0, rev, "%s", msg);
        break;
    case LOADER_STALE:
        diag_add(diags, "E_REVISION_STALE", 0, rev, "%s", msg);
        break;
    case LOADER_UNKNOWN_TOWNSHIP:
        diag_add(diags, "E_TOWNSHIP_UNKNOWN", 0,
                 shown_path(workbook, "/submission/township/@code", cell, sizeof(cell)), "%s", msg);
        break;
    }
    return RECEIPT_REJECTED;
}

/* The merge's own warnings, at their cells for a workbook. */
static void
show_cells(struct diag_list *diags, size_t from)
{
    char cell[256];
    for (size_t i = from; i < diags->n; i++) {
        struct diag *d = &diags->items[i];
        if (!workbook_cell_of_path(d->path, cell, sizeof(cell)))
            continue;
        char *p = strdup(cell);
        if (p == NULL)
            continue; /* the format-1 path stays: still true, only less friendly */
        free(d->path);
        d->path = p;
    }
}

static void
count(struct file_run *fr, enum receipt_outcome outcome, const struct diag_list *diags, int year,
      int month)
{
    fr->res.submissions++;
    fr->stats->submissions++;
    fr->res.warnings += diags->nwarnings;
    switch (outcome) {
    case RECEIPT_ACCEPTED:
    case RECEIPT_ACCEPTED_WITH_WARNINGS:
        fr->res.accepted++;
        fr->stats->accepted++;
        fr->stats->warnings += diags->nwarnings;
        note_period(fr->stats, year, month);
        break;
    case RECEIPT_DUPLICATE:
        fr->res.duplicates++;
        fr->stats->duplicates++;
        break;
    case RECEIPT_REJECTED:
        fr->res.rejected++;
        fr->stats->rejected++;
        note_code(&fr->res, diags);
        break;
    }
}

/* A county's ADX roll-up, at a prefecture, read and checked by the reader
 * (transform/adx.h): stored (load/rollup.h) or rejected with its reasons,
 * and receipted like a submission. */
static int
on_rollup(struct file_run *fr, const struct sandbox_doc *doc)
{
    struct diag_list *diags = doc->diags;
    const struct adx_doc *adx = doc->adx;
    enum rollup_result result = ROLLUP_REJECTED;
    struct rollup_meta meta = {doc->sha256, fr->sha256, doc->member, fr->f->mtime.tv_sec};

    int rc = 0;
    if (!diag_has_errors(diags))
        rc = rollup_store(fr->conn, adx, &meta, &result, diags, fr->e);
    if (rc < 0)
        return rc;
    struct receipt r = {0};
    r.file = fr->f->name;
    r.member = doc->member;
    r.township_code = adx->county[0] ? adx->county : NULL;
    r.township_name = adx->county_name[0] ? adx->county_name : NULL;
    r.period = adx->period[0] ? adx->period : NULL;
    r.sha256 = doc->sha256;
    r.outcome = result == ROLLUP_ACCEPTED    ? RECEIPT_ACCEPTED
                : result == ROLLUP_DUPLICATE ? RECEIPT_DUPLICATE
                                             : RECEIPT_REJECTED;
    r.note = result == ROLLUP_DUPLICATE ? "该县汇总（ADX）此前已接收" : NULL;
    r.diags = diags;
    rc = issue_receipt(fr, &r, 0, 0, doc->index);
    if (rc < 0)
        return rc;
    fr->res.submissions++;
    fr->stats->submissions++;
    if (result == ROLLUP_ACCEPTED) {
        fr->res.accepted++;
        fr->stats->accepted++;
    } else if (result == ROLLUP_DUPLICATE) {
        fr->res.duplicates++;
        fr->stats->duplicates++;
    } else {
        fr->res.rejected++;
        fr->stats->rejected++;
        note_code(&fr->res, diags);
    }
    return 0;
}

static void
pending_clear(struct batch *batch)
{
    for (size_t i = 0; i < batch->npending; i++) {
        free(batch->pending[i].member);
        free(batch->pending[i].township_name);
        diag_list_free(&batch->pending[i].diags);
    }
    batch->npending = 0;
}

static int batch_begin(struct batch *batch);
static int commit_sent(struct ingest *in);

/* Issues the waiting receipts of merged documents in document order and
 * sends them; the transaction stays open. */
static int
issue_pending(struct batch *batch, struct bz_error *e)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < batch->npending; i++) {
        struct pending *p = &batch->pending[i];
        enum receipt_outcome outcome = RECEIPT_REJECTED;
        char note[512] = "";
        if (p->slot != NO_SLOT) {
            struct loader_outcome *lo = loader_stage_outcome(batch->stage, p->slot);
            size_t before = p->diags.n;
            diag_list_append(&p->diags, &lo->warnings);
            if (p->workbook)
                show_cells(&p->diags, before);
            outcome = judge(lo, p->revision, p->workbook, &p->diags);
            if (outcome == RECEIPT_DUPLICATE)
                loader_result_message(lo, p->revision, note, sizeof(note));
        }
        struct receipt r = {0};
        r.file = p->fr->f->name;
        r.member = p->member;
        r.township_code = p->township_code[0] ? p->township_code : NULL;
        r.township_name = p->township_name;
        r.period = p->period[0] ? p->period : NULL;
        r.revision = p->revision;
        r.sha256 = p->sha256;
        r.outcome = outcome;
        r.note = note[0] ? note : NULL;
        r.diags = &p->diags;
        rc = issue_receipt(p->fr, &r, p->year, p->month, p->index);
        if (rc == 0)
            count(p->fr, outcome, &p->diags, p->year, p->month);
    }
    pending_clear(batch);
    if (rc == 0)
        rc = loader_stage_finish(batch->conn, batch->stage, e);
    return rc;
}

/* Merges what the batch staged so far (opening its transaction first),
 * then issues the waiting receipts. */
static int
flush(struct batch *batch, struct bz_error *e)
{
    int rc = batch_begin(batch);
    if (rc == 0)
        rc = loader_stage_merge(batch->conn, batch->stage, e);
    if (rc == 0)
        rc = issue_pending(batch, e);
    return rc;
}

static char *
dup_or_null(const char *str, int *oom)
{
    if (str == NULL)
        return NULL;
    char *d = strdup(str);
    *oom |= d == NULL;
    return d;
}

/* The file's raw.file row, staged before anything that refers to it (its
 * first document, its receipt): after the reading, so that a file given
 * back to the inbox leaves no row behind. */
static int
stage_file(struct file_run *fr)
{
    if (fr->staged || fr->sha256[0] == '\0')
        return 0;
    fr->staged = 1;
    return loader_stage_file(fr->batch->stage, fr->sha256, fr->f->size, fr->f->name,
                             fr->f->mtime.tv_sec, fr->archive_path, fr->e);
}

static int
on_document(struct sandbox_doc *doc, void *arg)
{
    struct file_run *fr = arg;
    struct batch *batch = fr->batch;
    struct submission *sub = doc->sub;
    struct receipt r = {0};
    char period[16];
    size_t slot = NO_SLOT;
    int oom = 0;

    fr->ndocs++;
    int rc = stage_file(fr);
    if (rc < 0)
        return rc;
    if (doc->rollup) {
        /* a roll-up is stored directly: what came before it goes first */
        rc = flush(batch, fr->e);
        return rc < 0 ? rc : on_rollup(fr, doc);
    }
    if (!diag_has_errors(doc->diags)) {
        sub->attachments = (struct subm_attachment *)doc->attachments;
        sub->nattachments = doc->nattachments;
        memcpy(sub->doc_sha256, doc->sha256, sizeof(sub->doc_sha256));
        sub->member = doc->member;
        struct rows_origin origin = {fr->sha256, fr->f->mtime.tv_sec, doc->member};
        /* more load ids than reserved: the server must be free to give them */
        if (batch->in->sent != NULL && loader_stage_ids_left(batch->stage) == 0)
            rc = commit_sent(batch->in);
        if (rc == 0)
            rc = loader_stage_submission(fr->conn, batch->stage, sub, doc->diags, &origin, &slot,
                                         fr->e);
        if (rc < 0)
            return rc;
    }
    /* the receipt waits for the merge: keep what it needs, not the submission */
    struct pending *p = &batch->pending[batch->npending];
    memset(p, 0, sizeof(*p));
    submission_receipt_identity(sub, &r, period);
    p->fr = fr;
    p->slot = slot;
    p->index = doc->index;
    p->member = dup_or_null(doc->member ? doc->member : "", &oom);
    p->township_name = dup_or_null(r.township_name, &oom);
    snprintf(p->township_code, sizeof(p->township_code), "%s",
             r.township_code ? r.township_code : "");
    snprintf(p->period, sizeof(p->period), "%s", r.period ? r.period : "");
    memcpy(p->sha256, doc->sha256, sizeof(p->sha256));
    p->revision = r.revision;
    p->year = sub->year;
    p->month = sub->month;
    p->workbook = doc->workbook;
    p->diags = *doc->diags;
    diag_list_init(doc->diags, 2); /* moved into the pending entry */
    batch->npending++;
    batch->submissions++;
    if (oom)
        return bz_error_set(fr->e, E_NOMEM, "内存不足，无法装载报表");
    if (batch->npending == PENDING_MAX || loader_stage_full(batch->stage))
        rc = flush(batch, fr->e);
    return rc;
}

/* The whole file is rejected before any submission could be read. */
static int
reject_file(struct file_run *fr, const struct diag_list *diags)
{
    /* its documents read so far get their receipts first */
    int frc = fr->batch->npending > 0 ? flush(fr->batch, fr->e) : 0;
    if (frc == 0)
        frc = stage_file(fr);
    if (frc < 0)
        return frc;
    struct receipt r = {0};
    r.file = fr->f->name;
    r.sha256 = fr->sha256[0] ? fr->sha256 : NULL;
    r.outcome = RECEIPT_REJECTED;
    r.note = "文件未能读出任何报表，请检查后重新报送";
    r.diags = diags;
    int rc = issue_receipt(fr, &r, 0, 0, 0);
    if (rc == 0) {
        fr->res.rejected++;
        fr->stats->rejected++;
        note_code(&fr->res, diags);
    }
    return rc;
}

/* Reads the claimed, archived file and handles its submissions. */
static int
process(struct file_run *fr)
{
    struct sandbox_result sr;
    struct diag_list diags;
    int rc;

    diag_list_init(&diags, (size_t)fr->s->max_diagnostics);
    if (fr->copy < 0) {
        /* not a regular file, or cut while copied: nothing to read */
        diag_add(&diags, fr->reject_code, 0, NULL, "%s", fr->reject_msg);
        rc = reject_file(fr, &diags);
        goto out;
    }
    /* bizenv's own copy, not the inbox file: the bytes loaded are the
     * bytes archived under fr->sha256 */
    rc = sandbox_collect(fr->o->reader, fr->job, on_document, fr, &sr, &diags, fr->e);
    fr->job = NULL;
    fr->res.readers_lost = sr.lost;
    if (rc == BZ_ETIMEOUT) {
        diag_add(&diags, "E_LIMIT_TIME", 0, NULL, "读取超过 %lld 秒上限", fr->s->parse_timeout_s);
        rc = BZ_EINPUT;
    }
    if (rc == BZ_EINPUT)
        rc = reject_file(fr, &diags);
    else if (rc == BZ_ENOMEM && sr.reader_nomem) {
        /* the reader's memory, not this process's: nothing of the file was
         * delivered; it goes back to the inbox and the night goes on */
        fr->retry = 1;
        rc = 0;
    } else if (rc == 0)
        rc = stage_file(fr);
out:
    diag_list_free(&diags);
    return rc;
}

static enum pipeline_file_state
file_state(const struct pipeline_file *res)
{
    if (res->rejected > 0 || res->submissions == 0)
        return PIPELINE_FILE_REJECTED;
    if (res->accepted == 0)
        return PIPELINE_FILE_DUPLICATE;
    return PIPELINE_FILE_ACCEPTED;
}

/* Puts the file where its outcome says (bizenv rebuild: nowhere, it
 * came from the archive). */
static int
put_away(struct file_run *fr)
{
    fr->res.state = file_state(&fr->res);
    if (fr->batch->in->replay_jid != NULL)
        return 0;
    if (fr->res.state == PIPELINE_FILE_REJECTED)
        return inbox_quarantine(fr->dirs, fr->f, fr->rejected_text.data, fr->rejected_text.len,
                                fr->e);
    return inbox_done(fr->dirs, fr->f, fr->e);
}

static void
file_run_free(struct file_run *fr)
{
    if (fr == NULL)
        return;
    sandbox_cancel(fr->o->reader, fr->job);
    if (fr->copy >= 0)
        close(fr->copy);
    dbuf_free(&fr->rejected_text);
    free(fr->file.name);
    free(fr);
}

static long
ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
notify(const struct pipeline_opts *o, const struct file_run *fr, const struct pipeline_stats *stats)
{
    if (o->observer != NULL)
        o->observer(&fr->res, stats->files_taken + stats->files_retry, stats->files_seen,
                    o->observer_arg);
}

/* Gives a claimed file back to the inbox (else recovered at the next start). */
static void
retry_file(struct file_run *fr, struct pipeline_stats *stats)
{
    struct bz_error ignored;
    fr->res.state = PIPELINE_FILE_RETRY;
    inbox_release(fr->dirs, fr->f, &ignored);
    stats->files_retry++;
    notify(fr->o, fr, stats);
}

/* A batch failed: nothing of it is stored, every file of it goes back to
 * the inbox. */
static void
batch_drop(struct batch *batch, struct pipeline_stats *stats)
{
    loader_stage_merge_cancel(batch->conn, batch->stage);
    if (batch->open)
        loader_batch_rollback(batch->conn);
    pending_clear(batch);
    loader_stage_reset(batch->stage);
    for (size_t off = 0; off < batch->receipts.len; off += strlen(batch->receipts.data + off) + 1)
        inbox_remove_receipt(batch->in->dirs, batch->receipts.data + off);
    dbuf_reset(&batch->receipts);
    for (size_t i = 0; i < batch->n; i++) {
        retry_file(batch->runs[i], stats);
        file_run_free(batch->runs[i]);
    }
    batch->n = 0;
    batch->open = 0;
}

/* The run failed: both batches are dropped (the counts go back to before
 * the older one), and `fr`, the file being read, when claimed. */
static void
abandon(struct ingest *in, struct file_run *fr)
{
    struct pipeline_stats *stats = in->stats;
    size_t seen = stats->files_seen;
    *stats = in->sent != NULL ? in->sent->saved : in->reading->saved;
    stats->files_seen = seen;
    if (in->sent != NULL)
        batch_drop(in->sent, stats);
    in->sent = NULL;
    batch_drop(in->reading, stats);
    if (fr != NULL && fr->res.name != NULL)
        retry_file(fr, stats);
}

/* What committing a batch added to the counts also belongs to the counts
 * the batch started after it would go back to. */
static void
carry(struct pipeline_stats *to, const struct pipeline_stats *before,
      const struct pipeline_stats *after)
{
    to->files_taken += after->files_taken - before->files_taken;
    to->files_accepted += after->files_accepted - before->files_accepted;
    to->files_duplicate += after->files_duplicate - before->files_duplicate;
    to->files_rejected += after->files_rejected - before->files_rejected;
    to->files_retry += after->files_retry - before->files_retry;
    to->submissions += after->submissions - before->submissions;
    to->accepted += after->accepted - before->accepted;
    to->duplicates += after->duplicates - before->duplicates;
    to->rejected += after->rejected - before->rejected;
    to->warnings += after->warnings - before->warnings;
    for (size_t i = before->nperiods; i < after->nperiods; i++) {
        int year = 0, month = 0;
        if (sscanf(after->periods[i], "%d-%d", &year, &month) == 2)
            note_period(to, year, month);
    }
}

static const char *
state_name(enum pipeline_file_state state)
{
    return state == PIPELINE_FILE_ACCEPTED    ? "accepted"
           : state == PIPELINE_FILE_DUPLICATE ? "duplicate"
                                              : "rejected";
}

/* Journal hook: the batch's files are recorded (their lines durable with
 * the batch's sync) and its transaction marks its group applied; in a
 * replay, only the latter. */
static int
journal_batch(struct ingest *in, struct batch *batch)
{
    if (in->replay_jid != NULL)
        return jstate_commit(batch->conn, in->replay_jid, batch->group, 0, in->e);
    if (in->rec == NULL || batch->n == 0)
        return 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < batch->n; i++) {
        const struct file_run *fr = batch->runs[i];
        struct record_file f = {fr->f->name,
                                fr->f->mtime,
                                (long long)fr->f->size,
                                fr->sha256,
                                fr->sha256[0] ? NULL : fr->reject_code,
                                state_name(file_state(&fr->res)),
                                fr->res.submissions,
                                fr->res.accepted,
                                fr->res.duplicates,
                                fr->res.rejected,
                                fr->res.codes};
        rc = record_file(in->rec, &f, batch->time, in->e);
    }
    if (rc == 0)
        rc = record_prepare(in->rec, 0, 0, in->e);
    batch->unsynced = 1;
    return rc;
}

/* Waits for the sent batch's merge, stores its receipts, syncs its files,
 * commits, then puts its files away in order. */
static int
commit_sent(struct ingest *in)
{
    struct batch *batch = in->sent;
    struct pipeline_stats *stats = in->stats, before = *stats;
    if (batch == NULL)
        return 0;
    int rc = loader_stage_merge_collect(batch->conn, batch->stage, in->e);
    if (rc == 0)
        rc = issue_pending(batch, in->e);
    if (rc == 0)
        rc = journal_batch(in, batch);
    /* the batch's archive copies, receipt files and journal lines reach
     * the disk before the database says they were accepted */
    if (rc == 0)
        rc = sync_batch(batch, in->e);
    if (rc == 0)
        rc = loader_batch_commit(batch->conn, in->e);
    if (rc < 0) {
        if (in->rec != NULL)
            record_abandon(in->rec);
        return rc; /* the caller abandons both batches */
    }
    if (in->rec != NULL) {
        struct bz_error ignored; /* a lost commit line is closed by the next record_open */
        record_committed(in->rec, &ignored);
    }
    batch->open = 0;
    in->sent = NULL;
    dbuf_reset(&batch->receipts); /* committed: they stay */
    for (size_t i = 0; i < batch->n; i++) {
        struct file_run *fr = batch->runs[i];
        if (rc == 0)
            rc = put_away(fr);
        if (rc < 0) {
            retry_file(fr, stats);
        } else {
            stats->files_taken++;
            stats->files_accepted += fr->res.state == PIPELINE_FILE_ACCEPTED;
            stats->files_duplicate += fr->res.state == PIPELINE_FILE_DUPLICATE;
            stats->files_rejected += fr->res.state == PIPELINE_FILE_REJECTED;
            notify(fr->o, fr, stats);
        }
        file_run_free(fr);
    }
    batch->n = 0;
    if (in->reading != batch)
        carry(&in->reading->saved, &before, stats);
    return rc;
}

/* Opens the batch's transaction, once the sent one is committed. */
static int
batch_begin(struct batch *batch)
{
    if (batch->open)
        return 0;
    int rc = commit_sent(batch->in);
    if (rc == 0)
        rc = loader_batch_begin(batch->conn, batch->in->e);
    /* its receipts carry the transaction's time, which the journal keeps
     * (a replay has it from there) */
    if (rc == 0 && batch->in->replay_jid == NULL)
        rc = jstate_txn_time(batch->conn, batch->time, batch->in->e);
    if (rc == 0)
        batch->open = 1;
    return rc;
}

static void
batch_start(struct batch *batch, const struct pipeline_stats *stats)
{
    batch->n = 0;
    batch->submissions = 0;
    batch->group = 0;
    batch->saved = *stats;
    clock_gettime(CLOCK_MONOTONIC, &batch->started);
}

/* Sends the current batch to be merged and starts the next one: load ids
 * for it are reserved first, the connection being busy until the merge
 * is collected. */
static int
send_batch(struct ingest *in)
{
    struct batch *batch = in->reading,
                 *next = in->batches[0] == batch ? in->batches[1] : in->batches[0];
    int rc = batch_begin(batch);
    if (rc == 0)
        rc = loader_stage_reserve(in->conn, next->stage, in->batch_size, in->e);
    if (rc == 0)
        rc = loader_stage_merge_send(in->conn, batch->stage, in->e);
    /* while the server merges: the archive copies (and receipts of
     * rejected files) written so far go to disk */
    if (rc == 0)
        rc = sync_batch(batch, in->e);
    if (rc < 0)
        return rc;
    in->sent = batch;
    in->reading = next;
    batch_start(next, in->stats);
    return 0;
}

static struct file_run *
file_run_new(PGconn *conn, struct batch *batch, const struct settings *s,
             const struct pipeline_opts *o, struct inbox_file *f, struct pipeline_stats *stats,
             struct bz_error *e)
{
    struct file_run *fr = calloc(1, sizeof(*fr));
    if (fr == NULL)
        return NULL;
    fr->file = *f;
    if ((fr->file.name = strdup(f->name)) == NULL) {
        free(fr);
        return NULL;
    }
    f = &fr->file;
    fr->batch = batch;
    fr->conn = conn;
    fr->s = s;
    fr->o = o;
    fr->stats = stats;
    fr->f = f;
    fr->dirs = batch->in->dirs;
    fr->copy = -1;
    fr->e = e;
    dbuf_init(&fr->rejected_text, QUARANTINE_TEXT_LIMIT);
    return fr;
}

/* Claims and archives one file and hands it to a reader: while the file
 * before it is loaded, a reader reads it. What fails is kept in
 * fr->start_rc and start_e for the file's turn (fr->res.name is set once
 * the file is claimed). */
static void
start_file(struct file_run *fr)
{
    struct bz_error *e = &fr->start_e;
    int rc = inbox_claim(fr->dirs, fr->f, e);
    if (rc < 0) {
        fr->start_rc = rc;
        return;
    }
    fr->res.name = fr->f->name;
    /* one time budget for the copy and the reading of it */
    clock_gettime(CLOCK_MONOTONIC, &fr->deadline);
    fr->deadline.tv_sec += (time_t)fr->s->parse_timeout_s;
    rc = inbox_archive(fr->dirs, fr->f, &fr->deadline, 0, fr->sha256, fr->archive_path,
                       sizeof(fr->archive_path), &fr->copy, e);
    if (rc == BZ_EINPUT) {
        snprintf(fr->reject_code, sizeof(fr->reject_code), "%s", e->code);
        snprintf(fr->reject_msg, sizeof(fr->reject_msg), "%s", e->message);
        bz_error_clear(e);
        rc = 0;
    }
    if (rc == 0 && fr->copy >= 0)
        rc = sandbox_submit(fr->o->reader, fr->copy, fr->f->name, &fr->deadline, &fr->job, e);
    fr->start_rc = rc;
}

/* The file's turn, inside the open batch: what start_file met, or its
 * documents loaded. Returns 0 or the failure. */
static int
finish_file(struct file_run *fr, struct batch *batch)
{
    fr->batch = batch;
    if (fr->start_rc < 0) {
        *fr->e = fr->start_e;
        return fr->start_rc;
    }
    if (fr->sha256[0] != '\0')
        batch->unsynced = 1; /* its archive copy, made durable by the batch's sync */
    int rc = process(fr);
    if (fr->copy >= 0)
        close(fr->copy);
    fr->copy = -1;
    return rc;
}

static int
batch_full(const struct batch *batch)
{
    return batch->n >= batch->in->batch_size || batch->submissions >= batch->in->batch_size ||
           ms_since(&batch->started) >= BATCH_MS;
}

/* The readers check codes against the registry just read. */
static int
reader_context(const struct pipeline_opts *o, const struct registry_townships *towns,
               struct bz_error *e)
{
    size_t n = registry_townships_count(towns);
    struct sandbox_township *t = calloc(n ? n : 1, sizeof(*t));
    if (t == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取乡镇名录");
    for (size_t i = 0; i < n; i++)
        registry_townships_at(towns, i, &t[i].code, &t[i].name);
    int rc = sandbox_context(o->reader, o->today, t, n, 0, e);
    free(t);
    return rc;
}

static void
ingest_free(struct ingest *in)
{
    if (in == NULL)
        return;
    for (int k = 0; k < 2; k++) {
        if (in->batches[k] == NULL)
            continue;
        pending_clear(in->batches[k]);
        loader_stage_free(in->batches[k]->stage);
        dbuf_free(&in->batches[k]->receipts);
        free(in->batches[k]);
    }
    registry_townships_free(in->towns);
    free(in);
}

static struct ingest *
ingest_new(PGconn *conn, struct inbox_dirs *dirs, struct pipeline_stats *stats, struct bz_error *e)
{
    struct ingest *in = calloc(1, sizeof(*in));
    if (in == NULL)
        return NULL;
    in->conn = conn;
    in->dirs = dirs;
    in->stats = stats;
    in->e = e;
    for (int k = 0; k < 2; k++) {
        struct batch *batch = in->batches[k] = calloc(1, sizeof(*batch));
        if (batch == NULL) {
            ingest_free(in);
            return NULL;
        }
        batch->in = in;
        batch->conn = conn;
        dbuf_init(&batch->receipts, 64u << 20);
        if ((batch->stage = loader_stage_new()) == NULL) {
            ingest_free(in);
            return NULL;
        }
    }
    loader_stage_share_ids(in->batches[1]->stage, in->batches[0]->stage);
    in->reading = in->batches[0];
    return in;
}

/* Replaces the listing window `*files` (`*n` entries, all handed out) by the
 * next: the entries after its last one, at most INBOX_WINDOW and no more
 * than the `left` still to take. *n is 0 when nothing is left. */
static int
next_window(struct inbox_dirs *dirs, struct inbox_file **files, size_t *n, size_t left,
            struct bz_error *e)
{
    struct inbox_file last = (*files)[*n - 1];
    (*files)[*n - 1].name = NULL; /* kept as the cursor */
    inbox_files_free(*files, *n);
    *files = NULL;
    *n = 0;
    int rc = left == 0 ? 0
                       : inbox_scan(dirs, &last, left < INBOX_WINDOW ? left : INBOX_WINDOW, files,
                                    n, NULL, e);
    free(last.name);
    return rc;
}

int
pipeline_ingest(PGconn *conn, const struct settings *s, const struct pipeline_opts *o,
                struct pipeline_stats *stats, struct bz_error *e)
{
    struct inbox_file *files = NULL;
    struct inbox_dirs dirs;
    struct ingest *in = NULL;
    size_t n = 0, seen = 0, listed = 0;

    memset(stats, 0, sizeof(*stats));
    int rc = inbox_open(s, o->inbox, o->day, &dirs, e);
    if (rc < 0)
        return rc;
    rc = inbox_recover(&dirs, e);
    if (rc == 0)
        rc = inbox_scan(&dirs, NULL, INBOX_WINDOW, &files, &n, &seen, e);
    /* the run takes as many entries as the inbox held when it started
     * (up to MAX_FILES_PER_RUN), window by window in their order */
    stats->files_seen = seen < MAX_FILES_PER_RUN ? seen : MAX_FILES_PER_RUN;
    if (n > stats->files_seen)
        n = stats->files_seen; /* never: MAX_FILES_PER_RUN is above INBOX_WINDOW */
    listed = n;
    if (rc < 0 || n == 0) {
        inbox_files_free(files, n);
        inbox_close(&dirs);
        return rc;
    }
    if ((in = ingest_new(conn, &dirs, stats, e)) != NULL) {
        in->batch_size = s->batch_size < 1             ? 1
                         : s->batch_size > BATCH_FILES ? BATCH_FILES
                                                       : (size_t)s->batch_size;
        in->rec = o->rec;
        dirs.also_sync = o->rec != NULL ? record_fd(o->rec) : -1;
    }
    if (in == NULL) {
        inbox_files_free(files, n);
        inbox_close(&dirs);
        return bz_error_set(e, E_NOMEM, "内存不足，无法开始装载");
    }
    /* the first batch's transaction reads the registry, under the loader
     * role; the merge re-checks every code */
    batch_start(in->reading, stats);
    rc = batch_begin(in->reading);
    if (rc == 0)
        rc = registry_townships_read(conn, &in->towns, e);
    if (rc == 0)
        rc = reader_context(o, in->towns, e);
    if (rc < 0)
        abandon(in, NULL);
    struct file_run *next = NULL; /* never across windows: files[i + 1] only */
    for (size_t i = 0; rc == 0; i++) {
        if (i == n) {
            /* file runs own copies of their entries: the window can go */
            rc = next_window(&dirs, &files, &n, stats->files_seen - listed, e);
            listed += n;
            i = 0;
            if (rc < 0)
                abandon(in, NULL);
            if (rc < 0 || n == 0)
                break;
        }
        struct batch *batch = in->reading;
        struct file_run *fr =
            next != NULL ? next : file_run_new(conn, batch, s, o, &files[i], stats, e);
        next = NULL;
        if (fr != NULL && fr->res.name == NULL && fr->start_rc == 0)
            start_file(fr);
        /* the next file is read by a reader while this one is loaded */
        if (fr != NULL && i + 1 < n &&
            (next = file_run_new(conn, batch, s, o, &files[i + 1], stats, e)) != NULL)
            start_file(next);
        if (fr == NULL || (i + 1 < n && next == NULL)) {
            rc = bz_error_set(e, E_NOMEM, "内存不足，无法开始装载");
            abandon(in, fr);
            file_run_free(fr);
            break;
        }
        rc = finish_file(fr, batch);
        if (rc == BZ_ENOTFOUND && fr->res.name == NULL) {
            rc = 0; /* taken by someone else meanwhile */
            file_run_free(fr);
            continue;
        }
        if (rc == BZ_EBUSY && fr->res.name == NULL) {
            /* cannot be claimed now (its name still claimed, another
             * user's folder): it stays in the inbox, the night goes on */
            rc = 0;
            bz_error_clear(e);
            fr->res.name = fr->f->name;
            fr->res.state = PIPELINE_FILE_RETRY;
            stats->files_retry++;
            notify(o, fr, stats);
            file_run_free(fr);
            continue;
        }
        if (rc < 0) {
            abandon(in, fr);
            file_run_free(fr);
            break;
        }
        if (fr->retry) {
            retry_file(fr, stats);
            file_run_free(fr);
            continue;
        }
        batch->runs[batch->n++] = fr;
        batch->submissions += fr->ndocs == 0; /* documents count in on_document */
        if (in->sent != NULL)
            rc = loader_stage_pump(conn, in->sent->stage, e);
        if (rc == 0 && batch_full(batch))
            rc = send_batch(in);
        if (rc < 0)
            abandon(in, NULL);
    }
    if (next != NULL) { /* the run stopped before its turn: back to the inbox */
        if (next->res.name != NULL)
            retry_file(next, stats);
        file_run_free(next);
    }
    if (rc == 0 && (in->reading->n > 0 || in->reading->open))
        rc = send_batch(in);
    if (rc == 0)
        rc = commit_sent(in);
    if (rc < 0 && (in->sent != NULL || in->reading->n > 0 || in->reading->open))
        abandon(in, NULL);
    ingest_free(in);
    inbox_files_free(files, n);
    inbox_close(&dirs);
    return rc;
}

/* Replay -------------------------------------------------------------------- */

/* Reads a journaled file from the archive and processes it inside the
 * open batch, as start_file and finish_file do with an inbox file, one
 * after the other (a replay is not timed). */
static int
take_archived(struct file_run *fr, const struct pipeline_replay_file *rf)
{
    int64_t size = 0;
    fr->res.name = fr->f->name;
    clock_gettime(CLOCK_MONOTONIC, &fr->deadline);
    fr->deadline.tv_sec += (time_t)fr->s->parse_timeout_s;
    int rc = archived_open(fr->s, rf->sha256, &fr->copy, &size, fr->e);
    if (rc < 0)
        return rc;
    snprintf(fr->sha256, sizeof(fr->sha256), "%s", rf->sha256);
    fr->f->size = size;
    snprintf(fr->archive_path, sizeof(fr->archive_path), "%s/%.2s/%.2s/%s", fr->s->archive,
             rf->sha256, rf->sha256 + 2, rf->sha256);
    rc = stage_file(fr); /* as the journal recorded it, whatever the reading says */
    if (rc == 0)
        rc = sandbox_submit(fr->o->reader, fr->copy, fr->f->name, &fr->deadline, &fr->job, fr->e);
    if (rc == 0)
        rc = process(fr);
    /* there is no inbox to give it back to: the rebuild stops, and goes on
     * from its last group when run again */
    if (rc == 0 && fr->retry)
        rc = bz_error_set(fr->e, E_NOMEM, "读取进程内存不足，无法重放“%s”", fr->f->name);
    if (fr->copy >= 0)
        close(fr->copy);
    fr->copy = -1;
    return rc;
}

/* The batch starts the journal group of rf: its receipts take the time
 * the group recorded. */
static void
start_group(struct batch *batch, const struct pipeline_replay_file *rf)
{
    batch->group = rf->group;
    snprintf(batch->time, sizeof(batch->time), "%s", rf->time);
    loader_stage_set_time(batch->stage, rf->time);
}

/* Replays the files one after another, a batch per journal group: the
 * batches the ingest committed. */
static int
replay_files(struct ingest *in, const struct settings *s, const struct pipeline_opts *o,
             const struct pipeline_replay_file *files, struct inbox_file *fs, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct batch *batch = in->reading;
        if (batch->n > 0 && batch->group != files[i].group) {
            rc = send_batch(in);
            if (rc < 0)
                break;
            batch = in->reading;
        }
        if (batch->n == BATCH_FILES)
            rc = bz_error_set(in->e, E_JOURNAL, "日志第 %lld 组的文件多于一批能装载的 %d 个",
                              files[i].group, BATCH_FILES);
        if (rc < 0)
            break;
        if (batch->n == 0)
            start_group(batch, &files[i]);
        struct file_run *fr = file_run_new(in->conn, batch, s, o, &fs[i], in->stats, in->e);
        if (fr == NULL) {
            rc = bz_error_set(in->e, E_NOMEM, "内存不足，无法重放");
            break;
        }
        rc = take_archived(fr, &files[i]);
        if (rc < 0) {
            abandon(in, fr);
            file_run_free(fr);
            return rc;
        }
        batch->runs[batch->n++] = fr;
        batch->submissions += fr->ndocs == 0;
        if (in->sent != NULL)
            rc = loader_stage_pump(in->conn, in->sent->stage, in->e);
    }
    if (rc < 0)
        abandon(in, NULL);
    return rc;
}

int
pipeline_replay(PGconn *conn, const struct settings *s, const struct pipeline_opts *o,
                const char *journal_id, const struct pipeline_replay_file *files, size_t n,
                struct pipeline_stats *stats, struct bz_error *e)
{
    struct inbox_dirs dirs;
    memset(stats, 0, sizeof(*stats));
    memset(&dirs, 0, sizeof(dirs));
    dirs.inbox = dirs.claim = dirs.archive = dirs.quarantine = dirs.receipts = -1;
    dirs.quarantine_day = dirs.receipts_day = dirs.also_sync = -1;
    dirs.s = s;
    stats->files_seen = n;
    if (n == 0)
        return 0;
    struct inbox_file *fs = calloc(n, sizeof(*fs));
    struct ingest *in = fs != NULL ? ingest_new(conn, &dirs, stats, e) : NULL;
    if (in == NULL) {
        free(fs);
        return bz_error_set(e, E_NOMEM, "内存不足，无法重放");
    }
    for (size_t i = 0; i < n; i++) {
        fs[i].name = (char *)files[i].name; /* borrowed: not freed below */
        fs[i].mtime = files[i].mtime;
        fs[i].regular = 1;
    }
    in->replay_jid = journal_id;
    in->batch_size = BATCH_FILES;
    batch_start(in->reading, stats);
    start_group(in->reading, &files[0]);
    int rc = batch_begin(in->reading);
    if (rc == 0)
        rc = registry_townships_read(conn, &in->towns, e);
    if (rc == 0)
        rc = reader_context(o, in->towns, e);
    if (rc < 0)
        abandon(in, NULL);
    if (rc == 0)
        rc = replay_files(in, s, o, files, fs, n);
    if (rc == 0 && (in->reading->n > 0 || in->reading->open))
        rc = send_batch(in);
    if (rc == 0)
        rc = commit_sent(in);
    if (rc < 0 && (in->sent != NULL || in->reading->n > 0 || in->reading->open))
        abandon(in, NULL);
    ingest_free(in);
    free(fs);
    return rc;
}
