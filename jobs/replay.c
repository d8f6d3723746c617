#include "replay.h"

#include "../common/buildinfo.h"
#include "../common/esc.h"
#include "../common/fsdir.h"
#include "../common/hash.h"
#include "../common/journal.h"
#include "../export/export.h"
#include "../export/export_data.h"
#include "../load/ranking.h"
#include "../load/regcsv.h"
#include "../load/registry.h"
#include "../ingest/archived.h"
#include "../load/db.h"
#include "../load/instance.h"
#include "../load/jstate.h"
#include "../load/loader.h"
#include "../load/migrate.h"
#include "../load/pgutil.h"
#include "pipeline.h"
#include "record.h"
#include "runlock.h"
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A journal is a few MB a year at a province; this is decades of it. */
#define JOURNAL_READ_MAX (1ull << 30)
/* A registry file or snapshot (jobs/record.c SNAPSHOT_LIMIT). */
#define REGISTRY_MAX (64u << 20)
#define NOTES_MAX (4u << 20)
/* Notes about single files or exports stop after this many (counted). */
#define NOTES_LISTED 200
#define SCRATCH "rebuild"

enum gstate { G_COMMITTED, G_ABORTED };

struct gstatus {
    long long g;
    enum gstate state;
};

/* What an export made by the replay differed in, by file name. */
struct export_note {
    char name[256];
    char why[512];
};

struct replay {
    struct cli *cli;
    struct settings s;      /* the home's; a run's reading limits replace its own */
    struct sandbox *reader; /* reads the archived files (started before the connection) */
    PGconn *conn;
    struct journal_file jf;
    long long txn; /* the last group the database holds */
    struct gstatus *status;
    size_t nstatus;
    struct replay_report *rep;
    char scratch[BZ_PATH_MAX + 32];
    /* the run being replayed */
    int today;
    struct pipeline_replay_file *files;
    const struct journal_event **file_ev;
    size_t nfiles, capfiles, observed;
    struct export_note *xnotes;
    size_t nxnotes, capxnotes;
    size_t listed; /* notes about single files or exports so far */
    struct bz_error *e;
};

/* Notes ------------------------------------------------------------------- */

static const char *
or_else(const char *v, const char *def)
{
    return v != NULL ? v : def;
}

static void
note(struct replay *rp, const char *fmt, const char *arg)
{
    char text[2048];
    snprintf(text, sizeof(text), fmt, arg ? arg : "");
    esc_dbuf(&rp->rep->notes, text);
    dbuf_adds(&rp->rep->notes, "\n");
}

static void
note_listed(struct replay *rp, const char *text)
{
    if (rp->listed++ == NOTES_LISTED)
        note(rp, "（其余不再列出）%s", NULL);
    if (rp->listed <= NOTES_LISTED)
        note(rp, "%s", text);
}

/* Group states ------------------------------------------------------------ */

static int
by_g(const void *a, const void *b)
{
    long long x = ((const struct gstatus *)a)->g, y = ((const struct gstatus *)b)->g;
    return x < y ? -1 : x > y;
}

static int
collect_status(struct replay *rp)
{
    rp->status = calloc(rp->jf.n + 1, sizeof(*rp->status));
    if (rp->status == NULL)
        return -1;
    for (size_t i = 0; i < rp->jf.n; i++) {
        const struct journal_event *ev = &rp->jf.events[i];
        int commit = strcmp(ev->ev, "commit") == 0, abort_ = strcmp(ev->ev, "abort") == 0;
        if ((commit || abort_) && ev->g > 0)
            rp->status[rp->nstatus++] = (struct gstatus){ev->g, commit ? G_COMMITTED : G_ABORTED};
    }
    qsort(rp->status, rp->nstatus, sizeof(*rp->status), by_g);
    return 0;
}

/* 1 committed, 0 rolled back, -1 never confirmed. */
static int
committed(const struct replay *rp, long long g)
{
    struct gstatus key = {g, G_COMMITTED};
    const struct gstatus *hit = bsearch(&key, rp->status, rp->nstatus, sizeof(key), by_g);
    return hit == NULL ? -1 : hit->state == G_COMMITTED;
}

/* Transactions of one group ------------------------------------------------- */

static int
group_begin(struct replay *rp)
{
    return jstate_txn_begin(rp->conn, rp->e);
}

/* Records group g applied, then commits; rolls back on failure. */
static int
group_end(struct replay *rp, long long g, int with_state, int rc)
{
    if (rc == 0)
        rc = jstate_commit(rp->conn, rp->jf.id, g, with_state, rp->e);
    if (rc == 0)
        rc = jstate_txn_commit(rp->conn, rp->e);
    if (rc < 0)
        jstate_txn_rollback(rp->conn);
    else
        rp->rep->groups++;
    return rc;
}

/* Runs and their files --------------------------------------------------- */

/* The file's outcome as the journal recorded it and as replayed. */
static void
observe(const struct pipeline_file *f, size_t done, size_t total, void *arg)
{
    struct replay *rp = arg;
    char text[1024];
    (void)done;
    (void)total;
    if (rp->observed >= rp->nfiles)
        return;
    const struct journal_event *ev = rp->file_ev[rp->observed++];
    rp->rep->files++;
    long long acc = journal_get_int(ev, "acc", -1), dup = journal_get_int(ev, "dup", -1),
              rej = journal_get_int(ev, "rej", -1);
    const char *codes = journal_get(ev, "codes");
    if (acc == (long long)f->accepted && dup == (long long)f->duplicates &&
        rej == (long long)f->rejected && codes != NULL && strcmp(codes, f->codes) == 0)
        return;
    rp->rep->files_differ++;
    snprintf(text, sizeof(text),
             "文件“%s”（日志第 %ld 行）的结果不同：原来接收 %lld、重复 %lld、退回 %lld [%s]，"
             "重放为接收 %zu、重复 %zu、退回 %zu [%s]%s",
             f->name, ev->line_no, acc, dup, rej, codes ? codes : "", f->accepted, f->duplicates,
             f->rejected, f->codes,
             codes != NULL && strstr(codes, "E_LIMIT_TIME") != NULL
                 ? "；原来读取超时（E_LIMIT_TIME），超时取决于当时机器的快慢"
                 : "");
    note_listed(rp, text);
}

/* Loads the files collected for the current run. */
static int
flush_files(struct replay *rp)
{
    struct pipeline_stats st;
    if (rp->nfiles == 0)
        return 0;
    struct pipeline_opts o = {
        .today = rp->today, .reader = rp->reader, .observer = observe, .observer_arg = rp};
    rp->observed = 0;
    int rc = pipeline_replay(rp->conn, &rp->s, &o, rp->jf.id, rp->files, rp->nfiles, &st, rp->e);
    for (size_t i = 0; rc == 0 && i < rp->nfiles; i++)
        rp->rep->groups += i == 0 || rp->files[i].group != rp->files[i - 1].group;
    rp->nfiles = 0;
    return rc;
}

static int
parse_mtime(const char *v, struct timespec *t)
{
    char *end;
    if (v == NULL)
        return -1;
    t->tv_sec = (time_t)strtoll(v, &end, 10);
    t->tv_nsec = *end == '.' ? strtol(end + 1, &end, 10) : 0;
    return *end == '\0' ? 0 : -1;
}

/* Adds a file line of a committed group to the run's list. */
static int
add_file(struct replay *rp, const struct journal_event *ev)
{
    const char *sha = journal_get(ev, "sha256");
    if (sha == NULL || sha[0] == '\0')
        return 0; /* nothing was archived or stored of it */
    if (rp->nfiles == rp->capfiles) {
        size_t cap = rp->capfiles ? rp->capfiles * 2 : 1024;
        struct pipeline_replay_file *f = realloc(rp->files, cap * sizeof(*f));
        const struct journal_event **x = f ? realloc(rp->file_ev, cap * sizeof(*x)) : NULL;
        if (f != NULL)
            rp->files = f;
        if (x == NULL)
            return bz_error_set(rp->e, E_NOMEM, "内存不足，无法重放");
        rp->file_ev = x;
        rp->capfiles = cap;
    }
    struct pipeline_replay_file *f = &rp->files[rp->nfiles];
    f->name = journal_get(ev, "name");
    f->sha256 = sha;
    f->group = ev->g;
    f->time = journal_get(ev, "t");
    if (f->name == NULL || f->time == NULL || parse_mtime(journal_get(ev, "mtime"), &f->mtime) < 0)
        return bz_error_set(rp->e, E_JOURNAL, "日志第 %ld 行（文件）缺少字段", ev->line_no);
    rp->file_ev[rp->nfiles++] = ev;
    return 0;
}

/* A run begins: the reading limits and the day it recorded. */
static int
start_run(struct replay *rp, const struct journal_event *ev)
{
    struct bz_error ignored;
    int rc = flush_files(rp);
    if (rc < 0)
        return rc;
    rp->s = rp->cli->settings;
    for (const char *const *k = record_reading_settings; *k != NULL; k++) {
        const char *v = journal_get(ev, *k);
        if (v != NULL && settings_set(&rp->s, *k, v, &ignored) < 0)
            note(rp, "日志中的运行记录含有无效的设置值（%s），按本机设置重放", *k);
    }
    const char *today = journal_get(ev, "today");
    rp->today = today != NULL && strlen(today) == 10
                    ? atoi(today) * 10000 + atoi(today + 5) * 100 + atoi(today + 8)
                    : 0;
    return 0;
}

/* Registries, weights, settings -------------------------------------------- */

/* A snapshot archived by record.c: journal-format lines of code, name,
 * active, applied as they are. */
static int
apply_snapshot(struct replay *rp, int counties, const char *data, size_t len)
{
    size_t cap = 64, n = 0;
    const char **codes = malloc(cap * sizeof(*codes)), **names = malloc(cap * sizeof(*names)),
               **act = malloc(cap * sizeof(*act));
    struct journal_event *rows = malloc(cap * sizeof(*rows));
    int rc = codes && names && act && rows ? 0 : -1;
    for (size_t off = 0; rc == 0 && off < len;) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t l = nl ? (size_t)(nl - (data + off)) : len - off;
        char why[160];
        if (n == cap) {
            cap *= 2;
            void *a = realloc(codes, cap * sizeof(*codes)),
                 *b = realloc(names, cap * sizeof(*names));
            void *c = realloc(act, cap * sizeof(*act)), *d = realloc(rows, cap * sizeof(*rows));
            codes = a ? a : codes, names = b ? b : names, act = c ? c : act, rows = d ? d : rows;
            if (!a || !b || !c || !d) {
                rc = -1;
                break;
            }
        }
        if (journal_parse_line(data + off, l, &rows[n], why, sizeof(why)) < 0 ||
            journal_get(&rows[n], "code") == NULL) {
            rc = -2;
            break;
        }
        codes[n] = journal_get(&rows[n], "code");
        names[n] = journal_get(&rows[n], "name");
        act[n] = strcmp(or_else(journal_get(&rows[n], "active"), "t"), "t") == 0 ? "true" : "false";
        n++;
        off += l + (nl != NULL);
    }
    if (rc == 0)
        rc = jstate_restore_registry(rp->conn, counties, codes, names, act, n, rp->e);
    else if (rc == -1)
        rc = bz_error_set(rp->e, E_NOMEM, "内存不足，无法恢复名录");
    else
        rc = bz_error_set(rp->e, E_JOURNAL, "名录快照已损坏");
    for (size_t i = 0; i < n; i++)
        journal_event_free(&rows[i]);
    free(codes);
    free(names);
    free(act);
    free(rows);
    return rc;
}

static int
apply_registry(struct replay *rp, const struct journal_event *ev)
{
    const char *sha = journal_get(ev, "sha256"), *kind = journal_get(ev, "kind");
    const char *snapshot = journal_get(ev, "snapshot");
    int counties = kind != NULL && strcmp(kind, "counties") == 0;
    char *data = NULL;
    size_t len = 0;
    if (sha == NULL)
        return bz_error_set(rp->e, E_JOURNAL, "日志第 %ld 行（名录）缺少 SHA-256", ev->line_no);
    int rc = archived_read(&rp->s, sha, REGISTRY_MAX, &data, &len, rp->e);
    if (rc < 0)
        return rc;
    if (snapshot != NULL && strcmp(snapshot, "1") == 0) {
        rc = apply_snapshot(rp, counties, data, len);
        free(data);
        return rc;
    }
    /* the file as `registry load` or `counties load` read it, by the same parser */
    struct regcsv reg;
    struct registry_stats st;
    rc = regcsv_parse(data, len, counties ? REGCSV_COUNTIES : REGCSV_TOWNSHIPS,
                      or_else(journal_get(ev, "name"), sha), &reg, rp->e);
    if (rc == 0)
        rc = counties ? registry_load_counties(rp->conn, &reg, &st, rp->e)
                      : registry_merge_townships(rp->conn, &reg, &st, rp->e);
    regcsv_free(&reg);
    return rc;
}

static int
apply_line(struct replay *rp, const struct journal_event *ev)
{
    if (strcmp(ev->ev, "registry") == 0)
        return apply_registry(rp, ev);
    if (strcmp(ev->ev, "weights") == 0)
        return jstate_set_weights(rp->conn, or_else(journal_get(ev, "service"), "1"),
                                  or_else(journal_get(ev, "completion"), "1"),
                                  or_else(journal_get(ev, "coverage"), "1"), rp->e);
    if (strcmp(ev->ev, "setting") == 0) {
        const char *key = journal_get(ev, "key"), *value = journal_get(ev, "value");
        if (key == NULL || value == NULL)
            return bz_error_set(rp->e, E_JOURNAL, "日志第 %ld 行（设置）缺少字段", ev->line_no);
        return jstate_set_setting(rp->conn, key, value, rp->e);
    }
    return 0; /* "state": nothing but the group itself */
}

/* A group of registry, weights, settings or state lines: one transaction. */
static int
replay_state(struct replay *rp, const struct journal_event *first, size_t n)
{
    int rc = group_begin(rp);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = apply_line(rp, &first[i]);
    return group_end(rp, first->g, 1, rc);
}

/* Refreshes -------------------------------------------------------------- */

/* The periods a refresh line asked for, comma-separated (journals of an
 * earlier build wrote them as an array literal, braces included). At most
 * `cap` of them, pointing into buf. */
static size_t
split_periods(const char *list, char *buf, size_t bufcap, const char **out, size_t cap)
{
    size_t n = 0;
    snprintf(buf, bufcap, "%s", list + (list[0] == '{'));
    size_t len = strlen(buf);
    if (len > 0 && buf[len - 1] == '}')
        buf[len - 1] = '\0';
    for (char *p = buf; *p != '\0' && n < cap;) {
        out[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

/* The night's refresh of its periods (the same statement, ranking.h), or
 * the last month's for its summary, in one transaction as the night ran
 * it; a night that stored other periods anew than the original is noted. */
static int
replay_refresh(struct replay *rp, const struct journal_event *ev)
{
    const char *what = journal_get(ev, "what"), *periods = journal_get(ev, "periods");
    const char *as_of = journal_get(ev, "as_of"), *want = journal_get(ev, "refreshed");
    const char *list[64];
    char buf[2048], run[32];
    struct pgutil_rows rows;
    memset(&rows, 0, sizeof(rows));
    if (what == NULL || periods == NULL || as_of == NULL)
        return bz_error_set(rp->e, E_JOURNAL, "日志第 %ld 行（刷新）缺少字段", ev->line_no);
    int night = strcmp(what, "night") == 0;
    size_t n = split_periods(periods, buf, sizeof(buf), list, sizeof(list) / sizeof(list[0]));
    int rc = group_begin(rp);
    if (rc == 0)
        rc = night ? ranking_refresh(rp->conn, list, n, as_of, &rows, rp->e)
                   : ranking_month_run(rp->conn, periods, as_of, run, rp->e);
    if (rc == 0 && night) {
        struct dbuf got;
        dbuf_init(&got, 4096);
        for (size_t i = 0; i < rows.n; i++)
            if (strcmp(pgutil_rows_at(&rows, i, REFRESH_CHANGED), "t") == 0)
                dbuf_printf(&got, "%s%s", got.len ? "," : "",
                            pgutil_rows_at(&rows, i, REFRESH_PERIOD));
        if (strcmp(got.data ? got.data : "", want ? want : "") != 0) {
            char text[1024];
            snprintf(text, sizeof(text),
                     "截至 %s 的排名刷新（日志第 %ld 行）不同：原来刷新了 %s，"
                     "重放刷新了 %s",
                     as_of, ev->line_no, want ? want : "", got.data ? got.data : "");
            note_listed(rp, text);
        }
        dbuf_free(&got);
    }
    pgutil_rows_free(&rows);
    return group_end(rp, ev->g, 0, rc);
}

/* Exports ----------------------------------------------------------------- */

struct export_check {
    struct replay *rp;
    const struct journal_event *ev;
    long long g;
};

/* Inside the replayed export's transaction: the group is recorded, and
 * what differs from the journal (weights, build) noted for the compare. */
static int
export_replayed(const struct export_data *d, const struct export_result *r, void *arg,
                struct bz_error *e)
{
    static const char *const kinds[EXPORT_NKINDS] = {"xlsx", "csv", "adx"};
    struct export_check *x = arg;
    struct replay *rp = x->rp;
    for (int k = 0; k < EXPORT_NKINDS; k++) {
        char key[32], why[512] = "";
        snprintf(key, sizeof(key), "%s_sha256", kinds[k]);
        const char *want = journal_get(x->ev, key);
        if (want != NULL && strcmp(want, r->files[k].sha256) == 0)
            continue;
        const char *ws = journal_get(x->ev, "w_service"), *wc = journal_get(x->ev, "w_completion"),
                   *wv = journal_get(x->ev, "w_coverage");
        const char *gs = export_data_cell(d->summary, 0, SU_W_SERVICE),
                   *gc = export_data_cell(d->summary, 0, SU_W_COMPLETION),
                   *gv = export_data_cell(d->summary, 0, SU_W_COVERAGE);
        const char *build = journal_get(x->ev, "build");
        if (ws && wc && wv && gs && gc && gv &&
            (strcmp(ws, gs) || strcmp(wc, gc) || strcmp(wv, gv)))
            snprintf(why, sizeof(why), "导出时的权重为 %s:%s:%s，重放时为 %s:%s:%s", ws, wc, wv, gs,
                     gc, gv);
        else if (build != NULL && strcmp(build, buildinfo_label()) != 0)
            snprintf(why, sizeof(why),
                     "原文件由 bizenv %s 生成，重建用的是 bizenv %s，其输出可能不同", build,
                     buildinfo_label());
        else
            snprintf(why, sizeof(why), "重放得到的数字不同（原 SHA-256 %.12s…，重放 %.12s…）",
                     want ? want : "", r->files[k].sha256);
        if (rp->nxnotes == rp->capxnotes) {
            size_t cap = rp->capxnotes ? rp->capxnotes * 2 : 16;
            struct export_note *n = realloc(rp->xnotes, cap * sizeof(*n));
            if (n == NULL)
                continue;
            rp->xnotes = n;
            rp->capxnotes = cap;
        }
        const char *slash = strrchr(r->files[k].path, '/');
        snprintf(rp->xnotes[rp->nxnotes].name, sizeof(rp->xnotes[0].name), "%s",
                 slash ? slash + 1 : r->files[k].path);
        snprintf(rp->xnotes[rp->nxnotes].why, sizeof(rp->xnotes[0].why), "%s", why);
        rp->nxnotes++;
    }
    return jstate_commit(rp->conn, rp->jf.id, x->g, 0, e);
}

static int
replay_export(struct replay *rp, const struct journal_event *ev)
{
    const char *period = journal_get(ev, "period"), *as_of = journal_get(ev, "as_of");
    const char *dest = journal_get(ev, "dest");
    char dir[BZ_PATH_MAX + 64];
    long long run = 0;
    if (period == NULL || as_of == NULL || journal_get(ev, "county") == NULL)
        return bz_error_set(rp->e, E_JOURNAL, "日志第 %ld 行（导出）缺少字段", ev->line_no);
    struct settings s = rp->cli->settings;
    snprintf(s.county_code, sizeof(s.county_code), "%s", journal_get(ev, "county"));
    snprintf(s.county_name, sizeof(s.county_name), "%s",
             or_else(journal_get(ev, "county_name"), ""));
    snprintf(dir, sizeof(dir), "%s/%s", rp->scratch,
             dest != NULL && strcmp(dest, "exports") == 0 ? "exports" : "other");
    int rc = 0;
    if (journal_get_int(ev, "stored", 0) == 1)
        rc = jstate_stored_run(rp->conn, period, as_of, &run, rp->e);
    if (rc == 0 && journal_get_int(ev, "stored", 0) == 1 && run == 0)
        rc = bz_error_set(rp->e, E_REBUILD_DIFFERS,
                          "日志第 %ld 行的导出所用的排名（%s，截至 %s）在重放中没有保存",
                          ev->line_no, period, as_of);
    struct export_check x = {rp, ev, ev->g};
    struct export_hook hook = {journal_get(ev, "at"), journal_get(ev, "ts"),
                               journal_get(ev, "build"), export_replayed, &x};
    struct export_result r;
    if (rc == 0)
        rc = export_run_hooked(rp->conn, &s, period, as_of, run, dir, &hook, &r, rp->e);
    if (rc == 0)
        rp->rep->groups++;
    return rc;
}

/* The walk over the journal ---------------------------------------------- */

/* Replays the group of events first[0..n) (one g). */
static int
replay_group(struct replay *rp, const struct journal_event *first, size_t n)
{
    const char *ev = first->ev;
    if (strcmp(ev, "file") == 0) {
        size_t before = rp->nfiles;
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = add_file(rp, &first[i]);
        if (rc == 0 && rp->nfiles == before) {
            /* nothing of it was archived: only the group, after the files
             * before it (groups are recorded applied in order) */
            rc = flush_files(rp);
            if (rc == 0)
                rc = group_end(rp, first->g, 0, group_begin(rp));
        }
        return rc;
    }
    int rc = flush_files(rp);
    if (rc < 0)
        return rc;
    if (strcmp(ev, "refresh") == 0)
        return replay_refresh(rp, first);
    if (strcmp(ev, "export") == 0)
        return replay_export(rp, first);
    if (strcmp(ev, "registry") == 0 || strcmp(ev, "weights") == 0 || strcmp(ev, "setting") == 0 ||
        strcmp(ev, "state") == 0)
        return replay_state(rp, first, n);
    char text[256];
    snprintf(text, sizeof(text), "日志第 %ld 行：不认识的事件“%s”，未重放", first->line_no, ev);
    note_listed(rp, text);
    return 0;
}

/* Events outside groups, and groups not to replay. */
static int
outside(struct replay *rp, const struct journal_event *ev)
{
    if (strcmp(ev->ev, "run") == 0)
        return start_run(rp, ev);
    if (strcmp(ev->ev, "history") == 0)
        rp->rep->history = journal_get_int(ev, "files", 0);
    return 0;
}

static int
walk(struct replay *rp)
{
    const struct journal_event *ev = rp->jf.events;
    size_t n = rp->jf.n;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n;) {
        if (ev[i].g == 0 || strcmp(ev[i].ev, "commit") == 0 || strcmp(ev[i].ev, "abort") == 0) {
            rc = outside(rp, &ev[i]);
            i++;
            continue;
        }
        size_t k = i + 1;
        while (k < n && ev[k].g == ev[i].g && strcmp(ev[k].ev, "commit") != 0 &&
               strcmp(ev[k].ev, "abort") != 0)
            k++;
        int state = committed(rp, ev[i].g);
        if (ev[i].g <= rp->txn && state == 1) {
            rp->rep->done_before++;
        } else if (state == 1) {
            rc = replay_group(rp, &ev[i], k - i);
        } else {
            rp->rep->skipped++;
            if (state < 0) {
                char text[256];
                snprintf(text, sizeof(text),
                         "日志第 %ld 行起的一组记录没有提交标记（写入后进程中断），未重放",
                         ev[i].line_no);
                note_listed(rp, text);
            }
        }
        i = k;
    }
    if (rc == 0)
        rc = flush_files(rp);
    return rc;
}

/* Comparing exports/ ---------------------------------------------------------- */

/* The stem of an export file name, and its kind's suffix. */
static int
stem_of(const char *name, char *stem, size_t cap)
{
    static const char *const ext[] = {".adx.xml", ".xlsx", ".csv"};
    size_t n = strlen(name);
    for (size_t i = 0; i < 3; i++) {
        size_t m = strlen(ext[i]);
        if (n > m && strcmp(name + n - m, ext[i]) == 0) {
            snprintf(stem, cap, "%.*s", (int)(n - m), name);
            return 1;
        }
    }
    return 0;
}

static int
file_sha(int dir, const char *name, char sha[65])
{
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct hash_ctx h;
    char buf[65536];
    ssize_t r;
    hash_init(&h);
    while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
        if (r > 0)
            hash_update(&h, buf, (size_t)r);
    close(fd);
    if (r < 0)
        return -1;
    hash_final_hex(&h, sha);
    return 0;
}

/* The last committed export to exports/ that wrote `name`, and the
 * SHA-256 it recorded for it. */
static const struct journal_event *
journaled(const struct replay *rp, const char *name, const char **sha)
{
    static const char *const kinds[] = {"xlsx", "csv", "adx"};
    for (size_t i = rp->jf.n; i-- > 0;) {
        const struct journal_event *ev = &rp->jf.events[i];
        const char *dest = journal_get(ev, "dest");
        if (strcmp(ev->ev, "export") != 0 || dest == NULL || strcmp(dest, "exports") != 0 ||
            committed(rp, ev->g) != 1)
            continue;
        for (int k = 0; k < 3; k++) {
            char key[32];
            snprintf(key, sizeof(key), "%s_name", kinds[k]);
            const char *v = journal_get(ev, key);
            if (v != NULL && strcmp(v, name) == 0) {
                snprintf(key, sizeof(key), "%s_sha256", kinds[k]);
                *sha = journal_get(ev, key);
                return ev;
            }
        }
    }
    return NULL;
}

/* Why file `name` of exports/ is not what the replay made ("" = it is). */
static void
compare_file(struct replay *rp, int exports, int made, const char *name, char *why, size_t cap)
{
    char have[65], got[65];
    const char *want = NULL;
    why[0] = '\0';
    if (journaled(rp, name, &want) == NULL) {
        snprintf(why, cap, "日志中没有写出它的导出（在日志开始之前导出，或不是 bizenv 写的）");
        return;
    }
    if (file_sha(exports, name, have) < 0) {
        snprintf(why, cap, "无法读取");
        return;
    }
    if (file_sha(made, name, got) == 0 && strcmp(have, got) == 0)
        return;
    if (want != NULL && strcmp(have, want) != 0) {
        snprintf(why, cap, "exports/ 中的文件在导出之后被改动过（与日志记录的 SHA-256 不同）");
        return;
    }
    for (size_t i = 0; i < rp->nxnotes; i++)
        if (strcmp(rp->xnotes[i].name, name) == 0) {
            snprintf(why, cap, "%s", rp->xnotes[i].why);
            return;
        }
    snprintf(why, cap, "重放得到的文件不同");
}

struct stem {
    char name[256];
    int bad;
};

static int
compare_exports(struct replay *rp)
{
    char madepath[BZ_PATH_MAX + 64];
    int exports, made = -1;
    struct stem *stems = NULL;
    size_t nstems = 0, cap = 0;
    if (fsdir_open(rp->s.exports, 0, &exports, rp->e) < 0) {
        bz_error_clear(rp->e);
        return 0; /* no exports folder: nothing to compare */
    }
    snprintf(madepath, sizeof(madepath), "%s/exports", rp->scratch);
    made = open(madepath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fdopendir(dup(exports));
    const struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        char stem[256], why[600], text[1200];
        if (de->d_name[0] == '.' || !stem_of(de->d_name, stem, sizeof(stem)))
            continue;
        size_t k = 0;
        while (k < nstems && strcmp(stems[k].name, stem) != 0)
            k++;
        if (k == nstems) {
            if (nstems == cap) {
                cap = cap ? cap * 2 : 64;
                struct stem *g = realloc(stems, cap * sizeof(*g));
                if (g == NULL)
                    break;
                stems = g;
            }
            snprintf(stems[nstems].name, sizeof(stems[0].name), "%s", stem);
            stems[nstems++].bad = 0;
        }
        compare_file(rp, exports, made, de->d_name, why, sizeof(why));
        if (why[0] != '\0') {
            stems[k].bad = 1;
            snprintf(text, sizeof(text), "导出文件“%s”未能重现：%s", de->d_name, why);
            note_listed(rp, text);
        }
    }
    if (d != NULL)
        closedir(d);
    rp->rep->exports = nstems;
    for (size_t i = 0; i < nstems; i++)
        rp->rep->exports_same += !stems[i].bad;
    free(stems);
    if (made >= 0)
        close(made);
    close(exports);
    return 0;
}

/* Setting up ------------------------------------------------------------------ */

/* Removes the scratch folder (two levels of plain files). */
static void
remove_scratch(const char *path)
{
    const char *subs[] = {"exports", "other"};
    int top = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top < 0)
        return;
    for (int i = 0; i < 2; i++) {
        int fd = openat(top, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        const struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                unlinkat(fd, de->d_name, 0);
        if (d != NULL)
            closedir(d);
        else if (fd >= 0)
            close(fd);
        unlinkat(top, subs[i], AT_REMOVEDIR);
    }
    close(top);
    rmdir(path);
}

/* The database must be empty, or this journal's unfinished rebuild. */
static int
check_target(struct replay *rp, int *resume)
{
    int empty, rebuilding;
    char jid[33];
    int rc = jstate_empty(rp->conn, &empty, &rebuilding, jid, rp->e);
    if (rc < 0)
        return rc;
    *resume = rebuilding && strcmp(jid, rp->jf.id) == 0;
    if (empty || *resume)
        return 0;
    bz_error_set(rp->e, E_DB_NOT_EMPTY,
                 "数据库“%s”不是空的，bizenv rebuild 只重建到空数据库；bizenv 没有改动它",
                 PQdb(rp->conn));
    return bz_error_detail(rp->e,
                           "内置数据库：移走或删除 %s 后重试；已配置的数据库：新建一个空数据库"
                           "（createdb）并用 --db 指向它",
                           rp->s.pgdata);
}

/* Connects, checks, migrates and marks the database as being rebuilt. */
static int
prepare_db(struct replay *rp)
{
    struct instance_home h;
    struct migrate_plan done;
    struct jstate st;
    int resume = 0;
    int rc = instance_home_read(&rp->s, &h, rp->e);
    if (rc < 0)
        return rc;
    const char *jinst = rp->jf.n > 0 ? journal_get(&rp->jf.events[0], "instance") : NULL;
    if (h.id[0] == '\0' && jinst != NULL && strlen(jinst) == 32)
        memcpy(h.id, jinst, 33); /* bizenv.id lost: the database takes the journal's */
    rp->conn = db_connect_create(&rp->s, CLUSTER_CREATE_ANY, rp->e);
    if (rp->conn == NULL)
        return rp->e->status;
    rc = runlock_db(rp->conn, rp->e);
    if (rc == 0)
        rc = check_target(rp, &resume);
    if (rc == 0)
        rc = instance_check(rp->conn, &rp->s, &h, INSTANCE_NEW_DATABASE, rp->e);
    if (rc == 0)
        rc = migrate_apply(rp->conn, &done, rp->e);
    if (rc == 0)
        rc = instance_claim(rp->conn, &rp->s, &h, 0, rp->e);
    if (rc == 0)
        rc = jstate_read(rp->conn, &st, rp->e);
    if (rc == 0 && !resume)
        rc = jstate_commit(rp->conn, rp->jf.id, 0, 0, rp->e);
    if (rc == 0 && !resume)
        rc = jstate_set_rebuilding(rp->conn, 1, rp->e);
    if (rc == 0)
        rc = jstate_fast_commits(rp->conn, rp->e);
    rp->txn = resume ? st.txn : 0;
    if (rc == 0 && !resume)
        remove_scratch(rp->scratch);
    return rc;
}

static void
report_damage(struct replay *rp)
{
    for (size_t i = 0; i < rp->jf.ndamaged; i++) {
        char text[256];
        snprintf(text, sizeof(text), "日志第 %ld 行已损坏（%s），已跳过", rp->jf.damaged[i].line_no,
                 rp->jf.damaged[i].why);
        note_listed(rp, text);
    }
}

static int
finish(struct replay *rp)
{
    int rc = compare_exports(rp);
    if (rc == 0)
        rc = jstate_set_rebuilding(rp->conn, 0, rp->e);
    if (rc == 0 && rp->rep->exports_same == rp->rep->exports && rp->rep->files_differ == 0)
        remove_scratch(rp->scratch);
    else if (rc == 0)
        snprintf(rp->rep->scratch, sizeof(rp->rep->scratch), "%s", rp->scratch);
    return rc;
}

int
replay_rebuild(struct cli *cli, struct replay_report *rep, struct bz_error *e)
{
    struct replay rp;
    struct runlock lock = {-1};
    memset(&rp, 0, sizeof(rp));
    memset(rep, 0, sizeof(*rep));
    dbuf_init(&rep->notes, NOTES_MAX);
    rp.cli = cli;
    rp.s = cli->settings;
    rp.rep = rep;
    rp.e = e;
    snprintf(rp.scratch, sizeof(rp.scratch), "%s/" SCRATCH, cli->settings.home);
    int rc = session_folders(&cli->settings, e);
    if (rc == 0)
        rc = runlock_file(&lock, &cli->settings, e);
    if (rc < 0)
        return rc;
    rc = journal_read(cli->settings.journal, JOURNAL_READ_MAX, &rp.jf, e);
    if (rc == BZ_ENOTFOUND)
        bz_error_set(e, E_JOURNAL, "没有日志“%s”，无法重建", cli->settings.journal);
    if (rc == 0 && rp.jf.id[0] == '\0')
        rc = bz_error_set(e, E_JOURNAL, "日志“%s”的第一行不是日志开头，无法重建",
                          cli->settings.journal);
    if (rc == 0 && collect_status(&rp) < 0)
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法重建");
    /* the readers before the connection: they never share memory with one */
    if (rc == 0)
        rc = sandbox_start(&rp.s, &rp.reader, e);
    if (rc == 0) {
        rep->lines = rp.jf.n;
        rep->damaged = rp.jf.ndamaged;
        report_damage(&rp);
        rc = prepare_db(&rp);
    }
    if (rc == 0)
        rc = walk(&rp);
    if (rc == 0)
        rc = finish(&rp);
    PQfinish(rp.conn);
    sandbox_stop(rp.reader);
    runlock_release(&lock);
    journal_file_free(&rp.jf);
    free(rp.status);
    free(rp.files);
    free(rp.file_ev);
    free(rp.xnotes);
    return rc;
}
