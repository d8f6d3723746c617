/*
 * bizenv rebuild — the database again from the journal (jobs/replay.h):
 * into an empty database (a missing private cluster is created), every
 * journaled input in its order, then every export still in exports/
 * compared byte for byte with the replay's. Prints what was replayed,
 * anything that came out differently and why, and "N/N exports
 * reproduced".
 *
 * Exit: 0 everything reproduced; 65 an export or a file's outcome
 * differs (named above it); 78 the database is not empty, or there is no
 * journal; 69/74/75 as for any command.
 */
#include "commands.h"

#include "replay.h"

#include <stdio.h>
#include <sysexits.h>

int
cmd_rebuild(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct replay_report rep;

    if (cli_no_more_options(argc, argv, "rebuild") != 0)
        return EX_USAGE;
    if (argc > 1) {
        fprintf(stderr, "用法：bizenv rebuild\n");
        return EX_USAGE;
    }
    bz_error_clear(&e);
    int rc = replay_rebuild(cli, &rep, &e);
    if (rep.notes.len > 0)
        fputs(rep.notes.data, stdout);
    if (rc < 0) {
        dbuf_free(&rep.notes);
        return cli_report(&e);
    }
    printf("日志 %zu 行（损坏 %zu 行）；本次重放 %zu 组，跳过未提交的 %zu 组", rep.lines,
           rep.damaged, rep.groups, rep.skipped);
    if (rep.done_before)
        printf("，此前中断的重建已重放 %zu 组", rep.done_before);
    printf("；重放文件 %zu 个", rep.files);
    if (rep.files_differ)
        printf("，其中 %zu 个结果不同", rep.files_differ);
    printf("\n");
    if (rep.history > 0)
        printf("注意：日志开始时数据库已有 %lld 个文件的历史，它们不在日志中，无法重现\n",
               rep.history);
    printf("%zu/%zu exports reproduced（exports/ 中的导出逐字节重现）\n", rep.exports_same,
           rep.exports);
    if (rep.scratch[0] != '\0')
        printf("重放得到的导出文件留在 %s，供比较\n", rep.scratch);
    dbuf_free(&rep.notes);
    if (rep.exports_same != rep.exports || rep.files_differ > 0) {
        bz_error_set(&e, E_REBUILD_DIFFERS, "重建完成，但有导出或文件的结果与原来不同（见上）");
        return cli_report(&e);
    }
    return EX_OK;
}
