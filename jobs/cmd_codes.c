/*
 * bizenv codes — the catalog of error and warning codes: each code, the
 * exit status a command ends with when it fails with it (from the code's
 * class, common/codes.h, jobs/cli.c), its class and its Chinese title, so
 * a code seen in a receipt or a cron mail can be looked up.
 */
#include "commands.h"

#include "../common/codes.h"

#include <sysexits.h>

/* The classes as county staff read them. */
static const char *
class_label(enum bz_status status)
{
    switch (status) {
    case BZ_OK:
        return "警告（接收）";
    case BZ_EINPUT:
        return "输入有误（退回）";
    case BZ_ECONFLICT:
        return "与已有数据冲突";
    case BZ_EUSAGE:
        return "命令用法";
    case BZ_ENOTFOUND:
        return "找不到输入";
    case BZ_EDB:
        return "数据库故障";
    case BZ_ESCHEMA:
        return "数据库与程序版本不符";
    case BZ_ENOMEM:
        return "内存不足";
    case BZ_EIO:
        return "读写失败";
    case BZ_EBUSY:
        return "暂时占用";
    case BZ_ETIMEOUT:
        return "超时";
    case BZ_ECONFIG:
        return "配置错误";
    default:
        return "内部错误";
    }
}

int
cmd_codes(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    int rc = cli_no_more_options(argc, argv, "codes");
    if (rc != 0)
        return rc;
    printf("代码                           退出状态  类别：说明\n");
    for (int i = 0; i < BZ_NCODES; i++) {
        enum bz_code code = (enum bz_code)i;
        enum bz_status status = codes_status(code);
        printf("%-30s %8d  %s：%s\n", codes_name(code), cli_exit_status(status),
               class_label(status), codes_title_of(code));
    }
    return EX_OK;
}
