/*
 * registry — the county's township registry and a prefecture's county
 * registry in the database (ref.township, ref.county), and a copy of the
 * active townships for validating submissions.
 *
 * A registry file is read and checked by regcsv.h, then merged in one
 * transaction (sql/load/registry.sql): new codes added, names updated,
 * rows no longer listed marked inactive, returning ones reactivated;
 * nothing is ever deleted, so history still ranks. Values travel only as
 * COPY data or query parameters. On any failure the registry is
 * unchanged. This module never prints.
 */
#ifndef BZ_REGISTRY_H
#define BZ_REGISTRY_H

#include "../common/error.h"
#include "regcsv.h"

#include <libpq-fe.h>

/* Counts of one registry load; each row is counted at most once. */
struct registry_stats {
    int added;       /* new codes */
    int renamed;     /* active, name changed (counties: also reactivated with a new name) */
    int inactivated; /* were active, no longer in the file */
    int reactivated; /* were inactive, listed again (townships only) */
    int unchanged;   /* active, same name (townships only) */
};

/*
 * Merges a parsed township registry (REGCSV_TOWNSHIPS) into ref.township,
 * in its own transaction under the loader role; the connection must be
 * idle. Returns 0 with *stats filled, or BZ_EDB/BZ_ETIMEOUT/BZ_ENOMEM
 * with e filled and nothing changed.
 */
int registry_load_townships(PGconn *conn, const struct regcsv *reg, struct registry_stats *stats,
                            struct bz_error *e);

/* The same merge inside the caller's open transaction (one that also
 * records its journal line, jobs/cmd_registry.c and jobs/replay.c), which
 * the caller commits or rolls back. Returns as registry_load_townships. */
int registry_merge_townships(PGconn *conn, const struct regcsv *reg, struct registry_stats *stats,
                             struct bz_error *e);

/* The same for a prefecture's counties (REGCSV_COUNTIES) into ref.county:
 * one statement, in the caller's transaction when one is open. */
int registry_load_counties(PGconn *conn, const struct regcsv *reg, struct registry_stats *stats,
                           struct bz_error *e);

/* A copy of the active townships (code -> name), so that validating a
 * submission asks the server nothing. */
struct registry_townships;

/* Reads the active townships. Returns 0 with *out (free it with
 * registry_townships_free), BZ_EDB/BZ_ETIMEOUT or BZ_ENOMEM. */
int registry_townships_read(PGconn *conn, struct registry_townships **out, struct bz_error *e);
void registry_townships_free(struct registry_townships *t);

/* transform_ctx.township_known over a copy (`arg` is the struct
 * registry_townships *): 1 with *name set (valid until freed), 0 unknown.
 * Cannot fail. */
int registry_townships_lookup(const char *code, const char **name, void *arg);

/* The copy's townships, for handing to the readers (ingest/sandbox.h):
 * how many, and the code and name of the i-th (valid until freed). */
size_t registry_townships_count(const struct registry_townships *t);
void registry_townships_at(const struct registry_townships *t, size_t i, const char **code,
                           const char **name);

#endif
