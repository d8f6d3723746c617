/*
 * bizenv setting set KEY VALUE — a setting the figures read from the
 * database (ref.setting): deadline_day, the day of the following month by
 * which a month's report is on time (1–28), or timezone, the county's time
 * zone (a name the server knows, e.g. Asia/Shanghai). Changed in one
 * transaction with its journal line (jobs/record.h).
 *
 * Exit: 0 set; 64 usage, unknown key or bad value; 69 the database;
 * 75 a night is running.
 */
#include "commands.h"

#include "../load/jstate.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char usage_text[] = "用法：bizenv setting set deadline_day 天数（1–28）\n"
                                 "      bizenv setting set timezone 时区（例如 Asia/Shanghai）";

static int
valid(const char *key, const char *value)
{
    if (strcmp(key, "deadline_day") == 0) {
        size_t n = strlen(value);
        int day = atoi(value);
        return n >= 1 && n <= 2 && strspn(value, "0123456789") == n && day >= 1 && day <= 28;
    }
    return strcmp(key, "timezone") == 0 && value[0] != '\0' && strlen(value) < 64;
}

static int
set_setting(struct record_session *rs, const char *key, const char *value, struct bz_error *e)
{
    int rc = jstate_txn_begin(rs->conn, e);
    if (rc < 0)
        return rc;
    rc = jstate_set_setting(rs->conn, key, value, e);
    if (rc == 0) {
        struct journal_line *l = record_line(&rs->rec, "setting");
        journal_add_str(l, "key", key);
        journal_add_str(l, "value", value);
        journal_add_str(l, "source", "command");
        record_add_time(l);
        rc = record_line_end(&rs->rec, l, e);
    }
    return record_session_commit(rs, rc, e);
}

int
cmd_setting(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct record_session rs;

    if (cli_no_more_options(argc, argv, "setting") != 0)
        return EX_USAGE;
    if (argc != 4 || strcmp(argv[1], "set") != 0) {
        fprintf(stderr, "%s\n", usage_text);
        return EX_USAGE;
    }
    if (!valid(argv[2], argv[3])) {
        fprintf(stderr, "bizenv setting: 错误 [E_USAGE] 设置项“%s”不能设为“%s”\n%s\n", argv[2],
                argv[3], usage_text);
        return EX_USAGE;
    }
    bz_error_clear(&e);
    if (record_session_open(cli, &rs, &e) < 0)
        return cli_report(&e);
    record_warn_drift(&rs.rec, stderr);
    int rc = set_setting(&rs, argv[2], argv[3], &e);
    record_session_close(&rs);
    if (rc < 0)
        return cli_report(&e);
    printf("数据库设置 %s 已设为 %s（已记入日志）\n", argv[2], argv[3]);
    return EX_OK;
}
