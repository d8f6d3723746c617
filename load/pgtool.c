#include "pgtool.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Arguments and environment entries of one program: a few of each. */
#define MAX_ARGS 32
#define MAX_ENV 48

/* Appends to the tail buffer, keeping only the last cap-1 bytes. */
static void
tail_append(char *out, size_t cap, size_t *len, const char *data, size_t n)
{
    if (n >= cap - 1) {
        data += n - (cap - 1);
        n = cap - 1;
    }
    if (*len + n > cap - 1) {
        size_t drop = *len + n - (cap - 1);
        memmove(out, out + drop, *len - drop);
        *len -= drop;
    }
    memcpy(out + *len, data, n);
    *len += n;
    out[*len] = '\0';
}

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

static void
child(int outfd, char *const argv[], char *const envp[])
{
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
        _exit(127);
    closefrom(3);
    execve(argv[0], argv, envp);
    dprintf(2, "bizenv: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int
wait_child(pid_t pid, int fd, char *out, size_t cap, int *status)
{
    size_t len = 0;
    out[0] = '\0';
    for (;;) {
        char chunk[512];
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        tail_append(out, cap, &len, chunk, (size_t)r);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

int
pgtool_run(PGconn *conn, const struct settings *s, const char *program, const char *const *args,
           int *status, char *out, size_t cap, struct bz_error *e)
{
    char prog[BZ_PATH_MAX + 32];
    char *argv[MAX_ARGS + 2], *envp[MAX_ENV + 1], *store[MAX_ENV + 1];
    int fds[2] = {-1, -1}, rc = 0;
    size_t na = 0;

    memset(store, 0, sizeof(store));
    snprintf(prog, sizeof(prog), "%s/%s", s->pg_bindir, program);
    argv[na++] = prog;
    for (; args[na - 1] != NULL && na < MAX_ARGS + 1; na++)
        argv[na] = (char *)args[na - 1];
    argv[na] = NULL;
    int nenv = make_env(conn, envp, store, MAX_ENV);
    if (nenv < 0) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法运行 %s", program);
        goto out;
    }
    if (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        bz_error_set(e, E_BACKUP, "无法运行 %s", program);
        rc = bz_error_detail(e, "pipe: %s", strerror(errno));
        goto out;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        bz_error_set(e, E_BACKUP, "无法运行 %s", program);
        rc = bz_error_detail(e, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child(fds[1], argv, envp);
    close(fds[1]);
    fds[1] = -1;
    if (wait_child(pid, fds[0], out, cap, status) < 0) {
        bz_error_set(e, E_BACKUP, "等待 %s 结束失败", program);
        rc = bz_error_detail(e, "%s", strerror(errno));
    }
out:
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    for (size_t i = 0; i <= MAX_ENV; i++)
        free(store[i]);
    return rc;
}
