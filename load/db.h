/*
 * db — opening the connection to PostgreSQL, the libpq way.
 *
 * Where the database is: `--db CONNINFO` (settings.db) if given; else, when
 * PGSERVICE, PGHOST or PGDATABASE is set, whatever libpq makes of the
 * environment and service file; else bizenv's own embedded cluster under
 * settings.pgdata (started, and created on first use, by cluster.c).
 * Credentials never come from the command line: service file, .pgpass,
 * environment.
 *
 * This module never prints; failures come back as E_DB_CONNECT errors.
 */
#ifndef BZ_DB_H
#define BZ_DB_H

#include "../common/error.h"
#include "../common/settings.h"
#include "cluster.h"

#include <libpq-fe.h>

/* Which server db_connect will use. */
enum db_target { DB_TARGET_CONNINFO, DB_TARGET_ENVIRONMENT, DB_TARGET_EMBEDDED };

/* Decides the target from settings and the environment. Cannot fail. */
enum db_target db_target(const struct settings *s);

/*
 * Connects (starting the embedded cluster first when that is the target,
 * creating it only for a home without history),
 * sets client_encoding UTF8, TimeZone Asia/Shanghai, application_name
 * bizenv, and the loader timeouts from settings. Returns the connection,
 * owned by the caller (PQfinish), or NULL with e filled.
 */
PGconn *db_connect(const struct settings *s, struct bz_error *e);

/* db_connect, with what may happen to a missing embedded cluster said
 * explicitly (cluster.h); db_connect is CLUSTER_CREATE_NEW_HOME. */
PGconn *db_connect_create(const struct settings *s, enum cluster_create create, struct bz_error *e);

/*
 * Fills e from a failed PGresult (or the connection's last error when res
 * is NULL): code E_DB_QUERY, or E_TIMEOUT for statement/lock timeouts,
 * E_DB_CONNECT when the connection is gone. `what` names the operation in
 * Chinese. Returns e->status (BZ_EDB or BZ_ETIMEOUT).
 */
int db_error(struct bz_error *e, PGconn *conn, const PGresult *res, const char *what);

#endif
