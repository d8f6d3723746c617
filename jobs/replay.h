/*
 * replay — `bizenv rebuild`: the journal (common/journal.h, written by
 * jobs/record.c) replayed into an empty database, in its order, with the
 * receive times, transaction times, reading limits, registries, weights,
 * settings and builds it recorded; then every export still in exports/
 * compared byte for byte with the one the replay made.
 *
 * Each committed journal group is replayed in one transaction that
 * records it in meta.journal_state (load/jstate.h), so a rebuild killed
 * at any point goes on, when run again, from the group after the last one
 * it committed. Groups the journal says were rolled back are skipped; a
 * last group without its commit line is named and skipped; a damaged line
 * is named and skipped, never guessed at. Where an outcome differs from
 * what the journal recorded (a file's, an export's), the report says which
 * and why. The replayed exports are written under
 * $BIZENV_HOME/rebuild/, never over exports/.
 *
 * It never prints: the report comes back for jobs/cmd_rebuild.c.
 */
#ifndef BZ_REPLAY_H
#define BZ_REPLAY_H

#include "../common/dbuf.h"
#include "cli.h"

#include <stddef.h>

struct replay_report {
    size_t lines;            /* intact journal lines */
    size_t damaged;          /* damaged lines, skipped */
    size_t groups;           /* groups replayed by this run */
    size_t skipped;          /* groups rolled back or never confirmed, not replayed */
    size_t done_before;      /* groups a killed rebuild had replayed already */
    size_t files;            /* files replayed */
    size_t files_differ;     /* whose outcome differs from the journal's */
    size_t exports;          /* exports (file sets) in exports/ */
    size_t exports_same;     /* of them, reproduced byte for byte */
    long long history;       /* files the database held before the journal began */
    char scratch[1024 + 32]; /* where the replayed exports are, when kept */
    struct dbuf notes;       /* one line per thing worth saying (Chinese), escaped */
};

/*
 * Rebuilds the database of cli's home from its journal. The database must
 * be empty, or one this rebuild left unfinished (E_DB_NOT_EMPTY
 * otherwise); a missing private cluster is created. Returns 0 when the
 * replay ran to the end (rep then says what matched), or the failure
 * (E_JOURNAL: no journal, or a file missing from the archive; E_BUSY, the
 * database errors). rep->notes is freed by the caller (dbuf_free).
 */
int replay_rebuild(struct cli *cli, struct replay_report *rep, struct bz_error *e);

#endif
