/*
 * backup — a backup is one tar file holding a consistent dump of the
 * database (pg_dump custom format, from the private server or the
 * configured one) and the journal, taken together while the run lock
 * holds every writer off; `bizenv restore` puts both into an empty home
 * and an empty database.
 *
 *   bizenv-backup-YYYYMMDD-HHMMSS-jNNNNNNNNNNNN.tar   (N: the journal's last line)
 *     db.dump            pg_dump -Fc
 *     journal.log        the journal as it was
 *     bizenv.id          the home's instance id (the database's too)
 *     townships.csv      the registry copy `validate` reads (when present)
 *     counties.csv       a prefecture's (when present)
 *     bizenv-backup.txt  the manifest: format, instance and journal ids,
 *                        build, time, and each member's size and SHA-256
 *
 * The archive folder is not in it: it holds every file ever received and
 * is copied off the machine as it is (README, "Backups"). The caller holds
 * the run lock and the connection. Files are written under temporary
 * names in the backups folder and renamed when whole. Never prints.
 */
#ifndef BZ_BACKUP_H
#define BZ_BACKUP_H

#include "cli.h"

#include <libpq-fe.h>

struct backup_result {
    char path[BZ_PATH_MAX + 128]; /* the backup written; "" when none was needed */
    long long size;
    long long seq; /* the journal's last line it holds */
};

/*
 * Writes a backup into dir (NULL: settings.backups, bizenv's own folder;
 * otherwise made when missing). Returns 0 or E_BACKUP (pg_dump failed;
 * its output in the detail), E_IO_*, E_NOMEM, E_HOME_UNSAFE.
 */
int backup_make(PGconn *conn, const struct settings *s, const char *dir, struct backup_result *r,
                struct bz_error *e);

/*
 * The nightly's: a backup into settings.backups unless the newest one
 * there already holds the journal's last line (nothing changed since),
 * then only the newest backup_keep are kept. r->path is "" when none was
 * made.
 */
int backup_nightly(PGconn *conn, const struct settings *s, struct backup_result *r,
                   struct bz_error *e);

/* What a restore put in place. */
struct backup_restored {
    char instance[33];
    char created[40]; /* when the backup was made */
    char build[160];  /* by which bizenv */
    long long seq;    /* the journal's last line */
};

/*
 * bizenv restore FILE: into the home of cli, which must have no history
 * and no journal (E_HOME_NOT_EMPTY), and its database, which must hold no
 * bizenv schema (E_DB_NOT_EMPTY; the private one is created). Every
 * member is checked against the manifest first (E_BACKUP). The database
 * then takes the dump, the home the journal, the instance id and the
 * registry copies; pending migrations are applied. Returns 0 or the
 * failure; a failure after the dump was restored leaves the database to
 * be dropped by hand (the message says so).
 */
int backup_restore(struct cli *cli, const char *file, struct backup_restored *r,
                   struct bz_error *e);

#endif
