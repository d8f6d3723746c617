/*
 * runlog — the operations log: one line per file and per stage of a run in
 * $BIZENV_HOME/bizenv.log (rotated to bizenv.log.1 past log_max_bytes),
 * and to syslog when the `syslog_ident` setting is not empty.
 *
 * Logging never fails a run: a log that cannot be written is skipped.
 */
#ifndef BZ_RUNLOG_H
#define BZ_RUNLOG_H

#include "../common/settings.h"

#include <stdio.h>

struct runlog {
    FILE *f;          /* NULL when the log could not be opened */
    int syslog;       /* openlog() was called */
    long long run_id; /* prefixed to each line; 0 before the run has an id */
};

/* Opens (and rotates when too big) the log. Cannot fail. */
void runlog_open(struct runlog *l, const struct settings *s);

/* Writes one line: timestamp, run id, the formatted text (at most 1 KB),
 * its control characters and other line-breaking or reordering
 * characters shown escaped (common/esc.h), so it stays one line. */
void runlog_printf(struct runlog *l, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void runlog_close(struct runlog *l);

#endif
