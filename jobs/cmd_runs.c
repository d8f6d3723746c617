/*
 * bizenv runs [--last N] — the latest runs (load/runs.h), for the owner and
 * analysts alike: it only reads.
 */
#include "commands.h"

#include "../common/esc.h"
#include "../load/runs.h"
#include "session.h"

#include <stdlib.h>
#include <sysexits.h>

/* A field escaped: the list of townships not reported at a province
 * (1,500 codes) with room to spare. */
#define RUNS_FIELD_LIMIT (1u << 20)

/* Prints str with its control and line-breaking characters escaped. */
static void
put_escaped(const char *str)
{
    struct dbuf b;
    dbuf_init(&b, RUNS_FIELD_LIMIT);
    if (esc_dbuf(&b, str) == 0 && b.data != NULL)
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
    struct pgutil_rows rows;
    rc = runs_list(conn, n, &rows, &e);
    PQfinish(conn);
    if (rc < 0)
        return cli_report(&e);
    printf("编号  类型     开始时间             结束      状态  收件  接收  重复  退回  警告  "
           "未报送乡镇  错误\n");
    for (size_t i = 0; i < rows.n; i++) {
        printf("%-5s %-8s %-20s %-9s %-4s %5s %5s %5s %5s %5s  ", pgutil_rows_at(&rows, i, RUNS_ID),
               pgutil_rows_at(&rows, i, RUNS_KIND), pgutil_rows_at(&rows, i, RUNS_STARTED),
               pgutil_rows_at(&rows, i, RUNS_FINISHED), pgutil_rows_at(&rows, i, RUNS_STATUS),
               pgutil_rows_at(&rows, i, RUNS_FILES), pgutil_rows_at(&rows, i, RUNS_ACCEPTED),
               pgutil_rows_at(&rows, i, RUNS_DUPLICATES), pgutil_rows_at(&rows, i, RUNS_REJECTED),
               pgutil_rows_at(&rows, i, RUNS_WARNINGS));
        put_escaped(pgutil_rows_at(&rows, i, RUNS_MISSING));
        fputs("  ", stdout);
        put_escaped(pgutil_rows_at(&rows, i, RUNS_ERROR)); /* the error quotes file names */
        putchar('\n');
    }
    pgutil_rows_free(&rows);
    return EX_OK;
}
