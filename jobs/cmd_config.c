#include "commands.h"

#include "../ingest/sandbox.h"

#include <sysexits.h>

int
cmd_config(struct cli *cli, int argc, char **argv)
{
    int rc = cli_no_more_options(argc, argv, "config");
    if (rc != 0)
        return rc;
    settings_print(&cli->settings, stdout);
    /* a comment line: the output stays a valid bizenv.conf */
    printf("# %s\n", sandbox_describe());
    return EX_OK;
}
