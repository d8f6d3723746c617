/*
 * bizenv template PERIOD [--township CODE] [--revise] [--out DIR] — write
 * the month's workbooks (填报表) for the townships to fill and send back;
 * see export/template.h. Prints one line per township (written, or why
 * not) and where the files are.
 *
 * Exit: 0 done (townships skipped because they already reported are not a
 * failure); 64 usage, bad period or unknown township; 65 the one township
 * named was skipped; 69 database unreachable; 74 I/O error.
 */
#include "commands.h"

#include "../export/template.h"
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static const char usage_text[] =
    "用法：bizenv template 月份 [--township 乡镇代码] [--revise] [--out 目录]\n"
    "  月份：2026-11；默认为每个在册乡镇各生成一份填报表\n"
    "  --revise：为已接收的报表生成更正用的填报表（预填现行版本的全部内容，版本号加 1）\n";

struct shown {
    int verbose;
    int skipped_named; /* --township was given and skipped */
    enum bz_code skip; /* why, when skipped_named */
};

static void
on_item(const struct template_item *it, void *arg)
{
    struct shown *sh = arg;
    if (it->skip != NULL) {
        sh->skip =
            strcmp(it->skip, "E_TEMPLATE_EXISTS") == 0 ? E_TEMPLATE_EXISTS : E_TEMPLATE_NO_REVISION;
        if (sh->skip == E_TEMPLATE_EXISTS)
            printf("  跳过 %s %s：[%s] 本月已有已接收的报表（版本 %ld），更正请用 --revise\n",
                   it->code, it->name, it->skip, it->revision);
        else
            printf("  跳过 %s %s：[%s] 本月还没有已接收的报表，无从更正\n", it->code, it->name,
                   it->skip);
        sh->skipped_named = 1;
        return;
    }
    if (sh->verbose)
        printf("  %s %s 版本 %ld%s：%s\n", it->code, it->name, it->revision,
               it->prefilled ? "（已预填）" : "", it->path);
}

int
cmd_template(struct cli *cli, int argc, char **argv)
{
    struct template_opts o;
    struct template_result r;
    struct bz_error e;
    struct shown sh = {cli->verbose, 0, E_TEMPLATE_EXISTS};

    memset(&o, 0, sizeof(o));
    if (cli_take_opt(&argc, argv, "--township", &o.township) < 0 ||
        cli_take_opt(&argc, argv, "--out", &o.out_dir) < 0)
        return EX_USAGE;
    o.revise = cli_take_flag(&argc, argv, "--revise");
    if (cli_no_more_options(argc, argv, "template") != 0)
        return EX_USAGE;
    if (argc != 2) {
        fputs(usage_text, stderr);
        return EX_USAGE;
    }
    o.period = argv[1];
    sh.verbose = cli->verbose || o.township != NULL;
#if defined(__GLIBC__)
    /* libxlsxwriter allocates and frees some hundred KB of column tables
     * per worksheet; glibc would give that back to the kernel and ask for
     * it again for every sheet of every workbook (a brk call each, most of
     * the command's time for a county's templates) */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
#endif
    bz_error_clear(&e);
    PGconn *conn = session_open(cli, &e);
    if (conn == NULL)
        return cli_report(&e);
    int rc = template_run(conn, &cli->settings, &o, on_item, &sh, &r, &e);
    PQfinish(conn);
    if (rc == BZ_EUSAGE) {
        fprintf(stderr, "bizenv template: 错误 [%s] %s\n", e.code, e.message);
        fputs(usage_text, stderr);
        return cli_exit_status(rc);
    }
    if (rc < 0)
        return cli_report(&e);
    printf("已生成 %s 填报表 %d 份%s，跳过 %d 个乡镇；文件在 %s\n", o.period, r.written,
           o.revise ? "（更正版）" : "", r.skipped, r.dir);
    /* the one township asked for was skipped: the status of why */
    return o.township != NULL && sh.skipped_named ? cli_exit_status(codes_status(sh.skip)) : EX_OK;
}
