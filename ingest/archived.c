#include "archived.h"

#include "../common/fsdir.h"
#include "../common/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
is_sha(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* Opens archive/ab/cd for the digest, made when `create`. */
static int
open_level(const struct settings *s, const char *sha256, int create, int *cd, struct bz_error *e)
{
    char level[3] = {sha256[0], sha256[1], '\0'}, shown[BZ_PATH_MAX + 16];
    int top = -1, ab = -1;
    unsigned flags = FSDIR_OWN | (create ? FSDIR_CREATE : 0);
    *cd = -1;
    int rc = fsdir_open(s->archive, flags, &top, e);
    if (rc == 0) {
        snprintf(shown, sizeof(shown), "%s/%.2s", s->archive, sha256);
        rc = fsdir_sub(top, level, shown, flags, &ab, e);
    }
    if (rc == 0) {
        level[0] = sha256[2];
        level[1] = sha256[3];
        snprintf(shown, sizeof(shown), "%s/%.2s/%.2s", s->archive, sha256, sha256 + 2);
        rc = fsdir_sub(ab, level, shown, flags, cd, e);
    }
    if (rc == 0 && create && (fsync(ab) < 0 || fsync(top) < 0))
        rc = fsdir_io_error(e, "写入归档", s->archive);
    if (top >= 0)
        close(top);
    if (ab >= 0)
        close(ab);
    return rc;
}

int
archived_put(const struct settings *s, const void *data, size_t len, char sha256[65],
             struct bz_error *e)
{
    int cd;
    hash_sha256_hex(data, len, sha256);
    int rc = open_level(s, sha256, 1, &cd, e);
    if (rc < 0)
        return rc;
    int fd = openat(cd, sha256, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        char got[65];
        int64_t size;
        int intact = hash_fd_hex(fd, got, &size) == 0 && strcmp(got, sha256) == 0;
        close(fd);
        if (intact) {
            close(cd);
            return 0;
        }
        unlinkat(cd, sha256, 0); /* torn by a power cut before its sync: made again */
    }
    char shown[BZ_PATH_MAX + 80];
    snprintf(shown, sizeof(shown), "%s/%.2s/%.2s/%s", s->archive, sha256, sha256 + 2, sha256);
    rc = fsdir_write(cd, sha256, shown, data, len, FSDIR_EXCL | FSDIR_DURABLE, e);
    if (rc == BZ_ECONFLICT) { /* made meanwhile by another process: the same bytes */
        bz_error_clear(e);
        rc = 0;
    }
    close(cd);
    return rc;
}

int
archived_open(const struct settings *s, const char *sha256, int *fd, int64_t *size,
              struct bz_error *e)
{
    char shown[BZ_PATH_MAX + 80], got[65];
    int cd;
    *fd = -1;
    if (!is_sha(sha256))
        return bz_error_set(e, E_JOURNAL, "日志中的 SHA-256“%s”格式错误", sha256);
    snprintf(shown, sizeof(shown), "%s/%.2s/%.2s/%s", s->archive, sha256, sha256 + 2, sha256);
    int rc = open_level(s, sha256, 0, &cd, e);
    if (rc == BZ_ENOTFOUND)
        return bz_error_set(e, E_NOINPUT, "归档中没有文件“%s”", shown);
    if (rc < 0)
        return rc;
    int f = openat(cd, sha256, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int err = errno;
    close(cd);
    if (f < 0 && err == ENOENT)
        return bz_error_set(e, E_NOINPUT, "归档中没有文件“%s”", shown);
    if (f < 0) {
        errno = err;
        return fsdir_io_error(e, "读取归档", shown);
    }
    struct stat st;
    if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return bz_error_set(e, E_JOURNAL, "归档项“%s”不是普通文件", shown);
    }
    if (hash_fd_hex(f, got, size) < 0) {
        rc = fsdir_io_error(e, "读取归档", shown);
        close(f);
        return rc;
    }
    if (strcmp(got, sha256) != 0) {
        close(f);
        bz_error_set(e, E_JOURNAL, "归档项“%s”的内容与其 SHA-256 不符（已损坏）", shown);
        return bz_error_detail(e, "实际 SHA-256 %s", got);
    }
    *fd = f;
    return 0;
}

int
archived_read(const struct settings *s, const char *sha256, size_t limit, char **data, size_t *len,
              struct bz_error *e)
{
    int fd;
    int64_t size;
    *data = NULL;
    *len = 0;
    int rc = archived_open(s, sha256, &fd, &size, e);
    if (rc < 0)
        return rc;
    if ((uint64_t)size > limit) {
        close(fd);
        return bz_error_set(e, E_JOURNAL, "归档项 %s 超过 %zu 字节", sha256, limit);
    }
    char *buf = malloc((size_t)size + 1);
    if (buf == NULL) {
        close(fd);
        return bz_error_set(e, E_NOMEM, "内存不足");
    }
    size_t got = 0;
    while (got < (size_t)size) {
        ssize_t r = pread(fd, buf + got, (size_t)size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = fsdir_io_error(e, "读取归档", sha256);
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}
