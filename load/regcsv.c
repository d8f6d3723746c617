#include "regcsv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A field longer than this is refused before it is looked at: a name is
 * at most REGCSV_COUNTY_NAME bytes, plus room for the spaces trimmed off. */
#define FIELD_MAX (REGCSV_COUNTY_NAME + 64)

/* What differs between the two registries. */
struct kind {
    const char *registry; /* the file, in messages */
    const char *unit;     /* what a row is */
    size_t digits;        /* of a code */
    size_t max_name;      /* bytes */
};

static const struct kind kinds[] = {
    [REGCSV_TOWNSHIPS] = {"乡镇名录", "乡镇", 9, REGCSV_TOWNSHIP_NAME},
    [REGCSV_COUNTIES] = {"县名录", "县", 6, REGCSV_COUNTY_NAME},
};

struct field {
    char buf[FIELD_MAX + 1];
    size_t len;
    int quoted;
    int too_long;
};

struct cursor {
    const char *p, *end;
    long line;
    const struct kind *k;
    const char *file;
};

static int
bad_line(struct bz_error *e, const struct cursor *c, long line, const char *why)
{
    int rc = bz_error_set(e, E_REGISTRY_FORMAT, "%s第 %ld 行：%s", c->k->registry, line, why);
    bz_error_at(e, c->file, line);
    return rc;
}

/* Length of the valid UTF-8 sequence at p (shortest form, no surrogates,
 * at most U+10FFFF), or 0. */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* The whole file must be UTF-8 without NUL bytes; names the first bad line. */
static int
check_utf8(const struct cursor *c, struct bz_error *e)
{
    const unsigned char *p = (const unsigned char *)c->p, *end = (const unsigned char *)c->end;
    long line = 1;
    while (p < end) {
        size_t n = *p == 0 ? 0 : utf8_seq(p, end);
        if (n == 0)
            return bad_line(e, c, line, "不是有效的 UTF-8 文本");
        if (*p == '\n')
            line++;
        p += n;
    }
    return 0;
}

static void
field_add(struct field *f, char c)
{
    if (f->len == FIELD_MAX) {
        f->too_long = 1;
        return;
    }
    f->buf[f->len++] = c;
    f->buf[f->len] = '\0';
}

/* At a line end (LF or CRLF) or end of data: consumes it and returns 1. */
static int
at_record_end(struct cursor *c)
{
    if (c->p == c->end)
        return 1;
    if (*c->p == '\n') {
        c->p++;
        c->line++;
        return 1;
    }
    if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n') {
        c->p += 2;
        c->line++;
        return 1;
    }
    return 0;
}

/*
 * Reads one record of at most 2 fields (more are counted in *nfields).
 * Returns 1 with the cursor past the line end, or BZ_EINPUT.
 */
static int
read_record(struct cursor *c, struct field f[2], int *nfields, struct bz_error *e)
{
    long start = c->line;
    *nfields = 0;
    for (;;) {
        struct field scratch;
        struct field *fld = *nfields < 2 ? &f[*nfields] : &scratch;
        memset(fld, 0, sizeof(*fld));
        (*nfields)++;
        if (c->p < c->end && *c->p == '"') {
            fld->quoted = 1;
            c->p++;
            for (;;) {
                if (c->p == c->end)
                    return bad_line(e, c, start, "引号未闭合");
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"') {
                        c->p++;
                        field_add(fld, '"');
                        continue;
                    }
                    break;
                }
                if (ch == '\n')
                    c->line++;
                field_add(fld, ch);
            }
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                if (*c->p == '"')
                    return bad_line(e, c, c->line, "引号只能出现在带引号字段中");
                field_add(fld, *c->p++);
            }
        }
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (at_record_end(c))
            return 1;
        return bad_line(e, c, c->line, fld->quoted ? "引号后只能是逗号或换行" : "含有单独的回车符");
    }
}

static char *
trim(char *str)
{
    while (*str == ' ' || *str == '\t')
        str++;
    size_t n = strlen(str);
    while (n > 0 && (str[n - 1] == ' ' || str[n - 1] == '\t'))
        str[--n] = '\0';
    return str;
}

static int
cmp_code(const void *a, const void *b)
{
    const struct regcsv_row *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* Duplicate codes: sorts a copy and names the earliest line that repeats
 * a code seen before it. */
static int
check_duplicates(const struct cursor *c, const struct regcsv *r, struct bz_error *e)
{
    struct regcsv_row *sorted = malloc(r->n * sizeof(*sorted));
    if (sorted == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足");
    memcpy(sorted, r->rows, r->n * sizeof(*sorted));
    qsort(sorted, r->n, sizeof(*sorted), cmp_code);
    const struct regcsv_row *worst = NULL, *first = NULL;
    for (size_t i = 1; i < r->n; i++) {
        if (strcmp(sorted[i].code, sorted[i - 1].code) != 0)
            continue;
        size_t j = i - 1;
        while (j > 0 && strcmp(sorted[j - 1].code, sorted[i].code) == 0)
            j--;
        if (worst == NULL || sorted[i].line < worst->line) {
            worst = &sorted[i];
            first = &sorted[j];
        }
    }
    int rc = 0;
    if (worst != NULL) {
        char why[128];
        bz_error_clear(e);
        snprintf(why, sizeof(why), "%s代码 %s 与第 %ld 行重复", c->k->unit, worst->code,
                 first->line);
        rc = bad_line(e, c, worst->line, why);
    }
    free(sorted);
    return rc;
}

static int
check_row(const struct cursor *c, struct field f[2], int nfields, long line, struct regcsv_row *row,
          struct bz_error *e)
{
    char why[96];
    if (nfields != 2)
        return bad_line(e, c, line, "应为 2 个字段（代码,名称）");
    if (f[0].too_long || f[1].too_long)
        return bad_line(e, c, line, "字段过长");
    char *code = trim(f[0].buf);
    char *name = trim(f[1].buf);
    size_t clen = strlen(code);
    int digits = clen == c->k->digits;
    for (size_t i = 0; digits && i < clen; i++)
        digits = code[i] >= '0' && code[i] <= '9';
    const char *wrong = !digits                         ? "代码必须是 %zu 位半角数字"
                        : *name == '\0'                 ? "名称为空"
                        : strlen(name) > c->k->max_name ? "名称过长"
                                                        : NULL;
    for (const unsigned char *p = (const unsigned char *)name; wrong == NULL && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            wrong = "名称含有控制字符";
    if (wrong != NULL) {
        int n = snprintf(why, sizeof(why), "%s", c->k->unit);
        snprintf(why + n, sizeof(why) - (size_t)n, wrong, c->k->digits);
        return bad_line(e, c, line, why);
    }
    memcpy(row->code, code, clen + 1);
    row->line = line;
    row->name = strdup(name);
    if (row->name == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足");
    return 0;
}

static int
push_row(struct regcsv *r, const struct regcsv_row *row, struct bz_error *e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct regcsv_row *rows = realloc(r->rows, cap * sizeof(*rows));
        if (rows == NULL)
            return bz_error_set(e, E_NOMEM, "内存不足");
        r->rows = rows;
        r->cap = cap;
    }
    r->rows[r->n++] = *row;
    return 0;
}

static int
parse_rows(struct cursor *c, struct regcsv *out, struct bz_error *e)
{
    struct field f[2];
    int nfields, rc;

    long line = c->line;
    if ((rc = read_record(c, f, &nfields, e)) < 0)
        return rc;
    if (nfields != 2 || strcmp(f[0].buf, "code") != 0 || strcmp(f[1].buf, "name") != 0)
        return bad_line(e, c, line, "表头必须是 code,name");
    while (c->p < c->end) {
        line = c->line;
        if ((rc = read_record(c, f, &nfields, e)) < 0)
            return rc;
        if (nfields == 1 && !f[0].quoted && f[0].len == 0)
            continue; /* blank line */
        struct regcsv_row row;
        if ((rc = check_row(c, f, nfields, line, &row, e)) < 0)
            return rc;
        if ((rc = push_row(out, &row, e)) < 0) {
            free(row.name);
            return rc;
        }
    }
    if (out->n == 0) {
        char why[64];
        snprintf(why, sizeof(why), "名录中没有任何%s", c->k->unit);
        return bad_line(e, c, line, why);
    }
    return check_duplicates(c, out, e);
}

/* Parses len bytes of data (the whole file; `file` names it in errors)
 * into *out: 0 with at least one row, or the error with *out empty. */
static int
parse(const char *data, size_t len, enum regcsv_kind kind, const char *file, struct regcsv *out,
      struct bz_error *e)
{
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    struct cursor c = {data, data + len, 1, &kinds[kind], file};
    int rc = check_utf8(&c, e);
    if (rc == 0)
        rc = parse_rows(&c, out, e);
    if (rc < 0)
        regcsv_free(out);
    return rc;
}

/* Reads the whole file into a buffer of at most REGCSV_MAX_BYTES. */
static int
read_file(const char *path, const struct kind *k, char **data, size_t *len, struct bz_error *e)
{
    int rc = 0;
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int err = errno;
        rc = bz_error_set(e,
                          err == ENOENT   ? E_NOINPUT
                          : err == ENOMEM ? E_NOMEM
                                          : E_IO_READ,
                          "无法读取%s文件“%s”", k->registry, path);
        bz_error_detail(e, "%s", strerror(err));
        bz_error_at(e, path, 0);
        return rc;
    }
    char *buf = malloc(REGCSV_MAX_BYTES + 1);
    size_t n = buf != NULL ? fread(buf, 1, REGCSV_MAX_BYTES + 1, f) : 0;
    if (buf == NULL)
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法读取%s", k->registry);
    else if (ferror(f))
        rc = bz_error_set(e, E_IO_READ, "读取%s文件“%s”失败", k->registry, path);
    else if (n > REGCSV_MAX_BYTES)
        rc = bz_error_set(e, E_REGISTRY_FORMAT, "%s文件“%s”超过 %ld 字节上限", k->registry, path,
                          (long)REGCSV_MAX_BYTES);
    if (rc < 0) {
        bz_error_at(e, path, 0);
        free(buf);
    } else {
        *data = buf;
        *len = n;
    }
    fclose(f);
    return rc;
}

int
regcsv_read(const char *path, enum regcsv_kind kind, struct regcsv *out, struct bz_error *e)
{
    char *data;
    size_t len;
    memset(out, 0, sizeof(*out));
    int rc = read_file(path, &kinds[kind], &data, &len, e);
    if (rc < 0)
        return rc;
    return regcsv_parse(data, len, kind, path, out, e);
}

void
regcsv_free(struct regcsv *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->rows[i].name);
    free(r->rows);
    free(r->data);
    memset(r, 0, sizeof(*r));
}

int
regcsv_parse(char *data, size_t len, enum regcsv_kind kind, const char *file, struct regcsv *out,
             struct bz_error *e)
{
    memset(out, 0, sizeof(*out));
    int rc = len > REGCSV_MAX_BYTES
                 ? bz_error_set(e, E_REGISTRY_FORMAT, "%s“%s”超过 %ld 字节上限",
                                kinds[kind].registry, file, (long)REGCSV_MAX_BYTES)
                 : parse(data, len, kind, file, out, e);
    if (rc < 0) {
        free(data);
        return rc;
    }
    out->data = data;
    out->len = len;
    return 0;
}
