/* syncfs(2) */
#ifdef __linux__
#define _GNU_SOURCE
#endif
#include "inbox.h"

#include "../common/fsdir.h"
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

/* Room kept after a receipt or quarantine name for what follows it: ".N"
 * (a batch's N-th submission, 20 digits at most), "~K" (the K-th file of
 * that name on that day) and ".回执.txt". Names up to 255 - 40 bytes are
 * kept whole. */
#define TAIL_ROOM 40
/* Files of one name in one day's receipts or quarantine. */
#define MAX_SAME_NAME 9999

static const char receipt_ext[] = ".回执.txt";

#ifdef __linux__
/* syncfs makes a batch's files durable at once (inbox_sync) */
#define SYNC_EACH_FILE 0
#else
#define SYNC_EACH_FILE 1
#endif

int
inbox_mkdirs(const char *path, struct bz_error *e)
{
    return fsdir_mkdirs(path, 0750, e);
}

static int
ends_with(const char *str, const char *suffix)
{
    size_t n = strlen(str), m = strlen(suffix);
    return n >= m && strcmp(str + n - m, suffix) == 0;
}

/* Still being uploaded: left alone (submission-format.md, Inbox hygiene). */
static int
skipped_name(const char *name)
{
    return name[0] == '.' || ends_with(name, ".part") || ends_with(name, ".tmp");
}

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void
inbox_close(struct inbox_dirs *d)
{
    close_fd(&d->inbox);
    close_fd(&d->claim);
    close_fd(&d->archive);
    close_fd(&d->quarantine);
    close_fd(&d->receipts);
    close_fd(&d->quarantine_day);
    close_fd(&d->receipts_day);
}

/* 1 when `path` names a place below `dir` (text only: a configured folder
 * inside the inbox would be reached through names uploaders control). */
static int
below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* No folder of bizenv's may be the inbox or lie inside it. */
static int
outside_inbox(const struct inbox_dirs *d, int fd, const char *path, struct bz_error *e)
{
    struct stat in;
    if (fstat(d->inbox, &in) < 0)
        return fsdir_io_error(e, "检查目录", d->inbox_path);
    if (below(path, d->inbox_path) || fsdir_inside(fd, in.st_dev, in.st_ino))
        return bz_error_set(e, E_CONFIG, "目录“%s”位于收件箱“%s”之内，上传者可以改动它，拒绝使用",
                            path, d->inbox_path);
    return 0;
}

/* The claim rename is atomic only within one filesystem. */
static int
same_filesystem(const struct inbox_dirs *d, const char *claim_path, struct bz_error *e)
{
    struct stat a, b;
    if (fstat(d->inbox, &a) < 0 || fstat(d->claim, &b) < 0)
        return fsdir_io_error(e, "检查目录", d->inbox_path);
    if (a.st_dev != b.st_dev)
        return bz_error_set(e, E_CONFIG,
                            "收件箱“%s”与领取目录“%s”不在同一文件系统，无法原子地领取文件",
                            d->inbox_path, claim_path);
    return 0;
}

static int
open_own(struct inbox_dirs *d, const char *path, int *fd, struct bz_error *e)
{
    int rc = fsdir_open(path, FSDIR_CREATE | FSDIR_OWN, fd, e);
    return rc < 0 ? rc : outside_inbox(d, *fd, path, e);
}

int
inbox_open(const struct settings *s, const char *inbox, const char *day, struct inbox_dirs *d,
           struct bz_error *e)
{
    char claim_path[BZ_PATH_MAX + 16];
    const char *home = s->home[0] ? s->home : ".";
    int home_fd = -1;

    memset(d, 0, sizeof(*d));
    d->inbox = d->claim = d->archive = d->quarantine = d->receipts = -1;
    d->quarantine_day = d->receipts_day = d->also_sync = -1;
    d->s = s;
    d->inbox_path = inbox;
    snprintf(d->day, sizeof(d->day), "%s", day);
    snprintf(claim_path, sizeof(claim_path), "%s/%s", home, INBOX_CLAIM_DIR);

    int rc = fsdir_open(inbox, 0, &d->inbox, e);
    if (rc == BZ_ENOTFOUND)
        bz_error_set(e, E_NOINPUT, "收件箱目录“%s”不存在", inbox);
    if (rc == 0)
        rc = fsdir_open(home, FSDIR_CREATE | FSDIR_OWN, &home_fd, e);
    if (rc == 0)
        rc =
            fsdir_sub(home_fd, INBOX_CLAIM_DIR, claim_path, FSDIR_CREATE | FSDIR_OWN, &d->claim, e);
    if (rc == 0)
        rc = outside_inbox(d, d->claim, claim_path, e);
    if (rc == 0)
        rc = same_filesystem(d, claim_path, e);
    if (rc == 0)
        rc = open_own(d, s->archive, &d->archive, e);
    if (rc == 0)
        rc = open_own(d, s->quarantine, &d->quarantine, e);
    if (rc == 0)
        rc = open_own(d, s->receipts, &d->receipts, e);
    close_fd(&home_fd);
    if (rc < 0)
        inbox_close(d);
    return rc;
}

/* A second descriptor on the same folder for readdir (its own position). */
static DIR *
open_listing(int dir)
{
    int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *dp = fdopendir(fd);
    if (dp == NULL)
        close(fd);
    return dp;
}

static int
dot_or_dotdot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

int
inbox_recover(struct inbox_dirs *d, struct bz_error *e)
{
    DIR *dp = open_listing(d->claim);
    if (dp == NULL)
        return fsdir_io_error(e, "读取目录", INBOX_CLAIM_DIR);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dp)) != NULL) {
        if (dot_or_dotdot(de->d_name))
            continue;
        /* a new upload of the same name keeps it claimed: listed by inbox_scan */
        if (fsdir_rename_noreplace(d->claim, de->d_name, d->inbox, de->d_name) < 0 &&
            errno != EEXIST && errno != ENOENT)
            rc = fsdir_io_error(e, "移回收件箱", de->d_name);
    }
    closedir(dp);
    return rc;
}

/* The order of submission-format.md: modification time, then name; an
 * entry left claimed before an inbox entry of the same name and time, so
 * that every entry has a place of its own (a window's cursor relies on it). */
static int
by_mtime_then_name(const void *a, const void *b)
{
    const struct inbox_file *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return y->claimed - x->claimed;
}

/* A listing being made: at most `max` entries, the first in order, kept
 * as a max-heap (its last entry on top) until it is sorted. */
struct listing {
    const struct inbox_file *after; /* only entries after it; NULL: all */
    struct inbox_file *files;
    size_t n, max;
    size_t seen; /* entries after `after`, kept or not */
};

static void
sift_down(struct inbox_file *h, size_t n, size_t i)
{
    for (;;) {
        size_t top = i, l = 2 * i + 1, r = l + 1;
        if (l < n && by_mtime_then_name(&h[l], &h[top]) > 0)
            top = l;
        if (r < n && by_mtime_then_name(&h[r], &h[top]) > 0)
            top = r;
        if (top == i)
            return;
        struct inbox_file t = h[i];
        h[i] = h[top];
        h[top] = t;
        i = top;
    }
}

static void
sift_up(struct inbox_file *h, size_t i)
{
    while (i > 0 && by_mtime_then_name(&h[i], &h[(i - 1) / 2]) > 0) {
        struct inbox_file t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* Keeps *f (its name not yet copied) if it is among the first `max` after
 * the cursor. Returns 0 or BZ_ENOMEM. */
static int
listing_offer(struct listing *l, const struct inbox_file *f, struct bz_error *e)
{
    if (l->after != NULL && by_mtime_then_name(f, l->after) <= 0)
        return 0;
    l->seen++;
    if (l->n == l->max && (l->max == 0 || by_mtime_then_name(f, &l->files[0]) >= 0))
        return 0; /* after every entry kept: a later listing has it */
    char *name = strdup(f->name);
    if (name == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足");
    if (l->n == l->max) {
        free(l->files[0].name); /* the last one kept gives way */
        l->files[0] = *f;
        l->files[0].name = name;
        sift_down(l->files, l->n, 0);
    } else {
        l->files[l->n] = *f;
        l->files[l->n].name = name;
        sift_up(l->files, l->n++);
    }
    return 0;
}

/* Offers the takeable entries of one folder to the listing. */
static int
scan_dir(int dir, const char *shown, int claimed, struct listing *l, struct bz_error *e)
{
    DIR *dp = open_listing(dir);
    if (dp == NULL)
        return fsdir_io_error(e, "读取目录", shown);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dp)) != NULL) {
        if (!claimed && skipped_name(de->d_name))
            continue;
        if (claimed && dot_or_dotdot(de->d_name))
            continue;
        if (strlen(de->d_name) > INBOX_NAME_MAX)
            continue; /* left for a person */
        struct inbox_file f;
        struct stat st;
        memset(&f, 0, sizeof(f));
        if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* vanished meanwhile */
        f.name = de->d_name;
        f.claimed = claimed;
        f.mtime = st.st_mtim;
        f.regular = S_ISREG(st.st_mode);
        f.size = f.regular ? (int64_t)st.st_size : 0;
        rc = listing_offer(l, &f, e);
    }
    closedir(dp);
    return rc;
}

int
inbox_scan(struct inbox_dirs *d, const struct inbox_file *after, size_t max,
           struct inbox_file **files, size_t *n, size_t *seen, struct bz_error *e)
{
    struct listing l = {after, NULL, 0, max, 0};
    *files = NULL;
    *n = 0;
    if (seen != NULL)
        *seen = 0;
    /* the whole window at once: it is at most `max` entries, and what is
     * listed is not more than what the folders hold */
    if (max > 0 && (l.files = malloc(max * sizeof(*l.files))) == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足");
    int rc = scan_dir(d->claim, INBOX_CLAIM_DIR, 1, &l, e);
    if (rc == 0)
        rc = scan_dir(d->inbox, d->inbox_path, 0, &l, e);
    if (rc < 0) {
        inbox_files_free(l.files, l.n);
        return rc;
    }
    if (l.n > 1)
        qsort(l.files, l.n, sizeof(*l.files), by_mtime_then_name);
    *files = l.files;
    *n = l.n;
    if (seen != NULL)
        *seen = l.seen;
    return 0;
}

void
inbox_files_free(struct inbox_file *files, size_t n)
{
    for (size_t i = 0; files != NULL && i < n; i++)
        free(files[i].name);
    free(files);
}

int
inbox_claim(struct inbox_dirs *d, struct inbox_file *f, struct bz_error *e)
{
    if (f->claimed)
        return 0; /* left claimed by a killed run */
    if (fsdir_rename_noreplace(d->inbox, f->name, d->claim, f->name) == 0) {
        f->claimed = 1;
        return 0;
    }
    switch (errno) {
    case ENOENT:
        return bz_error_set(e, E_NOINPUT, "文件“%s”已被取走", f->name);
    case EEXIST:
        return bz_error_set(e, E_FILE_BUSY, "领取目录中已有同名文件“%s”", f->name);
    case EXDEV:
        return bz_error_set(e, E_CONFIG, "收件箱“%s”与领取目录不在同一挂载点，无法原子地领取文件",
                            d->inbox_path);
    case EACCES:
    case EPERM:
        /* moving a folder to another parent needs write access to it */
        if (!f->regular)
            return bz_error_set(e, E_FILE_BUSY, "无权移动“%s”", f->name);
        break;
    }
    return fsdir_io_error(e, "领取文件", f->name);
}

static int
not_regular(struct bz_error *e, const struct inbox_file *f, const char *what)
{
    return bz_error_set(e, E_FILE_NOT_REGULAR, "“%s”不是普通文件（%s）", f->name, what);
}

/* Opens the claimed entry for reading if it is a regular file of one name:
 * whatever it was when listed, what counts is what was renamed. */
static int
open_claimed(struct inbox_dirs *d, struct inbox_file *f, int *in, struct bz_error *e)
{
    struct stat st;
    *in = openat(d->claim, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (*in < 0) {
        f->regular = 0;
        if (errno == ELOOP)
            return not_regular(e, f, "符号链接");
        if (errno == ENXIO || errno == EISDIR || errno == ENODEV)
            return not_regular(e, f, "目录、管道或设备");
        return fsdir_io_error(e, "读取文件", f->name);
    }
    if (fstat(*in, &st) < 0) {
        close_fd(in);
        return fsdir_io_error(e, "读取文件", f->name);
    }
    f->regular = S_ISREG(st.st_mode) && st.st_nlink == 1;
    if (!f->regular) {
        close_fd(in);
        /* a hard link would make bizenv read (as root) a file named
         * elsewhere, outside the inbox */
        return not_regular(e, f, S_ISREG(st.st_mode) ? "硬链接" : "目录、管道或设备");
    }
    return 0;
}

static int
past(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/*
 * Copies `in` to `out` while hashing, at most max_file_bytes and until the
 * deadline. The inbox file is read here and only here: a file that grows,
 * shrinks or is rewritten meanwhile is judged on the bytes copied.
 */
static int
copy_hashing(struct inbox_dirs *d, struct inbox_file *f, int in, int out,
             const struct timespec *deadline, char sha256[65], struct bz_error *e)
{
    unsigned char buf[COPY_CHUNK];
    struct hash_ctx h;
    long long total = 0, limit = d->s->max_file_bytes;
    hash_init(&h);
    for (;;) {
        if (past(deadline))
            return bz_error_set(e, E_LIMIT_TIME, "读取超过 %lld 秒上限", d->s->parse_timeout_s);
        ssize_t r = read(in, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fsdir_io_error(e, "读取文件", f->name);
        if (r == 0)
            break;
        total += r;
        if (total > limit) {
            f->cut = 1;
            return bz_error_set(e, E_LIMIT_FILE_SIZE,
                                "文件超过 %lld 字节上限（读到第 %lld 字节时停止）", limit, total);
        }
        hash_update(&h, buf, (size_t)r);
        if (fsdir_write_all(out, buf, (size_t)r) < 0)
            return fsdir_io_error(e, "写入归档", d->s->archive);
    }
    f->size = total;
    hash_final_hex(&h, sha256);
    return 0;
}

/* 1 when the file `name` in dir has exactly the bytes of sha256. An
 * archive entry written by a deferred run that lost power before its sync
 * may be empty or torn; such an entry is replaced, never trusted. */
static int
intact(int dir, const char *name, const char *sha256)
{
    unsigned char buf[COPY_CHUNK];
    struct hash_ctx h;
    char got[65];
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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

/* Puts the finished copy `tmp` in place as ab/cd/<sha256>, keeping an
 * intact entry already there. */
static int
file_copy(struct inbox_dirs *d, const char *tmp, int out, const char *sha256, int durable,
          char *archive_path, size_t cap, struct bz_error *e)
{
    char level[3] = {sha256[0], sha256[1], '\0'}, shown[BZ_PATH_MAX + 80];
    int ab = -1, cd = -1;

    if (snprintf(archive_path, cap, "%s/%.2s/%.2s/%s", d->s->archive, sha256, sha256 + 2, sha256) >=
        (int)cap)
        return bz_error_set(e, E_CONFIG, "归档路径过长");
    snprintf(shown, sizeof(shown), "%s/%.2s", d->s->archive, sha256);
    int rc = fsdir_sub(d->archive, level, shown, FSDIR_CREATE | FSDIR_OWN, &ab, e);
    if (rc == 0) {
        level[0] = sha256[2];
        level[1] = sha256[3];
        snprintf(shown, sizeof(shown), "%s/%.2s/%.2s", d->s->archive, sha256, sha256 + 2);
        rc = fsdir_sub(ab, level, shown, FSDIR_CREATE | FSDIR_OWN, &cd, e);
    }
    if (rc == 0 && !intact(cd, sha256, sha256)) {
        if ((durable || SYNC_EACH_FILE) && fsync(out) < 0)
            rc = fsdir_io_error(e, "写入归档", archive_path);
        else if (renameat(d->archive, tmp, cd, sha256) < 0)
            rc = fsdir_io_error(e, "写入归档", archive_path);
        else if ((durable || SYNC_EACH_FILE) && fsync(cd) < 0)
            rc = fsdir_io_error(e, "写入归档", archive_path);
    }
    close_fd(&ab);
    close_fd(&cd);
    return rc;
}

/* A new, exclusive temporary file in archive/ for this process's copy; a
 * stale one of a killed run with the same pid is removed first. */
static int
create_incoming(struct inbox_dirs *d, char tmp[64], int *out, struct bz_error *e)
{
    snprintf(tmp, 64, ".incoming-%ld", (long)getpid());
    int rc = fsdir_create(d->archive, tmp, d->s->archive, 0640, out, e);
    if (rc == BZ_ECONFLICT) {
        unlinkat(d->archive, tmp, 0);
        rc = fsdir_create(d->archive, tmp, d->s->archive, 0640, out, e);
    }
    return rc;
}

int
inbox_archive(struct inbox_dirs *d, struct inbox_file *f, const struct timespec *deadline,
              int durable, char sha256[65], char *archive_path, size_t cap, int *copy,
              struct bz_error *e)
{
    char tmp[64];
    int in = -1, out = -1, ro = -1;

    *copy = -1;
    sha256[0] = '\0';
    int rc = open_claimed(d, f, &in, e);
    if (rc < 0)
        return rc;
    rc = create_incoming(d, tmp, &out, e);
    if (rc == 0)
        rc = copy_hashing(d, f, in, out, deadline, sha256, e);
    /* what the caller gets may only read: a reader process is handed it
     * (ingest/sandbox.h), and the archive entry must stay as written */
    if (rc == 0 && (ro = openat(d->archive, tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rc = fsdir_io_error(e, "读取归档", d->s->archive);
    if (rc == 0)
        rc = file_copy(d, tmp, out, sha256, durable, archive_path, cap, e);
    close_fd(&in);
    if (out >= 0)
        unlinkat(d->archive, tmp, 0); /* still there when the entry was kept or on failure */
    close_fd(&out);
    if (rc < 0) {
        sha256[0] = '\0';
        close_fd(&ro);
        return rc;
    }
    *copy = ro;
    return 0;
}

int
inbox_sync(struct inbox_dirs *d, struct bz_error *e)
{
#ifdef __linux__
    const int dirs[] = {d->archive, d->receipts, d->quarantine, d->also_sync};
    const char *shown[] = {d->s->archive, d->s->receipts, d->s->quarantine, d->s->journal};
    dev_t done[4];
    size_t ndone = 0;
    for (size_t i = 0; i < 4; i++) {
        struct stat st;
        if (dirs[i] < 0)
            continue;
        if (fstat(dirs[i], &st) < 0)
            return fsdir_io_error(e, "同步磁盘", shown[i]);
        size_t k = 0;
        while (k < ndone && done[k] != st.st_dev)
            k++;
        if (k < ndone)
            continue;
        /* writes back and commits everything written on that filesystem
         * (data, inodes, folder entries) and reports a writeback error */
        if (syncfs(dirs[i]) < 0)
            return fsdir_io_error(e, "同步磁盘", shown[i]);
        done[ndone++] = st.st_dev;
    }
#else
    if (d->also_sync >= 0 && fsync(d->also_sync) < 0)
        return fsdir_io_error(e, "同步磁盘", d->s->journal);
#endif
    return 0;
}

int
inbox_done(struct inbox_dirs *d, const struct inbox_file *f, struct bz_error *e)
{
    if (unlinkat(d->claim, f->name, 0) < 0 && errno != ENOENT)
        return fsdir_io_error(e, "删除已归档文件", f->name);
    return 0;
}

/* The name `name` is known by in receipts and quarantine: itself when it
 * fits with TAIL_ROOM to spare, else its first bytes cut on a UTF-8
 * character boundary and "~" and 8 hex digits of its SHA-256, so two long
 * names that share their beginning still differ. */
static void
out_base(const char *name, char base[INBOX_OUT_NAME_MAX + 1])
{
    size_t n = strlen(name);
    if (n + TAIL_ROOM <= INBOX_OUT_NAME_MAX) {
        memcpy(base, name, n + 1);
        return;
    }
    char hex[65];
    hash_sha256_hex(name, n, hex);
    size_t keep = INBOX_OUT_NAME_MAX - TAIL_ROOM - 9;
    while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(base, name, keep);
    base[keep] = '~';
    memcpy(base + keep + 1, hex, 8);
    base[keep + 9] = '\0';
}

/* base + ".index" (index > 0) + "~k" (k > 1) + ext; always fits. */
static void
out_name(char *out, const char *base, size_t index, int k, const char *ext)
{
    char idx[32] = "", same[16] = "";
    if (index > 0)
        snprintf(idx, sizeof(idx), ".%zu", index);
    if (k > 1)
        snprintf(same, sizeof(same), "~%d", k);
    /* base left TAIL_ROOM bytes: the rest always fits */
    if (snprintf(out, INBOX_OUT_NAME_MAX + 1, "%s%s%s%s", base, idx, same, ext) >
        INBOX_OUT_NAME_MAX)
        out[INBOX_OUT_NAME_MAX] = '\0';
}

/* Opens <top>/<day>/ once per run. */
static int
day_dir(struct inbox_dirs *d, int top, const char *top_path, int *fd, struct bz_error *e)
{
    char shown[BZ_PATH_MAX + 32];
    if (*fd >= 0)
        return 0;
    snprintf(shown, sizeof(shown), "%s/%s", top_path, d->day);
    return fsdir_sub(top, d->day, shown, FSDIR_CREATE | FSDIR_OWN, fd, e);
}

/* Writes what quarantine keeps of a file cut for its size: its head, read
 * from the claimed file (never loaded, only for a person to look at). */
static int
quarantine_head(struct inbox_dirs *d, const struct inbox_file *f, const char *qname,
                struct bz_error *e)
{
    unsigned char *head = malloc(INBOX_HEAD_BYTES);
    int in = -1;
    ssize_t n = 0;
    if (head == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足");
    int rc = open_claimed(d, (struct inbox_file *)f, &in, e);
    if (rc == BZ_EINPUT)
        rc = 0; /* no longer a plain file: nothing of it is kept */
    while (rc == 0 && in >= 0 && (n = pread(in, head, INBOX_HEAD_BYTES, 0)) < 0 && errno == EINTR)
        ;
    if (rc == 0 && n < 0)
        rc = fsdir_io_error(e, "读取文件", f->name);
    if (rc == 0)
        rc = fsdir_write(d->quarantine_day, qname, qname, head, (size_t)n,
                         FSDIR_EXCL | FSDIR_DURABLE, e);
    close_fd(&in);
    free(head);
    if (rc == 0 && unlinkat(d->claim, f->name, 0) < 0 && errno != ENOENT)
        rc = fsdir_io_error(e, "删除文件", f->name);
    return rc;
}

int
inbox_quarantine(struct inbox_dirs *d, struct inbox_file *f, const char *receipt,
                 size_t receipt_len, struct bz_error *e)
{
    char base[INBOX_OUT_NAME_MAX + 1], qname[INBOX_OUT_NAME_MAX + 1], rname[INBOX_OUT_NAME_MAX + 1];
    int rc = day_dir(d, d->quarantine, d->s->quarantine, &d->quarantine_day, e);
    if (rc < 0)
        return rc;
    out_base(f->name, base);
    for (int k = 1; k <= MAX_SAME_NAME; k++) {
        struct stat st;
        out_name(qname, base, 0, k, "");
        out_name(rname, base, 0, k, receipt_ext);
        if (fstatat(d->quarantine_day, qname, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        rc = fsdir_write(d->quarantine_day, rname, rname, receipt, receipt_len,
                         FSDIR_EXCL | FSDIR_DURABLE, e);
        if (rc == BZ_ECONFLICT)
            continue;
        if (rc < 0)
            return rc;
        if (f->cut)
            rc = quarantine_head(d, f, qname, e);
        else if (fsdir_rename_noreplace(d->claim, f->name, d->quarantine_day, qname) < 0)
            rc = errno == EEXIST ? BZ_ECONFLICT : fsdir_io_error(e, "移入隔离区", f->name);
        if (rc == 0)
            return 0;
        unlinkat(d->quarantine_day, rname, 0);
        if (rc != BZ_ECONFLICT)
            return rc;
    }
    return bz_error_set(e, E_IO_WRITE, "隔离区中同名文件过多：%s", f->name);
}

int
inbox_release(struct inbox_dirs *d, struct inbox_file *f, struct bz_error *e)
{
    if (!f->claimed)
        return 0;
    if (fsdir_rename_noreplace(d->claim, f->name, d->inbox, f->name) == 0) {
        f->claimed = 0;
        return 0;
    }
    if (errno == EEXIST)
        return 0; /* a new upload took the name: stay claimed, recovered next run */
    return fsdir_io_error(e, "移回收件箱", f->name);
}

int
inbox_write_receipt(struct inbox_dirs *d, const char *name, size_t index, const char *text,
                    size_t len, int durable, char written[INBOX_RECEIPT_NAME], struct bz_error *e)
{
    char base[INBOX_OUT_NAME_MAX + 1];
    unsigned flags = FSDIR_EXCL | (durable || SYNC_EACH_FILE ? FSDIR_DURABLE : 0);
    int rc = day_dir(d, d->receipts, d->s->receipts, &d->receipts_day, e);
    if (rc < 0)
        return rc;
    out_base(name, base);
    for (int k = 1; k <= MAX_SAME_NAME; k++) {
        out_name(written, base, index, k, receipt_ext);
        rc = fsdir_write(d->receipts_day, written, written, text, len, flags, e);
        if (rc != BZ_ECONFLICT)
            return rc;
    }
    return bz_error_set(e, E_IO_WRITE, "回执目录中同名文件过多：%s", name);
}

void
inbox_remove_receipt(struct inbox_dirs *d, const char *written)
{
    if (d->receipts_day >= 0)
        unlinkat(d->receipts_day, written, 0);
}
