/*
 * record — what the commands that change the figures write into the
 * journal (common/journal.h), and when: every file a run takes, every
 * registry and county-list load, every change of weights or settings,
 * every refresh of the stored rankings and every export. `bizenv rebuild`
 * (jobs/replay.c) replays exactly these.
 *
 * The lines of one database transaction form a group. The caller opens
 * its transaction, adds the group's lines, and calls record_prepare
 * before its COMMIT: the lines are written (and, unless the batch's own
 * syncfs covers them, made durable), and the transaction records in
 * meta.journal_state that this group is applied. After the COMMIT,
 * record_committed appends the group's commit line; after a rollback,
 * record_abandon its abort line. A writer killed in between leaves the
 * group open; the next record_open asks meta.journal_state and closes it.
 *
 * record_open also notes what someone changed in the database outside
 * bizenv (a direct UPDATE of ref.weight, ref.setting or the registries)
 * and records the values found, so the journal describes the database
 * again from there on; `drift` tells the caller, and the database keeps it
 * until a night reports it (jstate_take_unreported).
 *
 * The caller holds the run lock: one writer at a time, so the journal's
 * order is the order of the commits. Never prints (record_warn_drift
 * aside).
 */
#ifndef BZ_RECORD_H
#define BZ_RECORD_H

#include "../common/dbuf.h"
#include "../common/journal.h"
#include "../common/settings.h"
#include "cli.h"
#include "runlock.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <time.h>

struct record {
    struct journal j;
    PGconn *conn;
    const struct settings *s;
    struct dbuf group; /* text of the group being built */
    long long g;       /* the group being built or prepared, 0 none */
    int prepared;      /* its lines are written, the transaction not yet ended */
    char drift[256];   /* what record_open found changed outside bizenv (Chinese), "" */
    long long history; /* files the database held when this journal began, 0 */
    long long run;     /* seq of the current run's "run" line, which its file lines carry as
                          their run id; 0 before record_run */
};

/*
 * Opens the journal at settings.journal for the command whose session is
 * conn (no transaction open): creates it when missing, closes a group a
 * killed writer left open, records changes made outside bizenv. Returns 0
 * or the failure (BZ_EIO, BZ_ECONFIG E_HOME_UNSAFE/E_JOURNAL, BZ_EDB).
 */
int record_open(struct record *r, const struct settings *s, PGconn *conn, struct bz_error *e);

/* Prints, for a command run by hand, that record_open found a change made
 * outside bizenv (nothing when it found none). The only printing here. */
void record_warn_drift(const struct record *r, FILE *out);

/* Closes it; a group still prepared is left for the next record_open. */
void record_close(struct record *r);

/* The journal's descriptor: on the filesystem a batch's syncfs makes
 * durable (ingest/inbox.h inbox_dirs.also_sync). */
int record_fd(const struct record *r);

/* Starts a line of the current group (opening one). Fields are added with
 * journal_add_str/_int; record_line_end closes it. */
struct journal_line *record_line(struct record *r, const char *ev);
int record_line_end(struct record *r, struct journal_line *l, struct bz_error *e);

/*
 * Inside the caller's transaction, before its COMMIT: writes the group,
 * makes it durable when `sync` (otherwise the caller's syncfs must, before
 * the COMMIT), and records it in meta.journal_state; with_state when the
 * group changed the weights, settings or a registry. Returns 0 or the
 * failure (the caller rolls back and calls record_abandon).
 */
int record_prepare(struct record *r, int sync, int with_state, struct bz_error *e);

/* After the COMMIT: the group's commit line (made durable by the next
 * sync). Returns 0 or BZ_EIO. */
int record_committed(struct record *r, struct bz_error *e);

/* After a rollback: the group's abort line when its lines were written,
 * else it is forgotten. Failures are ignored (record_open would close it). */
void record_abandon(struct record *r);

/* A run begins: its kind (nightly, ingest), its meta.run id (0 when it has
 * none: an ingest), as-of date, the today and day its files are judged and
 * filed by, and the reading limits in force. A line of its own, outside
 * any group, durable with the run's first batch; its seq is the run id its
 * file lines carry. */
int record_run(struct record *r, const char *kind, long long run_id, const char *as_of, int today,
               const char *day, struct bz_error *e);

/* Adds "at": the wall-clock time now, with its offset (what a registry,
 * weights or setting line records as the time of the change). */
void record_add_time(struct journal_line *l);

/* One file of a batch, as its group records it. */
struct record_file {
    const char *name;
    struct timespec mtime; /* its receive time */
    long long size;
    const char *sha256;  /* "" when nothing was archived */
    const char *reject;  /* then why (E_FILE_NOT_REGULAR, E_LIMIT_FILE_SIZE, ...) */
    const char *outcome; /* accepted, duplicate, rejected */
    size_t submissions, accepted, duplicates, rejected;
    const char *codes;
};

/* Adds the file's line to the batch's group: name, receive time, size,
 * SHA-256, the run id (r->run) and its outcome; `time` is the batch
 * transaction's (its receipts carry it). */
int record_file(struct record *r, const struct record_file *f, const char *time,
                struct bz_error *e);

/* A refresh of stored rankings (the nightly's, or the last month's for
 * its summary): the periods asked for (comma-separated), the as-of date
 * and which of them were stored anew. A line of the current group. */
int record_refresh(struct record *r, const char *what, const char *periods, const char *as_of,
                   const char *refreshed, struct bz_error *e);

/* export_hook.before_commit for a journaled export (export/export.h):
 * `arg` is a struct record_export. Writes the export's line (period,
 * as-of, county, the time and build the files carry, each file's name,
 * SHA-256 and size, the weights) durably and records the group. The
 * caller then commits (record_committed) or not (record_abandon). */
struct record_export {
    struct record *r;
    int stored;     /* it exports the ranking the nightly just stored (not one of its own) */
    int to_exports; /* the files went to the exports folder (not --out) */
};
struct export_data;
struct export_result;
int record_export_hook(const struct export_data *d, const struct export_result *res, void *arg,
                       struct bz_error *e);

/* What a command that changes the figures holds while it journals: the
 * run lock (one writer at a time), its session, the open journal. */
struct record_session {
    struct runlock lock;
    PGconn *conn;
    struct record rec;
};

/* Takes the run lock, connects (migrating; the home keeps its files, so
 * it is bound to the database as by ingest) and opens the journal.
 * Returns 0 or the failure (E_BUSY when a night runs) with nothing held. */
int record_session_open(struct cli *cli, struct record_session *rs, struct bz_error *e);
void record_session_close(struct record_session *rs);

/*
 * Ends a change a command made in its transaction (jstate_txn_begin) and
 * its journal line: rc is how the change went. When 0, records the group
 * durably (with the state it changed) and commits; otherwise, or when
 * that fails, rolls back and abandons the group. Returns 0 or the failure.
 */
int record_session_commit(struct record_session *rs, int rc, struct bz_error *e);

/* The settings a run's line records (the reading limits), NULL-ended. */
extern const char *const record_reading_settings[];

/* Makes everything written so far durable (the end of a run). */
int record_sync(struct record *r, struct bz_error *e);

#endif
