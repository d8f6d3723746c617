/* syncfs(2) */
#ifdef __linux__
#define _GNU_SOURCE
#endif
#include "inbox.h"

#include "../common/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Archive copies go through a 64 KB buffer: large enough that a 256 MB
 * file is a few thousand reads, small enough to live on the stack. */
#define COPY_CHUNK 65536

static int
io_error(struct bz_error *e, const char *what, const char *path)
{
    int err = errno;
    if (err == ENOMEM) /* opendir, fopen: the kernel or libc had no memory */
        bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "%s“%s”失败", what, path);
    else
        bz_error_set(e, BZ_EIO, err == ENOSPC ? "E_IO_WRITE" : "E_IO_READ", "%s“%s”失败", what,
                     path);
    return bz_error_detail(e, "%s", strerror(err));
}

static int
join(char *buf, size_t cap, const char *a, const char *b, struct bz_error *e)
{
    int n = snprintf(buf, cap, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= cap)
        return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "路径过长：%s/%s", a, b);
    return 0;
}

int
inbox_mkdirs(const char *path, struct bz_error *e)
{
    char tmp[BZ_PATH_MAX];
    if (bz_strlcpy_utf8(tmp, path, sizeof(tmp)) != strlen(path))
        return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "路径过长：%s", path);
    /* usually the folder is there already: one call instead of one per level */
    if (mkdir(tmp, 0750) == 0 || errno == EEXIST)
        return 0;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
            return io_error(e, "创建目录", tmp);
        *p = '/';
    }
    if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
        return io_error(e, "创建目录", tmp);
    return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Still being uploaded: left alone (submission-format.md, Inbox hygiene). */
static int
skipped_name(const char *name)
{
    return name[0] == '.' || ends_with(name, ".part") || ends_with(name, ".tmp");
}

static int
fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int
inbox_recover(const char *inbox, struct bz_error *e)
{
    char claim[BZ_PATH_MAX];
    if (join(claim, sizeof(claim), inbox, INBOX_CLAIM_DIR, e) < 0)
        return e->status;
    DIR *d = opendir(claim);
    if (d == NULL)
        return errno == ENOENT ? 0 : io_error(e, "读取目录", claim);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char from[BZ_PATH_MAX], to[BZ_PATH_MAX];
        if (join(from, sizeof(from), claim, de->d_name, e) < 0 ||
            join(to, sizeof(to), inbox, de->d_name, e) < 0) {
            rc = e->status;
            break;
        }
        /* renameat2(RENAME_NOREPLACE) is not in C11/POSIX: link-free check
         * is enough because the caller holds the run lock. */
        struct stat st;
        if (lstat(to, &st) == 0)
            continue;
        if (rename(from, to) < 0)
            rc = io_error(e, "移回收件箱", from);
    }
    closedir(d);
    return rc;
}

static int
by_mtime_then_name(const void *a, const void *b)
{
    const struct inbox_file *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Appends the takeable entries of one folder to the list. */
static int
scan_dir(const char *dir, int claimed, size_t max, struct inbox_file **files, size_t *n,
         size_t *cap, struct bz_error *e)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT && claimed)
            return 0;
        if (errno == ENOENT) {
            bz_error_set(e, BZ_ENOTFOUND, "E_NOINPUT", "收件箱目录“%s”不存在", dir);
            return e->status;
        }
        return io_error(e, "读取目录", dir);
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!claimed && skipped_name(de->d_name))
            continue;
        if (claimed && (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0))
            continue;
        if (strlen(de->d_name) > INBOX_NAME_MAX || *n >= max)
            continue; /* left for a later run (or, for an over-long name, for a person) */
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            struct inbox_file *p = realloc(*files, ncap * sizeof(*p));
            if (p == NULL) {
                rc = bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足");
                break;
            }
            *files = p;
            *cap = ncap;
        }
        struct inbox_file *f = &(*files)[*n];
        char path[BZ_PATH_MAX];
        memset(f, 0, sizeof(*f));
        if (join(path, sizeof(path), dir, de->d_name, e) < 0) {
            rc = e->status;
            break;
        }
        struct stat st;
        if (lstat(path, &st) < 0)
            continue; /* vanished meanwhile */
        f->name = strdup(de->d_name);
        f->path = strdup(path);
        if (f->name == NULL || f->path == NULL) {
            free(f->name);
            free(f->path);
            rc = bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足");
            break;
        }
        f->mtime = st.st_mtim;
        f->regular = S_ISREG(st.st_mode);
        f->size = f->regular ? (int64_t)st.st_size : 0;
        (*n)++;
    }
    closedir(d);
    return rc;
}

int
inbox_scan(const char *inbox, size_t max, struct inbox_file **files, size_t *n, struct bz_error *e)
{
    char claim[BZ_PATH_MAX];
    size_t cap = 0;
    *files = NULL;
    *n = 0;
    int rc = join(claim, sizeof(claim), inbox, INBOX_CLAIM_DIR, e);
    if (rc == 0)
        rc = scan_dir(claim, 1, max, files, n, &cap, e);
    if (rc == 0)
        rc = scan_dir(inbox, 0, max, files, n, &cap, e);
    if (rc < 0) {
        inbox_files_free(*files, *n);
        *files = NULL;
        *n = 0;
        return rc;
    }
    if (*n > 1)
        qsort(*files, *n, sizeof(**files), by_mtime_then_name);
    return 0;
}

void
inbox_files_free(struct inbox_file *files, size_t n)
{
    for (size_t i = 0; files != NULL && i < n; i++) {
        free(files[i].name);
        free(files[i].path);
    }
    free(files);
}

/* Renames f to `to` and records its new place; the copy is made first, so
 * running out of memory leaves the file where it was. */
static int
move_to(struct inbox_file *f, const char *to, const char *what, struct bz_error *e)
{
    char *np = strdup(to);
    if (np == NULL)
        return bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足");
    if (rename(f->path, np) < 0) {
        int saved = errno;
        free(np);
        errno = saved;
        if (errno == ENOENT && what == NULL)
            return bz_error_set(e, BZ_ENOTFOUND, "E_NOINPUT", "文件“%s”已被取走", f->name);
        return io_error(e, what != NULL ? what : "领取文件", f->path);
    }
    free(f->path);
    f->path = np;
    return 0;
}

int
inbox_claim(const char *inbox, struct inbox_file *f, struct bz_error *e)
{
    char claim[BZ_PATH_MAX], to[BZ_PATH_MAX];
    if (join(claim, sizeof(claim), inbox, INBOX_CLAIM_DIR, e) < 0 ||
        join(to, sizeof(to), claim, f->name, e) < 0)
        return e->status;
    if (strcmp(f->path, to) == 0)
        return 0; /* left claimed by a killed run */
    if (mkdir(claim, 0750) < 0 && errno != EEXIST)
        return io_error(e, "创建目录", claim);
    struct stat st;
    if (lstat(to, &st) == 0)
        return bz_error_set(e, BZ_ECONFLICT, "E_IO_WRITE", "待处理目录中已有同名文件“%s”", f->name);
    return move_to(f, to, NULL, e);
}

/* Copies fd to a new file `tmp` while hashing; fsyncs it when durable. */
static int
copy_hashing(int in, const char *tmp, char sha256[65], int durable, struct bz_error *e)
{
    unsigned char buf[COPY_CHUNK];
    struct hash_ctx h;
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (out < 0)
        return io_error(e, "写入归档", tmp);
    hash_init(&h);
    int rc = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = io_error(e, "读取文件", tmp);
            break;
        }
        if (r == 0)
            break;
        hash_update(&h, buf, (size_t)r);
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = io_error(e, "写入归档", tmp);
                goto out;
            }
            off += w;
        }
    }
    if (rc == 0 && durable && fsync(out) < 0)
        rc = io_error(e, "写入归档", tmp);
out:
    if (close(out) < 0 && rc == 0)
        rc = io_error(e, "写入归档", tmp);
    if (rc == 0)
        hash_final_hex(&h, sha256);
    return rc;
}

/* 1 when the file at path has exactly the bytes of sha256. An archive
 * entry written by a deferred run that lost power before its sync may be
 * empty or torn; such an entry is replaced, never trusted. */
static int
intact(const char *path, const char *sha256)
{
    unsigned char buf[COPY_CHUNK];
    struct hash_ctx h;
    char got[65];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    hash_init(&h);
    ssize_t r;
    while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
        if (r > 0)
            hash_update(&h, buf, (size_t)r);
    close(fd);
    if (r < 0)
        return 0;
    hash_final_hex(&h, got);
    return strcmp(got, sha256) == 0;
}

static int
archive(const struct settings *s, const struct inbox_file *f, char sha256[65], char *archive_path,
        size_t cap, int durable, struct bz_error *e)
{
    char tmp[BZ_PATH_MAX], dir[BZ_PATH_MAX];
    int rc, in;

    if (!f->regular) {
        bz_error_set(e, BZ_EINPUT, "E_FILE_NOT_REGULAR", "“%s”不是普通文件（目录、管道或链接）",
                     f->name);
        return e->status;
    }
    in = open(f->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0)
        return io_error(e, "读取文件", f->path);
    rc = inbox_mkdirs(s->archive, e);
    if (rc == 0 && snprintf(tmp, sizeof(tmp), "%s/.incoming-%ld", s->archive, (long)getpid()) >=
                       (int)sizeof(tmp))
        rc = bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "归档路径过长");
    if (rc == 0)
        rc = copy_hashing(in, tmp, sha256, durable, e);
    close(in);
    if (rc < 0)
        goto out;
    if (snprintf(dir, sizeof(dir), "%s/%.2s/%.2s", s->archive, sha256, sha256 + 2) >=
            (int)sizeof(dir) ||
        snprintf(archive_path, cap, "%s/%s", dir, sha256) >= (int)cap) {
        rc = bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "归档路径过长");
        goto out;
    }
    rc = inbox_mkdirs(dir, e);
    if (rc < 0)
        goto out;
    struct stat st;
    if (stat(archive_path, &st) == 0 && intact(archive_path, sha256)) {
        goto out; /* the same bytes are already archived */
    }
    if (rename(tmp, archive_path) < 0) {
        rc = io_error(e, "写入归档", archive_path);
        goto out;
    }
    if (durable && fsync_dir(dir) < 0)
        rc = io_error(e, "写入归档", dir);
out:
    unlink(tmp);
    return rc;
}

int
inbox_archive(const struct settings *s, const struct inbox_file *f, char sha256[65],
              char *archive_path, size_t cap, struct bz_error *e)
{
    return archive(s, f, sha256, archive_path, cap, 1, e);
}

int
inbox_archive_deferred(const struct settings *s, const struct inbox_file *f, char sha256[65],
                       char *archive_path, size_t cap, struct bz_error *e)
{
    return archive(s, f, sha256, archive_path, cap, 0, e);
}

static int
sync_path(const char *path, struct bz_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(e, "同步磁盘", path);
    int rc = fsync(fd) < 0 ? io_error(e, "同步磁盘", path) : 0;
    close(fd);
    return rc;
}

/* The filesystems a sync_all has already synced (Linux: one syncfs each). */
struct synced {
    dev_t dev[16];
    size_t n;
};

/* Makes what was written in folder `dir` durable: on Linux one syncfs(2)
 * of its filesystem, unless already done — it writes back and commits
 * everything written there (data, inodes, directory entries) and reports
 * a writeback error of any of it; elsewhere an fsync of the folder (its
 * files are fsynced one by one). */
static int
sync_folder(const char *dir, struct synced *done, struct bz_error *e)
{
#ifdef __linux__
    int fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return io_error(e, "同步磁盘", dir);
    }
    size_t k = 0;
    while (k < done->n && done->dev[k] != st.st_dev)
        k++;
    int rc = 0;
    if (k == done->n) {
        rc = syncfs(fd) < 0 ? io_error(e, "同步磁盘", dir) : 0;
        if (done->n < sizeof(done->dev) / sizeof(done->dev[0]))
            done->dev[done->n++] = st.st_dev;
    }
    close(fd);
    return rc;
#else
    (void)done;
    return sync_path(dir, e);
#endif
}

int
inbox_sync_all(const char *list, size_t len, struct bz_error *e)
{
#ifdef __linux__
    const int each_file = 0; /* syncfs covers the files */
#else
    const int each_file = 1;
#endif
    struct synced done = {.n = 0};
    char dir[BZ_PATH_MAX], last[BZ_PATH_MAX] = "";
    for (size_t off = 0; off < len;) {
        const char *path = list + off;
        off += strlen(path) + 1;
        const char *slash = strrchr(path, '/');
        int has_dir = slash != NULL && (size_t)(slash - path) < sizeof(dir);
        /* a path without a folder is not expected (paths are absolute) */
        int rc = each_file || !has_dir ? sync_path(path, e) : 0;
        if (rc == 0 && has_dir) {
            memcpy(dir, path, (size_t)(slash - path));
            dir[slash - path] = '\0';
            /* each folder once in a row: a batch's files come grouped */
            if (strcmp(dir, last) != 0) {
                rc = sync_folder(dir, &done, e);
                memcpy(last, dir, sizeof(dir));
            }
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
inbox_done(const struct inbox_file *f, struct bz_error *e)
{
    if (unlink(f->path) < 0 && errno != ENOENT)
        return io_error(e, "删除已归档文件", f->path);
    return 0;
}

/* Finds a free name dir/name, dir/name.1, dir/name.2, ... */
static int
free_name(char *out, size_t cap, const char *dir, const char *name, struct bz_error *e)
{
    struct stat st;
    for (int i = 0; i < 10000; i++) {
        int n = i == 0 ? snprintf(out, cap, "%s/%s", dir, name)
                       : snprintf(out, cap, "%s/%s.%d", dir, name, i);
        if (n < 0 || (size_t)n >= cap)
            return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "隔离区路径过长");
        if (lstat(out, &st) < 0 && errno == ENOENT)
            return 0;
    }
    return bz_error_set(e, BZ_EIO, "E_IO_WRITE", "隔离区中同名文件过多：%s", name);
}

static int
write_file(const char *path, const char *text, size_t len, int durable, struct bz_error *e)
{
    char tmp[BZ_PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "路径过长：%s", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return io_error(e, "写入", tmp);
    size_t w = fwrite(text, 1, len, f);
    int bad = w != len || fflush(f) != 0 || (durable && fsync(fileno(f)) != 0);
    if (fclose(f) != 0)
        bad = 1;
    if (bad || rename(tmp, path) < 0) {
        int rc = io_error(e, "写入", path);
        unlink(tmp);
        return rc;
    }
    return 0;
}

int
inbox_quarantine(const struct settings *s, struct inbox_file *f, const char *day,
                 const char *receipt, size_t receipt_len, struct bz_error *e)
{
    char dir[BZ_PATH_MAX], to[BZ_PATH_MAX], rpath[BZ_PATH_MAX + 32];
    int rc = join(dir, sizeof(dir), s->quarantine, day, e);
    if (rc == 0)
        rc = inbox_mkdirs(dir, e);
    if (rc == 0)
        rc = free_name(to, sizeof(to), dir, f->name, e);
    if (rc < 0)
        return rc;
    snprintf(rpath, sizeof(rpath), "%s.回执.txt", to);
    rc = write_file(rpath, receipt, receipt_len, 1, e);
    if (rc < 0)
        return rc;
    return move_to(f, to, "移入隔离区", e);
}

int
inbox_release(const char *inbox, struct inbox_file *f, struct bz_error *e)
{
    char to[BZ_PATH_MAX];
    struct stat st;
    if (join(to, sizeof(to), inbox, f->name, e) < 0)
        return e->status;
    if (lstat(to, &st) == 0)
        return 0; /* a new upload took the name: stay claimed, recovered next run */
    return move_to(f, to, "移回收件箱", e);
}

static int
write_receipt(const struct settings *s, const char *day, const char *name, size_t index,
              const char *text, size_t len, int durable, char *path, struct bz_error *e)
{
    char dir[BZ_PATH_MAX];
    int rc = join(dir, sizeof(dir), s->receipts, day, e);
    if (rc == 0)
        rc = inbox_mkdirs(dir, e);
    if (rc < 0)
        return rc;
    int n = index > 0 ? snprintf(path, BZ_PATH_MAX, "%s/%s.%zu.回执.txt", dir, name, index)
                      : snprintf(path, BZ_PATH_MAX, "%s/%s.回执.txt", dir, name);
    if (n < 0 || (size_t)n >= BZ_PATH_MAX)
        return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "回执路径过长");
    return write_file(path, text, len, durable, e);
}

int
inbox_write_receipt(const struct settings *s, const char *day, const char *name, size_t index,
                    const char *text, size_t len, struct bz_error *e)
{
    char path[BZ_PATH_MAX];
    return write_receipt(s, day, name, index, text, len, 1, path, e);
}

int
inbox_write_receipt_deferred(const struct settings *s, const char *day, const char *name,
                             size_t index, const char *text, size_t len, char path[BZ_PATH_MAX],
                             struct bz_error *e)
{
    return write_receipt(s, day, name, index, text, len, 0, path, e);
}
