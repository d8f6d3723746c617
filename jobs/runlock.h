/*
 * runlock — one ingest or nightly run at a time.
 *
 * Two locks, because each covers a case the other cannot: an flock on
 * $BIZENV_HOME/run.lock (holds when the database is down, and for runs on
 * one host sharing a home), and a session-level PostgreSQL advisory lock
 * (holds across hosts sharing the database). Both are released by the
 * kernel or the server when the process dies, even by SIGKILL, so a killed
 * run never leaves a stale lock behind.
 */
#ifndef BZ_RUNLOCK_H
#define BZ_RUNLOCK_H

#include "../common/error.h"
#include "../common/settings.h"

#include <libpq-fe.h>

struct runlock {
    int fd; /* the flock'd file, -1 when not held */
};

/* Takes the file lock without waiting. Returns 0, BZ_EBUSY (E_BUSY) when
 * another run holds it, BZ_EIO. */
int runlock_file(struct runlock *l, const struct settings *s, struct bz_error *e);

/* Takes the database lock without waiting on this session. Returns 0,
 * BZ_EBUSY when another session holds it, BZ_EDB. */
int runlock_db(PGconn *conn, struct bz_error *e);

/* Releases the file lock (the database lock goes with the connection). */
void runlock_release(struct runlock *l);

#endif
