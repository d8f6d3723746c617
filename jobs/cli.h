/*
 * cli — what every subcommand shares: global options, settings, output.
 *
 * jobs/ is the only place that prints and chooses exit statuses. Each
 * subcommand is `int cmd_NAME(struct cli *cli, int argc, char **argv)` in
 * jobs/cmd_NAME.c and returns a sysexits.h status.
 */
#ifndef BZ_CLI_H
#define BZ_CLI_H

#include "../common/error.h"
#include "../common/settings.h"

#include <stdio.h>

struct cli {
    struct settings settings; /* defaults < config file < --set/--db/--home */
    int verbose;              /* --verbose / -v */
    const char *prog;         /* argv[0] for messages */
};

/*
 * Takes the global options out of argv wherever they appear (--home DIR,
 * --db CONNINFO, --config FILE, --set KEY=VALUE, --verbose), loads the
 * config file and resolves paths. The home is --home, else BIZENV_HOME,
 * else the build's default (buildinfo_default_home). As root, refuses a
 * home owned by another user (E_CONFIG). Leaves the command and its
 * arguments in argv, updating *argc. Returns 0 or a sysexits status after
 * printing.
 */
int cli_init(struct cli *cli, int *argc, char **argv);

/*
 * Removes `--name VALUE` or `--name=VALUE` from argv, storing VALUE in
 * *value (points into argv). Returns 1 when found, 0 when absent, -1 when
 * the value is missing (a message is printed).
 */
int cli_take_opt(int *argc, char **argv, const char *name, const char **value);

/* Removes a flag `--name` from argv; returns 1 when it was present. */
int cli_take_flag(int *argc, char **argv, const char *name);

/* Fails on any argument still starting with "--" (unknown option), naming
 * the closest option of `command` in the command table (jobs/help.c).
 * Returns 0 or EX_USAGE after printing. */
int cli_no_more_options(int argc, char **argv, const char *command);

/* Prints e in Chinese with its code ("错误 [E_CODE] message（原因：detail）")
 * to stderr, untrusted characters escaped (common/esc.h), and returns the
 * sysexits status for e->status. */
int cli_report(const struct bz_error *e);

/* The sysexits status of a class (a bz_status, common/codes.h): the one
 * table from class to exit status. */
int cli_exit_status(int status);

/* Today as yyyymmdd in Asia/Shanghai, or BIZENV_TODAY (YYYY-MM-DD) when set
 * (tests and re-runs pin the date through it). */
int cli_today(void);

/* Parses YYYY-MM-DD into yyyymmdd, checking the day exists; -1 if invalid. */
int cli_parse_date(const char *str);

#endif
