/*
 * bizenv codes — the catalog of error and warning codes with their Chinese
 * titles, so a code seen in a receipt or a cron mail can be looked up.
 */
#include "commands.h"

#include "../common/codes.h"

#include <sysexits.h>

int
cmd_codes(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    int rc = cli_no_more_options(argc, argv, "codes");
    if (rc != 0)
        return rc;
    static const char *const cls[] = {"错误（退回）", "警告（接收）", "运行故障"};
    for (int i = 0; i < codes_count(); i++) {
        const char *code = codes_at(i);
        printf("%-30s %-14s %s\n", code, cls[codes_class(code)], codes_title(code));
    }
    return EX_OK;
}
