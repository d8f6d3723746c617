/*
 * session — what every database command does first: make sure the home
 * folders exist, connect (starting the embedded cluster when that is the
 * target), and apply pending migrations.
 */
#ifndef BZ_SESSION_H
#define BZ_SESSION_H

#include "cli.h"

#include <libpq-fe.h>

/* Connects and migrates. Returns the connection (caller PQfinish-es it) or
 * NULL with e filled. */
PGconn *session_open(struct cli *cli, struct bz_error *e);

/* Creates BIZENV_HOME and its folders (inbox, archive, quarantine,
 * receipts, exports, runs). Returns 0 or BZ_EIO. */
int session_folders(const struct settings *s, struct bz_error *e);

#endif
