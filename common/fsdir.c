/* renameat2(2) */
#ifdef __linux__
#define _GNU_SOURCE
#endif
#include "fsdir.h"

#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Folder depth walked by fsdir_inside before giving up (a path of 64
 * levels is far beyond any home). */
#define INSIDE_MAX_DEPTH 64

const char *
fsdir_split(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, cap, ".");
    else
        snprintf(dir, cap, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return slash ? slash + 1 : path;
}

int
fsdir_io_error(struct bz_error *e, const char *what, const char *shown)
{
    int err = errno;
    if (err == ENOMEM)
        bz_error_set(e, E_NOMEM, "%s“%s”失败", what, shown);
    else
        bz_error_set(e, err == ENOSPC || err == EDQUOT ? E_IO_WRITE : E_IO_READ, "%s“%s”失败", what,
                     shown);
    return bz_error_detail(e, "%s", strerror(err));
}

/* Checks an open folder as FSDIR_OWN does. Returns 0 or BZ_ECONFIG. */
static int
fsdir_check(int fd, const char *shown, struct bz_error *e)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fsdir_io_error(e, "检查目录", shown);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
        bz_error_set(e, E_HOME_UNSAFE, "目录“%s”不安全：须为运行用户所有、其他用户不可写的真实目录",
                     shown);
        return bz_error_detail(e, "uid %lu (运行用户 %lu), mode %03o%s", (unsigned long)st.st_uid,
                               (unsigned long)geteuid(), (unsigned)(st.st_mode & 0777),
                               S_ISDIR(st.st_mode) ? "" : ", 不是目录");
    }
    return 0;
}

int
fsdir_mkdirs(const char *path, mode_t mode, struct bz_error *e)
{
    char tmp[BZ_PATH_MAX];
    if (bz_strlcpy_utf8(tmp, path, sizeof(tmp)) != strlen(path))
        return bz_error_set(e, E_CONFIG, "路径过长：%s", path);
    /* usually the folder is there already: one call instead of one per level */
    if (mkdir(tmp, mode) == 0 || errno == EEXIST)
        return 0;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        /* a parent made here is 0755 whatever the umask: a server user
         * must pass through it to reach the home */
        if (mkdir(tmp, 0755) == 0)
            chmod(tmp, 0755);
        else if (errno != EEXIST)
            return fsdir_io_error(e, "创建目录", tmp);
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return fsdir_io_error(e, "创建目录", tmp);
    return 0;
}

/* Checks a freshly opened folder and hands it out, or closes it. */
static int
take_dir(int dfd, const char *shown, unsigned flags, int *fd, struct bz_error *e)
{
    struct stat st;
    int rc = 0;
    if (flags & FSDIR_OWN)
        rc = fsdir_check(dfd, shown, e);
    else if (fstat(dfd, &st) < 0)
        rc = fsdir_io_error(e, "检查目录", shown);
    if (rc < 0) {
        close(dfd);
        return rc;
    }
    *fd = dfd;
    return 0;
}

/* A name that exists but is not a folder (a file, a symlink) is unsafe to
 * use as one; anything else is an I/O failure. */
static int
open_dir_failed(const char *shown, struct bz_error *e)
{
    if (errno == ENOTDIR || errno == ELOOP) {
        bz_error_set(e, E_HOME_UNSAFE, "“%s”不是目录（文件或符号链接），拒绝使用", shown);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    if (errno == ENOENT) {
        bz_error_set(e, E_NOINPUT, "目录“%s”不存在", shown);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    return fsdir_io_error(e, "打开目录", shown);
}

int
fsdir_open(const char *path, unsigned flags, int *fd, struct bz_error *e)
{
    *fd = -1;
    if ((flags & FSDIR_CREATE) && fsdir_mkdirs(path, 0750, e) < 0)
        return e->status;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return open_dir_failed(path, e);
    return take_dir(dfd, path, flags, fd, e);
}

int
fsdir_sub(int dir, const char *name, const char *shown, unsigned flags, int *fd, struct bz_error *e)
{
    *fd = -1;
    if ((flags & FSDIR_CREATE) && mkdirat(dir, name, 0750) < 0 && errno != EEXIST)
        return fsdir_io_error(e, "创建目录", shown);
    int dfd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return open_dir_failed(shown, e);
    return take_dir(dfd, shown, flags, fd, e);
}

int
fsdir_create(int dir, const char *name, const char *shown, mode_t mode, int *fd, struct bz_error *e)
{
    *fd = openat(dir, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (*fd >= 0)
        return 0;
    if (errno == EEXIST)
        return bz_error_set(e, E_FILE_EXISTS, "文件“%s”已存在", shown);
    return fsdir_io_error(e, "创建文件", shown);
}

int
fsdir_rename_noreplace(int from, const char *old, int to, const char *new_name)
{
#ifdef __linux__
    if (renameat2(from, old, to, new_name, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
        /* a filesystem without RENAME_NOREPLACE: check, then rename */
#endif
    struct stat st;
    if (fstatat(to, new_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    return renameat(from, old, to, new_name);
}

int
fsdir_write_all(int fd, const void *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

/* A temporary name of this process in dir, created exclusively. A stale
 * one (a killed run whose pid came back) is removed and made again. */
static int
create_tmp(int dir, char *tmp, size_t cap, const char *shown, int *fd, struct bz_error *e)
{
    static unsigned long seq;
    for (int attempt = 0; attempt < 2; attempt++) {
        snprintf(tmp, cap, ".bizenv-%ld-%lu.tmp", (long)getpid(), ++seq);
        int rc = fsdir_create(dir, tmp, shown, 0640, fd, e);
        if (rc != BZ_ECONFLICT)
            return rc;
        unlinkat(dir, tmp, 0);
    }
    return e->status;
}

/* Writes and (when durable) fsyncs fd; closes it. Returns 0 or the failure. */
static int
fill(int fd, const void *data, size_t len, unsigned flags, const char *shown, struct bz_error *e)
{
    int rc = 0;
    if (fsdir_write_all(fd, data, len) < 0 || ((flags & FSDIR_DURABLE) && fsync(fd) < 0))
        rc = fsdir_io_error(e, "写入", shown);
    if (close(fd) < 0 && rc == 0)
        rc = fsdir_io_error(e, "写入", shown);
    return rc;
}

#ifdef __linux__
/*
 * A new file that never replaces: written unnamed (O_TMPFILE), then given
 * its name with linkat, which fails on an existing name. A run killed
 * meanwhile leaves nothing behind. Returns 0, BZ_ECONFLICT, BZ_EIO, or 1
 * when the filesystem or /proc cannot do it (the caller falls back).
 */
static int
write_unnamed(int dir, const char *name, const char *shown, const void *data, size_t len,
              unsigned flags, struct bz_error *e)
{
    char proc[64];
    int fd = openat(dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
    if (fd < 0)
        return errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL
                   ? 1
                   : fsdir_io_error(e, "写入", shown);
    if (fsdir_write_all(fd, data, len) < 0 || ((flags & FSDIR_DURABLE) && fsync(fd) < 0)) {
        int rc = fsdir_io_error(e, "写入", shown);
        close(fd);
        return rc;
    }
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    int r = linkat(AT_FDCWD, proc, dir, name, AT_SYMLINK_FOLLOW);
    int err = errno;
    close(fd);
    if (r == 0)
        return 0;
    if (err == EEXIST)
        return bz_error_set(e, E_FILE_EXISTS, "文件“%s”已存在", shown);
    if (err == ENOENT || err == EPERM || err == EOPNOTSUPP)
        return 1; /* no /proc, or no hard links here */
    errno = err;
    return fsdir_io_error(e, "写入", shown);
}
#endif

int
fsdir_write(int dir, const char *name, const char *shown, const void *data, size_t len,
            unsigned flags, struct bz_error *e)
{
    char tmp[64];
    int fd, rc;
#ifdef __linux__
    if (flags & FSDIR_EXCL) {
        rc = write_unnamed(dir, name, shown, data, len, flags, e);
        if (rc <= 0) {
            if (rc == 0 && (flags & FSDIR_DURABLE) && fsync(dir) < 0)
                return fsdir_io_error(e, "写入", shown);
            return rc;
        }
    }
#endif
    rc = create_tmp(dir, tmp, sizeof(tmp), shown, &fd, e);
    if (rc == 0)
        rc = fill(fd, data, len, flags, shown, e);
    if (rc == 0) {
        int r = (flags & FSDIR_EXCL) ? fsdir_rename_noreplace(dir, tmp, dir, name)
                                     : renameat(dir, tmp, dir, name);
        if (r < 0 && errno == EEXIST)
            rc = bz_error_set(e, E_FILE_EXISTS, "文件“%s”已存在", shown);
        else if (r < 0)
            rc = fsdir_io_error(e, "写入", shown);
    }
    if (rc < 0) {
        unlinkat(dir, tmp, 0);
        return rc;
    }
    if ((flags & FSDIR_DURABLE) && fsync(dir) < 0)
        return fsdir_io_error(e, "写入", shown);
    return 0;
}

int
fsdir_inside(int fd, dev_t dev, ino_t ino)
{
    struct stat st, up;
    int here = dup(fd);
    int found = 0;
    if (here < 0)
        return 0;
    for (int depth = 0; depth < INSIDE_MAX_DEPTH; depth++) {
        if (fstat(here, &st) < 0)
            break;
        if (st.st_dev == dev && st.st_ino == ino) {
            found = 1;
            break;
        }
        int parent = openat(here, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0 || fstat(parent, &up) < 0) {
            if (parent >= 0)
                close(parent);
            break;
        }
        close(here);
        here = parent;
        if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
            break; /* the root: its ".." is itself */
    }
    close(here);
    return found;
}
