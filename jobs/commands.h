/*
 * commands — the subcommands of the bizenv binary, one file each
 * (jobs/cmd_NAME.c). Each returns a sysexits.h status and is the only
 * code that prints for its command.
 */
#ifndef BZ_COMMANDS_H
#define BZ_COMMANDS_H

#include "cli.h"

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

#endif
