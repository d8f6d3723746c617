/*
 * pgtool — PostgreSQL's own client programs (pg_dump, pg_restore,
 * pg_amcheck from settings.pg_bindir) run against the database a bizenv
 * session is connected to: the private server or the configured one alike.
 *
 * The connection parameters the session uses (PQconninfo: host, port,
 * user, password, sslmode, ...) reach the program in its environment
 * (PGHOST, PGPORT, ...), never on its command line, where `ps` would show
 * a password. The program runs through load/spawn.h (no shell), with a
 * small fixed environment; the tail of its output is kept for the error
 * detail. Never prints.
 */
#ifndef BZ_PGTOOL_H
#define BZ_PGTOOL_H

#include "../common/error.h"
#include "../common/settings.h"

#include <libpq-fe.h>
#include <stddef.h>

/* Output kept from a program: its reason for failing is at the end. */
#define PGTOOL_OUTPUT_CAP 4096

/*
 * Runs settings.pg_bindir/<program> with args (NULL-ended, argv[0] not
 * included) against conn's database. *status receives its exit status
 * (128+signal when killed); out (cap bytes) the tail of its stdout and
 * stderr. Returns 0 when it ran (whatever its status), or BZ_EIO/BZ_ENOMEM
 * (E_BACKUP) when it could not be started.
 */
int pgtool_run(PGconn *conn, const struct settings *s, const char *program, const char *const *args,
               int *status, char *out, size_t cap, struct bz_error *e);

#endif
