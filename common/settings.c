#include "settings.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_INT, K_BYTES, K_STR };

struct row {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size; /* K_STR buffer size */
    const char *def;
    long long min, max;
    const char *doc;
};

#define INT(f, def, lo, hi, doc)                                                                   \
    {                                                                                              \
#f, K_INT, offsetof(struct settings, f), 0, def, lo, hi, doc                               \
    }
#define BYTES(f, def, lo, hi, doc)                                                                 \
    {                                                                                              \
#f, K_BYTES, offsetof(struct settings, f), 0, def, lo, hi, doc                             \
    }
#define STR(f, def, doc)                                                                           \
    {                                                                                              \
#f, K_STR, offsetof(struct settings, f), sizeof(((struct settings *)0)->f), def, 0, 0, doc \
    }

/*
 * The defaults are sized for a county: a package is one XML of some tens of
 * KB plus a signed PDF and a few photos; a batch carries 10-30 of them.
 * They leave room for a prefecture re-sending a year of packages while
 * keeping one file's worst case well inside the memory of a small server.
 */
static const struct row rows[] = {
    BYTES(max_file_bytes, "256M", 1, 1LL << 40, "one inbox file as received"),
    BYTES(max_entry_bytes, "64M", 1, 1LL << 40, "one archive entry after decompression"),
    BYTES(max_xml_bytes, "16M", 1024, 1LL << 31, "one XML document after decompression"),
    BYTES(max_total_bytes, "512M", 1, 1LL << 40, "all bytes decompressed from one inbox file"),
    INT(max_entries, "2000", 1, 1000000, "entries in one inbox file, nested packages included"),
    INT(max_ratio, "200", 2, 1000000, "decompressed/compressed ratio of one entry or gzip stream"),
    BYTES(ratio_min_bytes, "1M", 0, 1LL << 40, "the ratio is checked only above this size"),
    INT(max_nesting, "1", 0, 1, "zip levels inside an inbox file (format 1 allows one)"),
    INT(max_name_bytes, "255", 16, 4096, "one archive entry name, in UTF-8 bytes"),
    INT(max_xml_depth, "32", 8, 256, "element nesting depth of a document"),
    BYTES(max_text_bytes, "64K", 256, 10 * 1024 * 1024, "one text node or attribute value"),
    INT(max_elements, "200000", 100, 10000000, "elements in one document"),
    INT(max_diagnostics, "200", 10, 100000, "errors and warnings listed per submission"),
    INT(parse_timeout_s, "60", 1, 86400, "wall-clock seconds to read one inbox file"),
    INT(statement_timeout_ms, "600000", 0, 86400000, "loader statement_timeout (0 = none)"),
    INT(lock_timeout_ms, "30000", 0, 86400000, "loader lock_timeout (0 = none)"),
    INT(batch_size, "250", 1, 500,
        "files or submissions per load transaction; a failure redoes at most two batches"),
    BYTES(log_max_bytes, "10M", 4096, 1LL << 36, "bizenv.log is rotated past this size"),
    /* one file needs at most max_entry_bytes + max_xml_bytes plus the
     * parser's bounded state; 1G leaves room and stops a runaway first */
    BYTES(max_memory_bytes, "1G", 0, 1LL << 40,
          "memory cap (RLIMIT_DATA) of one bizenv run, 0 = none"),
    /* a filled 填报表 is some tens of KB; the sheet caps sit far above a
     * township's month (a few hundred walks) and far below what would
     * make reading one workbook slow or large */
    BYTES(max_workbook_bytes, "16M", 1024, 1LL << 31, "one .xlsx workbook (zip bytes)"),
    INT(max_sheet_rows, "10000", 10, 1048576, "last row of one worksheet read from a workbook"),
    INT(max_sheet_cells, "200000", 100, 10000000, "cells of the worksheets read from a workbook"),
    INT(max_shared_strings, "100000", 10, 10000000, "shared strings of one workbook"),
    STR(home, "", "BIZENV_HOME: all folders below are relative to it"),
    STR(inbox, "inbox", "where townships' files arrive"),
    STR(archive, "archive", "raw bytes of every file taken, by SHA-256"),
    STR(quarantine, "quarantine", "rejected files with their receipts"),
    STR(receipts, "receipts", "one receipt per submission"),
    STR(exports, "exports", "Excel, CSV and roll-up files for the prefecture"),
    STR(runs, "runs", "one summary per nightly run"),
    STR(templates, "templates", "monthly workbooks (填报表) made by `bizenv template`"),
    STR(pgdata, "pg", "data folder of the embedded PostgreSQL"),
    STR(registry, "townships.csv", "township registry used by `validate` without a database"),
    STR(db, "", "libpq conninfo; empty = PG* environment, else the embedded cluster"),
    STR(pg_bindir, "/usr/lib/postgresql/15/bin", "PostgreSQL 15 server programs"),
    STR(pg_user, "postgres", "OS user running the embedded server when bizenv runs as root"),
    STR(syslog_ident, "", "syslog identity; empty = no syslog"),
    STR(county_code, "", "6-digit county code in exports; empty = from the township codes"),
    STR(county_name, "", "county name in exports; empty = the county code"),
};

static const struct row *
find(const char *name)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

static int
parse_number(const char *v, int bytes, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || errno != 0 || n < 0)
        return -1;
    long long mul = 1;
    if (bytes && *end != '\0') {
        switch (*end) {
        case 'K':
        case 'k':
            mul = 1024;
            break;
        case 'M':
        case 'm':
            mul = 1024 * 1024;
            break;
        case 'G':
        case 'g':
            mul = 1024LL * 1024 * 1024;
            break;
        default:
            return -1;
        }
        end++;
    }
    if (*end != '\0' || n > LLONG_MAX / mul)
        return -1;
    *out = n * mul;
    return 0;
}

static int
apply(struct settings *s, const struct row *r, const char *value, struct bz_error *e)
{
    char *base = (char *)s;
    if (r->kind == K_STR) {
        if (strlen(value) >= r->size)
            return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "设置项 %s 的值过长", r->name);
        memcpy(base + r->offset, value, strlen(value) + 1);
        return 0;
    }
    long long n;
    if (parse_number(value, r->kind == K_BYTES, &n) < 0)
        return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "设置项 %s 的值“%s”不是有效数字", r->name,
                            value);
    if (n < r->min || n > r->max)
        return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "设置项 %s 的值 %lld 超出范围 %lld–%lld",
                            r->name, n, r->min, r->max);
    memcpy(base + r->offset, &n, sizeof(n));
    return 0;
}

void
settings_defaults(struct settings *s, const char *home)
{
    struct bz_error e;
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        apply(s, &rows[i], rows[i].def, &e); /* defaults are in range by construction */
    bz_strlcpy_utf8(s->home, home ? home : "", sizeof(s->home));
}

int
settings_set(struct settings *s, const char *name, const char *value, struct bz_error *e)
{
    const struct row *r = find(name);
    if (r == NULL)
        return bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "未知的设置项 %s", name);
    return apply(s, r, value, e);
}

static char *
trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    char *end = p + strlen(p);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = '\0';
    return p;
}

int
settings_load_file(struct settings *s, const char *path, int optional, struct bz_error *e)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int err = errno;
        if (optional && err == ENOENT)
            return 0;
        /* fopen allocates its FILE: no memory is not a configuration fault */
        if (err == ENOMEM)
            bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足，无法打开配置文件“%s”", path);
        else
            bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "无法打开配置文件“%s”", path);
        return bz_error_detail(e, "%s", strerror(err));
    }
    char line[2048];
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *p = trim(line);
        if (*p == '\0')
            continue;
        char *eq = strchr(p, '=');
        if (eq == NULL) {
            rc = bz_error_set(e, BZ_ECONFIG, "E_CONFIG", "配置文件第 %ld 行缺少“=”", lineno);
            bz_error_at(e, path, lineno);
            break;
        }
        *eq = '\0';
        rc = settings_set(s, trim(p), trim(eq + 1), e);
        if (rc < 0)
            bz_error_at(e, path, lineno);
    }
    fclose(f);
    return rc;
}

static void
resolve(char *p, size_t cap, const char *home)
{
    if (p[0] == '/' || p[0] == '\0' || home[0] == '\0')
        return;
    char tmp[BZ_PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s/%s", home, p);
    if (n > 0 && (size_t)n < cap)
        memcpy(p, tmp, (size_t)n + 1);
}

void
settings_resolve(struct settings *s)
{
    char *paths[] = {s->inbox, s->archive, s->quarantine, s->receipts, s->exports,
                     s->runs,  s->pgdata,  s->registry,   s->templates};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        resolve(paths[i], BZ_PATH_MAX, s->home);
}

void
settings_print(const struct settings *s, FILE *out)
{
    const char *base = (const char *)s;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        if (r->kind == K_STR) {
            fprintf(out, "%-22s = %-32s # %s (default \"%s\")\n", r->name, base + r->offset, r->doc,
                    r->def);
        } else {
            long long v;
            memcpy(&v, base + r->offset, sizeof(v));
            fprintf(out, "%-22s = %-32lld # %s (default %s)\n", r->name, v, r->doc, r->def);
        }
    }
}
