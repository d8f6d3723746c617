#include "pgtool.h"

#include "spawn.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Arguments and environment entries of one program: a few of each. */
#define MAX_ARGS 32
#define MAX_ENV 48

/* The environment: a fixed PATH and locale, the user's HOME (libpq looks
 * for .pgpass and the service file there), and the session's connection
 * parameters under their libpq environment names. Strings in `store`
 * (freed by the caller). Returns the count, or -1 when out of memory. */
static int
make_env(PGconn *conn, char **envp, char **store, size_t cap)
{
    size_t n = 0;
    const struct passwd *pw = getpwuid(geteuid());
    char home[512];
    snprintf(home, sizeof(home), "HOME=%s", pw != NULL && pw->pw_dir ? pw->pw_dir : "/");
    const char *fixed[] = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", home};
    for (size_t i = 0; i < 3; i++) {
        if ((store[n] = strdup(fixed[i])) == NULL)
            return -1;
        envp[n] = store[n];
        n++;
    }
    PQconninfoOption *opts = PQconninfo(conn);
    if (opts == NULL)
        return -1;
    for (PQconninfoOption *o = opts; o->keyword != NULL && n + 1 < cap; o++) {
        if (o->envvar == NULL || o->val == NULL || o->val[0] == '\0')
            continue;
        size_t len = strlen(o->envvar) + strlen(o->val) + 2;
        char *kv = malloc(len);
        if (kv == NULL) {
            PQconninfoFree(opts);
            return -1;
        }
        snprintf(kv, len, "%s=%s", o->envvar, o->val);
        envp[n] = store[n] = kv;
        n++;
    }
    PQconninfoFree(opts);
    envp[n] = NULL;
    return (int)n;
}

int
pgtool_run(PGconn *conn, const struct settings *s, const char *program, const char *const *args,
           int *status, char *out, size_t cap, struct bz_error *e)
{
    char prog[BZ_PATH_MAX + 32];
    char *argv[MAX_ARGS + 2], *envp[MAX_ENV + 1], *store[MAX_ENV + 1];
    int rc = 0;
    size_t na = 0;

    memset(store, 0, sizeof(store));
    snprintf(prog, sizeof(prog), "%s/%s", s->pg_bindir, program);
    argv[na++] = prog;
    for (; args[na - 1] != NULL && na < MAX_ARGS + 1; na++)
        argv[na] = (char *)args[na - 1];
    argv[na] = NULL;
    int nenv = make_env(conn, envp, store, MAX_ENV);
    const struct spawn_opts o = {.envp = envp, .dir = NULL, .umask = -1, .user = NULL};
    int ran = nenv < 0 ? 0 : spawn_run(argv, &o, out, cap);
    if (nenv < 0) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法运行 %s", program);
    } else if (ran == SPAWN_NOSTART) {
        bz_error_set(e, E_BACKUP, "无法运行 %s", program);
        rc = bz_error_detail(e, "%s", out);
    } else if (ran == SPAWN_NOWAIT) {
        bz_error_set(e, E_BACKUP, "等待 %s 结束失败", program);
        rc = bz_error_detail(e, "%s", strerror(errno));
    } else {
        *status = ran;
    }
    for (size_t i = 0; i <= MAX_ENV; i++)
        free(store[i]);
    return rc;
}
