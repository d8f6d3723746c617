/*
 * bizenv export PERIOD [--as-of DATE] [--out DIR] — write the period's
 * ranking for the prefecture (Excel workbook, CSV, ADX roll-up) and record
 * the export; see export/export.h. Prints the files, their SHA-256 and,
 * when the period was published before, whether the figures changed.
 *
 * bizenv counties load FILE — (prefecture) load the registry of counties
 * whose ADX roll-ups `bizenv ingest` accepts; a database with counties
 * ranks counties (sql/report/figures.sql).
 *
 * Both are journaled (jobs/record.h) in their transaction, and so hold the
 * run lock: one cannot run while a night does (75).
 *
 * Exit: 0 done; 64 usage or bad period; 65 bad registry file; 66 file
 * missing; 69 database unreachable; 74 I/O error; 75 a night is running;
 * 78 no county code.
 */
#include "commands.h"

#include "../common/esc.h"
#include "../export/export.h"
#include "../export/rollup.h"
#include "../ingest/archived.h"
#include "../load/pgutil.h"
#include "record.h"
#include "regcopy.h"
#include "session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define REGISTRY_FILE_MAX (16L << 20)

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
    if (rc == BZ_EINPUT) {
        char shown[4 * sizeof(e.message)];
        fprintf(stderr, "bizenv export: 错误 [%s] %s\n", e.code,
                esc_text(shown, sizeof(shown), e.message));
        fputs(usage_text, stderr);
        return EX_USAGE;
    }
    if (rc < 0)
        return cli_report(&e);
    show(&r, argv[1], as_of);
    return EX_OK;
}

static int
read_file(const char *path, char **data, size_t *len, struct bz_error *e)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return bz_error_set(e, BZ_ENOTFOUND, "E_NOINPUT", "找不到县名录文件“%s”", path);
    *data = malloc((size_t)REGISTRY_FILE_MAX + 1);
    *len = *data != NULL ? fread(*data, 1, (size_t)REGISTRY_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (*data == NULL)
        return bz_error_set(e, BZ_ENOMEM, "E_NOMEM", "内存不足");
    if (bad)
        return bz_error_set(e, BZ_EIO, "E_IO_READ", "读取县名录文件“%s”失败", path);
    if (*len > (size_t)REGISTRY_FILE_MAX)
        return bz_error_set(e, BZ_EINPUT, "E_REGISTRY_FORMAT", "县名录文件“%s”过大", path);
    return 0;
}

/* The load, archived and journaled, in one transaction. */
static int
load_counties(struct record_session *rs, const char *path, const char *data, size_t len,
              struct rollup_registry_stats *st, struct bz_error *e)
{
    char sha[65];
    const char *base = strrchr(path, '/');
    int rc = archived_put(rs->rec.s, data, len, sha, e);
    if (rc == 0)
        rc = pgutil_exec(rs->conn, "BEGIN", "开始载入县名录", e);
    if (rc < 0)
        return rc;
    rc = rollup_registry_load(rs->conn, data, len, path, st, e);
    if (rc == 0) {
        struct journal_line *l = record_line(&rs->rec, "registry");
        journal_add_str(l, "kind", "counties");
        journal_add_str(l, "sha256", sha);
        journal_add_int(l, "size", (long long)len);
        journal_add_str(l, "name", base ? base + 1 : path);
        record_add_time(l);
        rc = record_line_end(&rs->rec, l, e);
    }
    if (rc == 0)
        rc = record_prepare(&rs->rec, 1, 1, e);
    if (rc == 0)
        rc = pgutil_exec(rs->conn, "COMMIT", "提交县名录", e);
    if (rc < 0) {
        pgutil_rollback(rs->conn);
        record_abandon(&rs->rec);
        return rc;
    }
    struct bz_error ignored;
    record_committed(&rs->rec, &ignored);
    return 0;
}

int
cmd_counties(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct rollup_registry_stats st;
    char *data = NULL;
    size_t len = 0;

    if (cli_no_more_options(argc, argv, "counties") != 0)
        return EX_USAGE;
    if (argc != 3 || strcmp(argv[1], "load") != 0) {
        fputs("用法：bizenv counties load 文件（州级：县名录 CSV，表头 code,name）\n", stderr);
        return EX_USAGE;
    }
    bz_error_clear(&e);
    struct record_session rs;
    int rc = read_file(argv[2], &data, &len, &e);
    if (rc == 0)
        rc = record_session_open(cli, &rs, &e);
    if (rc == 0) {
        record_warn_drift(&rs.rec, stderr);
        rc = load_counties(&rs, argv[2], data, len, &st, &e);
        record_session_close(&rs);
    }
    free(data);
    if (rc < 0)
        return cli_report(&e);
    printf("县名录已载入：新增 %d，更名 %d，停用 %d\n", st.added, st.renamed, st.inactivated);
    char copy[BZ_PATH_MAX + 32];
    snprintf(copy, sizeof(copy), "%s/" REGCOPY_COUNTIES, cli->settings.home);
    if (regcopy_save(argv[2], copy, &e) < 0)
        return cli_report(&e);
    return EX_OK;
}
