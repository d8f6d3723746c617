/*
 * bizenv analyst add NAME [--expires DATE|never] [--password-stdin]
 * bizenv analyst list
 * bizenv analyst remove NAME
 * bizenv analyst passwd NAME [--expires DATE|never] [--password-stdin]
 *
 * Analysts' logins (load/analyst.h) on whichever server bizenv uses: the
 * embedded one, or a configured one (the connecting role needs
 * CREATEROLE). A password is generated and printed once, or read from
 * stdin (--password-stdin: one line; on a terminal without echo). It is
 * never put on a command line, into a log or into the database: the server
 * gets its SCRAM verifier. The limits of every analyst session (analyst_*
 * settings) are set again by add and passwd.
 *
 * Exit: 0 done; 64 usage or an unusable name or password; 65 the name is
 * taken (E_ANALYST_EXISTS); 66 no such analyst (E_ANALYST_UNKNOWN); 69 the
 * database is unreachable or refused (no CREATEROLE).
 */
#include "commands.h"

#include "../common/esc.h"
#include "../load/analyst.h"
#include "../load/db.h"
#include "netinfo.h"
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

static const char usage_text[] =
    "用法：bizenv analyst add 账号 [--expires YYYY-MM-DD|never] [--password-stdin]\n"
    "      bizenv analyst list\n"
    "      bizenv analyst remove 账号\n"
    "      bizenv analyst passwd 账号 [--expires YYYY-MM-DD|never] [--password-stdin]\n";

struct opts {
    const char *expires; /* --expires as given, or NULL */
    int password_stdin;  /* --password-stdin */
    char expiry[16];     /* the day as YYYY-MM-DD, "" for never */
};

static int
usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "bizenv analyst: 错误 [E_USAGE] ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    return EX_USAGE;
}

/* A name or password refused: a usage error, reported with its code. */
static int
report_usage(const struct bz_error *e)
{
    cli_report(e);
    return EX_USAGE;
}

/* Reads one line from stdin into buf without echo when it is a terminal.
 * Returns 0, or -1 (message printed). */
static int
read_password(char *buf, size_t cap)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "密码：");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    size_t n = 0;
    int c, too_long = 0;
    while ((c = getchar()) != EOF && c != '\n') {
        if (n + 1 < cap)
            buf[n++] = (char)c;
        else
            too_long = 1;
    }
    buf[n] = '\0';
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    if (too_long || n == 0) {
        fprintf(stderr, "bizenv analyst: 错误 [E_USAGE] %s\n",
                too_long ? "标准输入中的密码过长" : "标准输入中没有密码（第一行为空）");
        return -1;
    }
    return 0;
}

/* The password: read (--password-stdin) and checked, or generated. */
static int
get_password(const struct opts *o, char *buf, size_t cap)
{
    struct bz_error e;
    if (!o->password_stdin)
        return analyst_generate_password(buf, cap, &e) < 0 ? cli_report(&e) : 0;
    if (read_password(buf, cap) < 0)
        return EX_USAGE;
    if (analyst_check_password(buf, &e) < 0) {
        explicit_bzero(buf, cap);
        return report_usage(&e);
    }
    return 0;
}

static int
parse_opts(int *argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    if (cli_take_opt(argc, argv, "--expires", &o->expires) < 0)
        return EX_USAGE;
    o->password_stdin = cli_take_flag(argc, argv, "--password-stdin");
    int rc = cli_no_more_options(*argc, argv, "analyst");
    if (rc != 0)
        return rc;
    if (o->expires == NULL || strcmp(o->expires, "never") == 0)
        return 0;
    int d = cli_parse_date(o->expires);
    if (d < 0)
        return usage("--expires 的值“%s”不是有效日期（YYYY-MM-DD，或 never）", o->expires);
    snprintf(o->expiry, sizeof(o->expiry), "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    return 0;
}

/* What the connecting role could not set on the analyst, said once. */
static void
warn_skipped(const char *skipped, PGconn *conn)
{
    if (skipped[0] == '\0')
        return;
    fprintf(stderr,
            "bizenv analyst: 注意：连接所用的角色无权设置 %s，该账号未设此上限；"
            "请数据库管理员执行 GRANT SET ON PARAMETER %s TO %s; 后再运行 bizenv analyst passwd\n",
            skipped, skipped, PQuser(conn));
}

/* How the analyst connects, after add and passwd. */
static void
print_connect(struct cli *cli, PGconn *conn, const char *name)
{
    if (db_target(&cli->settings) != DB_TARGET_EMBEDDED) {
        printf("数据库服务器由本县另行管理（%s:%s）：分析人员按该服务器的地址连接，"
               "须 sslmode=verify-full；其 pg_hba.conf 宜只允许 bizenv_analyst 成员经 hostssl、"
               "scram-sha-256 登录\n",
               PQhost(conn), PQport(conn));
        return;
    }
    netinfo_print(&cli->settings, stdout);
    if (cli->settings.listen[0] == '\0') {
        printf("开启网络访问：在 bizenv.conf 中设置 listen = 0.0.0.0:5432，然后运行 bizenv db "
               "restart\n");
        return;
    }
    printf("分析人员在自己的电脑上连接（CA 证书存为 bizenv-ca.crt）：\n  ");
    netinfo_print_psql(&cli->settings, NULL, name, stdout);
}

static void
print_password(const struct opts *o, const char *password, const char *expiry)
{
    if (o->password_stdin)
        printf("密码：已按标准输入设置\n");
    else
        printf("密码（只显示这一次，请当面或经安全渠道转交本人）：%s\n", password);
    if (expiry != NULL && expiry[0] != '\0' && cli_parse_date(expiry) < cli_today())
        printf("注意：有效期 %s 已过，该账号不能登录\n", expiry);
}

/* What `analyst add` and `analyst passwd` print once the password is set. */
static void
print_done(const char *shown, const struct opts *o, int adding)
{
    if (adding && o->expiry[0])
        printf("已添加分析人员账号“%s”（有效期至 %s）\n", shown, o->expiry);
    else if (adding)
        printf("已添加分析人员账号“%s”（长期有效）\n", shown);
    else if (o->expires == NULL)
        printf("已为分析人员账号“%s”设置新密码\n", shown);
    else if (o->expiry[0])
        printf("已为分析人员账号“%s”设置新密码，有效期至 %s\n", shown, o->expiry);
    else
        printf("已为分析人员账号“%s”设置新密码，长期有效\n", shown);
}

/* `analyst add` (adding) and `analyst passwd`: the password read or made,
 * then the account created, or its password (and expiry) replaced. */
static int
do_account(struct cli *cli, const char *name, const struct opts *o, int adding)
{
    struct bz_error e;
    struct analyst_limits lim;
    char password[ANALYST_PASSWORD_MAX + 2], skipped[128], shown[256];
    if (adding && analyst_check_name(name, &e) < 0)
        return report_usage(&e);
    int rc = get_password(o, password, sizeof(password));
    if (rc != 0)
        return rc;
    PGconn *conn = session_open(cli, &e);
    if (conn == NULL) {
        explicit_bzero(password, sizeof(password));
        return cli_report(&e);
    }
    analyst_limits_from(&cli->settings, &lim);
    const char *expiry = o->expiry[0] ? o->expiry : NULL;
    if (adding)
        rc = analyst_add(conn, name, password, expiry, &lim, skipped, sizeof(skipped), &e);
    else
        rc = analyst_passwd(conn, name, password, o->expires != NULL, expiry, &lim, skipped,
                            sizeof(skipped), &e);
    if (rc == 0) {
        esc_text(shown, sizeof(shown), name);
        print_done(shown, o, adding);
        print_password(o, password, o->expiry);
        warn_skipped(skipped, conn);
        if (adding)
            print_connect(cli, conn, name);
    }
    explicit_bzero(password, sizeof(password));
    PQfinish(conn);
    return rc < 0 ? cli_report(&e) : EX_OK;
}

static int
do_remove(struct cli *cli, const char *name)
{
    struct bz_error e;
    char shown[256];
    int ended;
    PGconn *conn = session_open(cli, &e);
    if (conn == NULL)
        return cli_report(&e);
    int rc = analyst_remove(conn, name, &ended, &e);
    PQfinish(conn);
    if (rc < 0)
        return cli_report(&e);
    esc_text(shown, sizeof(shown), name);
    printf("已删除分析人员账号“%s”", shown);
    if (ended > 0)
        printf("（结束了它的 %d 个连接）", ended);
    printf("\n");
    return EX_OK;
}

static int
do_list(struct cli *cli)
{
    struct bz_error e;
    struct analyst_info *list;
    size_t n;
    char name[256], added[4 * 160 + 1];
    PGconn *conn = session_open_read(cli, &e);
    if (conn == NULL)
        return cli_report(&e);
    int rc = analyst_list(conn, &list, &n, &e);
    PQfinish(conn);
    if (rc < 0)
        return cli_report(&e);
    if (n == 0)
        printf("还没有分析人员账号（bizenv analyst add 账号 添加）\n");
    else
        printf("账号\t有效期至\t连接上限\t当前连接\t说明\n");
    for (size_t i = 0; i < n; i++) {
        const struct analyst_info *a = &list[i];
        esc_text(name, sizeof(name), a->name);
        esc_text(added, sizeof(added), a->added);
        printf("%s\t%s%s\t%d\t%d\t%s\n", name, a->valid_until[0] ? a->valid_until : "长期",
               a->expired ? "（已过期）" : "", a->connection_limit, a->sessions, added);
    }
    free(list);
    if (db_target(&cli->settings) == DB_TARGET_EMBEDDED)
        netinfo_print(&cli->settings, stdout);
    return EX_OK;
}

int
cmd_analyst(struct cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(&argc, argv, &o);
    if (rc != 0)
        return rc;
    if (argc < 2)
        return usage("%s", "缺少子命令");
    const char *sub = argv[1];
    int wants_name = strcmp(sub, "list") != 0;
    if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "remove") != 0 &&
        strcmp(sub, "passwd") != 0)
        return usage("未知子命令“%s”", sub);
    if (wants_name && argc != 3)
        return usage(argc < 3 ? "%s缺少账号名" : "%s只能有一个账号名", "");
    if (!wants_name && argc != 2)
        return usage("多余的参数“%s”", argv[2]);
    if ((o.expires != NULL || o.password_stdin) && strcmp(sub, "add") != 0 &&
        strcmp(sub, "passwd") != 0)
        return usage("analyst %s 不接受 --expires 和 --password-stdin", sub);
    if (strcmp(sub, "add") == 0)
        return do_account(cli, argv[2], &o, 1);
    if (strcmp(sub, "passwd") == 0)
        return do_account(cli, argv[2], &o, 0);
    if (strcmp(sub, "remove") == 0)
        return do_remove(cli, argv[2]);
    return do_list(cli);
}
