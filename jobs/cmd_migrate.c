/*
 * bizenv migrate [--list] — apply the database migrations compiled into
 * this binary (load/migrate.c), or list the pending ones.
 *
 * Output: one line per migration applied, then a count. Quiet when nothing
 * was pending (cron-friendly: every command that writes migrates anyway), except
 * that --verbose says "数据库结构已是最新". --list prints the pending
 * migrations and changes nothing.
 */
#include "commands.h"

#include "../load/migrate.h"
#include "session.h"

#include <sysexits.h>

static int
list_pending(PGconn *conn, struct bz_error *e)
{
    static struct migrate_item items[MIGRATE_MAX];
    size_t n = 0;
    if (migrate_pending(conn, items, MIGRATE_MAX, &n, e) < 0)
        return cli_report(e);
    if (n == 0)
        printf("没有待执行的数据库升级\n");
    for (size_t i = 0; i < n; i++)
        printf("待执行：%03d_%s\n", items[i].version, items[i].name);
    return EX_OK;
}

static int
apply(struct cli *cli, PGconn *conn, struct bz_error *e)
{
    static struct migrate_item items[MIGRATE_MAX];
    size_t n = 0;
    int applied = 0;
    if (migrate_pending(conn, items, MIGRATE_MAX, &n, e) < 0)
        return cli_report(e);
    int rc = migrate_apply(conn, &applied, e);
    /* names are only certain when no other process migrated meanwhile */
    if ((size_t)applied == n)
        for (int i = 0; i < applied; i++)
            printf("已执行数据库升级 %03d_%s\n", items[i].version, items[i].name);
    if (applied > 0)
        printf("共执行 %d 个数据库升级\n", applied);
    else if (rc == 0 && cli->verbose)
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
