#include "export.h"

#include "../common/buildinfo.h"
#include "../common/dbuf.h"
#include "../common/fsdir.h"
#include "../common/hash.h"
#include "../load/db.h"
#include "../load/pgutil.h"
#include "../transform/adx.h"
#include "adxout.h"
#include "csvout.h"
#include "export_data.h"
#include "xlsxout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A county's ranking is kilobytes; a year's roll-up for a province-sized
 * registry (10,000 townships x 19 sub-periods x ~600 bytes) stays under
 * these. */
#define CSV_LIMIT (64u << 20)
#define ADX_LIMIT (512u << 20)

static const char *const kind_names[EXPORT_NKINDS] = {"xlsx", "csv", "adx"};
static const char *const kind_ext[EXPORT_NKINDS] = {".xlsx", ".csv", ".adx.xml"};

static const char record_sql[] =
    "SELECT x.id, x.reproduces_id, x.reproduces_exactly, x.changes_id,"
    "       (SELECT y.as_of::text FROM meta.export y WHERE y.id = x.changes_id)"
    "  FROM meta.record_export($1, $2::date, $3, $4::bigint, $5::text[], $6::text[],"
    "                          $7::text[], $8::bigint[], $9, $10::timestamptz) AS x";

struct job {
    PGconn *conn;
    struct export_data d;
    struct export_result *r;
    int dir;                                    /* the output folder, opened once */
    const char *dir_path;                       /* its path, for messages */
    char tmp[EXPORT_NKINDS][BZ_PATH_MAX + 128]; /* temporary names in dir, "" once renamed */
    int fd[EXPORT_NKINDS]; /* the temporary files, made with O_EXCL; -1 when closed */
    struct bz_error *e;
};

static int
write_fail(struct job *j, enum export_kind k)
{
    bz_error_set(j->e, E_IO_WRITE, "无法写入导出文件“%s”", j->r->files[k].path);
    return bz_error_detail(j->e, "%s", strerror(errno));
}

static int
write_all(struct job *j, enum export_kind k, const void *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = write(j->fd[k], (const char *)data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return write_fail(j, k);
        off += (size_t)n;
    }
    return 0;
}

/* Makes the temporary file of kind k, never through a name someone else
 * put there: a leftover of a killed export is removed and made anew. */
static int
open_tmp(struct job *j, enum export_kind k)
{
    int rc = fsdir_create(j->dir, j->tmp[k], j->tmp[k], 0644, &j->fd[k], j->e);
    if (rc == BZ_ECONFLICT && unlinkat(j->dir, j->tmp[k], 0) == 0)
        rc = fsdir_create(j->dir, j->tmp[k], j->tmp[k], 0644, &j->fd[k], j->e);
    return rc;
}

/* Durable, then closed. */
static int
close_tmp(struct job *j, enum export_kind k)
{
    int bad = fsync(j->fd[k]) != 0;
    bad |= close(j->fd[k]) != 0;
    j->fd[k] = -1;
    return bad ? write_fail(j, k) : 0;
}

/* SHA-256 and size of a written file (the workbook is written by libxlsxwriter). */
static int
hash_file(struct job *j, enum export_kind k)
{
    struct export_file *f = &j->r->files[k];
    struct hash_ctx h;
    unsigned char buf[65536];
    hash_init(&h);
    f->size = 0;
    for (;;) {
        ssize_t n = pread(j->fd[k], buf, sizeof(buf), (off_t)f->size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            bz_error_set(j->e, E_IO_READ, "无法读取导出文件“%s”", f->path);
            return bz_error_detail(j->e, "%s", strerror(errno));
        }
        if (n == 0)
            break;
        hash_update(&h, buf, (size_t)n);
        f->size += (long long)n;
    }
    hash_final_hex(&h, f->sha256);
    return 0;
}

static int
write_text(struct job *j, enum export_kind k, const struct dbuf *b)
{
    int rc = open_tmp(j, k);
    if (rc == 0)
        rc = write_all(j, k, b->data ? b->data : "", b->len);
    if (rc == 0)
        rc = close_tmp(j, k);
    if (rc == 0)
        hash_sha256_hex(b->data ? b->data : "", b->len, j->r->files[k].sha256);
    j->r->files[k].size = (long long)b->len;
    return rc;
}

static int
write_csv(struct job *j)
{
    struct dbuf b;
    dbuf_init(&b, CSV_LIMIT);
    int rc = csvout_render(&j->d, &b);
    if (rc < 0)
        rc = rc == BZ_ENOMEM ? bz_error_set(j->e, E_NOMEM, "内存不足，无法生成 CSV")
                             : bz_error_set(j->e, E_EXPORT, "CSV 超过大小上限");
    else
        rc = write_text(j, EXPORT_CSV, &b);
    dbuf_free(&b);
    return rc;
}

/* Renders the roll-up, validates it against its own XSD, writes it. */
static int
write_adx(struct job *j)
{
    struct dbuf b;
    struct diag_list diags;
    struct adx_doc doc;
    memset(&doc, 0, sizeof(doc));
    dbuf_init(&b, ADX_LIMIT);
    diag_list_init(&diags, 16);
    int rc = adxout_render(&j->d, &b);
    if (rc < 0) {
        rc = rc == BZ_ENOMEM ? bz_error_set(j->e, E_NOMEM, "内存不足，无法生成 ADX 汇总")
                             : bz_error_set(j->e, E_EXPORT, "ADX 汇总超过大小上限");
        goto out;
    }
    rc = adx_parse((const unsigned char *)b.data, b.len, &doc, &diags, j->e);
    if (rc == 0 && diag_has_errors(&diags)) {
        rc = bz_error_set(j->e, E_EXPORT, "生成的 ADX 汇总未通过 XSD 校验，未写出");
        bz_error_detail(j->e, "[%s] %s", diags.items[0].code, diags.items[0].message);
    }
    if (rc == 0)
        rc = write_text(j, EXPORT_ADX, &b);
    j->r->groups = (int)doc.n;
out:
    adx_doc_free(&doc);
    diag_list_free(&diags);
    dbuf_free(&b);
    return rc;
}

static int
record(struct job *j)
{
    struct dbuf lit[4];
    char sizes[EXPORT_NKINDS][32], run[32];
    const char *names[EXPORT_NKINDS], *shas[EXPORT_NKINDS], *sz[EXPORT_NKINDS];
    PGresult *res = NULL;
    int rc = 0;

    for (int k = 0; k < EXPORT_NKINDS; k++) {
        const char *slash = strrchr(j->r->files[k].path, '/');
        names[k] = slash ? slash + 1 : j->r->files[k].path;
        shas[k] = j->r->files[k].sha256;
        snprintf(sizes[k], sizeof(sizes[k]), "%lld", j->r->files[k].size);
        sz[k] = sizes[k];
    }
    for (int i = 0; i < 4; i++)
        dbuf_init(&lit[i], 1u << 16);
    if (pgutil_array_literal(&lit[0], kind_names, EXPORT_NKINDS) < 0 ||
        pgutil_array_literal(&lit[1], names, EXPORT_NKINDS) < 0 ||
        pgutil_array_literal(&lit[2], shas, EXPORT_NKINDS) < 0 ||
        pgutil_array_literal(&lit[3], sz, EXPORT_NKINDS) < 0) {
        rc = bz_error_set(j->e, E_NOMEM, "内存不足，无法登记导出");
        goto out;
    }
    snprintf(run, sizeof(run), "%lld", j->d.run_id);
    const char *v[] = {j->d.period, j->d.as_of,  j->d.county_code, run,        lit[0].data,
                       lit[1].data, lit[2].data, lit[3].data,      j->d.build, j->d.recorded_at};
    res = PQexecParams(j->conn, record_sql, 10, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        rc = db_error(j->e, j->conn, res, "登记导出");
        goto out;
    }
    j->r->export_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    j->r->reproduces_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    j->r->reproduces_exactly = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    j->r->changes_id = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    snprintf(j->r->changes_as_of, sizeof(j->r->changes_as_of), "%s", PQgetvalue(res, 0, 4));
out:
    PQclear(res);
    for (int i = 0; i < 4; i++)
        dbuf_free(&lit[i]);
    return rc;
}

static int
set_paths(struct job *j, const char *dir)
{
    for (int k = 0; k < EXPORT_NKINDS; k++) {
        struct export_file *f = &j->r->files[k];
        int n = snprintf(f->path, sizeof(f->path), "%s/%s_%s_%s%s", dir, j->d.county_code,
                         j->d.period, j->d.as_of, kind_ext[k]);
        int m = snprintf(j->tmp[k], sizeof(j->tmp[k]), ".%s_%s_%s%s.tmp", j->d.county_code,
                         j->d.period, j->d.as_of, kind_ext[k]);
        if (n < 0 || (size_t)n >= sizeof(f->path) || m < 0 || (size_t)m >= sizeof(j->tmp[k]))
            return bz_error_set(j->e, E_CONFIG, "导出目录路径过长：%s", dir);
    }
    return 0;
}

static int
publish(struct job *j)
{
    for (int k = 0; k < EXPORT_NKINDS; k++) {
        const char *slash = strrchr(j->r->files[k].path, '/');
        if (renameat(j->dir, j->tmp[k], j->dir, slash + 1) != 0) {
            bz_error_set(j->e, E_IO_WRITE, "无法写入导出文件“%s”", j->r->files[k].path);
            return bz_error_detail(j->e, "%s", strerror(errno));
        }
        j->tmp[k][0] = '\0';
    }
    return 0;
}

/* libxlsxwriter writes to a path: on Linux the temporary file's own
 * descriptor is given as one (/proc/self/fd/N), so the workbook lands in
 * the file made above whatever happens to names in the folder. */
static int
write_xlsx(struct job *j)
{
    char path[BZ_PATH_MAX * 2 + 160];
    int rc = open_tmp(j, EXPORT_XLSX);
    if (rc < 0)
        return rc;
#ifdef __linux__
    snprintf(path, sizeof(path), "/proc/self/fd/%d", j->fd[EXPORT_XLSX]);
#else
    snprintf(path, sizeof(path), "%s/%s", j->dir_path, j->tmp[EXPORT_XLSX]);
#endif
    /* the CSV is written first: its SHA-256 is the workbook's trace code */
    rc = xlsxout_write(&j->d, j->r->files[EXPORT_CSV].sha256, path, j->e);
    if (rc < 0)
        return bz_error_reword(j->e, "写入工作簿“%s”失败", j->r->files[EXPORT_XLSX].path);
    rc = hash_file(j, EXPORT_XLSX);
    if (rc == 0)
        rc = close_tmp(j, EXPORT_XLSX);
    return rc;
}

static int
write_files(struct job *j)
{
    int rc = write_csv(j);
    if (rc == 0)
        rc = write_xlsx(j);
    if (rc == 0)
        rc = write_adx(j);
    return rc;
}

/* A replay's time and build in place of this run's. */
static void
take_hook(struct export_data *d, const struct export_hook *hook)
{
    if (hook == NULL)
        return;
    if (hook->exported_at != NULL)
        snprintf(d->exported_at, sizeof(d->exported_at), "%s", hook->exported_at);
    if (hook->recorded_at != NULL)
        snprintf(d->recorded_at, sizeof(d->recorded_at), "%s", hook->recorded_at);
    if (hook->build != NULL)
        snprintf(d->build, sizeof(d->build), "%s", hook->build);
}

static int
export_one(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
           long long run_id, const char *out_dir, const struct export_hook *hook,
           struct export_result *r, struct bz_error *e)
{
    struct job j;
    const char *dir = out_dir != NULL ? out_dir : s->exports;
    int rc;

    memset(&j, 0, sizeof(j));
    memset(r, 0, sizeof(*r));
    j.conn = conn;
    j.r = r;
    j.e = e;
    for (int k = 0; k < EXPORT_NKINDS; k++)
        j.fd[k] = -1;
    j.dir_path = dir;
    /* the county's exports folder is bizenv's own; --out names the user's */
    rc = fsdir_open(dir, FSDIR_CREATE | (out_dir == NULL ? FSDIR_OWN : 0), &j.dir, e);
    if (rc < 0)
        return rc;
    rc = pgutil_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", "开始导出事务", e);
    if (rc < 0) {
        close(j.dir);
        return rc;
    }
    rc = export_data_fetch(conn, s, period, as_of, run_id, &j.d, e);
    if (rc < 0)
        goto out;
    take_hook(&j.d, hook);
    r->townships = PQntuples(j.d.ranking);
    rc = set_paths(&j, dir);
    if (rc == 0)
        rc = write_files(&j);
    if (rc == 0)
        rc = record(&j);
    if (rc == 0)
        rc = publish(&j);
    if (rc == 0 && hook != NULL && hook->before_commit != NULL)
        rc = hook->before_commit(&j.d, r, hook->arg, e);
    if (rc == 0)
        rc = pgutil_exec(conn, "COMMIT", "提交导出记录", e);
out:
    if (rc < 0) {
        pgutil_rollback(conn);
        for (int k = 0; k < EXPORT_NKINDS; k++) {
            if (j.fd[k] >= 0)
                close(j.fd[k]);
            if (j.tmp[k][0] != '\0')
                unlinkat(j.dir, j.tmp[k], 0);
        }
    }
    close(j.dir);
    export_data_free(&j.d);
    return rc;
}

int
export_run(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
           const char *out_dir, struct export_result *r, struct bz_error *e)
{
    return export_one(conn, s, period, as_of, 0, out_dir, NULL, r, e);
}

int
export_run_stored(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
                  long long run_id, const char *out_dir, struct export_result *r,
                  struct bz_error *e)
{
    if (run_id <= 0)
        return bz_error_set(e, E_INTERNAL, "没有指定已保存的排名记录");
    return export_one(conn, s, period, as_of, run_id, out_dir, NULL, r, e);
}

int
export_run_hooked(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
                  long long run_id, const char *out_dir, const struct export_hook *hook,
                  struct export_result *r, struct bz_error *e)
{
    return export_one(conn, s, period, as_of, run_id < 0 ? 0 : run_id, out_dir, hook, r, e);
}
