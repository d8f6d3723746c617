#include "record.h"

#include "../common/buildinfo.h"
#include "../export/export.h"
#include "../export/export_data.h"
#include "../ingest/archived.h"
#include "../load/instance.h"
#include "../load/jstate.h"
#include "../load/pgutil.h"
#include "session.h"

#include <stdio.h>
#include <string.h>

/* A registry snapshot of a province (some thousands of townships, one
 * journal-format line each) stays far below this. */
#define SNAPSHOT_LIMIT (64u << 20)

/* The settings that decide how a file is read, hence its receipts: each
 * run's line records them, and bizenv rebuild reads its files with them. */
const char *const record_reading_settings[] = {"max_file_bytes",
                                               "max_entry_bytes",
                                               "max_xml_bytes",
                                               "max_total_bytes",
                                               "max_entries",
                                               "max_ratio",
                                               "ratio_min_bytes",
                                               "max_nesting",
                                               "max_name_bytes",
                                               "max_xml_depth",
                                               "max_text_bytes",
                                               "max_elements",
                                               "max_diagnostics",
                                               "parse_timeout_s",
                                               "max_workbook_bytes",
                                               "max_sheet_rows",
                                               "max_sheet_cells",
                                               "max_shared_strings",
                                               NULL};

/* Local wall-clock time with its offset, for the "at" of a line (it says
 * when; nothing replays it). */
static void
wall_time(char out[40])
{
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL || strftime(out, 40, "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
        snprintf(out, 40, "%lld", (long long)now);
}

int
record_fd(const struct record *r)
{
    return r->j.fd;
}

struct journal_line *
record_line(struct record *r, const char *ev)
{
    static struct journal_line line; /* one writer per process (the run lock) */
    if (r->g == 0)
        r->g = r->j.last_seq + 1;
    journal_line_begin(&line, ++r->j.last_seq, ev, r->g);
    return &line;
}

int
record_line_end(struct record *r, struct journal_line *l, struct bz_error *e)
{
    return journal_line_end(l, &r->group, e);
}

/* Writes a line outside any group at once; durable when `sync`. */
static int
solo(struct record *r, struct journal_line *l, int sync, struct bz_error *e)
{
    struct dbuf text;
    dbuf_init(&text, JOURNAL_LINE_MAX + 32);
    int rc = journal_line_end(l, &text, e);
    if (rc == 0)
        rc = journal_write(&r->j, &text, e);
    if (rc == 0 && sync)
        rc = journal_sync(&r->j, e);
    dbuf_free(&text);
    return rc;
}

static struct journal_line *
solo_line(struct record *r, const char *ev, long long g)
{
    static struct journal_line line;
    journal_line_begin(&line, ++r->j.last_seq, ev, g);
    return &line;
}

int
record_prepare(struct record *r, int sync, int with_state, struct bz_error *e)
{
    if (r->g == 0)
        return 0;
    int rc = journal_write(&r->j, &r->group, e);
    dbuf_reset(&r->group);
    if (rc == 0)
        r->prepared = 1;
    if (rc == 0 && sync)
        rc = journal_sync(&r->j, e);
    if (rc == 0)
        rc = jstate_commit(r->conn, r->j.id, r->g, with_state, e);
    return rc;
}

/* The line that closes group g. */
static int
close_group(struct record *r, const char *ev, long long g, int sync, struct bz_error *e)
{
    struct journal_line *l = solo_line(r, ev, g);
    return solo(r, l, sync, e);
}

int
record_committed(struct record *r, struct bz_error *e)
{
    long long g = r->g;
    r->g = 0;
    r->prepared = 0;
    dbuf_reset(&r->group);
    return g == 0 ? 0 : close_group(r, "commit", g, 0, e);
}

void
record_abandon(struct record *r)
{
    struct bz_error ignored;
    if (r->g != 0 && r->prepared)
        close_group(r, "abort", r->g, 0, &ignored);
    else if (r->g != 0)
        r->j.last_seq = r->g - 1; /* nothing of it was written: its numbers are free */
    r->g = 0;
    r->prepared = 0;
    dbuf_reset(&r->group);
}

int
record_sync(struct record *r, struct bz_error *e)
{
    return r->j.fd >= 0 ? journal_sync(&r->j, e) : 0;
}

void
record_add_time(struct journal_line *l)
{
    char at[40];
    wall_time(at);
    journal_add_str(l, "at", at);
}

int
record_run(struct record *r, const char *kind, long long run_id, const char *as_of, int today,
           const char *day, struct bz_error *e)
{
    char at[40], td[16], v[64];
    wall_time(at);
    snprintf(td, sizeof(td), "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
    struct journal_line *l = solo_line(r, "run", 0);
    r->run = r->j.last_seq;
    journal_add_str(l, "at", at);
    journal_add_str(l, "kind", kind);
    if (run_id > 0)
        journal_add_int(l, "run_id", run_id);
    journal_add_str(l, "as_of", as_of);
    journal_add_str(l, "today", td);
    journal_add_str(l, "day", day);
    journal_add_str(l, "build", buildinfo_label());
    for (const char *const *k = record_reading_settings; *k != NULL; k++)
        if (settings_format(r->s, *k, v, sizeof(v)) == 0)
            journal_add_str(l, *k, v);
    return solo(r, l, 0, e);
}

int
record_file(struct record *r, const struct record_file *f, const char *time, struct bz_error *e)
{
    char mtime[48];
    snprintf(mtime, sizeof(mtime), "%lld.%09ld", (long long)f->mtime.tv_sec, f->mtime.tv_nsec);
    struct journal_line *l = record_line(r, "file");
    journal_add_str(l, "name", f->name);
    journal_add_str(l, "mtime", mtime);
    journal_add_int(l, "size", f->size);
    journal_add_str(l, "sha256", f->sha256);
    journal_add_int(l, "run", r->run);
    if (f->reject != NULL)
        journal_add_str(l, "reject", f->reject);
    journal_add_str(l, "t", time);
    journal_add_str(l, "outcome", f->outcome);
    journal_add_int(l, "subs", (long long)f->submissions);
    journal_add_int(l, "acc", (long long)f->accepted);
    journal_add_int(l, "dup", (long long)f->duplicates);
    journal_add_int(l, "rej", (long long)f->rejected);
    journal_add_str(l, "codes", f->codes);
    return record_line_end(r, l, e);
}

int
record_refresh(struct record *r, const char *what, const char *periods, const char *as_of,
               const char *refreshed, struct bz_error *e)
{
    struct journal_line *l = record_line(r, "refresh");
    journal_add_str(l, "what", what);
    journal_add_str(l, "periods", periods);
    journal_add_str(l, "as_of", as_of);
    journal_add_str(l, "refreshed", refreshed);
    return record_line_end(r, l, e);
}

int
record_export_hook(const struct export_data *d, const struct export_result *res, void *arg,
                   struct bz_error *e)
{
    static const char *const kinds[EXPORT_NKINDS] = {"xlsx", "csv", "adx"};
    const struct record_export *x = arg;
    struct journal_line *l = record_line(x->r, "export");
    char key[32];
    journal_add_str(l, "period", d->period);
    journal_add_str(l, "as_of", d->as_of);
    journal_add_str(l, "county", d->county_code);
    journal_add_str(l, "county_name", d->county_name);
    journal_add_str(l, "at", d->exported_at);
    journal_add_str(l, "ts", d->recorded_at);
    journal_add_str(l, "build", d->build);
    journal_add_int(l, "stored", x->stored);
    journal_add_str(l, "dest", x->to_exports ? "exports" : "other");
    for (int k = 0; k < EXPORT_NKINDS; k++) {
        const char *slash = strrchr(res->files[k].path, '/');
        snprintf(key, sizeof(key), "%s_name", kinds[k]);
        journal_add_str(l, key, slash ? slash + 1 : res->files[k].path);
        snprintf(key, sizeof(key), "%s_sha256", kinds[k]);
        journal_add_str(l, key, res->files[k].sha256);
        snprintf(key, sizeof(key), "%s_size", kinds[k]);
        journal_add_int(l, key, res->files[k].size);
    }
    journal_add_str(l, "w_service", export_data_cell(d->summary, 0, SU_W_SERVICE));
    journal_add_str(l, "w_completion", export_data_cell(d->summary, 0, SU_W_COMPLETION));
    journal_add_str(l, "w_coverage", export_data_cell(d->summary, 0, SU_W_COVERAGE));
    int rc = record_line_end(x->r, l, e);
    if (rc == 0)
        rc = record_prepare(x->r, 1, 0, e);
    return rc;
}

/* The journal begins: its id, the home's instance id, the build. */
static int
begin_journal(struct record *r, struct bz_error *e)
{
    struct instance_home h;
    char at[40];
    int rc = journal_new_id(r->j.id, e);
    if (rc == 0)
        rc = instance_home_read(r->s, &h, e);
    if (rc < 0)
        return rc;
    wall_time(at);
    struct journal_line *l = solo_line(r, "open", 0);
    journal_add_str(l, "id", r->j.id);
    journal_add_str(l, "instance", h.id);
    journal_add_str(l, "at", at);
    journal_add_str(l, "build", buildinfo_label());
    journal_add_int(l, "format", 1);
    return solo(r, l, 1, e);
}

/* A group a killed writer left without its commit or abort line: the
 * database says whether its transaction committed. */
static int
close_open_group(struct record *r, struct bz_error *e)
{
    struct jstate st;
    long long g = r->j.open_group;
    if (g == 0)
        return 0;
    int rc = jstate_read(r->conn, &st, e);
    if (rc < 0)
        return rc;
    int done = st.present && strcmp(st.journal_id, r->j.id) == 0 && st.txn >= g;
    rc = close_group(r, done ? "commit" : "abort", g, 1, e);
    if (rc == 0)
        r->j.open_group = 0;
    return rc;
}

/* Adds the registry (townships or counties) as it is to the group: its
 * rows archived as journal-format lines, by SHA-256. */
static int
snapshot_registry(struct record *r, int counties, struct bz_error *e)
{
    struct pgutil_rows rows;
    struct dbuf text;
    char sha[65];
    dbuf_init(&text, SNAPSHOT_LIMIT);
    int rc = jstate_registry(r->conn, counties, &rows, e);
    for (size_t i = 0; rc == 0 && i < rows.n; i++) {
        struct journal_line row;
        journal_line_begin(&row, (long long)i + 1, counties ? "county" : "township", 0);
        journal_add_str(&row, "code", pgutil_rows_at(&rows, i, JSTATE_REG_CODE));
        journal_add_str(&row, "name", pgutil_rows_at(&rows, i, JSTATE_REG_NAME));
        journal_add_str(&row, "active", pgutil_rows_at(&rows, i, JSTATE_REG_ACTIVE));
        rc = journal_line_end(&row, &text, e);
    }
    if (rc == 0)
        rc = archived_put(r->s, text.data ? text.data : "", text.len, sha, e);
    if (rc == 0) {
        struct journal_line *l = record_line(r, "registry");
        journal_add_str(l, "kind", counties ? "counties" : "townships");
        journal_add_str(l, "snapshot", "1");
        journal_add_str(l, "sha256", sha);
        journal_add_int(l, "size", (long long)text.len);
        journal_add_int(l, "rows", (long long)rows.n);
        record_add_time(l);
        rc = record_line_end(r, l, e);
    }
    pgutil_rows_free(&rows);
    dbuf_free(&text);
    return rc;
}

static int
snapshot_weights(struct record *r, struct bz_error *e)
{
    char w[3][64];
    int rc = jstate_weights(r->conn, w[0], w[1], w[2], e);
    if (rc < 0)
        return rc;
    struct journal_line *l = record_line(r, "weights");
    journal_add_str(l, "service", w[0]);
    journal_add_str(l, "completion", w[1]);
    journal_add_str(l, "coverage", w[2]);
    journal_add_str(l, "source", "observed");
    record_add_time(l);
    return record_line_end(r, l, e);
}

static int
snapshot_settings(struct record *r, struct bz_error *e)
{
    struct pgutil_rows rows;
    int rc = jstate_settings(r->conn, &rows, e);
    if (rc < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < rows.n; i++) {
        struct journal_line *l = record_line(r, "setting");
        journal_add_str(l, "key", pgutil_rows_at(&rows, i, JSTATE_SETTING_KEY));
        journal_add_str(l, "value", pgutil_rows_at(&rows, i, JSTATE_SETTING_VALUE));
        journal_add_str(l, "source", "observed");
        record_add_time(l);
        rc = record_line_end(r, l, e);
    }
    pgutil_rows_free(&rows);
    return rc;
}

static void
name_part(char *out, size_t cap, const char *part)
{
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s%s", n ? "、" : "", part);
}

/* One group recording, as found, every part that differs from what the
 * journal last recorded (for a journal new to the database: every part). */
static int
record_state(struct record *r, const struct jstate_drift *d, struct bz_error *e)
{
    int rc = jstate_txn_begin(r->conn, e);
    if (rc < 0)
        return rc;
    if (d->weights)
        rc = snapshot_weights(r, e);
    if (rc == 0 && d->settings)
        rc = snapshot_settings(r, e);
    if (rc == 0 && d->townships)
        rc = snapshot_registry(r, 0, e);
    if (rc == 0 && d->counties)
        rc = snapshot_registry(r, 1, e);
    if (rc == 0 && r->g == 0) {
        /* nothing differs: the group still tells the database which
         * journal describes it */
        struct journal_line *l = record_line(r, "state");
        rc = record_line_end(r, l, e);
    }
    if (rc == 0)
        rc = record_prepare(r, 1, 1, e);
    /* for the next night's summary, each part once */
    const char *parts[] = {"权重", "数据库设置", "乡镇名录", "县名录"};
    const int found[] = {d->weights, d->settings, d->townships, d->counties};
    for (int i = 0; rc == 0 && d->known && i < 4; i++)
        if (found[i])
            rc = jstate_add_unreported(r->conn, parts[i], e);
    if (rc == 0)
        rc = jstate_txn_commit(r->conn, e);
    if (rc < 0) {
        jstate_txn_rollback(r->conn);
        record_abandon(r);
        return rc;
    }
    return record_committed(r, e);
}

/* What the database holds that the journal does not describe: recorded
 * as found (and, for a journal the database knew, kept for the next
 * night to report). */
static int
sync_state(struct record *r, struct bz_error *e)
{
    struct jstate_drift d;
    int rc = jstate_drift(r->conn, r->j.id, &d, e);
    if (rc < 0)
        return rc;
    if (!d.known) {
        rc = jstate_files(r->conn, &r->history, e);
        if (rc == 0 && r->history > 0) {
            struct journal_line *l = solo_line(r, "history", 0);
            journal_add_int(l, "files", r->history);
            rc = solo(r, l, 0, e);
        }
        if (rc < 0)
            return rc;
    } else {
        if (d.weights)
            name_part(r->drift, sizeof(r->drift), "权重");
        if (d.settings)
            name_part(r->drift, sizeof(r->drift), "数据库设置");
        if (d.townships)
            name_part(r->drift, sizeof(r->drift), "乡镇名录");
        if (d.counties)
            name_part(r->drift, sizeof(r->drift), "县名录");
    }
    /* a journal new to this database records where it stands (every
     * part, as found), so its groups are known */
    if (!d.known || d.weights || d.settings || d.townships || d.counties)
        rc = record_state(r, &d, e);
    return rc;
}

int
record_open(struct record *r, const struct settings *s, PGconn *conn, struct bz_error *e)
{
    memset(r, 0, sizeof(*r));
    r->s = s;
    r->conn = conn;
    dbuf_init(&r->group, JOURNAL_GROUP_MAX);
    int rc = journal_open_append(s->journal, &r->j, e);
    if (rc == 0 && r->j.id[0] == '\0')
        rc = begin_journal(r, e);
    if (rc == 0)
        rc = close_open_group(r, e);
    if (rc == 0)
        rc = sync_state(r, e);
    if (rc < 0)
        record_close(r);
    return rc;
}

void
record_close(struct record *r)
{
    journal_close(&r->j);
    dbuf_free(&r->group);
}

int
record_session_open(struct cli *cli, struct record_session *rs, struct bz_error *e)
{
    memset(rs, 0, sizeof(*rs));
    rs->lock.fd = -1;
    rs->rec.j.fd = -1;
    int rc = session_folders(&cli->settings, e);
    if (rc == 0)
        rc = runlock_file(&rs->lock, &cli->settings, e);
    if (rc < 0)
        return rc;
    rs->conn = session_open_home(cli, e);
    rc = rs->conn == NULL ? e->status : runlock_db(rs->conn, e);
    if (rc == 0)
        rc = record_open(&rs->rec, &cli->settings, rs->conn, e);
    if (rc < 0) {
        PQfinish(rs->conn);
        rs->conn = NULL;
        runlock_release(&rs->lock);
    }
    return rc;
}

void
record_session_close(struct record_session *rs)
{
    struct bz_error ignored;
    if (rs->rec.j.fd >= 0)
        record_sync(&rs->rec, &ignored);
    record_close(&rs->rec);
    PQfinish(rs->conn);
    rs->conn = NULL;
    runlock_release(&rs->lock);
}

int
record_session_commit(struct record_session *rs, int rc, struct bz_error *e)
{
    if (rc == 0)
        rc = record_prepare(&rs->rec, 1, 1, e);
    if (rc == 0)
        rc = jstate_txn_commit(rs->conn, e);
    if (rc < 0) {
        jstate_txn_rollback(rs->conn);
        record_abandon(&rs->rec);
        return rc;
    }
    struct bz_error ignored; /* a lost commit line is closed by the next writer */
    record_committed(&rs->rec, &ignored);
    return 0;
}

void
record_warn_drift(const struct record *r, FILE *out)
{
    if (r->drift[0] != '\0')
        fprintf(out,
                "bizenv: 注意 [W_JOURNAL_DRIFT] 数据库中的%s被绕过 bizenv 直接修改过；日志已按现值"
                "补记，今晚的运行摘要也会提到\n",
                r->drift);
}
