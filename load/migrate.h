/*
 * migrate — brings a database's schema up to what this binary expects.
 *
 * The migrations are the files sql/NNN_name.sql compiled into the binary
 * (common/embedded.h). Each is applied at most once, in its own transaction,
 * and recorded in meta.migration (version, name, SHA-256 of the file, time).
 * The whole run holds a session advisory lock, so two bizenv processes
 * migrating the same database at once apply every file exactly once.
 *
 * It refuses (E_DB_MIGRATE) rather than guesses when the database does not
 * match the binary: an applied migration whose file has changed since, or a
 * version this binary does not know (the database was set up by a newer
 * bizenv). It never drops or rewrites applied migrations and never prints.
 */
#ifndef BZ_MIGRATE_H
#define BZ_MIGRATE_H

#include "../common/error.h"

#include <libpq-fe.h>
#include <stddef.h>

#define MIGRATE_MAX 200 /* most migrations one binary may carry (the team uses 001..039 so far) */

struct migrate_item {
    int version;     /* NNN of sql/NNN_name.sql */
    char name[64];   /* "name" of sql/NNN_name.sql, truncated to fit */
    char sha256[65]; /* of the embedded file's bytes, lowercase hex */
};

/*
 * Applies every pending migration. On success returns 0 and sets
 * *applied_count (0 when the database was up to date). On failure returns
 * BZ_EDB/BZ_ETIMEOUT (database error; the failing migration's transaction
 * was rolled back, earlier ones stay applied) or BZ_ECONFLICT with code
 * E_DB_MIGRATE (checksum changed, unknown version, malformed file name), e
 * filled. The advisory lock is released before returning.
 */
int migrate_apply(PGconn *conn, int *applied_count, struct bz_error *e);

/*
 * Lists the migrations not yet applied, in version order, into out (room for
 * `cap` items); *n is set to their number. Performs the same consistency
 * checks as migrate_apply (returns E_DB_MIGRATE the same way) but changes
 * nothing; a database without meta.migration has every migration pending.
 */
int migrate_pending(PGconn *conn, struct migrate_item *out, size_t cap, size_t *n,
                    struct bz_error *e);

/*
 * For commands that only read: checks, changing nothing, that the
 * database's schema is exactly this binary's: every known migration
 * applied, none unknown. Returns 0; E_DB_SCHEMA (BZ_ECONFLICT) when it is
 * behind (nothing set up, a migration missing, or meta.migration not
 * readable by this role; bizenv_analyst may read it) or ahead (a version
 * this binary does not know); E_DB_MIGRATE when an applied migration
 * changed; or the database error.
 */
int migrate_check(PGconn *conn, struct bz_error *e);

/*
 * The migrations compiled into this binary, in version order. Returns 0, or
 * BZ_ECONFLICT (E_DB_MIGRATE) when an embedded sql/ file is misnamed or two
 * share a version, or there are more than cap.
 */
int migrate_known(struct migrate_item *out, size_t cap, size_t *n, struct bz_error *e);

#endif
