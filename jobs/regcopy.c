#include "regcopy.h"

#include "../common/fsdir.h"
#include "../common/settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
read_all(const char *src, size_t limit, char **data, size_t *len, struct bz_error *e)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        bz_error_set(e, E_IO_READ, "无法读取文件“%s”", src);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    /* room for what the file holds now (and one byte to see it grow past
     * the limit), not for the limit: the journal's is a gigabyte */
    struct stat st;
    size_t want = fstat(fd, &st) == 0 && st.st_size >= 0 && (size_t)st.st_size < limit
                      ? (size_t)st.st_size
                      : limit;
    char *buf = malloc(want + 1);
    size_t n = 0;
    int rc = 0;
    if (buf == NULL) {
        rc = bz_error_set(e, E_NOMEM, "内存不足");
        goto out;
    }
    while (n <= want) {
        ssize_t got = read(fd, buf + n, want + 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            bz_error_set(e, E_IO_READ, "无法读取文件“%s”", src);
            rc = bz_error_detail(e, "%s", strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (n > want)
        rc = bz_error_set(e, E_IO_READ, "文件“%s”超过 %zu 字节，或在读取时变大", src, limit);
out:
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return 0;
}

/* Writes data to tmp in dfd, synced; removes it on failure. Returns 0 or
 * -1 with errno set. */
static int
write_tmp(int dfd, const char *tmp, const char *data, size_t len)
{
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int ok = fsdir_write_all(fd, data, len) == 0 && fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        unlinkat(dfd, tmp, 0);
        errno = err;
        return -1;
    }
    return 0;
}

/* Writes data to dest through a synced temporary file; with `excl` an
 * existing dest is never replaced (E_FILE_EXISTS). */
static int
save(const char *data, size_t len, const char *dest, int excl, struct bz_error *e)
{
    char dir[BZ_PATH_MAX], tmp[BZ_PATH_MAX];
    int rc = 0;

    const char *base = fsdir_split(dest, dir, sizeof(dir));
    if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", base, (long)getpid()) >= sizeof(tmp))
        return bz_error_set(e, E_IO_WRITE, "路径过长：“%s”", dest);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || write_tmp(dfd, tmp, data, len) < 0)
        goto fail;
    if ((excl ? fsdir_rename_noreplace(dfd, tmp, dfd, base) : renameat(dfd, tmp, dfd, base)) < 0) {
        int err = errno;
        unlinkat(dfd, tmp, 0);
        errno = err;
        if (err == EEXIST) {
            rc = bz_error_set(e, E_FILE_EXISTS, "“%s”已存在，不会被替换", dest);
            goto out;
        }
        goto fail;
    }
    if (fsync(dfd) < 0) /* the rename itself made durable */
        goto fail;
    goto out;
fail:
    rc = errno;
    bz_error_set(e, E_IO_WRITE, "无法保存“%s”", dest);
    rc = bz_error_detail(e, "%s", strerror(rc));
out:
    if (dfd >= 0)
        close(dfd);
    return rc;
}

int
regcopy_save(const char *data, size_t len, const char *dest, struct bz_error *e)
{
    return save(data, len, dest, 0, e);
}

int
regcopy_save_file(const char *src, const char *dest, size_t limit, int excl, struct bz_error *e)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_all(src, limit, &data, &len, e);
    if (rc == 0)
        rc = save(data, len, dest, excl, e);
    free(data);
    return rc;
}
