/*
 * bizenv restore FILE — a backup made by `bizenv backup` or the nightly
 * (jobs/backup.h) into an empty home: the database from its dump (the
 * private cluster is created; a configured database must hold no bizenv
 * schema), the journal, the instance id and the registry copies. The
 * archive folder is not in a backup: it is copied back by hand, and only
 * `bizenv rebuild` needs it.
 *
 * Exit: 0 restored; 65 the file is not a whole bizenv backup; 66 no such
 * file; 69 the database; 78 the home has history or the database is not
 * new.
 */
#include "commands.h"

#include "../common/esc.h"
#include "backup.h"
#include "runlock.h"
#include "session.h"

#include <stdio.h>
#include <sysexits.h>

int
cmd_restore(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct backup_restored r;
    struct runlock lock = {-1};
    char shown[4 * BZ_PATH_MAX];

    if (cli_no_more_options(argc, argv, "restore") != 0)
        return EX_USAGE;
    if (argc != 2) {
        fprintf(stderr, "用法：bizenv restore 备份文件\n");
        return EX_USAGE;
    }
    bz_error_clear(&e);
    int rc = session_folders(&cli->settings, &e);
    if (rc == 0)
        rc = runlock_file(&lock, &cli->settings, &e);
    if (rc == 0)
        rc = backup_restore(cli, argv[1], &r, &e);
    runlock_release(&lock);
    if (rc < 0)
        return cli_report(&e);
    printf("已从备份恢复：实例 %s，备份于 %s（bizenv %s），日志到第 %lld 行\n", r.instance,
           r.created, r.build, r.seq);
    printf("归档目录不在备份中：若要 bizenv rebuild，请把原来的归档复制到 %s\n",
           esc_text(shown, sizeof(shown), cli->settings.archive));
    return EX_OK;
}
