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
    /* a week of nights: a problem found on a Monday can still be taken
     * back to before the weekend */
    INT(backup_keep, "7", 0, 10000, "nightly backups kept in `backups` (0 = none made)"),
    /* an analyst's query may run minutes, never into the night's hours;
     * the limits are set on each analyst role by `bizenv analyst` */
    INT(analyst_connection_limit, "5", 1, 1000, "sessions one analyst login may hold at once"),
    INT(analyst_statement_timeout_ms, "300000", 1000, 86400000,
        "statement_timeout of every analyst role"),
    INT(analyst_idle_in_transaction_ms, "600000", 1000, 86400000,
        "idle_in_transaction_session_timeout of every analyst role"),
    BYTES(analyst_temp_file_limit, "2G", 1024 * 1024, 1LL << 40,
          "temp_file_limit of every analyst role (sorts and hashes spilled to disk)"),
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
    STR(journal, "journal.log", "journal of every input that reaches the figures"),
    STR(backups, "backups", "where `bizenv backup` and the nightly backup write"),
    STR(db, "", "libpq conninfo; empty = PG* environment, else the embedded cluster"),
    STR(pg_bindir, "/usr/lib/postgresql/15/bin", "PostgreSQL 15 server programs"),
    STR(pg_user, "postgres", "OS user running the embedded server when bizenv runs as root"),
    STR(syslog_ident, "", "syslog identity; empty = no syslog"),
    STR(county_code, "", "6-digit county code in exports; empty = from the township codes"),
    STR(county_name, "", "county name in exports; empty = the county code"),
    STR(listen, "",
        "HOST[:PORT] the embedded server takes analysts' TLS connections on; empty = none"),
    STR(tls_names, "",
        "more names or addresses for the local server certificate (comma separated)"),
    STR(tls_cert_file, "", "the county's own server certificate; empty = bizenv's local CA"),
    STR(tls_key_file, "", "private key of tls_cert_file"),
    STR(tls_ca_file, "", "CA certificate analysts verify tls_cert_file with"),
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
            return bz_error_set(e, E_CONFIG, "设置项 %s 的值过长", r->name);
        memcpy(base + r->offset, value, strlen(value) + 1);
        return 0;
    }
    long long n;
    if (parse_number(value, r->kind == K_BYTES, &n) < 0)
        return bz_error_set(e, E_CONFIG, "设置项 %s 的值“%s”不是有效数字", r->name, value);
    if (n < r->min || n > r->max)
        return bz_error_set(e, E_CONFIG, "设置项 %s 的值 %lld 超出范围 %lld–%lld", r->name, n,
                            r->min, r->max);
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
        return bz_error_set(e, E_CONFIG, "未知的设置项 %s", name);
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

/*
 * A setting line holds a name, a value of at most BZ_PATH_MAX - 1 bytes
 * (a path or a conninfo; quoted, each byte may take two) and a comment:
 * 4 KB is room for all of it. A longer setting line is refused as a whole,
 * never read in part; a comment line may be of any length.
 */
#define CONF_LINE_MAX (4 * BZ_PATH_MAX)

enum conf_line { CONF_LINE, CONF_EOF, CONF_TOO_LONG, CONF_NUL, CONF_READ_ERROR };

/* Reads one line without its newline into buf. A line whose first
 * non-blank character is '#' is consumed whole and comes back empty. */
static enum conf_line
conf_read_line(FILE *f, char *buf, size_t cap)
{
    size_t n = 0, seen = 0;
    int c, blank = 1, comment = 0, too_long = 0, nul = 0;
    while ((c = getc(f)) != EOF && c != '\n') {
        seen++;
        if (comment)
            continue;
        if (blank && c == '#') {
            comment = 1;
            continue;
        }
        if (c != ' ' && c != '\t')
            blank = 0;
        if (c == '\0')
            nul = 1;
        if (n + 1 < cap)
            buf[n++] = (char)c;
        else
            too_long = 1;
    }
    buf[n] = '\0';
    if (ferror(f))
        return CONF_READ_ERROR;
    if (c == EOF && seen == 0)
        return CONF_EOF;
    return too_long ? CONF_TOO_LONG : nul ? CONF_NUL : CONF_LINE;
}

/*
 * Splits "name = value" in place (the rules are in settings.h). Sets *name
 * to NULL for a blank line. Returns 0, or -1 with *why saying what is wrong.
 */
static int
conf_split(char *line, char **name, char **value, const char **why)
{
    char *p = trim(line);
    *name = NULL;
    if (*p == '\0')
        return 0;
    char *eq = strchr(p, '=');
    if (eq == NULL) {
        *why = "缺少“=”";
        return -1;
    }
    *eq = '\0';
    *name = trim(p);
    char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v != '"') {
        for (char *c = v; *c != '\0'; c++)
            if (*c == '#' && (c == v || c[-1] == ' ' || c[-1] == '\t')) {
                *c = '\0';
                break;
            }
        *value = trim(v);
        return 0;
    }
    char *out = v, *in = v + 1;
    for (; *in != '"'; in++) {
        if (*in == '\0') {
            *why = "引号未闭合";
            return -1;
        }
        if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
            in++;
        *out++ = *in;
    }
    *out = '\0';
    for (in++; *in == ' ' || *in == '\t' || *in == '\r'; in++)
        ;
    if (*in != '\0' && *in != '#') {
        *why = "右引号之后只能有注释";
        return -1;
    }
    *value = v;
    return 0;
}

static int
conf_line_error(struct bz_error *e, const char *path, long lineno, const char *why)
{
    bz_error_set(e, E_CONFIG, "配置文件第 %ld 行%s", lineno, why);
    bz_error_at(e, path, lineno);
    return e->status;
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
            bz_error_set(e, E_NOMEM, "内存不足，无法打开配置文件“%s”", path);
        else
            bz_error_set(e, E_CONFIG, "无法打开配置文件“%s”", path);
        return bz_error_detail(e, "%s", strerror(err));
    }
    char line[CONF_LINE_MAX];
    long lineno = 0;
    int rc = 0;
    while (rc == 0) {
        enum conf_line got = conf_read_line(f, line, sizeof(line));
        if (got == CONF_EOF)
            break;
        lineno++;
        char *name, *value;
        const char *why = NULL;
        if (got == CONF_READ_ERROR) {
            rc = bz_error_set(e, E_IO_READ, "读取配置文件“%s”失败", path);
            bz_error_at(e, path, lineno);
        } else if (got == CONF_TOO_LONG) {
            char why_long[96];
            snprintf(why_long, sizeof(why_long), "过长（设置行最多 %d 字节，注释行不限）",
                     CONF_LINE_MAX - 1);
            rc = conf_line_error(e, path, lineno, why_long);
        } else if (got == CONF_NUL) {
            rc = conf_line_error(e, path, lineno, "含有 NUL 字节");
        } else if (conf_split(line, &name, &value, &why) < 0) {
            rc = conf_line_error(e, path, lineno, why);
        } else if (name != NULL) {
            rc = settings_set(s, name, value, e);
            if (rc < 0)
                bz_error_at(e, path, lineno);
        }
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
    char *paths[] = {s->inbox,  s->archive,  s->quarantine, s->receipts, s->exports, s->runs,
                     s->pgdata, s->registry, s->templates,  s->journal,  s->backups};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        resolve(paths[i], BZ_PATH_MAX, s->home);
    resolve(s->tls_cert_file, BZ_PATH_MAX, s->home);
    resolve(s->tls_key_file, BZ_PATH_MAX, s->home);
    resolve(s->tls_ca_file, BZ_PATH_MAX, s->home);
}

/* Appends text[0..n) to out at *len, keeping out NUL-terminated and
 * dropping what does not fit. */
static void
put_span(char *out, size_t cap, size_t *len, const char *text, size_t n)
{
    if (*len + n >= cap)
        n = cap - 1 - *len;
    memcpy(out + *len, text, n);
    *len += n;
    out[*len] = '\0';
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The URI form (postgresql://user:secret@host/db?password=secret): the
 * password after "user:" and a password= parameter become ***. */
static void
mask_uri(const char *in, char *out, size_t cap)
{
    size_t len = 0;
    const char *auth = strstr(in, "://") + 3;
    const char *end = auth + strcspn(auth, "@/");
    const char *colon = memchr(auth, ':', (size_t)(end - auth));
    const char *p = in;
    out[0] = '\0';
    if (*end == '@' && colon != NULL) {
        put_span(out, cap, &len, p, (size_t)(colon + 1 - p));
        put_span(out, cap, &len, "***", 3);
        p = end;
    }
    const char *query = strchr(p, '?');
    if (query == NULL) {
        put_span(out, cap, &len, p, strlen(p));
        return;
    }
    put_span(out, cap, &len, p, (size_t)(query + 1 - p));
    for (p = query + 1; *p != '\0';) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        if (eq != NULL && eq - p == 8 && strncmp(p, "password", 8) == 0) {
            put_span(out, cap, &len, p, 9);
            put_span(out, cap, &len, "***", 3);
        } else {
            put_span(out, cap, &len, p, n);
        }
        p += n;
        if (*p == '&')
            put_span(out, cap, &len, p++, 1);
    }
}

/*
 * Writes the conninfo into out with every password shown as ***, parsed as
 * libpq parses it: key = value pairs, a value bare up to a blank or in
 * single quotes, backslash escaping the next character; or a URI. Text
 * that does not parse is hidden whole.
 */
static void
mask_conninfo(const char *in, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    if (strncmp(in, "postgresql://", 13) == 0 || strncmp(in, "postgres://", 11) == 0) {
        mask_uri(in, out, cap);
        return;
    }
    const char *p = in;
    while (*p != '\0') {
        const char *key = p;
        while (is_space(*p))
            p++;
        const char *name = p;
        while (*p != '\0' && *p != '=' && !is_space(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        while (is_space(*p))
            p++;
        if (name_len == 0 && *p == '\0') {
            put_span(out, cap, &len, key, (size_t)(p - key));
            break;
        }
        if (*p != '=' || name_len == 0)
            goto hide;
        for (p++; is_space(*p); p++)
            ;
        const char *value = p;
        int quoted = *p == '\'';
        for (p += quoted; *p != '\0' && (quoted || !is_space(*p)); p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            else if (quoted && *p == '\'')
                break;
        }
        if (quoted && *p++ != '\'')
            goto hide;
        put_span(out, cap, &len, key, (size_t)(value - key));
        if (name_len == 8 && strncmp(name, "password", 8) == 0)
            put_span(out, cap, &len, "***", 3);
        else
            put_span(out, cap, &len, value, (size_t)(p - value));
    }
    return;
hide:
    snprintf(out, cap, "***");
}

/* A value `bizenv.conf` would read back differently unless quoted: one
 * with a comment-like " #", a leading quote or '#', or blanks at an end. */
static int
needs_quotes(const char *v)
{
    size_t n = strlen(v);
    if (n == 0)
        return 0;
    if (v[0] == '"' || v[0] == '#' || is_space(v[0]) || is_space(v[n - 1]))
        return 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] == '#' && (v[i - 1] == ' ' || v[i - 1] == '\t'))
            return 1;
    return 0;
}

/* The value as `bizenv config` shows it: quoted when needed, the db
 * setting's password masked. */
static void
display_value(const struct row *r, const char *v, char *out, size_t cap)
{
    char masked[BZ_PATH_MAX + 64];
    size_t len = 0;
    if (strcmp(r->name, "db") == 0) {
        mask_conninfo(v, masked, sizeof(masked));
        v = masked;
    }
    out[0] = '\0';
    if (!needs_quotes(v)) {
        put_span(out, cap, &len, v, strlen(v));
        return;
    }
    put_span(out, cap, &len, "\"", 1);
    for (const char *c = v; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            put_span(out, cap, &len, "\\", 1);
        put_span(out, cap, &len, c, 1);
    }
    put_span(out, cap, &len, "\"", 1);
}

void
settings_print(const struct settings *s, FILE *out)
{
    const char *base = (const char *)s;
    char shown[2 * BZ_PATH_MAX + 128];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        if (r->kind == K_STR) {
            display_value(r, base + r->offset, shown, sizeof(shown));
            fprintf(out, "%-22s = %-32s # %s (default \"%s\")\n", r->name, shown, r->doc, r->def);
        } else {
            long long v;
            memcpy(&v, base + r->offset, sizeof(v));
            fprintf(out, "%-22s = %-32lld # %s (default %s)\n", r->name, v, r->doc, r->def);
        }
    }
}

int
settings_format(const struct settings *s, const char *name, char *buf, size_t cap)
{
    const struct row *r = find(name);
    if (r == NULL)
        return -1;
    const char *base = (const char *)s;
    if (r->kind == K_STR) {
        snprintf(buf, cap, "%s", base + r->offset);
    } else {
        long long v;
        memcpy(&v, base + r->offset, sizeof(v));
        snprintf(buf, cap, "%lld", v);
    }
    return 0;
}

int
settings_count(void)
{
    return (int)(sizeof(rows) / sizeof(rows[0]));
}

const char *
settings_name(int i)
{
    return i >= 0 && i < settings_count() ? rows[i].name : NULL;
}
