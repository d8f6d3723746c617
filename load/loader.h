/*
 * loader — puts validated submissions, raw files, receipts and the township
 * registry into PostgreSQL.
 *
 * A submission is loaded in ONE transaction as a staged batch of one (see
 * "Staged batches" below): its header is COPYed into staging.submission,
 * load.decide_batch (sql/load/merge.sql) applies the revision rules of
 * submission-format.md, and when it is accepted its rows are COPYed into
 * facts.*. Values only ever travel as COPY data or query parameters. Any
 * failure rolls the whole transaction back: nothing is ever half-loaded.
 * Inside the transaction the loader switches to role bizenv_loader when
 * the session may (SET LOCAL ROLE), so the grants of 002 are what loading
 * relies on.
 *
 * The registry loader reads townships.csv itself (strict: UTF-8, optional
 * BOM, header `code,name`, RFC 4180 quoting, CRLF or LF) and merges it in
 * one transaction; townships are never deleted, only marked inactive.
 *
 * Batches: between loader_batch_begin and loader_batch_commit, every
 * loader_load, loader_record_file and loader_store_receipt runs inside a
 * savepoint of one larger transaction instead of its own, so a night of
 * thousands of submissions pays one durable COMMIT per batch, not three
 * per submission. Each call stays atomic (a failed call is rolled back to
 * its savepoint); nothing of a batch is visible or durable before its
 * COMMIT, so the caller must not treat a batch's work as done (put files
 * away) before loader_batch_commit returned 0.
 *
 * This module never prints; the caller owns the connection and chooses
 * what to do with outcomes. Outside a batch the connection must not be
 * inside a transaction when a loader_* function is called.
 */
#ifndef BZ_LOADER_H
#define BZ_LOADER_H

#include "../common/dbuf.h"
#include "../common/diag.h"
#include "../common/error.h"
#include "../transform/submission.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Where a submission came from (the inbox file it was found in). */
struct loader_meta {
    const char *file_sha256; /* of the inbox file; must already be in raw.file */
    time_t received_at;      /* when the inbox file was taken */
    const char *member;      /* location inside the file; NULL or "" for a bare XML */
};

enum loader_result {
    LOADER_ACCEPTED,  /* stored as the new current revision */
    LOADER_DUPLICATE, /* this document is already stored; nothing changed */
    LOADER_CONFLICT,  /* same revision already stored with other bytes (E_REVISION_CONFLICT) */
    LOADER_STALE,     /* lower than the stored revision (E_REVISION_STALE) */
    LOADER_UNKNOWN_TOWNSHIP /* not an active registry township (E_TOWNSHIP_UNKNOWN) */
};

struct loader_outcome {
    enum loader_result result;
    int64_t submission_id;     /* facts.submission id: the new row, or for a duplicate
                                * the stored one; 0 otherwise */
    int64_t current_revision;  /* highest stored revision of the township and month after
                                * the load; 0 when none */
    struct diag_list warnings; /* warnings the merge added (W_PROBLEM_DISAPPEARED);
                                * initialised by loader_load, freed by the caller with
                                * diag_list_free, also on failure */
};

/*
 * Loads one submission (which must have no errors) with the transform
 * warnings to store with it. Returns 0 with *out filled for every outcome
 * in enum loader_result (only LOADER_ACCEPTED changed anything), or
 * BZ_EDB/BZ_ETIMEOUT/BZ_ENOMEM/BZ_ELIMIT with e filled and the
 * transaction rolled back. A CHECK or type violation of any value ends up
 * here too (E_DB_QUERY) — transform should have caught it.
 */
int loader_load(PGconn *conn, const struct submission *s, const struct diag_list *warnings,
                const struct loader_meta *meta, struct loader_outcome *out, struct bz_error *e);

/* Opens a batch: BEGIN and the loader role. The connection must be idle
 * (no transaction). Returns 0 or BZ_EDB/BZ_ETIMEOUT with e filled. */
int loader_batch_begin(PGconn *conn, struct bz_error *e);

/* Commits the batch; on failure it is rolled back and nothing of it is
 * stored. Returns 0 or BZ_EDB/BZ_ETIMEOUT with e filled. */
int loader_batch_commit(PGconn *conn, struct bz_error *e);

/* Abandons the batch (ROLLBACK, failures ignored). */
void loader_batch_rollback(PGconn *conn);

/* The Chinese sentence for a non-accepted result's receipt (with the
 * revision to send next for a conflict), into buf. */
void loader_result_message(const struct loader_outcome *o, int64_t revision, char *buf, size_t cap);

/*
 * Records an inbox file in raw.file; a file already recorded (same sha256)
 * is left as it was. Returns 0 or BZ_EDB/BZ_ETIMEOUT with e filled.
 */
int loader_record_file(PGconn *conn, const char *sha256, int64_t size, const char *original_name,
                       time_t received_at, const char *archive_path, struct bz_error *e);

/* One receipt as stored in raw.receipt. */
struct loader_receipt {
    const char *file_sha256;       /* must be in raw.file */
    const char *member;            /* NULL or "" for the file itself */
    const char *township_code;     /* NULL when unknown */
    int year, month;               /* period; 0 when unknown */
    int64_t revision;              /* 0 when unknown */
    const char *outcome;           /* accepted, accepted_with_warnings, duplicate, rejected */
    const struct diag_list *diags; /* its codes become raw.receipt.codes; may be NULL */
    const char *body;              /* the Chinese text receipt */
    const char *body_json;         /* the JSON receipt, or NULL */
};

/* Inserts a receipt; sets *id (may be NULL). Returns 0 or BZ_EDB/BZ_ETIMEOUT. */
int loader_store_receipt(PGconn *conn, const struct loader_receipt *r, int64_t *id,
                         struct bz_error *e);

/*
 * Staged batches: many submissions merged with one round of statements
 * inside the caller's batch transaction (sql/load/merge.sql). Their headers go into
 * staging.submission with ONE COPY and load.decide_batch applies the
 * revision rules to them in staging order, exactly as consecutive
 * loader_load calls would (two revisions of one township and month in the
 * same batch are decided in order), inserting facts.submission for the
 * accepted ones under their load ids. The child rows of the accepted ones
 * then go straight into the facts tables, ONE COPY per table, and
 * load.finish_batch adds the merge's own warnings. Inbox files and
 * receipts of the batch are buffered too and sent with one statement
 * each. All buffers have hard limits; the caller flushes when
 * loader_stage_full says so. A failed send or merge leaves the
 * transaction aborted: the caller rolls the batch back.
 */
struct loader_stage;

#define LOADER_STAGE_MAX 1000          /* submissions staged before a flush */
#define LOADER_STAGE_BYTES (12u << 20) /* buffered COPY bytes before a flush */

/* Allocates an empty stage; NULL when out of memory. */
struct loader_stage *loader_stage_new(void);
void loader_stage_free(struct loader_stage *st);

/* Makes st take its load ids from `with`'s reserve (which must outlive
 * st's use): stages used one after another then give ids that grow in
 * staging order, as accepted submissions' ids must (sql/load/merge.sql). */
void loader_stage_share_ids(struct loader_stage *st, struct loader_stage *with);

/* Forgets everything buffered (after a rollback). */
void loader_stage_reset(struct loader_stage *st);

/* Non-zero when the stage should be flushed before more is added. */
int loader_stage_full(const struct loader_stage *st);

/* Buffers an inbox file for raw.file (as loader_record_file). */
int loader_stage_file(struct loader_stage *st, const char *sha256, int64_t size,
                      const char *original_name, time_t received_at, const char *archive_path,
                      struct bz_error *e);

/* Buffers one submission (no errors) with its transform warnings; *slot
 * receives its index for loader_stage_outcome. Takes a load id from the
 * server (in blocks). Returns 0, BZ_ENOMEM/BZ_ELIMIT, BZ_EDB/BZ_ETIMEOUT. */
int loader_stage_submission(PGconn *conn, struct loader_stage *st, const struct submission *s,
                            const struct diag_list *warnings, const struct loader_meta *meta,
                            size_t *slot, struct bz_error *e);

/* The time the stage's receipts are stored with (timestamptz text), for
 * bizenv rebuild, which gives them the time the journal recorded; NULL
 * (the default) = the transaction's time, now(). Kept until set again. */
void loader_stage_set_time(struct loader_stage *st, const char *time);

/* Buffers a receipt for raw.receipt (as loader_store_receipt; no id). */
int loader_stage_receipt(struct loader_stage *st, const struct loader_receipt *r,
                         struct bz_error *e);

/* Sends the buffered files, then COPYs and merges the staged submissions;
 * afterwards loader_stage_outcome(slot) holds each one's outcome. Receipts
 * staged so far stay buffered (they usually depend on the outcomes). */
int loader_stage_merge(PGconn *conn, struct loader_stage *st, struct bz_error *e);

/*
 * The same in parts, so the client can read the next files while the
 * server merges: _send sends the files and headers and starts the
 * decisions without waiting; _pump, called between the next files, moves
 * the merge along as far as it can without waiting (reads the decisions,
 * sends what the socket takes of the accepted rows, starts the next COPY,
 * the finish); _collect waits for the rest and leaves the outcomes.
 * Between _send and the end of _collect the connection is busy: nothing
 * else may use it (stage the next batch with load ids reserved
 * beforehand, loader_stage_reserve). _cancel stops a sent merge and
 * discards its result (the caller then rolls back). _pump and _collect
 * return 0 or the failure of a statement (BZ_EDB/BZ_ETIMEOUT/BZ_ENOMEM).
 */
int loader_stage_merge_send(PGconn *conn, struct loader_stage *st, struct bz_error *e);
int loader_stage_pump(PGconn *conn, struct loader_stage *st, struct bz_error *e);
int loader_stage_merge_collect(PGconn *conn, struct loader_stage *st, struct bz_error *e);
void loader_stage_merge_cancel(PGconn *conn, struct loader_stage *st);

/* Takes load ids from the server so that n (at most LOADER_STAGE_MAX)
 * submissions can be staged without a query; and how many are left. */
int loader_stage_reserve(PGconn *conn, struct loader_stage *st, size_t n, struct bz_error *e);
size_t loader_stage_ids_left(const struct loader_stage *st);

/* The outcome of a merged slot; its warnings may be moved out by the
 * caller (diag_list_append). Valid until loader_stage_finish. */
struct loader_outcome *loader_stage_outcome(struct loader_stage *st, size_t slot);

/* Sends the buffered receipts (and files) and empties the stage. */
int loader_stage_finish(PGconn *conn, struct loader_stage *st, struct bz_error *e);

/* A copy of the active registry (code -> name) for transform_ctx, so
 * validating a submission asks the server nothing. */
struct loader_townships;

/* Reads the active townships. Returns 0, BZ_EDB/BZ_ETIMEOUT or BZ_ENOMEM. */
int loader_townships_load(PGconn *conn, struct loader_townships **out, struct bz_error *e);
void loader_townships_free(struct loader_townships *t);

/* transform_ctx.township_known over a loaded copy (`arg` is the struct
 * loader_townships *): 1 with *name set (valid until freed), 0 unknown. */
int loader_townships_lookup(const char *code, const char **name, void *arg);

/* Counts of one registry load; each township is counted at most once. */
struct loader_registry_stats {
    int added;       /* new codes */
    int renamed;     /* active, name changed */
    int inactivated; /* were active, no longer in the file */
    int reactivated; /* were inactive, listed again (name updated when changed) */
    int unchanged;   /* active, same name */
};

/* Most bytes a registry file may have: a county has tens of townships, a
 * province-scale test a few thousand; this is far above both. */
#define LOADER_REGISTRY_MAX_BYTES (4L * 1024 * 1024)
#define LOADER_REGISTRY_MAX_NAME 200 /* bytes of one township name */

/*
 * Reads csv_path and merges it into ref.township in one transaction.
 * Returns 0 with *st filled; BZ_ENOTFOUND (E_NOINPUT) when the file does
 * not exist; BZ_EIO (E_IO_READ); BZ_EINPUT (E_REGISTRY_FORMAT, e->file and
 * e->line naming the bad line: bad header, field count, quoting, code not 9
 * digits, empty or too long name, invalid UTF-8, duplicate code, no
 * township at all); BZ_ELIMIT for an oversized file; BZ_EDB/BZ_ETIMEOUT.
 * On any failure the registry is unchanged.
 */
int loader_registry_load(PGconn *conn, const char *csv_path, struct loader_registry_stats *st,
                         struct bz_error *e);

/* Reads a registry file whole into data (whose limit should be
 * LOADER_REGISTRY_MAX_BYTES), with loader_registry_load's errors. */
int loader_registry_read(const char *path, struct dbuf *data, struct bz_error *e);

/*
 * The same for a registry file already read (len bytes; `shown` names it
 * in messages). Inside the caller's transaction it runs in a savepoint
 * and leaves the COMMIT to the caller (`registry load` journals the file
 * before it commits); otherwise in its own transaction.
 */
int loader_registry_merge(PGconn *conn, const char *data, size_t len, const char *shown,
                          struct loader_registry_stats *st, struct bz_error *e);

/*
 * Registry lookup in the shape of transform_ctx.township_known (`conn` is
 * the PGconn *): 1 when the code is an active township (then *name points
 * to its registry name in static storage, valid until the next call), 0
 * when unknown or inactive, BZ_EDB when the query failed. Not thread-safe.
 */
int loader_township_lookup(const char *code, const char **name, void *conn);

#endif
