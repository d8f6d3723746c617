/*
 * bizenv export PERIOD [--as-of DATE] [--out DIR] — write the period's
 * ranking for the prefecture (Excel workbook, CSV, ADX roll-up) and record
 * the export; see export/export.h. Prints the files, their SHA-256 and,
 * when the period was published before, whether the figures changed.
 * (bizenv counties is in cmd_registry.c, with the townships' registry.)
 *
 * An export is journaled (jobs/record.h) in its transaction, and so holds
 * the run lock: it cannot run while a night does (75).
 *
 * Exit (from the error's code): 0 done; 64 usage or bad period; 69
 * database unreachable; 74 I/O error; 75 a night is running; 78 no county
 * code.
 */
#include "commands.h"

#include "../common/esc.h"
#include "../export/export.h"
#include "record.h"
#include "session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char usage_text[] =
    "用法：bizenv export 期间 [--as-of YYYY-MM-DD] [--out 目录]\n"
    "  期间：2026-10（月）、2026-Q4（季度）、2026-H2（半年）或 2026（年）\n";

static void
show(const struct export_result *r, const char *period, const char *as_of)
{
    static const char *const label[EXPORT_NKINDS] = {"Excel", "CSV", "ADX"};
    printf("已导出 %s（截至 %s）：%d 个单位，ADX 分组 %d 个，导出记录 #%lld\n", period, as_of,
           r->townships, r->groups, r->export_id);
    for (int k = 0; k < EXPORT_NKINDS; k++)
        printf("  %-5s %s  sha256 %s\n", label[k], r->files[k].path, r->files[k].sha256);
    if (r->reproduces_id != 0)
        printf("%s截至 %s 的首次发布（导出记录 #%lld）\n",
               r->reproduces_exactly ? "数字与排名完全重现了" : "注意：数字或排名不同于", as_of,
               r->reproduces_id);
    if (r->changes_id != 0)
        printf("注意：已发布的 %s 数字（截至 %s，导出记录 #%lld）已有变化\n", period,
               r->changes_as_of, r->changes_id);
}

/* Whether --out names the exports folder itself (the rebuild compares
 * what is there). */
static int
to_exports(const struct settings *s, const char *out)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (out == NULL)
        return 1;
    return realpath(out, a) != NULL && realpath(s->exports, b) != NULL && strcmp(a, b) == 0;
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
    const char *as_of_arg = NULL, *out = NULL;
    struct bz_error e;
    struct export_result r;
    char as_of[16];

    if (cli_take_opt(&argc, argv, "--as-of", &as_of_arg) < 0 ||
        cli_take_opt(&argc, argv, "--out", &out) < 0)
        return EX_USAGE;
    if (cli_no_more_options(argc, argv, "export") != 0)
        return EX_USAGE;
    if (argc != 2) {
        fputs(usage_text, stderr);
        return EX_USAGE;
    }
    int ymd = as_of_arg != NULL ? cli_parse_date(as_of_arg) : cli_today();
    if (ymd < 0) {
        fprintf(stderr, "bizenv export: 错误 [E_USAGE] 无效的截至日期“%s”（应为 YYYY-MM-DD）\n",
                as_of_arg);
        return EX_USAGE;
    }
    snprintf(as_of, sizeof(as_of), "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
    bz_error_clear(&e);
    struct record_session rs;
    if (record_session_open(cli, &rs, &e) < 0)
        return cli_report(&e);
    record_warn_drift(&rs.rec, stderr);
    struct record_export x = {&rs.rec, 0, to_exports(&cli->settings, out)};
    struct export_hook hook = {NULL, NULL, NULL, record_export_hook, &x};
    int rc = export_run_hooked(rs.conn, &cli->settings, argv[1], as_of, 0, out, &hook, &r, &e);
    if (rc < 0) {
        record_abandon(&rs.rec);
    } else {
        struct bz_error ignored;
        record_committed(&rs.rec, &ignored);
    }
    record_session_close(&rs);
    if (rc == BZ_EUSAGE) {
        char shown[4 * sizeof(e.message)];
        fprintf(stderr, "bizenv export: 错误 [%s] %s\n", e.code,
                esc_text(shown, sizeof(shown), e.message));
        fputs(usage_text, stderr);
        return cli_exit_status(rc);
    }
    if (rc < 0)
        return cli_report(&e);
    show(&r, argv[1], as_of);
    return EX_OK;
}
