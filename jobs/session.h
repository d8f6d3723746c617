/*
 * session — what every database command does first: make sure the home
 * folders exist, connect (starting the embedded cluster when that is the
 * target), check that the database is this home's (load/instance.h), and
 * apply pending migrations; or, for a command that only reads, check that
 * the schema is this binary's and change nothing.
 */
#ifndef BZ_SESSION_H
#define BZ_SESSION_H

#include "cli.h"

#include <libpq-fe.h>

/* What a command does with the database. */
enum session_mode {
    SESSION_WRITE,      /* folders made; a cluster created only for a home without history;
                           identity checked; migrations applied; the database's id recorded */
    SESSION_WRITE_HOME, /* as WRITE, and a home without an id takes the database's: the
                           commands that keep files in the home (ingest, nightly) */
    SESSION_MIGRATE,    /* as WRITE, but the caller applies the migrations itself (bizenv
                           migrate) and then calls session_claim */
    SESSION_READ,       /* nothing created, migrated or recorded; identity checked; the
                           schema must be exactly this binary's (E_DB_SCHEMA otherwise) */
    SESSION_INSPECT     /* as READ, whatever the schema version (bizenv migrate --list) */
};

/*
 * Connects for `mode`. allow_new_database lets a home with history get a
 * new embedded cluster or an empty database, which then takes the home's
 * id: only for a future `bizenv rebuild`/`bizenv restore`; every command
 * today passes 0. Returns the connection (caller PQfinish-es it) or NULL
 * with e filled: E_DB_MISSING, E_DB_IDENTITY, E_DB_SCHEMA among others.
 */
PGconn *session_connect(struct cli *cli, enum session_mode mode, int allow_new_database,
                        struct bz_error *e);

/* session_connect(cli, SESSION_WRITE, 0, e). */
PGconn *session_open(struct cli *cli, struct bz_error *e);

/* session_connect(cli, SESSION_WRITE_HOME, 0, e). */
PGconn *session_open_home(struct cli *cli, struct bz_error *e);

/* session_connect(cli, SESSION_READ, 0, e). */
PGconn *session_open_read(struct cli *cli, struct bz_error *e);

/*
 * After SESSION_MIGRATE's caller migrated: records the instance id on the
 * side that lacks it. Returns 0 or the error (load/instance.h).
 */
int session_claim(struct cli *cli, PGconn *conn, struct bz_error *e);

/* Creates BIZENV_HOME and its folders (inbox, archive, quarantine,
 * receipts, exports, runs). Returns 0 or BZ_EIO. */
int session_folders(const struct settings *s, struct bz_error *e);

#endif
