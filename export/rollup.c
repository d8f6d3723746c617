#include "rollup.h"

#include "../common/dbuf.h"
#include "../load/db.h"
#include "../load/pgutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A group is about 400 bytes of JSON. */
#define GROUPS_JSON_LIMIT ((size_t)ADX_MAX_GROUPS * 1024)
#define REGISTRY_MAX_COUNTIES 10000
#define REGISTRY_NAME_MAX 200

static const char merge_sql[] =
    "SELECT load.merge_rollup($1, $2, $3, $4::date, $5::timestamptz, $6, $7, $8,"
    " to_timestamp($9::double precision), $10::jsonb)";

static const char registry_sql[] =
    "SELECT added, renamed, inactivated FROM load.county_registry($1::text[], $2::text[])";

static const char *const json_names[ADX_NCOUNTS] = {
    "handled",
    "evaluated",
    "due",
    "done",
    "windows_listed",
    "windows_walked",
    "leaders_listed",
    "leaders_walked",
    "months_expected",
    "months_reported",
    "months_on_time",
};

static int
groups_json(const struct adx_doc *doc, struct dbuf *b)
{
    int rc = dbuf_adds(b, "[");
    for (size_t i = 0; rc == 0 && i < doc->n; i++) {
        const struct adx_group *g = &doc->groups[i];
        int fd = g->first_day;
        rc = dbuf_printf(b, "%s{\"township_code\":", i ? "," : "");
        if (rc == 0)
            rc = dbuf_add_json(b, g->township);
        if (rc == 0)
            rc = dbuf_adds(b, ",\"township_name\":");
        if (rc == 0)
            rc = dbuf_add_json(b, g->name);
        if (rc == 0)
            rc = dbuf_printf(b, ",\"first_day\":\"%04d-%02d-%02d\",\"months\":%d", fd / 10000,
                             fd / 100 % 100, fd % 100, g->months);
        for (int k = 0; rc == 0 && k < ADX_NCOUNTS; k++)
            rc = dbuf_printf(b, ",\"%s\":%lld", json_names[k], g->v[k]);
        if (rc == 0)
            rc = dbuf_adds(b, "}");
    }
    return rc == 0 ? dbuf_adds(b, "]") : rc;
}

static int
store(PGconn *conn, const struct adx_doc *doc, const struct rollup_meta *meta,
      struct rollup_outcome *out, struct diag_list *diags, struct bz_error *e)
{
    struct dbuf json;
    char recv[32];
    PGresult *res = NULL;
    int rc;

    dbuf_init(&json, GROUPS_JSON_LIMIT);
    if (groups_json(doc, &json) < 0) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法载入 ADX 汇总");
        goto out;
    }
    snprintf(recv, sizeof(recv), "%lld", (long long)meta->received_at);
    const char *v[] = {doc->county,      doc->county_name,  doc->period,  doc->as_of, doc->exported,
                       meta->doc_sha256, meta->file_sha256, meta->member, recv,       json.data};
    res = PQexecParams(conn, merge_sql, 10, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "载入 ADX 汇总");
        goto out;
    }
    rc = 0;
    const char *verdict = PQgetvalue(res, 0, 0);
    if (strcmp(verdict, "accepted") == 0) {
        out->result = ROLLUP_ACCEPTED;
    } else if (strcmp(verdict, "duplicate") == 0) {
        out->result = ROLLUP_DUPLICATE;
    } else {
        out->result = ROLLUP_REJECTED;
        diag_add(diags, "E_ADX_COUNTY_UNKNOWN", 0, "/adx/@county", "县代码 %s 不在州级县名录中",
                 doc->county);
    }
out:
    PQclear(res);
    dbuf_free(&json);
    return rc;
}

int
rollup_ingest(PGconn *conn, const unsigned char *data, size_t len, const struct rollup_meta *meta,
              struct rollup_outcome *out, struct diag_list *diags, struct bz_error *e)
{
    struct adx_doc doc;
    memset(&doc, 0, sizeof(doc));
    memset(out, 0, sizeof(*out));
    out->result = ROLLUP_REJECTED;
    int rc = adx_parse(data, len, &doc, diags, e);
    snprintf(out->county, sizeof(out->county), "%s", doc.county);
    snprintf(out->county_name, sizeof(out->county_name), "%s", doc.county_name);
    snprintf(out->period, sizeof(out->period), "%s", doc.period);
    out->groups = doc.n;
    if (rc == 0 && !diag_has_errors(diags))
        rc = store(conn, &doc, meta, out, diags, e);
    adx_doc_free(&doc);
    return rc;
}

/* County registry ------------------------------------------------------------ */

/* One line `code,name` (name maybe quoted) into code/name; 0 or -1. */
static int
registry_line(const char *p, size_t n, char code[7], char *name, size_t cap)
{
    size_t k = 0;
    if (n < 8 || strspn(p, "0123456789") != 6 || p[6] != ',')
        return -1;
    memcpy(code, p, 6);
    code[6] = '\0';
    p += 7;
    n -= 7;
    while (n > 0 && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    int quoted = n >= 2 && p[0] == '"' && p[n - 1] == '"';
    size_t i = quoted ? 1 : 0, end = quoted ? n - 1 : n;
    for (; i < end && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || (c == '"' && !quoted) || (c == ',' && !quoted))
            return -1;
        if (c == '"' && (i + 1 >= end || p[++i] != '"'))
            return -1;
        name[k++] = (char)c;
    }
    name[k] = '\0';
    return i == end && k > 0 ? 0 : -1;
}

/* The parsed registry: parallel arrays for the two text[] parameters. */
struct registry {
    char *codes[REGISTRY_MAX_COUNTIES];
    char *names[REGISTRY_MAX_COUNTIES];
    size_t n;
};

static void
registry_free(struct registry *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->codes[i]);
        free(r->names[i]);
    }
    r->n = 0;
}

static int
registry_parse(const char *data, size_t len, const char *file, struct registry *reg,
               struct bz_error *e)
{
    const char *p = data, *end = data + len;
    long line = 0;
    char code[7], name[REGISTRY_NAME_MAX * 4 + 1];
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        const char *next = nl != NULL ? nl + 1 : end;
        line++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (line == 1 && (n != 9 || memcmp(p, "code,name", 9) != 0))
            goto bad;
        if (line > 1 && n > 0) {
            if (n > sizeof(name) || registry_line(p, n, code, name, sizeof(name)) < 0 ||
                reg->n == REGISTRY_MAX_COUNTIES)
                goto bad;
            reg->codes[reg->n] = strdup(code);
            reg->names[reg->n] = strdup(name);
            reg->n++;
            if (reg->codes[reg->n - 1] == NULL || reg->names[reg->n - 1] == NULL)
                return bz_error_set(e, E_NOMEM, "内存不足，无法读取县名录");
        }
        p = next;
    }
    if (reg->n > 0)
        return 0;
    line = line < 2 ? 2 : line;
bad:
    bz_error_set(e, E_REGISTRY_FORMAT, "县名录“%s”第 %ld 行格式错误", file, line);
    bz_error_detail(e, "应为表头 code,name，其后每行“6 位县代码,县名称”");
    bz_error_at(e, file, line);
    return BZ_EINPUT;
}

int
rollup_registry_load(PGconn *conn, const char *data, size_t len, const char *file,
                     struct rollup_registry_stats *st, struct bz_error *e)
{
    struct registry *reg = calloc(1, sizeof(*reg));
    struct dbuf codes, names;
    PGresult *res = NULL;
    int rc;

    dbuf_init(&codes, 1u << 20);
    dbuf_init(&names, 16u << 20);
    memset(st, 0, sizeof(*st));
    if (reg == NULL) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法读取县名录");
        goto out;
    }
    rc = registry_parse(data, len, file, reg, e);
    if (rc < 0)
        goto out;
    if (pgutil_array_literal(&codes, (const char *const *)reg->codes, reg->n) < 0 ||
        pgutil_array_literal(&names, (const char *const *)reg->names, reg->n) < 0) {
        rc = bz_error_set(e, E_NOMEM, "县名录过大");
        goto out;
    }
    const char *v[] = {codes.data, names.data};
    res = PQexecParams(conn, registry_sql, 2, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "载入县名录");
        goto out;
    }
    st->added = atoi(PQgetvalue(res, 0, 0));
    st->renamed = atoi(PQgetvalue(res, 0, 1));
    st->inactivated = atoi(PQgetvalue(res, 0, 2));
out:
    PQclear(res);
    if (reg != NULL)
        registry_free(reg);
    free(reg);
    dbuf_free(&codes);
    dbuf_free(&names);
    return rc;
}
