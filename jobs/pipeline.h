/*
 * pipeline — one ingest pass over the inbox: claim, archive, unpack,
 * transform, load, receipt, file put away. It reads like the data flow of
 * the spec and owns no logic of its own stages: it only routes each file and
 * each submission to the outcome the stages decide.
 *
 * It never prints. Progress and per-file outcomes go to an optional
 * callback; the counts come back in struct pipeline_stats for the caller's
 * summary. The caller holds the run lock and the connection.
 */
#ifndef BZ_PIPELINE_H
#define BZ_PIPELINE_H

#include "../common/error.h"
#include "../common/settings.h"
#include "../ingest/sandbox.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <time.h>

enum pipeline_file_state {
    PIPELINE_FILE_ACCEPTED,  /* archived; at least one submission accepted */
    PIPELINE_FILE_DUPLICATE, /* archived; every submission was already stored */
    PIPELINE_FILE_REJECTED,  /* quarantined with its receipts */
    PIPELINE_FILE_RETRY      /* left in the inbox: the run failed before finishing it */
};

/* What happened to one inbox file. */
struct pipeline_file {
    const char *name; /* as in the inbox */
    enum pipeline_file_state state;
    size_t submissions; /* found in the file */
    size_t accepted, duplicates, rejected, warnings;
    int readers_lost;      /* reader processes that failed on it (ingest/sandbox.h) */
    char codes[256];       /* the distinct error codes of its rejections, space-separated */
    char first_error[512]; /* the first error message, for the run summary */
};

struct pipeline_stats {
    size_t files_seen;  /* entries in the inbox when the run started */
    size_t files_taken; /* claimed and finished (any state but RETRY) */
    size_t files_accepted, files_duplicate, files_rejected, files_retry;
    size_t submissions, accepted, duplicates, rejected, warnings;
    char periods[64][8]; /* distinct "YYYY-MM" of accepted submissions, for the refresh */
    size_t nperiods;
};

/* Called after each file; `done` of `total` files handled so far. */
typedef void (*pipeline_observer)(const struct pipeline_file *f, size_t done, size_t total,
                                  void *arg);

struct record;

struct pipeline_opts {
    const char *inbox;          /* folder to take files from */
    const char *day;            /* "YYYY-MM-DD" run date: receipts/ and quarantine/ sub-folder */
    int today;                  /* yyyymmdd, for the period rule */
    struct sandbox *reader;     /* reads the files (started before the connection) */
    pipeline_observer observer; /* may be NULL */
    void *observer_arg;
    struct record *rec; /* the journal every batch's files are recorded in before
                           its COMMIT (jobs/record.h); NULL: none */
};

/*
 * Takes every file of the inbox in order. A file whose outcome is decided
 * (accepted, duplicate, rejected) is put away and its receipts are written
 * and stored; when the database or the disk fails the current file goes
 * back to the inbox untouched (RETRY) and the run stops with that error.
 * A file whose reader ran out of memory goes back to the inbox (RETRY)
 * and the run goes on; one that made two readers fail is rejected
 * (E_READER_CRASH, ingest/sandbox.h).
 * Returns 0 or the failure (BZ_EDB, BZ_EIO, BZ_ETIMEOUT, BZ_ENOMEM) with e
 * filled; *stats holds the counts either way.
 */
int pipeline_ingest(PGconn *conn, const struct settings *s, const struct pipeline_opts *o,
                    struct pipeline_stats *stats, struct bz_error *e);

/* A file as the journal recorded it, for pipeline_replay. */
struct pipeline_replay_file {
    const char *name;      /* as it was in the inbox */
    struct timespec mtime; /* its receive time */
    const char *sha256;    /* its bytes in the archive */
    long long group;       /* its journal group: one group, one transaction */
    const char *time;      /* that transaction's time, which its receipts carry */
};

/*
 * bizenv rebuild: loads the journal's files in its order from the archive
 * (each checked against its SHA-256), exactly as pipeline_ingest loaded
 * them — the same batches, transforms, merges and receipts, each group in
 * a transaction of its own that records it in meta.journal_state under
 * journal_id — but touches no folder: nothing is claimed, written or put
 * away. o->inbox and o->day are not used; o->observer sees each file's
 * outcome. Returns 0 or the failure (E_NOINPUT or E_JOURNAL for an archive
 * entry missing or damaged) with e filled.
 */
int pipeline_replay(PGconn *conn, const struct settings *s, const struct pipeline_opts *o,
                    const char *journal_id, const struct pipeline_replay_file *files, size_t n,
                    struct pipeline_stats *st, struct bz_error *e);

#endif
