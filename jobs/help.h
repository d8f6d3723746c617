/*
 * help — what bizenv says about itself, all of it read from the command
 * table (jobs/commands.h): `bizenv --help`, `bizenv COMMAND --help`,
 * `bizenv --version`, the bash completion script, and the "did you mean"
 * of an unknown option or command.
 *
 * Part of jobs/: it prints. It reads no settings, so --help and --version
 * answer even when the config file is broken.
 */
#ifndef BZ_HELP_H
#define BZ_HELP_H

#include "commands.h"

#include <stdio.h>

/*
 * Answers --help, --version, --bash-completion and `bizenv help [COMMAND]`
 * wherever they stand on the line (before a "--"): prints to stdout and
 * returns the exit status (0; 64 for the help of an unknown command).
 * Returns -1 when none of them was asked for.
 */
int help_handle(int argc, char **argv);

/* The usage of bizenv: synopsis, commands, global options, exit statuses. */
void help_main(FILE *out);


/*
 * Says on stderr that `arg` is not an option of `command` (NULL: a global
 * option before the command) and names the closest known one, or lists
 * the options when none is close.
 */
void help_unknown_option(const char *command, const char *arg);

/* Says on stderr that `arg` is not a command and names the closest one. */
void help_unknown_command(const char *arg);

#endif
