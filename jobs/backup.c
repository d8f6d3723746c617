#include "backup.h"

#include "../common/buildinfo.h"
#include "../common/fsdir.h"
#include "../common/hash.h"
#include "../common/journal.h"
#include "../load/db.h"
#include "../load/instance.h"
#include "../load/jstate.h"
#include "../load/pgtool.h"
#include "../load/regcsv.h"
#include "regcopy.h"
#include "session.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "bizenv-backup-"
#define SUFFIX ".tar"
#define MANIFEST "bizenv-backup.txt"
#define CHUNK 65536
/* The manifest is a few lines; the journal a few MB a year at a province;
 * the small members are the registry copies and the id. */
#define MANIFEST_MAX (64u << 10)
#define JOURNAL_MAX (1ull << 30)
#define SMALL_MAX (16u << 20)

/* The members, in the order they are written and the most each may be
 * when read back; db.dump is limited only by the disk. */
enum member { M_DUMP, M_JOURNAL, M_ID, M_TOWNSHIPS, M_COUNTIES, M_MANIFEST, M_COUNT };
static const char *const member_names[M_COUNT] = {"db.dump",       "journal.log",  "bizenv.id",
                                                  "townships.csv", "counties.csv", MANIFEST};
static const unsigned long long member_max[M_COUNT] = {~0ull,     JOURNAL_MAX, 64,
                                                       SMALL_MAX, SMALL_MAX,   MANIFEST_MAX};

static int
fail(struct bz_error *e, const char *what, const char *path)
{
    return fsdir_io_error(e, what, path);
}

/* Where each member comes from when a backup is made (-1: not present). */
struct source {
    int fd[M_COUNT];
    long long size[M_COUNT];
    char sha[M_COUNT][65];
};

static int
hash_fd(int fd, char sha[65], long long *size)
{
    int64_t n = 0;
    int rc = hash_fd_hex(fd, sha, &n);
    *size = n;
    return rc;
}

/* Opens an optional file of the home for the backup (absent = -1). */
static int
open_optional(const char *path, int *fd, struct bz_error *e)
{
    *fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0 && errno != ENOENT)
        return fail(e, "读取文件", path);
    return 0;
}

/* Writes member m from fd (its bytes from offset 0) into the tar. */
static int
write_member(struct archive *a, const char *name, int fd, long long size, time_t t,
             const char *shown, struct bz_error *e)
{
    struct archive_entry *ent = archive_entry_new();
    if (ent == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法写备份");
    archive_entry_set_pathname(ent, name);
    archive_entry_set_size(ent, size);
    archive_entry_set_filetype(ent, AE_IFREG);
    archive_entry_set_perm(ent, 0640);
    archive_entry_set_mtime(ent, t, 0);
    int rc = 0;
    if (archive_write_header(a, ent) != ARCHIVE_OK) {
        bz_error_set(e, E_IO_WRITE, "写入备份“%s”失败", shown);
        rc = bz_error_detail(e, "%s", archive_error_string(a));
    }
    archive_entry_free(ent);
    char *buf = rc == 0 ? malloc(CHUNK) : NULL;
    if (rc == 0 && buf == NULL)
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法写备份");
    for (long long off = 0; rc == 0 && off < size;) {
        size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? fail(e, "读取", name)
                       : bz_error_set(e, E_IO_READ, "备份时“%s”变短了", name);
            break;
        }
        if (archive_write_data(a, buf, (size_t)n) != n) {
            bz_error_set(e, E_IO_WRITE, "写入备份“%s”失败", shown);
            rc = bz_error_detail(e, "%s", archive_error_string(a));
        }
        off += n;
    }
    free(buf);
    return rc;
}

static int
write_text_member(struct archive *a, const char *name, const char *text, time_t t,
                  const char *shown, struct bz_error *e)
{
    struct archive_entry *ent = archive_entry_new();
    size_t len = strlen(text);
    if (ent == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法写备份");
    archive_entry_set_pathname(ent, name);
    archive_entry_set_size(ent, (la_int64_t)len);
    archive_entry_set_filetype(ent, AE_IFREG);
    archive_entry_set_perm(ent, 0640);
    archive_entry_set_mtime(ent, t, 0);
    int rc = 0;
    if (archive_write_header(a, ent) != ARCHIVE_OK ||
        archive_write_data(a, text, len) != (la_ssize_t)len) {
        bz_error_set(e, E_IO_WRITE, "写入备份“%s”失败", shown);
        rc = bz_error_detail(e, "%s", archive_error_string(a));
    }
    archive_entry_free(ent);
    return rc;
}

static void
manifest_text(const struct source *src, const char *instance, const struct journal *j,
              const char *created, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap,
                                "bizenv-backup 1\ninstance %s\njournal %s\nseq %lld\n"
                                "build %s\ncreated %s\n",
                                instance, j->id, j->last_seq, buildinfo_label(), created);
    for (int m = 0; m < M_MANIFEST && n < cap; m++)
        if (src->fd[m] >= 0)
            n += (size_t)snprintf(out + n, cap - n, "member %s %lld %s\n", member_names[m],
                                  src->size[m], src->sha[m]);
}

/* The tar itself, into out (a new file), from the sources. */
static int
write_tar(int out, const struct source *src, const char *manifest, const char *shown,
          struct bz_error *e)
{
    struct archive *a = archive_write_new();
    int rc = 0;
    time_t t = time(NULL);
    if (a == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法写备份");
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(a, out) != ARCHIVE_OK) {
        bz_error_set(e, E_IO_WRITE, "写入备份“%s”失败", shown);
        rc = bz_error_detail(e, "%s", archive_error_string(a));
    }
    for (int m = 0; rc == 0 && m < M_MANIFEST; m++)
        if (src->fd[m] >= 0)
            rc = write_member(a, member_names[m], src->fd[m], src->size[m], t, shown, e);
    if (rc == 0)
        rc = write_text_member(a, MANIFEST, manifest, t, shown, e);
    if (archive_write_close(a) != ARCHIVE_OK && rc == 0) {
        bz_error_set(e, E_IO_WRITE, "写入备份“%s”失败", shown);
        rc = bz_error_detail(e, "%s", archive_error_string(a));
    }
    archive_write_free(a);
    return rc;
}

/* pg_dump -Fc of conn's database into path. */
static int
dump(PGconn *conn, const struct settings *s, const char *path, struct bz_error *e)
{
    char out[PGTOOL_OUTPUT_CAP], file[BZ_PATH_MAX + 160];
    int status;
    snprintf(file, sizeof(file), "--file=%s", path);
    const char *args[] = {"--format=custom", "--no-password", file, NULL};
    int rc = pgtool_run(conn, s, "pg_dump", args, &status, out, sizeof(out), e);
    if (rc == 0 && status != 0) {
        bz_error_set(e, E_BACKUP, "pg_dump 失败（退出码 %d），未生成备份", status);
        rc = bz_error_detail(e, "%s", out);
    }
    return rc;
}

/* Removes what a killed backup left in dir: our temporary names. */
static void
sweep(int dir)
{
    DIR *d = fdopendir(dup(dir));
    if (d == NULL)
        return;
    rewinddir(d); /* the dup shares dir's offset */
    const struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, ".bizenv-dump-", 13) == 0 ||
            strncmp(de->d_name, ".bizenv-backup-", 15) == 0)
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

static void
close_sources(struct source *src)
{
    for (int m = 0; m < M_COUNT; m++)
        if (src->fd[m] >= 0)
            close(src->fd[m]);
}

/* Opens and hashes every member but the dump. */
static int
gather(const struct settings *s, struct source *src, struct bz_error *e)
{
    char path[BZ_PATH_MAX + 32];
    int rc = open_optional(s->journal, &src->fd[M_JOURNAL], e);
    if (rc == 0 && src->fd[M_JOURNAL] < 0)
        rc = bz_error_set(e, E_JOURNAL, "日志“%s”不存在，无法备份", s->journal);
    snprintf(path, sizeof(path), "%s/bizenv.id", s->home);
    if (rc == 0)
        rc = open_optional(path, &src->fd[M_ID], e);
    if (rc == 0)
        rc = open_optional(s->registry, &src->fd[M_TOWNSHIPS], e);
    snprintf(path, sizeof(path), "%s/" REGCOPY_COUNTIES, s->home);
    if (rc == 0)
        rc = open_optional(path, &src->fd[M_COUNTIES], e);
    for (int m = 0; rc == 0 && m < M_MANIFEST; m++)
        if (src->fd[m] >= 0 && hash_fd(src->fd[m], src->sha[m], &src->size[m]) < 0)
            rc = fail(e, "读取", member_names[m]);
    return rc;
}

/* Gives the finished temporary file its name (a second backup within the
 * same second and journal line gets -2, -3, ...). */
static int
name_backup(int dir, const char *tmp, const char *dirpath, long long seq, char *path, size_t cap,
            struct bz_error *e)
{
    char base[128], name[160], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    snprintf(base, sizeof(base), PREFIX "%s-j%012lld", stamp, seq);
    for (int k = 1; k < 100; k++) {
        if (k == 1)
            snprintf(name, sizeof(name), "%s" SUFFIX, base);
        else
            snprintf(name, sizeof(name), "%s-%d" SUFFIX, base, k);
        if (fsdir_rename_noreplace(dir, tmp, dir, name) == 0) {
            if ((size_t)snprintf(path, cap, "%s/%s", dirpath, name) >= cap)
                path[0] = '\0'; /* the caller's room is BZ_PATH_MAX + 128: never */
            if (fsync(dir) < 0)
                return fail(e, "写入备份", path);
            return 0;
        }
        if (errno != EEXIST)
            return fail(e, "写入备份", dirpath);
    }
    return bz_error_set(e, E_IO_WRITE, "备份目录“%s”中同名备份过多", dirpath);
}

int
backup_make(PGconn *conn, const struct settings *s, const char *dir, struct backup_result *r,
            struct bz_error *e)
{
    struct source src;
    struct journal j;
    struct instance_home h;
    char dump_tmp[64], tar_tmp[64], dump_path[BZ_PATH_MAX + 80], created[40], manifest[4096];
    const char *dirpath = dir != NULL ? dir : s->backups;
    int dfd = -1, out = -1;

    memset(r, 0, sizeof(*r));
    memset(&src, 0, sizeof(src));
    for (int m = 0; m < M_COUNT; m++)
        src.fd[m] = -1;
    j.fd = -1;
    snprintf(dump_tmp, sizeof(dump_tmp), ".bizenv-dump-%ld.tmp", (long)getpid());
    snprintf(tar_tmp, sizeof(tar_tmp), ".bizenv-backup-%ld.tmp", (long)getpid());
    snprintf(dump_path, sizeof(dump_path), "%s/%s", dirpath, dump_tmp);
    int rc = fsdir_open(dirpath, FSDIR_CREATE | (dir == NULL ? FSDIR_OWN : 0), &dfd, e);
    if (rc < 0)
        return rc;
    if (dir == NULL)
        sweep(dfd);
    unlinkat(dfd, dump_tmp, 0);
    unlinkat(dfd, tar_tmp, 0);
    /* the journal's last line (and id) for the name and manifest */
    rc = journal_open_append(s->journal, &j, e);
    if (rc == 0)
        rc = instance_home_read(s, &h, e);
    if (rc == 0)
        rc = gather(s, &src, e);
    if (rc == 0)
        rc = fsdir_create(dfd, dump_tmp, dump_path, 0600, &src.fd[M_DUMP], e);
    if (rc == 0)
        rc = dump(conn, s, dump_path, e);
    if (rc == 0 && hash_fd(src.fd[M_DUMP], src.sha[M_DUMP], &src.size[M_DUMP]) < 0)
        rc = fail(e, "读取", dump_path);
    if (rc == 0) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S%z", &tm);
        manifest_text(&src, h.id, &j, created, manifest, sizeof(manifest));
        rc = fsdir_create(dfd, tar_tmp, dirpath, 0640, &out, e);
    }
    if (rc == 0)
        rc = write_tar(out, &src, manifest, dirpath, e);
    if (rc == 0 && fsync(out) < 0)
        rc = fail(e, "写入备份", dirpath);
    if (rc == 0) {
        struct stat st;
        r->size = fstat(out, &st) == 0 ? (long long)st.st_size : 0;
        r->seq = j.last_seq;
        rc = name_backup(dfd, tar_tmp, dirpath, j.last_seq, r->path, sizeof(r->path), e);
    }
    if (out >= 0)
        close(out);
    close_sources(&src);
    journal_close(&j);
    unlinkat(dfd, dump_tmp, 0);
    if (rc < 0)
        unlinkat(dfd, tar_tmp, 0);
    close(dfd);
    return rc;
}

static int
is_backup_name(const char *name)
{
    size_t n = strlen(name);
    return n > strlen(PREFIX) + strlen(SUFFIX) && strncmp(name, PREFIX, strlen(PREFIX)) == 0 &&
           strcmp(name + n - strlen(SUFFIX), SUFFIX) == 0;
}

static int
by_name_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The backups in dfd, newest first (names sort by time). */
static int
list_backups(int dfd, char ***names, size_t *n)
{
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    DIR *d = fdopendir(dup(dfd));
    if (d == NULL)
        return -1;
    /* the dup shares dfd's offset, which an earlier listing left at the end */
    rewinddir(d);
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_backup_name(de->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **g = realloc(*names, cap * sizeof(*g));
            if (g == NULL)
                break;
            *names = g;
        }
        if (((*names)[*n] = strdup(de->d_name)) != NULL)
            (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(*names, *n, sizeof(**names), by_name_desc);
    return 0;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The journal line a backup's name says it holds; -1 when unreadable. */
static long long
seq_of(const char *name)
{
    const char *j = strstr(name, "-j");
    return j != NULL ? strtoll(j + 2, NULL, 10) : -1;
}

int
backup_nightly(PGconn *conn, const struct settings *s, struct backup_result *r, struct bz_error *e)
{
    struct journal j;
    char **names = NULL;
    size_t n = 0;
    int dfd;
    memset(r, 0, sizeof(*r));
    int rc = fsdir_open(s->backups, FSDIR_CREATE | FSDIR_OWN, &dfd, e);
    if (rc < 0)
        return rc;
    rc = journal_open_append(s->journal, &j, e);
    if (rc == 0) {
        list_backups(dfd, &names, &n);
        if (n > 0 && seq_of(names[0]) == j.last_seq) {
            journal_close(&j);
            free_names(names, n);
            close(dfd);
            return 0; /* nothing happened since the newest backup */
        }
        journal_close(&j);
        free_names(names, n);
        rc = backup_make(conn, s, NULL, r, e);
    }
    if (rc == 0 && list_backups(dfd, &names, &n) == 0) {
        for (size_t i = (size_t)s->backup_keep; i < n; i++)
            unlinkat(dfd, names[i], 0);
        free_names(names, n);
    }
    close(dfd);
    return rc;
}

/* Restore ------------------------------------------------------------------- */

struct extracted {
    char dir[BZ_PATH_MAX + 64]; /* the temporary folder in the home */
    int dfd;
    int present[M_COUNT];
    long long size[M_COUNT];
    char sha[M_COUNT][65];
    char *manifest; /* its text */
};

static int
member_index(const char *name)
{
    for (int m = 0; m < M_COUNT; m++)
        if (strcmp(name, member_names[m]) == 0)
            return m;
    return -1;
}

/* Copies the current entry's data into a new file of the temporary
 * folder, hashing it; the manifest is also kept in memory. */
static int
extract_one(struct archive *a, struct extracted *x, int m, const char *file, struct bz_error *e)
{
    int fd;
    struct hash_ctx h;
    long long total = 0;
    char buf[CHUNK];
    struct dbuf text;
    dbuf_init(&text, MANIFEST_MAX);
    int rc = fsdir_create(x->dfd, member_names[m], member_names[m], 0600, &fd, e);
    if (rc < 0)
        return rc;
    hash_init(&h);
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
        if (n < 0) {
            bz_error_set(e, E_BACKUP_FILE, "备份文件“%s”已损坏（%s）", file, member_names[m]);
            rc = bz_error_detail(e, "%s", archive_error_string(a));
            break;
        }
        if (n == 0)
            break;
        total += n;
        if ((unsigned long long)total > member_max[m]) {
            rc = bz_error_set(e, E_BACKUP_FILE, "备份文件“%s”中的 %s 过大", file, member_names[m]);
            break;
        }
        hash_update(&h, buf, (size_t)n);
        if (m == M_MANIFEST && dbuf_add(&text, buf, (size_t)n) < 0) {
            rc = bz_error_set(e, E_BACKUP_FILE, "备份清单过大");
            break;
        }
        for (la_ssize_t off = 0; rc == 0 && off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                rc = fail(e, "写入", x->dir);
            else
                off += w;
        }
        if (rc < 0)
            break;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = fail(e, "写入", x->dir);
    close(fd);
    if (rc == 0) {
        hash_final_hex(&h, x->sha[m]);
        x->size[m] = total;
        x->present[m] = 1;
        if (m == M_MANIFEST) {
            x->manifest = text.data != NULL ? text.data : strdup("");
            text.data = NULL;
        }
    }
    dbuf_free(&text);
    return rc;
}

static int
extract(const char *file, struct extracted *x, struct bz_error *e)
{
    struct archive *a = archive_read_new();
    struct archive_entry *ent;
    int rc = 0;
    if (a == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足");
    archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, file, CHUNK) != ARCHIVE_OK) {
        bz_error_set(e, E_NOINPUT, "无法打开备份文件“%s”", file);
        rc = bz_error_detail(e, "%s", archive_error_string(a));
        archive_read_free(a);
        return rc;
    }
    for (;;) {
        int r = archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            bz_error_set(e, E_BACKUP_FILE, "备份文件“%s”不是 bizenv 的备份或已损坏", file);
            rc = bz_error_detail(e, "%s", archive_error_string(a));
            break;
        }
        int m = member_index(archive_entry_pathname(ent));
        if (m < 0 || x->present[m] || archive_entry_filetype(ent) != AE_IFREG) {
            rc = bz_error_set(e, E_BACKUP_FILE, "备份文件“%s”含有意外的条目“%s”", file,
                              archive_entry_pathname(ent));
            break;
        }
        rc = extract_one(a, x, m, file, e);
        if (rc < 0)
            break;
    }
    archive_read_free(a);
    return rc;
}

/* Checks every member against the manifest; fills r from it. */
static int
check_manifest(const struct extracted *x, const char *file, struct backup_restored *r,
               struct bz_error *e)
{
    int listed[M_COUNT] = {0};
    if (!x->present[M_MANIFEST] || strncmp(x->manifest, "bizenv-backup 1\n", 16) != 0)
        return bz_error_set(e, E_BACKUP_FILE, "备份文件“%s”缺少清单，或清单版本不认识", file);
    for (const char *p = x->manifest; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512], name[64], sha[65];
        long long size;
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
        if (sscanf(line, "member %63s %lld %64s", name, &size, sha) == 3) {
            int m = member_index(name);
            if (m < 0 || m == M_MANIFEST || !x->present[m] || x->size[m] != size ||
                strcmp(x->sha[m], sha) != 0)
                return bz_error_set(e, E_BACKUP_FILE,
                                    "备份文件“%s”中的 %s 与清单不符（缺少或已损坏）", file, name);
            listed[m] = 1;
        } else if (strncmp(line, "instance ", 9) == 0) {
            bz_strlcpy_utf8(r->instance, line + 9, sizeof(r->instance));
        } else if (strncmp(line, "created ", 8) == 0) {
            bz_strlcpy_utf8(r->created, line + 8, sizeof(r->created));
        } else if (strncmp(line, "build ", 6) == 0) {
            bz_strlcpy_utf8(r->build, line + 6, sizeof(r->build));
        } else if (strncmp(line, "seq ", 4) == 0) {
            r->seq = strtoll(line + 4, NULL, 10);
        }
        p += len + (nl != NULL);
    }
    for (int m = 0; m < M_MANIFEST; m++)
        if (x->present[m] && !listed[m])
            return bz_error_set(e, E_BACKUP_FILE, "备份文件“%s”中的 %s 不在清单中", file,
                                member_names[m]);
    if (!listed[M_DUMP] || !listed[M_JOURNAL])
        return bz_error_set(e, E_BACKUP_FILE, "备份文件“%s”缺少数据库转储或日志", file);
    return 0;
}

/* pg_restore of the dump into conn's database, which must be new. */
static int
restore_dump(PGconn *conn, const struct settings *s, const char *dump_path, struct bz_error *e)
{
    int empty, rebuilding, schema;
    char jid[33], out[PGTOOL_OUTPUT_CAP], db[256];
    int rc = jstate_empty(conn, &empty, &rebuilding, jid, e);
    if (rc < 0)
        return rc;
    rc = jstate_schema(conn, &schema, e);
    if (rc < 0)
        return rc;
    if (schema) {
        bz_error_set(
            e, E_DB_NOT_EMPTY,
            "数据库“%s”已有 bizenv 的表（%s），恢复只写入新建的空数据库；bizenv 没有改动它",
            PQdb(conn), empty ? "虽然没有数据" : "并且有数据");
        return bz_error_detail(e, "新建一个空数据库（createdb），用 --db 指向它；"
                                  "或删除内置数据库目录 pg/ 后重试");
    }
    rc = jstate_roles(conn, e);
    if (rc < 0)
        return rc;
    snprintf(db, sizeof(db), "--dbname=%s", PQdb(conn));
    const char *args[] = {
        "--no-owner", "--exit-on-error", "--single-transaction", "--no-password", db, dump_path,
        NULL};
    int status;
    rc = pgtool_run(conn, s, "pg_restore", args, &status, out, sizeof(out), e);
    if (rc == 0 && status != 0) {
        bz_error_set(e, E_BACKUP, "pg_restore 失败（退出码 %d），数据库没有改动", status);
        rc = bz_error_detail(e, "%s", out);
    }
    return rc;
}

/* The home's journal and registry copies from the extracted members. */
static int
place_files(const struct settings *s, const struct extracted *x, struct bz_error *e)
{
    char src[BZ_PATH_MAX + 128], dest[BZ_PATH_MAX + 32];
    snprintf(src, sizeof(src), "%s/%s", x->dir, member_names[M_JOURNAL]);
    int rc = regcopy_save_file(src, s->journal, JOURNAL_MAX, 1, e);
    if (rc == 0 && x->present[M_TOWNSHIPS]) {
        snprintf(src, sizeof(src), "%s/%s", x->dir, member_names[M_TOWNSHIPS]);
        rc = regcopy_save_file(src, s->registry, REGCSV_MAX_BYTES, 0, e);
    }
    if (rc == 0 && x->present[M_COUNTIES]) {
        snprintf(src, sizeof(src), "%s/%s", x->dir, member_names[M_COUNTIES]);
        snprintf(dest, sizeof(dest), "%s/" REGCOPY_COUNTIES, s->home);
        rc = regcopy_save_file(src, dest, REGCSV_MAX_BYTES, 0, e);
    }
    return rc;
}

static void
remove_extracted(struct extracted *x)
{
    if (x->dfd >= 0) {
        for (int m = 0; m < M_COUNT; m++)
            unlinkat(x->dfd, member_names[m], 0);
        close(x->dfd);
        rmdir(x->dir);
    }
    free(x->manifest);
}

/* The home must be new: no history, no journal. */
static int
home_is_new(const struct settings *s, struct bz_error *e)
{
    struct instance_home h;
    struct stat st;
    int rc = instance_home_read(s, &h, e);
    if (rc < 0)
        return rc;
    if (h.history)
        return bz_error_set(e, E_HOME_NOT_EMPTY,
                            "工作目录“%s”已有历史记录（%s），恢复只写入新的空工作目录", s->home,
                            h.evidence);
    if (lstat(s->journal, &st) == 0)
        return bz_error_set(e, E_HOME_NOT_EMPTY, "工作目录已有日志“%s”，恢复只写入新的空工作目录",
                            s->journal);
    return 0;
}

int
backup_restore(struct cli *cli, const char *file, struct backup_restored *r, struct bz_error *e)
{
    const struct settings *s = &cli->settings;
    struct extracted x;
    char dump_path[BZ_PATH_MAX + 128];
    memset(&x, 0, sizeof(x));
    memset(r, 0, sizeof(*r));
    x.dfd = -1;
    int rc = home_is_new(s, e);
    if (rc == 0)
        rc = session_folders(s, e);
    if (rc < 0)
        return rc;
    int home;
    rc = fsdir_open(s->home, FSDIR_OWN, &home, e);
    if (rc < 0)
        return rc;
    snprintf(x.dir, sizeof(x.dir), "%s/.restore-%ld", s->home, (long)getpid());
    char sub[64];
    snprintf(sub, sizeof(sub), ".restore-%ld", (long)getpid());
    if (mkdirat(home, sub, 0700) < 0 && errno != EEXIST)
        rc = fail(e, "创建目录", x.dir);
    if (rc == 0)
        rc = fsdir_sub(home, sub, x.dir, FSDIR_OWN, &x.dfd, e);
    close(home);
    if (rc == 0)
        rc = extract(file, &x, e);
    if (rc == 0)
        rc = check_manifest(&x, file, r, e);
    PGconn *conn = NULL;
    if (rc == 0 && (conn = db_connect_create(s, CLUSTER_CREATE_NEW_HOME, e)) == NULL)
        rc = e->status;
    snprintf(dump_path, sizeof(dump_path), "%s/%s", x.dir, member_names[M_DUMP]);
    if (rc == 0)
        rc = restore_dump(conn, s, dump_path, e);
    PQfinish(conn);
    conn = NULL;
    /* the home takes the database's id; pending migrations are applied */
    if (rc == 0 && (conn = session_connect(cli, SESSION_WRITE_HOME, 0, e)) == NULL)
        rc = e->status;
    PQfinish(conn);
    if (rc == 0)
        rc = place_files(s, &x, e);
    remove_extracted(&x);
    return rc;
}
