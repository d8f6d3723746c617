#include "rollup.h"

#include "../common/dbuf.h"
#include "db.h"

#include <stdio.h>
#include <string.h>

/* A group is about 400 bytes of JSON. */
#define GROUPS_JSON_LIMIT ((size_t)ADX_MAX_GROUPS * 1024)

static const char merge_sql[] =
    "SELECT load.merge_rollup($1, $2, $3, $4::date, $5::timestamptz, $6, $7, $8,"
    " to_timestamp($9::double precision), $10::jsonb) AS verdict";

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

int
rollup_store(PGconn *conn, const struct adx_doc *doc, const struct rollup_meta *meta,
             enum rollup_result *result, struct diag_list *diags, struct bz_error *e)
{
    struct dbuf json;
    char recv[32];
    PGresult *res = NULL;
    int rc;

    *result = ROLLUP_REJECTED;
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
    const char *verdict = PQgetvalue(res, 0, PQfnumber(res, "verdict"));
    if (strcmp(verdict, "accepted") == 0) {
        *result = ROLLUP_ACCEPTED;
    } else if (strcmp(verdict, "duplicate") == 0) {
        *result = ROLLUP_DUPLICATE;
    } else {
        *result = ROLLUP_REJECTED;
        diag_add(diags, "E_ADX_COUNTY_UNKNOWN", 0, "/adx/@county", "县代码 %s 不在州级县名录中",
                 doc->county);
    }
out:
    PQclear(res);
    dbuf_free(&json);
    return rc;
}
