/*
 * bizenv — entry point: global options, then one subcommand.
 */
#include "cli.h"
#include "commands.h"

#include "../transform/transform.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

struct command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *usage; /* Chinese, one line */
};

static const struct command commands[] = {
    {"validate", cmd_validate,
     "validate [--format text|json] [--registry CSV] FILE...  离线检查报送文件并打印回执"},
    {"ingest", cmd_ingest, "ingest [--inbox DIR]                    收取收件箱中的报送并入库"},
    {"nightly", cmd_nightly,
     "nightly [--as-of YYYY-MM-DD]            夜间任务：升级、收件、排名、导出、运行摘要"},
    {"runs", cmd_runs, "runs [--last N]                         最近的运行记录"},
    {"codes", cmd_codes, "codes                                   全部错误与警告代码及其含义"},
    {"config", cmd_config, "config                                  显示全部设置及默认值"},
    {"db", cmd_db, "db start|stop|status|psql [参数]         内置数据库的启停、状态与 psql"},
    {"migrate", cmd_migrate,
     "migrate [--list]                        执行（或列出）待执行的数据库升级"},
    {"registry", cmd_registry,
     "registry load FILE                      载入全县乡镇名录（CSV：code,name）"},
    {"rank", cmd_rank,
     "rank PERIOD [--as-of DATE] [--format table|csv]  "
     "乡镇排名（期间：2026-10、2026-Q4、2026-H2、2026）"},
    {"export", cmd_export,
     "export PERIOD [--as-of DATE] [--out DIR]  导出排名（Excel、CSV、ADX 汇总）供州里使用"},
    {"counties", cmd_counties,
     "counties load FILE                      州级：载入县名录（CSV：code,name）"},
    {"template", cmd_template,
     "template PERIOD [--township CODE] [--revise] [--out DIR]  生成乡镇月报填报表（.xlsx）"},
};

#if defined(__SANITIZE_ADDRESS__)
/* libxlsxwriter 1.1.4 loses its copy of a list validation's formula
 * (worksheet_data_validation_range with LXW_VALIDATION_TYPE_LIST_FORMULA;
 * later versions free it): some 30 bytes for each walk's leader and window
 * dropdown of a template, bounded and not ours. The library has no frame
 * pointers, so the sanitizer's stack ends at its lxw_strdup.
 * tests/lib/valgrind.supp names the same leak for valgrind. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:lxw_strdup\n";
}

const char *
__lsan_default_options(void)
{
    return "print_suppressions=0";
}
#endif

/* libxml2 could not get memory (transform_set_oom_hook): say so and exit
 * without unwinding; a claimed file goes back to the inbox on the next run. */
static void
out_of_memory(void)
{
    static const char msg[] =
        "bizenv: 错误 [E_NOMEM] 内存不足（XML 解析器无法分配内存），运行中止\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(EX_OSERR);
}

/* The memory cap: RLIMIT_DATA (heap and private mappings), so a file that
 * needs more fails an allocation instead of swapping the machine to death.
 * Not under AddressSanitizer, whose shadow memory counts against it. */
static void
cap_memory(long long bytes)
{
#if !defined(__SANITIZE_ADDRESS__)
    struct rlimit rl;
    if (bytes <= 0 || getrlimit(RLIMIT_DATA, &rl) < 0)
        return;
    if (rl.rlim_max == RLIM_INFINITY || (rlim_t)bytes < rl.rlim_max) {
        rl.rlim_cur = (rlim_t)bytes;
        setrlimit(RLIMIT_DATA, &rl);
    }
#else
    (void)bytes;
#endif
}

static void
usage(FILE *out)
{
    fprintf(out, "用法：bizenv [--home DIR] [--db CONNINFO] [--config FILE] [--set KEY=VALUE] "
                 "[--verbose] 命令 [参数]\n\n命令：\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %s\n", commands[i].usage);
}

int
main(int argc, char **argv)
{
    struct cli cli;

    setlocale(LC_CTYPE, "C.UTF-8");
    /* libarchive turns every zip entry's DOS time into time_t with mktime,
     * and glibc re-reads /etc/localtime for each call while TZ is unset
     * (a stat per entry: a tenth of reading a workbook). The same zone,
     * named once, is read once. */
    if (getenv("TZ") == NULL)
        setenv("TZ", ":/etc/localtime", 0);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        usage(stdout);
        return EX_OK;
    }
    int rc = cli_init(&cli, &argc, argv);
    if (rc != 0)
        return rc;
    cap_memory(cli.settings.max_memory_bytes);
    transform_set_oom_hook(out_of_memory);
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(&cli, argc - 1, argv + 1);
    fprintf(stderr, "bizenv: 错误 [E_USAGE] 未知命令“%s”\n", argv[1]);
    usage(stderr);
    return EX_USAGE;
}
