#include "nightly.h"

#include "../common/buildinfo.h"
#include "../common/esc.h"
#include "../common/fsdir.h"
#include "../export/export.h"
#include "../ingest/inbox.h"
#include "../load/jstate.h"
#include "../load/ranking.h"
#include "../load/runs.h"
#include "backup.h"
#include "record.h"
#include "runlock.h"
#include "runlog.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The summary is a page or two; 1 MB leaves room for a long rejected list. */
#define SUMMARY_LIMIT (1u << 20)

struct night {
    struct cli *cli;
    struct nightly_report *r;
    PGconn *conn;
    struct record rec; /* the journal (jobs/record.h); rec.j.fd -1 until opened */
    struct runlog log;
    char as_of[16];               /* YYYY-MM-DD */
    char last_month[16];          /* the last month ended by as_of, YYYY-MM */
    struct pgutil_rows reporting; /* how each township reported last_month */
    const char **missing;         /* codes not reported for it (into reporting) */
    size_t nmissing;
    nightly_observer obs;
    void *obs_arg;
};

static void
on_file(const struct pipeline_file *f, size_t done, size_t total, void *arg)
{
    struct night *n = arg;
    struct nightly_report *r = n->r;
    runlog_printf(&n->log,
                  "file %s: state=%d submissions=%zu accepted=%zu duplicates=%zu "
                  "rejected=%zu codes=%s readers_lost=%d",
                  f->name, (int)f->state, f->submissions, f->accepted, f->duplicates, f->rejected,
                  f->codes, f->readers_lost);
    if (f->rejected > 0 && r->nrejected < NIGHTLY_MAX_LISTED) {
        size_t i = r->nrejected++;
        r->rejected[i] = *f;
        snprintf(r->rejected_names[i], sizeof(r->rejected_names[i]), "%s", f->name);
        r->rejected[i].name = r->rejected_names[i];
    }
    if (n->obs != NULL)
        n->obs(f, done, total, n->obs_arg);
}

static int
begin_run(struct night *n, struct bz_error *e)
{
    int rc = runs_begin(n->conn, "nightly", n->as_of, &n->r->run_id, e);
    n->log.run_id = n->r->run_id;
    return rc;
}

/* Adds "YYYY-MM", "YYYY-Qn", "YYYY-Hn" and "YYYY" of a month to the list. */
static void
add_period(struct nightly_report *r, const char *p)
{
    for (size_t i = 0; i < r->nrefreshed; i++)
        if (strcmp(r->refreshed[i], p) == 0)
            return;
    if (r->nrefreshed < sizeof(r->refreshed) / sizeof(r->refreshed[0]))
        snprintf(r->refreshed[r->nrefreshed++], sizeof(r->refreshed[0]), "%s", p);
}

static void
add_month_periods(struct nightly_report *r, unsigned year, unsigned month)
{
    char p[32];
    year %= 10000u;
    month = month < 1 || month > 12 ? 1 : month;
    snprintf(p, sizeof(p), "%04u-%02u", year, month);
    add_period(r, p);
    snprintf(p, sizeof(p), "%04u-Q%u", year, (month - 1) / 3 + 1);
    add_period(r, p);
    snprintf(p, sizeof(p), "%04u-H%u", year, month <= 6 ? 1u : 2u);
    add_period(r, p);
    snprintf(p, sizeof(p), "%04u", year);
    add_period(r, p);
}

/* Journal hook: a refresh's line (the periods asked for, comma-separated,
 * and those rows says were stored anew), durable, and its group recorded,
 * in the refresh's transaction; then its COMMIT. On failure the
 * transaction is rolled back, rows (may be NULL) freed and the group
 * abandoned. */
static int
journal_refresh(struct night *n, const char *what, const char *const *periods, size_t np,
                struct pgutil_rows *rows, struct bz_error *e)
{
    struct dbuf asked, done;
    dbuf_init(&asked, 4096);
    dbuf_init(&done, 4096);
    for (size_t i = 0; i < np; i++)
        dbuf_printf(&asked, "%s%s", i ? "," : "", periods[i]);
    for (size_t i = 0; rows != NULL && i < rows->n; i++)
        if (strcmp(pgutil_rows_at(rows, i, REFRESH_CHANGED), "t") == 0)
            dbuf_printf(&done, "%s%s", done.len ? "," : "",
                        pgutil_rows_at(rows, i, REFRESH_PERIOD));
    int rc = record_refresh(&n->rec, what, asked.data ? asked.data : "", n->as_of,
                            done.data ? done.data : "", e);
    dbuf_free(&asked);
    dbuf_free(&done);
    if (rc == 0)
        rc = record_prepare(&n->rec, 1, 0, e);
    if (rc == 0)
        rc = jstate_txn_commit(n->conn, e);
    if (rc < 0) {
        if (rows != NULL)
            pgutil_rows_free(rows);
        jstate_txn_rollback(n->conn);
        record_abandon(&n->rec);
        return rc;
    }
    struct bz_error ignored; /* a lost commit line is closed by the next record_open */
    record_committed(&n->rec, &ignored);
    return 0;
}

static int
refresh_rankings(struct night *n, struct bz_error *e)
{
    struct nightly_report *r = n->r;
    add_month_periods(r, (unsigned)r->as_of / 10000, (unsigned)r->as_of / 100 % 100);
    for (size_t i = 0; i < r->stats.nperiods; i++)
        add_month_periods(r, (unsigned)atoi(r->stats.periods[i]),
                          (unsigned)atoi(r->stats.periods[i] + 5));
    /* one statement refreshes them all (stored together, the changed
     * townships' figures computed once); keep only the periods whose
     * ranking changed: those are exported */
    const char *periods[sizeof(r->refreshed) / sizeof(r->refreshed[0])];
    struct pgutil_rows rows;
    for (size_t i = 0; i < r->nrefreshed; i++)
        periods[i] = r->refreshed[i];
    int rc = jstate_txn_begin(n->conn, e);
    if (rc == 0 && (rc = ranking_refresh(n->conn, periods, r->nrefreshed, n->as_of, &rows, e)) < 0)
        jstate_txn_rollback(n->conn);
    else if (rc == 0)
        rc = journal_refresh(n, "night", periods, r->nrefreshed, &rows, e);
    if (rc < 0)
        return rc;
    size_t kept = 0;
    for (size_t i = 0; i < rows.n && kept < r->nrefreshed; i++) {
        const char *period = pgutil_rows_at(&rows, i, REFRESH_PERIOD);
        int changed = strcmp(pgutil_rows_at(&rows, i, REFRESH_CHANGED), "t") == 0;
        runlog_printf(&n->log, "ranking %s as of %s: %s", period, n->as_of,
                      changed ? "refreshed" : "unchanged, kept");
        if (!changed)
            continue;
        snprintf(r->refreshed[kept], sizeof(r->refreshed[0]), "%s", period);
        r->refreshed_run[kept++] = strtoll(pgutil_rows_at(&rows, i, REFRESH_RUN), NULL, 10);
    }
    pgutil_rows_free(&rows);
    r->nrefreshed = kept;
    return 0;
}

/* Step 4: exports of every refreshed period, each recording the run step 3
 * stored (not storing another). Without a county code (no registry yet, or
 * a prefecture) there is nothing to export: logged, not a failure. A
 * change to published figures goes into the summary. */
static int
export_periods(struct night *n, struct bz_error *e)
{
    struct nightly_report *r = n->r;
    struct export_result res;
    struct record_export x = {&n->rec, 1, 1};
    struct export_hook hook = {NULL, NULL, NULL, record_export_hook, &x};
    for (size_t i = 0; i < r->nrefreshed; i++) {
        int rc = export_run_hooked(n->conn, &n->cli->settings, r->refreshed[i], n->as_of,
                                   r->refreshed_run[i], NULL, &hook, &res, e);
        if (rc < 0) {
            record_abandon(&n->rec);
        } else {
            struct bz_error ignored;
            record_committed(&n->rec, &ignored);
        }
        if (rc == BZ_ECONFIG) {
            runlog_printf(&n->log, "exports skipped: %s", e->message);
            bz_error_clear(e);
            return 0;
        }
        if (rc < 0)
            return rc;
        r->nexported++;
        runlog_printf(&n->log, "export %s as of %s: #%lld %s", r->refreshed[i], n->as_of,
                      res.export_id, res.files[EXPORT_CSV].sha256);
        if (res.changes_id != 0) {
            r->nexport_changed++;
            dbuf_printf(&r->summary,
                        "已发布的 %s 数字（截至 %s，导出记录 #%lld）已有变化，见导出记录 #%lld\n",
                        r->refreshed[i], res.changes_as_of, res.changes_id, res.export_id);
        }
    }
    return 0;
}

/* "、name（code）" of row i: registry text, escaped like any other. */
static void
summary_township(struct dbuf *b, const char *sep, const struct pgutil_rows *rows, size_t i)
{
    dbuf_adds(b, sep);
    esc_dbuf(b, pgutil_rows_at(rows, i, REPORTING_NAME));
    dbuf_adds(b, "（");
    esc_dbuf(b, pgutil_rows_at(rows, i, REPORTING_CODE));
    dbuf_adds(b, "）");
}

/* Appends the townships that have not reported, or reported late, for the
 * last month ended by as_of; keeps the codes of the first for the run's
 * record. */
static int
summarize_reporting(struct night *n, struct bz_error *e)
{
    struct dbuf *b = &n->r->summary;
    const struct pgutil_rows *rows = &n->reporting;
    const char *month[1] = {n->last_month};
    char run[32];
    int rc = jstate_txn_begin(n->conn, e);
    if (rc == 0 && (rc = ranking_month_run(n->conn, n->last_month, n->as_of, run, e)) < 0)
        jstate_txn_rollback(n->conn);
    else if (rc == 0)
        rc = journal_refresh(n, "last_month", month, 1, NULL, e);
    if (rc == 0)
        rc = ranking_reporting(n->conn, run, &n->reporting, e);
    if (rc < 0)
        return rc;
    n->missing = calloc(rows->n ? rows->n : 1, sizeof(*n->missing));
    if (n->missing == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法汇总报送情况");
    size_t late = 0;
    dbuf_printf(b, "%s 未报送的乡镇：", n->last_month);
    for (size_t i = 0; i < rows->n; i++) {
        if (strcmp(pgutil_rows_at(rows, i, REPORTING_STATUS), "未报送") != 0)
            continue;
        summary_township(b, n->nmissing ? "、" : "", rows, i);
        n->missing[n->nmissing++] = pgutil_rows_at(rows, i, REPORTING_CODE);
    }
    dbuf_adds(b, n->nmissing ? "\n" : "无\n");
    dbuf_printf(b, "%s 迟报的乡镇：", n->last_month);
    for (size_t i = 0; i < rows->n; i++) {
        int reported = atoi(pgutil_rows_at(rows, i, REPORTING_MONTHS_REPORTED));
        if (reported == 0 || atoi(pgutil_rows_at(rows, i, REPORTING_MONTHS_ON_TIME)) >= reported)
            continue;
        summary_township(b, late ? "、" : "", rows, i);
        late++;
    }
    dbuf_adds(b, late ? "\n" : "无\n");
    return 0;
}

static void
summarize_files(struct nightly_report *r)
{
    struct dbuf *b = &r->summary;
    const struct pipeline_stats *stats = &r->stats;
    dbuf_printf(b, "收件 %zu 个文件：接收 %zu，重复 %zu，退回 %zu", stats->files_seen,
                stats->files_accepted, stats->files_duplicate, stats->files_rejected);
    if (stats->files_retry > 0)
        dbuf_printf(b, "，未完成 %zu（留在收件箱，下次重试）", stats->files_retry);
    dbuf_printf(b, "\n报表 %zu 份：接收 %zu，重复 %zu，退回 %zu，警告 %zu 条\n", stats->submissions,
                stats->accepted, stats->duplicates, stats->rejected, stats->warnings);
    if (r->nrejected == 0)
        return;
    dbuf_adds(b, "退回的文件：\n");
    for (size_t i = 0; i < r->nrejected; i++) {
        dbuf_adds(b, "  ");
        esc_dbuf(b, r->rejected[i].name);
        dbuf_printf(b, "：退回 %zu 份 [", r->rejected[i].rejected);
        esc_dbuf(b, r->rejected[i].codes);
        dbuf_adds(b, "] ");
        esc_dbuf(b, r->rejected[i].first_error);
        dbuf_adds(b, "\n");
    }
    if (stats->rejected > r->nrejected)
        dbuf_printf(b, "  （其余未列出，见 quarantine/ 目录）\n");
}

static void
write_summary(struct night *n)
{
    struct nightly_report *r = n->r;
    struct bz_error ignored;
    char name[64];
    int dir;
    snprintf(name, sizeof(name), "%s-run%lld.txt", n->as_of, r->run_id);
    snprintf(r->summary_path, sizeof(r->summary_path), "%s/%s", n->cli->settings.runs, name);
    if (fsdir_open(n->cli->settings.runs, FSDIR_CREATE | FSDIR_OWN, &dir, &ignored) < 0) {
        r->summary_path[0] = '\0';
        return;
    }
    if (fsdir_write(dir, name, r->summary_path, r->summary.data ? r->summary.data : "",
                    r->summary.len, 0, &ignored) < 0)
        r->summary_path[0] = '\0';
    close(dir);
}

static void
end_run(struct night *n, int rc, const struct bz_error *e)
{
    const struct nightly_report *r = n->r;
    struct bz_error ignored;
    if (n->conn == NULL || r->run_id == 0 || PQstatus(n->conn) != CONNECTION_OK)
        return;
    const struct runs_end end = {rc < 0,
                                 r->stats.files_taken,
                                 r->stats.accepted,
                                 r->stats.duplicates,
                                 r->stats.rejected,
                                 r->stats.warnings,
                                 n->missing,
                                 n->nmissing,
                                 e->code,
                                 e->message,
                                 r->summary_path[0] ? r->summary_path : NULL};
    runs_end(n->conn, r->run_id, &end, &ignored);
}

/* The failure line; its message may quote a file name. */
static void
summary_failure(struct dbuf *b, const struct bz_error *e)
{
    dbuf_printf(b, "任务失败：[%s] ", e->code);
    esc_dbuf(b, e->message);
    if (e->detail[0] != '\0') {
        dbuf_adds(b, "；原因：");
        esc_dbuf(b, e->detail);
    }
    dbuf_adds(b, "\n");
}

/* Opens the journal; changes found made outside bizenv go into the
 * summary (and make it print). */
static int
open_journal(struct night *n, struct bz_error *e)
{
    int rc = record_open(&n->rec, &n->cli->settings, n->conn, e);
    if (rc == 0) /* found tonight, or by a command since the last night */
        rc = jstate_take_unreported(n->conn, n->r->drift, sizeof(n->r->drift), e);
    if (rc < 0)
        return rc;
    if (n->r->drift[0] != '\0') {
        dbuf_printf(&n->r->summary,
                    "[W_JOURNAL_DRIFT] 数据库中的%s被绕过 bizenv 直接修改过（日志中没有这次修改）；"
                    "日志已按现值补记。今后请用 bizenv weights set、bizenv setting set 或 "
                    "bizenv registry load 修改\n",
                    n->r->drift);
        runlog_printf(&n->log, "journal: changed outside bizenv: %s", n->r->drift);
    }
    if (n->rec.history > 0)
        runlog_printf(&n->log, "journal begun on a database holding %lld files", n->rec.history);
    return 0;
}

/* A backup of the night when the journal moved since the newest one; a
 * failure is said in the summary (which then prints) and ends nothing. */
static void
night_backup(struct night *n)
{
    struct nightly_report *r = n->r;
    struct bz_error be;
    struct backup_result res;
    if (n->cli->settings.backup_keep <= 0)
        return;
    bz_error_clear(&be);
    int rc = backup_nightly(n->conn, &n->cli->settings, &res, &be);
    if (rc == 0) {
        snprintf(r->backup_path, sizeof(r->backup_path), "%s", res.path);
        if (res.path[0] != '\0')
            runlog_printf(&n->log, "backup %s (%lld bytes)", res.path, res.size);
        return;
    }
    r->backup_failed = 1;
    dbuf_printf(&r->summary, "[%s] 今晚的备份失败：", be.code);
    esc_dbuf(&r->summary, be.message);
    if (be.detail[0] != '\0') {
        dbuf_adds(&r->summary, "；原因：");
        esc_dbuf(&r->summary, be.detail);
    }
    dbuf_adds(&r->summary, "\n");
    runlog_printf(&n->log, "backup failed: %s %s", be.code, be.message);
}

static void
begin_summary(struct night *n)
{
    dbuf_printf(&n->r->summary, "bizenv 夜间任务（截至 %s；bizenv %s）\n", n->as_of,
                buildinfo_label());
}

int
nightly_run(struct cli *cli, int as_of, nightly_observer obs, void *obs_arg,
            struct nightly_report *r, struct bz_error *e)
{
    struct night n;
    struct runlock lock = {-1};
    struct sandbox *reader = NULL;
    int rc;

    memset(&n, 0, sizeof(n));
    memset(r, 0, sizeof(*r));
    dbuf_init(&r->summary, SUMMARY_LIMIT);
    n.cli = cli;
    n.r = r;
    n.obs = obs;
    n.obs_arg = obs_arg;
    r->as_of = as_of;
    snprintf(n.as_of, sizeof(n.as_of), "%04d-%02d-%02d", as_of / 10000, as_of / 100 % 100,
             as_of % 100);
    int ly = as_of / 10000, lm = as_of / 100 % 100 - 1;
    if (lm == 0) {
        ly--;
        lm = 12;
    }
    snprintf(n.last_month, sizeof(n.last_month), "%04u-%02u", (unsigned)ly % 10000u,
             (unsigned)lm % 100u);
    begin_summary(&n);

    rc = session_folders(&cli->settings, e);
    if (rc == 0)
        rc = runlock_file(&lock, &cli->settings, e);
    if (rc < 0)
        goto out_nolog;
    runlog_open(&n.log, &cli->settings);
    runlog_printf(&n.log, "nightly start, as of %s, bizenv %s", n.as_of, buildinfo_label());

    /* the readers first: they never share memory with a connection */
    n.rec.j.fd = -1;
    rc = sandbox_start(&cli->settings, &reader, e);
    /* 1. pending migrations (and the connection), the journal */
    if (rc == 0) {
        n.conn = session_open_home(cli, e);
        rc = n.conn == NULL ? e->status : runlock_db(n.conn, e);
    }
    if (rc == 0)
        rc = open_journal(&n, e);
    if (rc == 0)
        rc = begin_run(&n, e);
    /* 2. ingest of the inbox */
    if (rc == 0)
        rc = record_run(&n.rec, "nightly", r->run_id, n.as_of, cli_today(), n.as_of, e);
    if (rc == 0) {
        struct pipeline_opts o = {.inbox = cli->settings.inbox,
                                  .day = n.as_of,
                                  .today = cli_today(),
                                  .reader = reader,
                                  .observer = on_file,
                                  .observer_arg = &n,
                                  .rec = &n.rec};
        rc = pipeline_ingest(n.conn, &cli->settings, &o, &r->stats, e);
        runlog_printf(&n.log, "ingest done: %zu files, %zu accepted, %zu rejected",
                      r->stats.files_seen, r->stats.accepted, r->stats.rejected);
    }
    /* 3. rankings of the current month, quarter, half and year, and of the periods touched */
    if (rc == 0)
        rc = refresh_rankings(&n, e);
    /* 4. exports of the refreshed periods */
    if (rc == 0)
        rc = export_periods(&n, e);
    /* 5. the run summary */
    summarize_files(r);
    if (rc == 0)
        rc = summarize_reporting(&n, e);
    if (rc == 0) /* the journal's last commit lines */
        rc = record_sync(&n.rec, e);
    /* 6. the night's backup, while the run lock keeps the database and
     * the journal still */
    if (rc == 0)
        night_backup(&n);
    if (rc < 0)
        summary_failure(&r->summary, e);
    write_summary(&n);
    end_run(&n, rc, e);
    record_close(&n.rec);
    runlog_printf(&n.log, "nightly end: %s%s%s", rc < 0 ? "failed " : "ok", rc < 0 ? e->code : "",
                  rc < 0 ? e->message : "");
    runlog_close(&n.log);
    PQfinish(n.conn);
    sandbox_stop(reader);
    runlock_release(&lock);
out_nolog:
    free(n.missing);
    pgutil_rows_free(&n.reporting);
    return rc;
}
