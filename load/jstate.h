/*
 * jstate — the statements the journal's writers and `bizenv rebuild` send:
 * where the database stands in the journal (meta.journal_state,
 * sql/meta/journal.sql), what was changed outside bizenv, the weights,
 * settings and registries a journal event records or restores, and
 * whether a database is empty enough to rebuild or restore into.
 *
 * Values travel only as parameters. Every function runs one statement on
 * the caller's connection, inside the caller's transaction when there is
 * one, and never prints.
 */
#ifndef BZ_JSTATE_H
#define BZ_JSTATE_H

#include "../common/error.h"
#include "pgutil.h"

#include <libpq-fe.h>

/* The transaction of a journaled change made by a command (a registry
 * load, weights, a setting, a group bizenv rebuild replays): begun on an
 * idle connection, committed once the group's lines are written and
 * recorded (jstate_commit). It runs as the connecting user, not under the
 * loader role: it changes ref.weight and ref.setting. jstate_txn_commit
 * rolls back when the COMMIT fails; jstate_txn_rollback ignores failures.
 * Return 0 or BZ_EDB/BZ_ETIMEOUT. */
int jstate_txn_begin(PGconn *conn, struct bz_error *e);
int jstate_txn_commit(PGconn *conn, struct bz_error *e);
void jstate_txn_rollback(PGconn *conn);

/* meta.journal_state as read. */
struct jstate {
    int present; /* the row exists (and the table: 093 applied) */
    char journal_id[33];
    long long txn;  /* the last journal group committed */
    int rebuilding; /* bizenv rebuild has not finished */
};

/* Reads it; a database without the table reads as absent. Returns 0 or
 * BZ_EDB/BZ_ETIMEOUT. */
int jstate_read(PGconn *conn, struct jstate *st, struct bz_error *e);

/* meta.journal_commit: group g of journal jid is applied (inside the
 * transaction it describes); with_state: the journal now describes the
 * weights, settings and registries as they are. */
int jstate_commit(PGconn *conn, const char *jid, long long g, int with_state, struct bz_error *e);

/* Marks or clears meta.journal_state.rebuilding. */
int jstate_set_rebuilding(PGconn *conn, int on, struct bz_error *e);

/* The current transaction's start time (now()) as text with its offset,
 * exact to the microsecond: the time a batch's receipts carry. */
int jstate_txn_time(PGconn *conn, char out[64], struct bz_error *e);

/* What changed outside bizenv since journal jid last recorded it. */
struct jstate_drift {
    int known; /* the database has recorded this journal before */
    int weights, settings, townships, counties;
};
int jstate_drift(PGconn *conn, const char *jid, struct jstate_drift *d, struct bz_error *e);

/* Adds `what` (Chinese, one part: 权重, 乡镇名录, ...) to what the next
 * night reports as changed outside bizenv, once; jstate_take_unreported reads and clears it
 * (out: cap bytes). */
int jstate_add_unreported(PGconn *conn, const char *what, struct bz_error *e);
int jstate_take_unreported(PGconn *conn, char *out, size_t cap, struct bz_error *e);

/* The three weights as the database holds them (numeric text). */
int jstate_weights(PGconn *conn, char service[64], char completion[64], char coverage[64],
                   struct bz_error *e);
/* Sets them (each a finite non-negative decimal: the server checks).
 * Returns 0, BZ_EUSAGE (E_USAGE: not a number, negative, not finite),
 * BZ_EDB. */
int jstate_set_weights(PGconn *conn, const char *service, const char *completion,
                       const char *coverage, struct bz_error *e);

/* The value of the database-held setting `key` (ref.setting) into out;
 * BZ_EUSAGE (E_USAGE) when there is no such key. */
int jstate_setting(PGconn *conn, const char *key, char *out, size_t cap, struct bz_error *e);
/* Sets it; a time zone must be one the server knows (BZ_EUSAGE, E_USAGE). */
int jstate_set_setting(PGconn *conn, const char *key, const char *value, struct bz_error *e);
/* Columns of jstate_settings. */
enum jstate_setting_col { JSTATE_SETTING_KEY, JSTATE_SETTING_VALUE, JSTATE_SETTING_NCOLS };

/* Every ref.setting key and value in key order. Returns 0 with *out (the
 * caller frees it), or the database error with *out empty. */
int jstate_settings(PGconn *conn, struct pgutil_rows *out, struct bz_error *e);

/* Columns of jstate_registry. */
enum jstate_registry_col {
    JSTATE_REG_CODE,
    JSTATE_REG_NAME,
    JSTATE_REG_ACTIVE, /* "t" or "f" */
    JSTATE_REG_NCOLS
};

/* The registry of townships (counties = 0) or counties, by code. Returns
 * as jstate_settings. */
int jstate_registry(PGconn *conn, int counties, struct pgutil_rows *out, struct bz_error *e);
/* Sets it exactly as listed (load.restore_registry). */
int jstate_restore_registry(PGconn *conn, int counties, const char *const *codes,
                            const char *const *names, const char *const *actives, size_t n,
                            struct bz_error *e);

/* Rows of raw.file: the history a journal begun on an old database lacks. */
int jstate_files(PGconn *conn, long long *n, struct bz_error *e);

/*
 * Whether the database holds anything but what a new database holds: no
 * bizenv schema at all, or bizenv's tables without a township, county,
 * file, run, submission or export. Before any migration. *empty = 1 when
 * so; *rebuilding = 1 when meta.journal_state says a rebuild of journal
 * *jid did not finish (jid filled then).
 */
int jstate_empty(PGconn *conn, int *empty, int *rebuilding, char jid[33], struct bz_error *e);

/* The ranking run the nightly stored last for period as of as_of (the one
 * its export recorded); *id 0 when none. */
int jstate_stored_run(PGconn *conn, const char *period, const char *as_of, long long *id,
                      struct bz_error *e);

/* Commits of this session need not wait for the disk (bizenv rebuild: a
 * crash loses only the last groups, which meta.journal_state says to
 * replay again). */
int jstate_fast_commits(PGconn *conn, struct bz_error *e);

/* Whether any of bizenv's schemas (ref, raw, staging, facts, load, meta,
 * report) exists: a restore needs a database without them. */
int jstate_schema(PGconn *conn, int *schema, struct bz_error *e);

/* Creates the roles bizenv_loader and bizenv_analyst when missing
 * (cluster-wide: a restored dump grants to them). */
int jstate_roles(PGconn *conn, struct bz_error *e);

/* Data checksums of the server ("on"/"off") into out. */
int jstate_checksums(PGconn *conn, char out[16], struct bz_error *e);

/* amcheck for `bizenv db check`: installs it when missing (*installed = 1
 * then), or drops it again (after the check: a dump of the database must
 * not carry an extension only a superuser may create). */
int jstate_amcheck(PGconn *conn, int install, int *installed, struct bz_error *e);

#endif
