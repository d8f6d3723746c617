/*
 * commands — the subcommands of the bizenv binary and the table that
 * describes them.
 *
 * Each subcommand is jobs/cmd_NAME.c; it returns a sysexits.h status and is
 * the only code that prints for its command. The table (jobs/commands.c)
 * gives each one its synopsis, options and a one-line Chinese description:
 * `bizenv --help`, `bizenv COMMAND --help`, the "did you mean" of an
 * unknown option or command, the bash completion and the man page test all
 * read it (jobs/help.c). A new command is one row there.
 */
#ifndef BZ_COMMANDS_H
#define BZ_COMMANDS_H

#include "cli.h"

/* One option of a command (or a global one). */
struct cmd_option {
    const char *name;  /* "--as-of" */
    const char *value; /* its value as the synopsis writes it ("YYYY-MM-DD", "目录",
                          "table|csv"), NULL for a flag; "目录" and "文件" complete
                          folders and files, "a|b" the words a and b */
    const char *help;  /* one line, Chinese */
};

/* One subcommand. */
struct command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *args;    /* what follows "bizenv NAME" in the synopsis (options in
                            brackets, Chinese placeholders for operands), "" for none */
    const char *summary; /* one line, Chinese */
    const char *words;   /* its fixed first operand words, space separated ("start stop"),
                            or NULL */
    const char *operand; /* the other operands, for completion: "文件", "目录" or NULL */
    const struct cmd_option *options; /* ended by a row whose name is NULL */
};

/* Every subcommand, in the order `bizenv --help` lists them; ended by a row
 * whose name is NULL. */
extern const struct command commands_table[];

/* The options every command takes (cli_init and main take them out of argv
 * wherever they are); ended by a row whose name is NULL. */
extern const struct cmd_option commands_global_options[];

/* The row of the command called `name`, or NULL. */
const struct command *commands_find(const char *name);

int cmd_validate(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_codes(struct cli *cli, int argc, char **argv);
int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_nightly(struct cli *cli, int argc, char **argv);
int cmd_runs(struct cli *cli, int argc, char **argv);
int cmd_db(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);
int cmd_registry(struct cli *cli, int argc, char **argv);
int cmd_rank(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_counties(struct cli *cli, int argc, char **argv);
int cmd_template(struct cli *cli, int argc, char **argv);
int cmd_weights(struct cli *cli, int argc, char **argv);
int cmd_setting(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_rebuild(struct cli *cli, int argc, char **argv);
int cmd_analyst(struct cli *cli, int argc, char **argv);
int cmd_dictionary(struct cli *cli, int argc, char **argv);

#endif
