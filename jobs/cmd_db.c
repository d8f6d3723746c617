/*
 * bizenv db start|stop|restart|status|check|psql — look after the
 * embedded cluster, check whichever database bizenv uses for corruption
 * (pg_amcheck: every table's pages, checksums included, and every index
 * against its table), and open psql on it.
 */
#include "../common/esc.h"
#include "../load/cluster.h"
#include "../load/db.h"
#include "../load/jstate.h"
#include "../load/pgtool.h"
#include "commands.h"
#include "netinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* pg_ctl status's "not running" */
#define EXIT_NOT_RUNNING 3

#define PSQL_PATH "/usr/bin/psql"

static const char usage_text[] =
    "用法：bizenv db start|stop|restart|status|check|psql [psql 参数...]";

static const char *
target_name(enum db_target t)
{
    return t == DB_TARGET_CONNINFO ? "已配置的服务器（来自 --db 连接串）"
                                   : "已配置的服务器（来自 PG* 环境变量或服务文件）";
}

/* bizenv never starts or stops someone else's server. */
static int
refuse_external(enum db_target t, const char *action)
{
    struct bz_error e;
    bz_error_set(&e, E_USAGE, "当前使用%s，bizenv 只管理内置数据库，不会%s其他服务器",
                 target_name(t), action);
    return cli_report(&e);
}

static int
db_start(struct cli *cli)
{
    struct bz_error e;
    struct cluster_status cs;
    enum db_target t = db_target(&cli->settings);

    if (t != DB_TARGET_EMBEDDED)
        return refuse_external(t, "启动");
    bz_error_clear(&e);
    if (cluster_start(&cli->settings, CLUSTER_CREATE_NEW_HOME, &e) < 0 ||
        cluster_status(&cli->settings, &cs, &e) < 0)
        return cli_report(&e);
    printf("内置数据库已启动（%s）\n", cs.socket_dir);
    return EX_OK;
}

static int
db_stop(struct cli *cli)
{
    struct bz_error e;
    enum db_target t = db_target(&cli->settings);

    if (t != DB_TARGET_EMBEDDED)
        return refuse_external(t, "停止");
    bz_error_clear(&e);
    if (cluster_stop(&cli->settings, &e) < 0)
        return cli_report(&e);
    printf("内置数据库已停止\n");
    return EX_OK;
}

/* Restarting is what makes a changed `listen` address or port take effect:
 * it ends every session, so bizenv never does it on its own. */
static int
db_restart(struct cli *cli)
{
    struct bz_error e;
    enum db_target t = db_target(&cli->settings);

    if (t != DB_TARGET_EMBEDDED)
        return refuse_external(t, "重启");
    bz_error_clear(&e);
    if (cluster_restart(&cli->settings, &e) < 0)
        return cli_report(&e);
    printf("内置数据库已重启\n");
    return netinfo_print(&cli->settings, stdout) < 0 ? EX_CONFIG : EX_OK;
}

static int
status_external(struct cli *cli, enum db_target t)
{
    struct bz_error e;

    printf("数据库：%s\n", target_name(t));
    bz_error_clear(&e);
    PGconn *conn = db_connect(&cli->settings, &e);
    if (conn == NULL)
        return cli_report(&e);
    printf("连接正常：主机 %s，端口 %s，数据库 %s，用户 %s，服务器版本 %d\n", PQhost(conn),
           PQport(conn), PQdb(conn), PQuser(conn), PQserverVersion(conn));
    PQfinish(conn);
    return EX_OK;
}

static int
status_embedded(struct cli *cli)
{
    struct bz_error e;
    struct cluster_status cs;
    char conninfo[BZ_PATH_MAX * 2 + 128];

    bz_error_clear(&e);
    if (cluster_status(&cli->settings, &cs, &e) < 0)
        return cli_report(&e);
    printf("数据库：内置数据库（目录 %s）\n", cli->settings.pgdata);
    if (!cs.exists)
        printf("状态：未创建\n");
    else if (!cs.running)
        printf("状态：已创建，已停止\n");
    else
        printf("状态：已创建，运行中（进程 %ld）\n", cs.pid);
    printf("套接字目录：%s\n", cs.socket_dir);
    if (netinfo_print(&cli->settings, stdout) < 0)
        return EX_CONFIG;
    if (!cs.running)
        return EXIT_NOT_RUNNING;
    if (cluster_conninfo(&cli->settings, conninfo, sizeof(conninfo)) < 0 ||
        PQping(conninfo) == PQPING_NO_RESPONSE) {
        bz_error_set(&e, E_DB_CONNECT, "内置数据库进程存在，但无法通过套接字目录 %s 连接",
                     cs.socket_dir);
        return cli_report(&e);
    }
    return EX_OK;
}

static int
db_status(struct cli *cli)
{
    enum db_target t = db_target(&cli->settings);
    if (t == DB_TARGET_EMBEDDED)
        return status_embedded(cli);
    return status_external(cli, t);
}

/* pg_amcheck over the database (amcheck installed for it when missing,
 * and dropped again: a backup's dump must not need a superuser). */
static int
run_amcheck(PGconn *conn, const struct settings *s, int *status, char *out, size_t cap,
            struct bz_error *e)
{
    int installed = 0;
    int rc = jstate_amcheck(conn, 1, &installed, e);
    if (rc < 0)
        return rc;
    const char *args[] = {"--heapallindexed", "--no-password", PQdb(conn), NULL};
    rc = pgtool_run(conn, s, "pg_amcheck", args, status, out, cap, e);
    struct bz_error ignored;
    jstate_amcheck(conn, 0, &installed, &ignored);
    return rc;
}

static int
db_check(struct cli *cli)
{
    struct bz_error e;
    char sums[16], out[PGTOOL_OUTPUT_CAP], shown[4 * PGTOOL_OUTPUT_CAP];
    int status = 0;

    bz_error_clear(&e);
    PGconn *conn = db_connect_create(&cli->settings, CLUSTER_CREATE_NEVER, &e);
    if (conn == NULL)
        return cli_report(&e);
    int rc = jstate_checksums(conn, sums, &e);
    if (rc == 0)
        rc = run_amcheck(conn, &cli->settings, &status, out, sizeof(out), &e);
    PQfinish(conn);
    if (rc < 0)
        return cli_report(&e);
    printf("数据页校验和：%s\n", strcmp(sums, "on") == 0 ? "开启" : "未开启（旧的数据库目录）");
    if (status == 0) {
        printf("校验通过：所有表的数据页与所有索引均无损坏（pg_amcheck）\n");
        return EX_OK;
    }
    fputs(esc_text(shown, sizeof(shown), out), stdout);
    fputc('\n', stdout);
    if (status == 2)
        bz_error_set(&e, E_DB_CORRUPT,
                     "数据库校验发现损坏（见上）；请从备份恢复（bizenv restore），"
                     "或按日志重建（bizenv rebuild）");
    else
        bz_error_set(&e, E_DB_QUERY, "pg_amcheck 未能完成校验（退出码 %d，见上）", status);
    return cli_report(&e);
}

/* Replaces bizenv by psql on the same database; returns only on failure. */
static int
db_psql(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    char conninfo[BZ_PATH_MAX * 2 + 128];
    enum db_target t = db_target(&cli->settings);
    const char *dsn = NULL;

    bz_error_clear(&e);
    if (t == DB_TARGET_EMBEDDED) {
        if (cluster_start(&cli->settings, CLUSTER_CREATE_NEW_HOME, &e) < 0)
            return cli_report(&e);
        if (cluster_conninfo(&cli->settings, conninfo, sizeof(conninfo)) < 0) {
            bz_error_set(&e, E_DB_CONNECT, "内置数据库目录“%s”路径过长", cli->settings.pgdata);
            return cli_report(&e);
        }
        dsn = conninfo;
    } else if (t == DB_TARGET_CONNINFO) {
        dsn = cli->settings.db;
    }
    /* a "--" kept psql's own long options away from bizenv's option parser */
    int first = 2;
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;
    char **args = calloc((size_t)argc + 4, sizeof(*args));
    if (args == NULL) {
        bz_error_set(&e, E_NOMEM, "内存不足");
        return cli_report(&e);
    }
    size_t n = 0;
    args[n++] = PSQL_PATH;
    if (dsn != NULL) {
        args[n++] = "-d";
        args[n++] = (char *)dsn;
    }
    for (int i = first; i < argc; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    fflush(NULL);
    execv(PSQL_PATH, args);
    bz_error_set(&e, E_CONFIG, "无法运行 %s", PSQL_PATH);
    bz_error_detail(&e, "%s", strerror(errno));
    free(args);
    return cli_report(&e);
}

int
cmd_db(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "bizenv db: 错误 [E_USAGE] 缺少子命令\n%s\n", usage_text);
        return EX_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "psql") == 0)
        return db_psql(cli, argc, argv);
    if (argc > 2) {
        fprintf(stderr, "bizenv db %s: 错误 [E_USAGE] 多余的参数“%s”\n%s\n", sub, argv[2],
                usage_text);
        return EX_USAGE;
    }
    if (strcmp(sub, "start") == 0)
        return db_start(cli);
    if (strcmp(sub, "stop") == 0)
        return db_stop(cli);
    if (strcmp(sub, "restart") == 0)
        return db_restart(cli);
    if (strcmp(sub, "status") == 0)
        return db_status(cli);
    if (strcmp(sub, "check") == 0)
        return db_check(cli);
    fprintf(stderr, "bizenv db: 错误 [E_USAGE] 未知子命令“%s”\n%s\n", sub, usage_text);
    return EX_USAGE;
}
