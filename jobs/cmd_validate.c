#include "commands.h"

#include <sysexits.h>

int
cmd_validate(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    return EX_SOFTWARE;
}
