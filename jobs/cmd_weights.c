/*
 * bizenv weights set SERVICE COMPLETION COVERAGE — the composite score's
 * weights (ref.weight), changed in one transaction with their journal line
 * (jobs/record.h), so `bizenv rebuild` changes them at the same place.
 * Each weight is a finite non-negative number, decimals allowed.
 *
 * Exit: 0 set; 64 usage or a weight that is not such a number; 69 the
 * database; 75 a night is running.
 */
#include "commands.h"

#include "../load/jstate.h"
#include "record.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const char usage_text[] =
    "用法：bizenv weights set 服务率权重 整改完成率权重 走流程覆盖率权重（非负数，可带小数）";

/* Digits with at most one decimal point: what numeric reads exactly. */
static int
is_weight(const char *v)
{
    size_t digits = strspn(v, "0123456789");
    if (v[digits] == '.')
        return digits > 0 && v[digits + 1] != '\0' &&
               strspn(v + digits + 1, "0123456789") == strlen(v + digits + 1);
    return digits > 0 && v[digits] == '\0' && digits < 30;
}

/* The change and its journal line, in one transaction; the line records
 * the weights as the database holds them afterwards. */
static int
set_weights(struct record_session *rs, char *const *w, char got[3][64], struct bz_error *e)
{
    int rc = jstate_txn_begin(rs->conn, e);
    if (rc < 0)
        return rc;
    rc = jstate_set_weights(rs->conn, w[0], w[1], w[2], e);
    if (rc == 0)
        rc = jstate_weights(rs->conn, got[0], got[1], got[2], e);
    if (rc == 0) {
        struct journal_line *l = record_line(&rs->rec, "weights");
        journal_add_str(l, "service", got[0]);
        journal_add_str(l, "completion", got[1]);
        journal_add_str(l, "coverage", got[2]);
        journal_add_str(l, "source", "command");
        record_add_time(l);
        rc = record_line_end(&rs->rec, l, e);
    }
    return record_session_commit(rs, rc, e);
}

int
cmd_weights(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct record_session rs;
    char got[3][64];

    if (cli_no_more_options(argc, argv, "weights") != 0)
        return EX_USAGE;
    if (argc != 5 || strcmp(argv[1], "set") != 0) {
        fprintf(stderr, "%s\n", usage_text);
        return EX_USAGE;
    }
    for (int i = 2; i < 5; i++)
        if (!is_weight(argv[i])) {
            fprintf(stderr, "bizenv weights: 错误 [E_USAGE] 权重“%s”不是非负数\n%s\n", argv[i],
                    usage_text);
            return EX_USAGE;
        }
    bz_error_clear(&e);
    if (record_session_open(cli, &rs, &e) < 0)
        return cli_report(&e);
    record_warn_drift(&rs.rec, stderr);
    int rc = set_weights(&rs, argv + 2, got, &e);
    record_session_close(&rs);
    if (rc < 0)
        return cli_report(&e);
    printf("权重已设置：服务率 %s，整改完成率 %s，走流程覆盖率 %s（已记入日志）\n", got[0], got[1],
           got[2]);
    return EX_OK;
}
