/*
 * migrate — brings a database's schema and SQL definitions up to what this
 * binary expects. Two kinds of SQL are compiled into the binary
 * (common/embedded.h):
 *
 * Migrations, sql/migrations/NNN_name.sql: what holds data — schemas,
 * roles, tables, types, sequences, indexes, table grants, data moves. Each
 * is applied at most once and recorded in meta.migration (version, name,
 * SHA-256 of the file, time). An applied migration never changes: one
 * whose file did is refused, and so is a version this binary does not
 * know (a newer bizenv set the database up).
 *
 * Definitions, the files migrate.c lists in the order they are applied
 * (sql/report/periods.sql, sql/report/figures.sql, ...): every function,
 * view and trigger, each written once, as it runs. They are recorded in
 * meta.definition_file (path, SHA-256). When the recorded set differs from
 * the binary's (a file changed, was added or removed) or a migration is
 * pending, every function, view and trigger bizenv defined in its schemas
 * is dropped and every file is run again.
 *
 * An upgrade is one transaction: the runner's own tables, the rebase
 * below, the drop, the pending migrations and the definition files. It
 * succeeds whole or changes nothing, so no one ever reads a database
 * whose definitions were dropped by a migration that then failed. (A
 * migration therefore cannot use what may not run in a transaction block,
 * such as CREATE INDEX CONCURRENTLY, nor use an enum value it adds.)
 *
 * Why drop and re-run everything rather than CREATE OR REPLACE what
 * changed: the database then holds exactly what the files say, whatever
 * the change was (a function removed or renamed, a return type or a view's
 * columns changed: CREATE OR REPLACE can do none of these), with no
 * per-change statements for anyone to write, and a failure leaves the
 * previous definitions in place. It costs 0.1–0.2 s (measured) and the
 * locks the drops take, so it runs only when a checksum differs: a
 * start against an unchanged database is one query and takes no lock. The
 * drop refuses (E_DB_MIGRATE, nothing changed) when anything but bizenv's
 * own functions, views and triggers depends on what it would drop — a
 * column default, an index, someone's view in another schema — rather than
 * drop that too. A migration runs with no definitions in place (they are
 * dropped before it and re-created after the last one): the same state it
 * meets on a fresh database, so it may change a column a view reads or a
 * type a function returns without caring which do; a data move that needs
 * a function defines its own.
 *
 * The previous release (v0.1.0) recorded its migrations 001–086, which
 * sql/migrations/087_baseline.sql replaces. A database recording exactly
 * that set, with those checksums (kept here, not the files), is rebased:
 * the baseline is recorded as applied without running it, then later
 * migrations and the definitions apply as on any database. Any other set
 * below the baseline is refused.
 *
 * The whole of a change runs under a session advisory lock, so two bizenv
 * processes migrating one database at once apply everything exactly once.
 * Nothing here prints.
 */
#ifndef BZ_MIGRATE_H
#define BZ_MIGRATE_H

#include "../common/error.h"

#include <libpq-fe.h>
#include <stddef.h>

#define MIGRATE_MAX 64             /* most migrations one binary may carry */
#define MIGRATE_DEFINITIONS_MAX 32 /* most definition files */

struct migrate_item {
    int version;   /* NNN of sql/migrations/NNN_name.sql; a definition's place in the order (1..) */
    char name[64]; /* "name" of NNN_name.sql; a definition's path ("sql/report/figures.sql") */
    char sha256[65]; /* of the embedded file's bytes, lowercase hex */
};

/* What migrate_apply would do (migrate_plan) or did (migrate_apply). */
struct migrate_plan {
    int rebase;                   /* the previous release's 001–086 recorded as the baseline, */
    struct migrate_item baseline; /* this one (when rebase) */
    size_t npending;              /* migrations, in pending[], in version order */
    struct migrate_item pending[MIGRATE_MAX];
    int definitions; /* definition files (re-)applied; 0 when they were up to date */
};

/*
 * Brings the database up to date: rebase, pending migrations, definitions.
 * Returns 0 with *done saying what was done (all zero when the database was
 * up to date). On failure returns BZ_ESCHEMA with code E_DB_MIGRATE (a
 * migration's or definition file's SQL failed, the database does not
 * match the binary, or other objects depend on the definitions) or the
 * database error (BZ_EDB, BZ_ETIMEOUT), e filled, *done all zero and the
 * database as it was. The advisory lock is released before returning.
 */
int migrate_apply(PGconn *conn, struct migrate_plan *done, struct bz_error *e);

/*
 * What migrate_apply would do now, with the same refusals (returns
 * E_DB_MIGRATE the same way), changing nothing; a database without
 * meta.migration has every migration and definition pending.
 */
int migrate_plan(PGconn *conn, struct migrate_plan *plan, struct bz_error *e);

/*
 * For commands that only read: checks, changing nothing and taking no
 * lock, that the database is exactly what migrate_apply would leave:
 * every known migration recorded, none unknown, and the definition files
 * recorded with this binary's checksums. Returns 0; E_DB_SCHEMA
 * (BZ_ESCHEMA) when it is behind (nothing set up, the previous release
 * not yet rebased, a migration missing, or meta.migration or
 * meta.definition_file not readable by this role; bizenv_analyst may read
 * both), ahead (a version this binary does not know), or its definitions
 * differ (a file changed, added or removed: older or newer, the records
 * cannot tell); E_DB_MIGRATE when an applied migration changed or the
 * records below the baseline are not the previous release's; or the
 * database error.
 */
int migrate_check(PGconn *conn, struct bz_error *e);

/*
 * The migrations compiled into this binary, in version order. Returns 0, or
 * BZ_ESCHEMA (E_DB_MIGRATE) when an embedded migration is misnamed or two
 * share a version, or there are more than cap.
 */
int migrate_known(struct migrate_item *out, size_t cap, size_t *n, struct bz_error *e);

#endif
