#include "runlock.h"

#include "../common/fsdir.h"
#include "../load/runs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens run.lock in the home's descriptor: never through a symlink, and
 * only a plain file of the run's own user. Returns the fd or -1 with e set. */
static int
open_lock(const struct settings *s, const char *path, struct bz_error *e)
{
    struct stat st;
    int home;
    if (fsdir_open(s->home[0] ? s->home : ".", FSDIR_OWN, &home, e) < 0)
        return -1;
    int fd = openat(home, "run.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
    int err = errno;
    close(home);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        return fd;
    if (fd >= 0 || err == ELOOP) {
        if (fd >= 0)
            close(fd);
        bz_error_set(e, E_HOME_UNSAFE,
                     "锁文件“%s”不是运行用户自己的普通文件（符号链接、目录或属于他人），拒绝使用",
                     path);
        return -1;
    }
    bz_error_set(e, E_IO_WRITE, "无法打开锁文件“%s”", path);
    bz_error_detail(e, "%s", strerror(err));
    return -1;
}

int
runlock_file(struct runlock *l, const struct settings *s, struct bz_error *e)
{
    char path[BZ_PATH_MAX + 16];
    l->fd = -1;
    snprintf(path, sizeof(path), "%s/run.lock", s->home);
    int fd = open_lock(s, path, e);
    if (fd < 0)
        return e->status;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int busy = errno == EWOULDBLOCK;
        close(fd);
        if (busy)
            return bz_error_set(e, E_BUSY, "另一个 bizenv 任务正在运行（%s 已被锁定）", path);
        bz_error_set(e, E_IO_WRITE, "无法锁定“%s”", path);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    if (ftruncate(fd, 0) == 0) {
        char pid[32];
        int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        if (write(fd, pid, (size_t)n) < 0) {
            /* the pid is only informative */
        }
    }
    l->fd = fd;
    return 0;
}

/* A run killed mid-statement leaves its backend holding the lock until the
 * server notices the client is gone (client_connection_check_interval, one
 * second): retry for a little longer than that before calling it busy. */
#define DB_LOCK_TRIES 6
#define DB_LOCK_PAUSE_US 500000

int
runlock_db(PGconn *conn, struct bz_error *e)
{
    for (int i = 0; i < DB_LOCK_TRIES; i++) {
        int got;
        int rc = runs_try_lock(conn, &got, e);
        if (rc < 0)
            return rc;
        if (got)
            return 0;
        if (i + 1 < DB_LOCK_TRIES)
            usleep(DB_LOCK_PAUSE_US);
    }
    return bz_error_set(e, E_BUSY, "另一个 bizenv 任务正在使用同一数据库运行");
}

void
runlock_release(struct runlock *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}
