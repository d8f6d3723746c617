/*
 * bizenv backup [--out DIR] — a consistent backup of the database
 * (pg_dump custom format, private or configured server) and the journal,
 * in one tar file (jobs/backup.h), into the backups folder or DIR. Holds
 * the run lock meanwhile, so no night or registry load runs in between.
 *
 * Exit: 0 written (its path printed); 69 database unreachable or pg_dump
 * failed; 74 I/O error; 75 a night is running.
 */
#include "commands.h"

#include "../common/esc.h"
#include "backup.h"
#include "record.h"

#include <stdio.h>
#include <sysexits.h>

int
cmd_backup(struct cli *cli, int argc, char **argv)
{
    const char *out = NULL;
    struct bz_error e;
    struct record_session rs;
    struct backup_result r;
    char shown[4 * sizeof(r.path)];

    if (cli_take_opt(&argc, argv, "--out", &out) < 0)
        return EX_USAGE;
    if (cli_no_more_options(argc, argv, "backup") != 0)
        return EX_USAGE;
    if (argc > 1) {
        fprintf(stderr, "用法：bizenv backup [--out 目录]\n");
        return EX_USAGE;
    }
    bz_error_clear(&e);
    /* the journal opened (and its last group closed) before it is copied */
    if (record_session_open(cli, &rs, &e) < 0)
        return cli_report(&e);
    record_warn_drift(&rs.rec, stderr);
    int rc = record_sync(&rs.rec, &e);
    if (rc == 0)
        rc = backup_make(rs.conn, &cli->settings, out, &r, &e);
    record_session_close(&rs);
    if (rc < 0)
        return cli_report(&e);
    printf("已备份：%s（%lld 字节，日志到第 %lld 行）\n", esc_text(shown, sizeof(shown), r.path),
           r.size, r.seq);
    printf("请把它和归档目录 %s 一起复制到本机以外的地方\n",
           esc_text(shown, sizeof(shown), cli->settings.archive));
    return EX_OK;
}
