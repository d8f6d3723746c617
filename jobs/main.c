/*
 * bizenv — entry point: global options, then one subcommand.
 */
#include "cli.h"
#include "commands.h"
#include "help.h"

#include "../transform/transform.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

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
    /* before any setting is read: they answer even with a broken config */
    int rc = help_handle(argc, argv);
    if (rc >= 0)
        return rc;
    rc = cli_init(&cli, &argc, argv);
    if (rc != 0)
        return rc;
    cap_memory(cli.settings.max_memory_bytes);
    transform_set_oom_hook(out_of_memory);
    if (argc < 2) {
        help_main(stderr);
        return EX_USAGE;
    }
    if (argv[1][0] == '-') { /* not a global option cli_init knows */
        help_unknown_option(NULL, argv[1]);
        return EX_USAGE;
    }
    const struct command *c = commands_find(argv[1]);
    if (c == NULL) {
        help_unknown_command(argv[1]);
        return EX_USAGE;
    }
    return c->run(&cli, argc - 1, argv + 1);
}
