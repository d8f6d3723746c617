/*
 * bizenv migrate [--list] — bring the database up to this binary
 * (load/migrate.c): the migrations it lacks, then the SQL definitions
 * (functions, views, triggers) when they differ; or list what that would
 * do.
 *
 * Output: one line per step done, then the count of migrations. Quiet when
 * nothing was pending (cron-friendly: every command that writes migrates
 * anyway), except that --verbose says "数据库结构已是最新". --list prints
 * the pending steps and changes nothing.
 */
#include "commands.h"

#include "../load/migrate.h"
#include "session.h"

#include <sysexits.h>

/* One line per step of p: to be done (`pending`) or done. */
static void
print_steps(const struct migrate_plan *p, int pending)
{
    if (p->rebase && pending)
        printf("待执行：将上一版本（v0.1.0）的升级记录 001–086 记为 %03d_%s（不重新执行）\n",
               p->baseline.version, p->baseline.name);
    else if (p->rebase)
        printf("已将上一版本（v0.1.0）的升级记录 001–086 记为 %03d_%s\n", p->baseline.version,
               p->baseline.name);
    for (size_t i = 0; i < p->npending; i++)
        printf(pending ? "待执行：%03d_%s\n" : "已执行数据库升级 %03d_%s\n", p->pending[i].version,
               p->pending[i].name);
    if (p->definitions > 0)
        printf(pending ? "待执行：重建数据库函数与视图（%d 个定义文件）\n"
                       : "已重建数据库函数与视图（%d 个定义文件）\n",
               p->definitions);
}

static int
list_pending(PGconn *conn, struct bz_error *e)
{
    static struct migrate_plan plan;
    if (migrate_plan(conn, &plan, e) < 0)
        return cli_report(e);
    if (!plan.rebase && plan.npending == 0 && plan.definitions == 0)
        printf("没有待执行的数据库升级\n");
    print_steps(&plan, 1);
    return EX_OK;
}

static int
apply(struct cli *cli, PGconn *conn, struct bz_error *e)
{
    static struct migrate_plan done;
    int rc = migrate_apply(conn, &done, e);
    print_steps(&done, 0);
    if (done.npending > 0)
        printf("共执行 %zu 个数据库升级\n", done.npending);
    else if (rc == 0 && !done.rebase && done.definitions == 0 && cli->verbose)
        printf("数据库结构已是最新\n");
    if (rc == 0)
        rc = session_claim(cli, conn, e);
    return rc < 0 ? cli_report(e) : EX_OK;
}

int
cmd_migrate(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;

    int list = cli_take_flag(&argc, argv, "--list");
    int rc = cli_no_more_options(argc, argv, "migrate");
    if (rc != 0)
        return rc;
    if (argc > 1) {
        fprintf(stderr, "用法：bizenv migrate [--list]\n");
        return EX_USAGE;
    }
    bz_error_clear(&e);
    PGconn *conn = session_connect(cli, list ? SESSION_INSPECT : SESSION_MIGRATE, 0, &e);
    if (conn == NULL)
        return cli_report(&e);
    rc = list ? list_pending(conn, &e) : apply(cli, conn, &e);
    PQfinish(conn);
    return rc;
}
