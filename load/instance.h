/*
 * instance — which database belongs to which home.
 *
 * A home ($BIZENV_HOME) and the database it works with share an instance
 * id: 128 random bits in lowercase hex, in the file bizenv.id in the home
 * and in the one row of meta.instance (sql/migrations/090_instance.sql).
 * Each side is written once and never changed: the database's by the first command that writes
 * to it, the home's by the first ingest or nightly. Whether a command may go on follows from the
 * two ids and from whether each side has history: the home when archive/, runs/, receipts/ or
 * quarantine/ hold anything or it has an id; the database when meta.run or raw.file hold a row.
 *
 *   home id  database id  outcome
 *   H        H            its database
 *   H        D (not H)    E_DB_IDENTITY: another home's database
 *   H        none         E_DB_IDENTITY: a database this home never used
 *                         (INSTANCE_NEW_DATABASE: it takes H)
 *   none     D            the home takes D (an install from before ids,
 *                         or a second host sharing the database)
 *   none     none         a home with history and a database without:
 *                         E_DB_IDENTITY (INSTANCE_NEW_DATABASE: both take
 *                         a new id); otherwise both take a new id (a new
 *                         home, or an install from before ids)
 *
 * A missing embedded cluster is decided earlier, by cluster.c, which asks
 * instance_home_read whether the home has history. Both refusals say what
 * to do. This module never prints.
 */
#ifndef BZ_INSTANCE_H
#define BZ_INSTANCE_H

#include "../common/error.h"
#include "../common/settings.h"

#include <libpq-fe.h>

#define INSTANCE_ID_LEN 32 /* hex digits of an id */

struct instance_home {
    char id[INSTANCE_ID_LEN + 1]; /* from bizenv.id; "" when the home has none */
    int history;                  /* the home has an id or holds archived files, runs or receipts */
    /* what showed the history (a folder, or the home's bizenv.id), for messages */
    char evidence[BZ_PATH_MAX + 16];
    int paired; /* set by instance_check: the database holds the same id (nothing to claim) */
};

/* How instance_check may treat a database without an id. */
enum instance_mode {
    INSTANCE_READ,        /* a read-only command: checks, never writes */
    INSTANCE_WRITE,       /* a command that writes: the table above; instance_claim follows */
    INSTANCE_NEW_DATABASE /* as WRITE, and a database without an id may become this home's
                             even when the home has history: for a future `bizenv rebuild`
                             or `bizenv restore`, never chosen by today's commands */
};

/*
 * Reads the home's id and looks for its history; changes nothing. A home
 * that does not exist has neither. A folder that cannot be read counts as
 * history (it may hold some). Returns 0, or E_DB_IDENTITY (BZ_ECONFIG) for
 * a damaged bizenv.id, E_IO_READ (BZ_EIO) when it cannot be read.
 */
int instance_home_read(const struct settings *s, struct instance_home *h, struct bz_error *e);

/*
 * Checks that conn's database may be used with the home h (the table
 * above); changes nothing in either (sets h->paired). Returns 0, or
 * E_DB_IDENTITY (BZ_ECONFIG) with what to do, or the database error
 * (BZ_EDB, BZ_ETIMEOUT).
 */
int instance_check(PGconn *conn, const struct settings *s, struct instance_home *h,
                   enum instance_mode mode, struct bz_error *e);

/*
 * After instance_check passed in a writing mode and the migrations made
 * meta.instance: gives the database an id when it has none (the home's,
 * else a new one) and, with bind_home, gives a home without an id the
 * database's: the database first, so a run killed in between is completed
 * by the next. Only commands that keep files in the home (ingest,
 * nightly) bind it; `bizenv migrate` or `registry load` may prepare
 * several databases from one home. h->id is then the id both hold. Two
 * processes claiming at once agree: the first row written wins, the file
 * is linked into place only when absent. Returns 0, or the database
 * error, E_IO_WRITE, or E_DB_IDENTITY when the other side was given a
 * different id meanwhile.
 */
int instance_claim(PGconn *conn, const struct settings *s, struct instance_home *h, int bind_home,
                   struct bz_error *e);

#endif
