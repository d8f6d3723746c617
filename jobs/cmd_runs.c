/*
 * bizenv runs [--last N] — the latest runs from meta.run.
 */
#include "commands.h"

#include "../common/esc.h"
#include "../load/db.h"
#include "session.h"

#include <stdlib.h>
#include <sysexits.h>

/* A field escaped: the list of townships not reported at a province
 * (1,500 codes) with room to spare. */
#define RUNS_FIELD_LIMIT (1u << 20)

static const char runs_sql[] =
    "SELECT id, kind, to_char(started_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), "
    "coalesce(to_char(finished_at AT TIME ZONE 'Asia/Shanghai', 'HH24:MI:SS'), '-'), "
    "CASE status WHEN 'ok' THEN '成功' WHEN 'failed' THEN '失败' WHEN 'running' THEN '运行中' "
    "ELSE '中断' END, files_taken, accepted, duplicates, rejected, warnings, "
    "array_to_string(missing_townships, ' '), coalesce(error_code || ' ' || error_text, '') "
    "FROM meta.run ORDER BY id DESC LIMIT $1::int";

/* Prints s with its control and line-breaking characters escaped. */
static void
put_escaped(const char *s)
{
    struct dbuf b;
    dbuf_init(&b, RUNS_FIELD_LIMIT);
    if (esc_dbuf(&b, s) == 0 && b.data != NULL)
        fputs(b.data, stdout);
    dbuf_free(&b);
}

int
cmd_runs(struct cli *cli, int argc, char **argv)
{
    const char *last = "10";
    struct bz_error e;

    if (cli_take_opt(&argc, argv, "--last", &last) < 0)
        return EX_USAGE;
    int rc = cli_no_more_options(argc, argv, "runs");
    if (rc != 0)
        return rc;
    char *end;
    long n = strtol(last, &end, 10);
    if (*end != '\0' || n < 1 || n > 100000 || argc > 1) {
        fprintf(stderr, "用法：bizenv runs [--last N]\n");
        return EX_USAGE;
    }
    PGconn *conn = session_open_read(cli, &e);
    if (conn == NULL)
        return cli_report(&e);
    const char *v[] = {last};
    PGresult *res = PQexecParams(conn, runs_sql, 1, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_error(&e, conn, res, "查询运行记录");
        PQclear(res);
        PQfinish(conn);
        return cli_report(&e);
    }
    printf("编号  类型     开始时间             结束      状态  收件  接收  重复  退回  警告  "
           "未报送乡镇  错误\n");
    for (int i = 0; i < PQntuples(res); i++) {
        printf("%-5s %-8s %-20s %-9s %-4s %5s %5s %5s %5s %5s  ", PQgetvalue(res, i, 0),
               PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
               PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6),
               PQgetvalue(res, i, 7), PQgetvalue(res, i, 8), PQgetvalue(res, i, 9));
        put_escaped(PQgetvalue(res, i, 10));
        fputs("  ", stdout);
        put_escaped(PQgetvalue(res, i, 11)); /* the error quotes file names */
        putchar('\n');
    }
    PQclear(res);
    PQfinish(conn);
    return EX_OK;
}
