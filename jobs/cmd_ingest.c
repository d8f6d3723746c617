/*
 * bizenv ingest [--inbox DIR] — one pass over the inbox, with a summary.
 */
#include "commands.h"

#include "../common/esc.h"
#include "pipeline.h"
#include "record.h"
#include "runlock.h"
#include "session.h"

#include <string.h>
#include <sysexits.h>

static const char *
state_label(enum pipeline_file_state state)
{
    switch (state) {
    case PIPELINE_FILE_ACCEPTED:
        return "接收";
    case PIPELINE_FILE_DUPLICATE:
        return "重复";
    case PIPELINE_FILE_REJECTED:
        return "退回";
    case PIPELINE_FILE_RETRY:
        return "未完成，留待下次";
    }
    return "";
}

static void
show_file(const struct pipeline_file *f, size_t done, size_t total, void *arg)
{
    char name[4 * BZ_PATH_MAX], codes[4 * sizeof(f->codes)];
    (void)arg;
    printf("[%zu/%zu] %s：%s（报表 %zu 份", done, total, esc_text(name, sizeof(name), f->name),
           state_label(f->state), f->submissions);
    if (f->rejected > 0)
        printf("，退回 %zu 份：%s", f->rejected, esc_text(codes, sizeof(codes), f->codes));
    printf("）\n");
    fflush(stdout);
}

int
cmd_ingest(struct cli *cli, int argc, char **argv)
{
    const char *inbox = NULL;
    struct bz_error e;
    struct runlock lock;
    struct pipeline_stats stats;
    char day[16];

    bz_error_clear(&e);
    if (cli_take_opt(&argc, argv, "--inbox", &inbox) < 0)
        return EX_USAGE;
    int rc = cli_no_more_options(argc, argv, "ingest");
    if (rc != 0)
        return rc;
    if (argc > 1) {
        fprintf(stderr, "用法：bizenv ingest [--inbox 目录]\n");
        return EX_USAGE;
    }
    if (session_folders(&cli->settings, &e) < 0 || runlock_file(&lock, &cli->settings, &e) < 0)
        return cli_report(&e);
    /* the readers first: they never share memory with a connection */
    struct sandbox *reader = NULL;
    PGconn *conn = NULL;
    struct record rec;
    rec.j.fd = -1;
    if (sandbox_start(&cli->settings, &reader, &e) == 0)
        conn = session_open_home(cli, &e);
    if (conn == NULL || runlock_db(conn, &e) < 0 ||
        record_open(&rec, &cli->settings, conn, &e) < 0) {
        PQfinish(conn);
        sandbox_stop(reader);
        runlock_release(&lock);
        return cli_report(&e);
    }
    record_warn_drift(&rec, stderr);
    int today = cli_today();
    snprintf(day, sizeof(day), "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
    struct pipeline_opts o = {.inbox = inbox ? inbox : cli->settings.inbox,
                              .day = day,
                              .today = today,
                              .reader = reader,
                              .observer = show_file,
                              .rec = &rec};
    memset(&stats, 0, sizeof(stats));
    rc = record_run(&rec, "ingest", 0, day, today, day, &e);
    if (rc == 0)
        rc = pipeline_ingest(conn, &cli->settings, &o, &stats, &e);
    if (rc == 0)
        rc = record_sync(&rec, &e);
    record_close(&rec);
    printf("收件 %zu 个文件：接收 %zu，重复 %zu，退回 %zu", stats.files_seen, stats.files_accepted,
           stats.files_duplicate, stats.files_rejected);
    if (stats.files_retry > 0)
        printf("，未完成 %zu", stats.files_retry);
    printf("；报表 %zu 份：接收 %zu，重复 %zu，退回 %zu，警告 %zu 条\n", stats.submissions,
           stats.accepted, stats.duplicates, stats.rejected, stats.warnings);
    PQfinish(conn);
    sandbox_stop(reader);
    runlock_release(&lock);
    return rc < 0 ? cli_report(&e) : EX_OK;
}
