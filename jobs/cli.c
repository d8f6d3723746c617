#include "cli.h"

#include "../common/buildinfo.h"
#include "../common/esc.h"
#include "help.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

static void
remove_args(int *argc, char **argv, int at, int count)
{
    for (int i = at; i + count <= *argc; i++)
        argv[i] = argv[i + count];
    *argc -= count;
}

int
cli_take_opt(int *argc, char **argv, const char *name, const char **value)
{
    size_t n = strlen(name);
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
            *value = argv[i] + n + 1;
            remove_args(argc, argv, i, 1);
            return 1;
        }
        if (strcmp(argv[i], name) == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "bizenv: 错误 [E_USAGE] 选项 %s 缺少取值\n", name);
                return -1;
            }
            *value = argv[i + 1];
            remove_args(argc, argv, i, 2);
            return 1;
        }
    }
    return 0;
}

int
cli_take_flag(int *argc, char **argv, const char *name)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], name) == 0) {
            remove_args(argc, argv, i, 1);
            return 1;
        }
    }
    return 0;
}

int
cli_no_more_options(int argc, char **argv, const char *command)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strncmp(argv[i], "--", 2) == 0) {
            help_unknown_option(command, argv[i]);
            return EX_USAGE;
        }
    }
    return 0;
}

/* The one table from a code's class (common/codes.h) to sysexits.h;
 * README.md's codes table says the same (tests/jobs/test_codes). */
int
cli_exit_status(int status)
{
    switch (status) {
    case BZ_OK:
        return EX_OK;
    case BZ_EINPUT:
    case BZ_ECONFLICT:
        return EX_DATAERR;
    case BZ_EUSAGE:
        return EX_USAGE;
    case BZ_ENOTFOUND:
        return EX_NOINPUT;
    case BZ_EDB:
        return EX_UNAVAILABLE;
    case BZ_ENOMEM:
        return EX_OSERR;
    case BZ_EIO:
        return EX_IOERR;
    case BZ_EBUSY:
    case BZ_ETIMEOUT:
        return EX_TEMPFAIL;
    case BZ_ECONFIG:
        return EX_CONFIG;
    default: /* BZ_EFAIL, BZ_ESCHEMA, and a full buffer no one named */
        return EX_SOFTWARE;
    }
}

int
cli_report(const struct bz_error *e)
{
    /* messages quote file names and server text: shown escaped, on fixed
     * buffers, so reporting even E_NOMEM cannot fail */
    char shown[4 * sizeof(e->message)];
    fprintf(stderr, "bizenv: 错误 [%s] %s", e->code[0] ? e->code : "E_INTERNAL",
            esc_text(shown, sizeof(shown), e->message));
    if (e->file[0] != '\0') {
        esc_text(shown, sizeof(shown), e->file);
        if (e->line > 0)
            fprintf(stderr, "（%s 第 %ld 行）", shown, e->line);
        else
            fprintf(stderr, "（%s）", shown);
    }
    if (e->detail[0] != '\0')
        fprintf(stderr, "\n  原因：%s", esc_text(shown, sizeof(shown), e->detail));
    fputc('\n', stderr);
    /* an error reported without a code set is still a failure */
    return e->status != 0 ? cli_exit_status(e->status) : EX_SOFTWARE;
}

int
cli_parse_date(const char *str)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (str[i] != '-')
                return -1;
        } else if (str[i] < '0' || str[i] > '9') {
            return -1;
        }
    }
    if (str[10] != '\0')
        return -1;
    int y = atoi(str), m = atoi(str + 5), d = atoi(str + 8);
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap);
    if (d > max)
        return -1;
    return y * 10000 + m * 100 + d;
}

int
cli_today(void)
{
    const char *pinned = getenv("BIZENV_TODAY");
    if (pinned != NULL && cli_parse_date(pinned) > 0)
        return cli_parse_date(pinned);
    /* Asia/Shanghai has no daylight saving: UTC+8 all year. */
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int
set_home(struct cli *cli, const char *home)
{
    char abs[BZ_PATH_MAX];
    struct bz_error e;
    if (home[0] == '/') {
        bz_strlcpy_utf8(abs, home, sizeof(abs));
    } else {
        char cwd[BZ_PATH_MAX / 2];
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            bz_error_set(&e, E_CONFIG, "无法确定当前目录");
            return cli_report(&e);
        }
        if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, home) >= sizeof(abs)) {
            bz_error_set(&e, E_CONFIG, "工作目录路径过长");
            return cli_report(&e);
        }
    }
    settings_defaults(&cli->settings, abs);
    return 0;
}

/* As root, a home owned by another user is that user's (the Debian
 * package's `bizenv`): folders made in it by root would lock the nightly
 * service out, and the private server, run as pg_user, could not use it. */
static int
check_home_owner(const struct cli *cli)
{
    struct stat st;
    struct bz_error e;
    if (geteuid() != 0 || stat(cli->settings.home, &st) < 0 || st.st_uid == 0)
        return 0;
    const struct passwd *pw = getpwuid(st.st_uid);
    char owner[64];
    if (pw != NULL)
        snprintf(owner, sizeof(owner), "%s", pw->pw_name);
    else
        snprintf(owner, sizeof(owner), "%ld", (long)st.st_uid);
    bz_error_set(&e, E_CONFIG, "工作目录“%s”属于用户 %s，不能以 root 身份在其中运行",
                 cli->settings.home, owner);
    bz_error_detail(&e, "请以该用户运行，例如：runuser -u %s -- bizenv 命令", owner);
    return cli_report(&e);
}

int
cli_init(struct cli *cli, int *argc, char **argv)
{
    const char *home = getenv("BIZENV_HOME");
    const char *db = NULL, *config = NULL, *v = NULL;
    struct bz_error e;
    int rc;

    memset(cli, 0, sizeof(*cli));
    cli->prog = argv[0];
    if (cli_take_opt(argc, argv, "--home", &home) < 0 ||
        cli_take_opt(argc, argv, "--db", &db) < 0 ||
        cli_take_opt(argc, argv, "--config", &config) < 0)
        return EX_USAGE;
    cli->verbose = cli_take_flag(argc, argv, "--verbose") | cli_take_flag(argc, argv, "-v");
    if (home == NULL || home[0] == '\0')
        home = buildinfo_default_home();
    rc = set_home(cli, home);
    if (rc == 0)
        rc = check_home_owner(cli);
    if (rc != 0)
        return rc;

    char path[BZ_PATH_MAX + 16];
    int optional = config == NULL;
    if (config == NULL) {
        snprintf(path, sizeof(path), "%s/bizenv.conf", cli->settings.home);
        config = path;
    }
    if (settings_load_file(&cli->settings, config, optional, &e) < 0)
        return cli_report(&e);
    /* --set KEY=VALUE, repeatable, overrides the file */
    for (;;) {
        v = NULL;
        rc = cli_take_opt(argc, argv, "--set", &v);
        if (rc < 0)
            return EX_USAGE;
        if (rc == 0)
            break;
        char key[64];
        const char *eq = strchr(v, '=');
        if (eq == NULL || (size_t)(eq - v) >= sizeof(key)) {
            fprintf(stderr, "bizenv: 错误 [E_USAGE] --set 需要 KEY=VALUE 形式\n");
            return EX_USAGE;
        }
        memcpy(key, v, (size_t)(eq - v));
        key[eq - v] = '\0';
        if (settings_set(&cli->settings, key, eq + 1, &e) < 0)
            return cli_report(&e);
    }
    if (db != NULL && settings_set(&cli->settings, "db", db, &e) < 0)
        return cli_report(&e);
    settings_resolve(&cli->settings);
    return 0;
}
