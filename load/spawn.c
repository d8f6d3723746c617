#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Appends n bytes to the tail buffer out (len bytes so far), keeping only
 * the last cap-1 bytes, NUL-terminated. */
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

/* The child side: never returns. Nothing is printed except into the pipe
 * the parent collects. */
static void
child_exec(int outfd, char *const argv[], const struct spawn_opts *o)
{
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
        _exit(127);
    closefrom(3);
    if (o->dir != NULL && chdir(o->dir) != 0)
        _exit(127);
    if (o->umask >= 0)
        umask((mode_t)o->umask);
    const struct spawn_user *u = o->user;
    if (u != NULL &&
        (initgroups(u->name, u->gid) != 0 || setgid(u->gid) != 0 || setuid(u->uid) != 0)) {
        dprintf(2, "bizenv: cannot switch to user %s: %s\n", u->name, strerror(errno));
        _exit(126);
    }
    execve(argv[0], argv, o->envp);
    dprintf(2, "bizenv: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Says in out why the program did not run, keeping errno. */
static int
failed(char *out, size_t cap, const char *what, int code)
{
    int err = errno;
    snprintf(out, cap, "%s: %s", what, strerror(err));
    errno = err;
    return code;
}

int
spawn_run(char *const argv[], const struct spawn_opts *o, char *out, size_t cap)
{
    size_t len = 0;
    int fds[2];

    out[0] = '\0';
    /* close-on-exec so no program but the child keeps the pipe (a
     * postmaster pg_ctl starts must not, or the read below would never
     * see EOF) */
    if (pipe(fds) != 0)
        return failed(out, cap, "pipe", SPAWN_NOSTART);
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        failed(out, cap, "fcntl", SPAWN_NOSTART);
        close(fds[0]);
        close(fds[1]);
        return SPAWN_NOSTART;
    }
    fflush(NULL); /* the child must not flush our buffers a second time */
    pid_t pid = fork();
    if (pid < 0) {
        failed(out, cap, "fork", SPAWN_NOSTART);
        close(fds[0]);
        close(fds[1]);
        return SPAWN_NOSTART;
    }
    if (pid == 0)
        child_exec(fds[1], argv, o);
    close(fds[1]);
    for (;;) {
        char chunk[512];
        ssize_t n = read(fds[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        tail_append(out, cap, &len, chunk, (size_t)n);
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return failed(out, cap, "waitpid", SPAWN_NOWAIT);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
