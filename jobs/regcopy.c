#include "regcopy.h"

#include "../common/settings.h"
#include "../common/fsdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int
regcopy_save(const char *data, size_t len, const char *dest, struct bz_error *e)
{
    char dir[BZ_PATH_MAX], tmp[BZ_PATH_MAX];
    int rc = 0;

    const char *slash = strrchr(dest, '/');
    const char *base = slash ? slash + 1 : dest;
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", slash == dest ? 1 : (int)(slash - dest), dest);
    if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", base, (long)getpid()) >= sizeof(tmp))
        return bz_error_set(e, E_IO_WRITE, "路径过长：“%s”", dest);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || write_tmp(dfd, tmp, data, len) < 0)
        goto fail;
    if (renameat(dfd, tmp, dfd, base) < 0) {
        int err = errno;
        unlinkat(dfd, tmp, 0);
        errno = err;
        goto fail;
    }
    if (fsync(dfd) < 0) /* the rename itself made durable */
        goto fail;
    goto out;
fail:
    rc = errno;
    bz_error_set(e, E_IO_WRITE, "无法保存名录副本“%s”", dest);
    rc = bz_error_detail(e, "%s", strerror(rc));
out:
    if (dfd >= 0)
        close(dfd);
    return rc;
}
