/*
 * loader — puts a batch of inbox files, validated submissions and receipts
 * into PostgreSQL in one transaction, overlapping the server's merge with
 * the client's reading of the next batch.
 *
 * A batch is one transaction under the role bizenv_loader when the
 * session may take it (SET LOCAL ROLE: the grants of the baseline,
 * sql/migrations/087, are what loading relies on), opened by
 * loader_batch_begin and ended by loader_batch_commit or _rollback. Inside
 * it, a stage (struct loader_stage) buffers what the batch sends: the inbox
 * files for raw.file, each submission's COPY rows (rows.h) under a load
 * id, the receipts. The merge sends the files and the submissions'
 * headers, lets load.decide_batch (sql/load/merge.sql) apply the revision
 * rules of submission-format.md to them in staging order, COPYs the
 * accepted submissions' rows straight into facts and has load.finish_batch
 * add the merge's own warnings; then the receipts go in with one COPY.
 * Values only ever travel as COPY data or query parameters. Nothing of a
 * batch is visible or durable before its COMMIT, so the caller must not
 * treat a batch's work as done (put files away) before loader_batch_commit
 * returned 0; any failure leaves the transaction aborted, and the caller
 * rolls the whole batch back: nothing is ever half-loaded.
 *
 * This module never prints; the caller owns the connection and chooses
 * what to do with outcomes.
 */
#ifndef BZ_LOADER_H
#define BZ_LOADER_H

#include "../common/diag.h"
#include "../common/error.h"
#include "../transform/submission.h"
#include "rows.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

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
                                * owned by the stage (the caller may move them out
                                * with diag_list_append) */
};

/* Opens a batch: BEGIN and the loader role. The connection must be idle
 * (no transaction; E_INTERNAL otherwise). Returns 0 or BZ_EDB/BZ_ETIMEOUT
 * with e filled. */
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
 * A stage: what one batch sends, merged with one round of statements.
 * The headers go into staging.submission with ONE COPY and
 * load.decide_batch applies the revision rules to them in staging order
 * (two revisions of one township and month in the same batch are decided
 * one after the other, as if sent on two nights), inserting
 * facts.submission for the accepted ones under their load ids. The rows of
 * the accepted ones then go straight into the facts tables, ONE COPY per
 * table, and load.finish_batch adds the merge's own warnings. Inbox files
 * and receipts are sent with one statement each. All buffers have hard
 * limits; the caller flushes when loader_stage_full says so.
 */
struct loader_stage;

#define LOADER_STAGE_MAX 1000          /* submissions staged before a flush */
#define LOADER_STAGE_BYTES (12u << 20) /* buffered COPY bytes before a flush */

/* Allocates an empty stage; NULL when out of memory. */
struct loader_stage *loader_stage_new(void);
void loader_stage_free(struct loader_stage *stage);

/* Makes stage take its load ids from `with`'s reserve (which must outlive
 * stage's use): stages used one after another then give ids that grow in
 * staging order, as accepted submissions' ids must (sql/load/merge.sql). */
void loader_stage_share_ids(struct loader_stage *stage, struct loader_stage *with);

/* Forgets everything buffered (after a rollback). */
void loader_stage_reset(struct loader_stage *stage);

/* Non-zero when the stage should be flushed before more is added. */
int loader_stage_full(const struct loader_stage *stage);

/* Buffers an inbox file for raw.file; one already recorded (same
 * sha256) is left as it was when the batch is sent. */
int loader_stage_file(struct loader_stage *stage, const char *sha256, int64_t size,
                      const char *original_name, time_t received_at, const char *archive_path,
                      struct bz_error *e);

/* Buffers one submission (no errors) with its transform warnings; *slot
 * receives its index for loader_stage_outcome. Takes a load id from the
 * server (in blocks). Returns 0, BZ_ENOMEM/BZ_ELIMIT, BZ_EDB/BZ_ETIMEOUT. */
int loader_stage_submission(PGconn *conn, struct loader_stage *stage, const struct submission *sub,
                            const struct diag_list *warnings, const struct rows_origin *origin,
                            size_t *slot, struct bz_error *e);

/* The time the stage's receipts are stored with (timestamptz text), for
 * bizenv rebuild, which gives them the time the journal recorded; NULL
 * (the default) = the transaction's time, now(). Kept until set again. */
void loader_stage_set_time(struct loader_stage *stage, const char *time);

/* Buffers a receipt for raw.receipt (its created_at: loader_stage_set_time). */
int loader_stage_receipt(struct loader_stage *stage, const struct rows_receipt *r,
                         struct bz_error *e);

/* Sends the buffered files, then COPYs and merges the staged submissions;
 * afterwards loader_stage_outcome(slot) holds each one's outcome. Receipts
 * staged so far stay buffered (they usually depend on the outcomes). */
int loader_stage_merge(PGconn *conn, struct loader_stage *stage, struct bz_error *e);

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
int loader_stage_merge_send(PGconn *conn, struct loader_stage *stage, struct bz_error *e);
int loader_stage_pump(PGconn *conn, struct loader_stage *stage, struct bz_error *e);
int loader_stage_merge_collect(PGconn *conn, struct loader_stage *stage, struct bz_error *e);
void loader_stage_merge_cancel(PGconn *conn, struct loader_stage *stage);

/* Takes load ids from the server so that n (at most LOADER_STAGE_MAX)
 * submissions can be staged without a query; and how many are left. */
int loader_stage_reserve(PGconn *conn, struct loader_stage *stage, size_t n, struct bz_error *e);
size_t loader_stage_ids_left(const struct loader_stage *stage);

/* The outcome of a merged slot; its warnings may be moved out by the
 * caller (diag_list_append). Valid until loader_stage_finish. */
struct loader_outcome *loader_stage_outcome(struct loader_stage *stage, size_t slot);

/* Sends the buffered receipts (and files) and empties the stage. */
int loader_stage_finish(PGconn *conn, struct loader_stage *stage, struct bz_error *e);

#endif
