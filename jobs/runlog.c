#include "runlog.h"

#include "../common/esc.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

void
runlog_open(struct runlog *l, const struct settings *s)
{
    char path[BZ_PATH_MAX + 16], old[BZ_PATH_MAX + 32];
    struct stat st;

    l->f = NULL;
    l->syslog = 0;
    l->run_id = 0;
    snprintf(path, sizeof(path), "%s/bizenv.log", s->home);
    if (stat(path, &st) == 0 && st.st_size > s->log_max_bytes) {
        snprintf(old, sizeof(old), "%s.1", path);
        rename(path, old); /* keeps one older log; a failure just means a longer log */
    }
    l->f = fopen(path, "a");
    if (s->syslog_ident[0] != '\0') {
        openlog(s->syslog_ident, LOG_PID, LOG_DAEMON);
        l->syslog = 1;
    }
}

void
runlog_printf(struct runlog *l, const char *fmt, ...)
{
    char msg[1024], line[4 * sizeof(msg)], stamp[32];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* the arguments carry file names and messages that quote them: a
     * newline in one must not start a line of its own */
    esc_text(line, sizeof(line), msg);
    if (l->f != NULL) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
        fprintf(l->f, "%s [run %lld] %s\n", stamp, l->run_id, line);
        fflush(l->f);
    }
    if (l->syslog)
        syslog(LOG_INFO, "[run %lld] %s", l->run_id, line);
}

void
runlog_close(struct runlog *l)
{
    if (l->f != NULL)
        fclose(l->f);
    if (l->syslog)
        closelog();
    l->f = NULL;
    l->syslog = 0;
}
