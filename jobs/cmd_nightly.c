/*
 * bizenv nightly [--as-of DATE] — the cron job.
 *
 * Cron mails whatever a job prints, so a clean night prints nothing and
 * exits 0. Rejected submissions are the townships' problem, not the job's:
 * exit 0, but print the summary so cron mails it; so are a change made
 * to the database outside bizenv and a failed backup. A failure of the job
 * itself prints one Chinese message with its code and exits with the
 * sysexits status that fits. --verbose, or a terminal, shows progress and
 * the summary.
 */
#include "commands.h"

#include "../common/esc.h"
#include "nightly.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

struct progress {
    int tty;     /* draw a bar on stderr */
    int verbose; /* one line per file on stdout */
};

static void
show_progress(const struct pipeline_file *f, size_t done, size_t total, void *arg)
{
    const struct progress *p = arg;
    if (p->tty) {
        const int width = 30;
        int filled = total ? (int)(done * (size_t)width / total) : width;
        fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled, "##############################",
                width - filled, "", done, total);
        if (done == total)
            fputc('\n', stderr);
        fflush(stderr);
    } else if (p->verbose) {
        char name[4 * BZ_PATH_MAX];
        printf("[%zu/%zu] %s：报表 %zu 份，接收 %zu，重复 %zu，退回 %zu\n", done, total,
               esc_text(name, sizeof(name), f->name), f->submissions, f->accepted, f->duplicates,
               f->rejected);
        fflush(stdout);
    }
}

int
cmd_nightly(struct cli *cli, int argc, char **argv)
{
    const char *as_of_text = NULL;
    struct nightly_report *r;
    struct bz_error e;

    if (cli_take_opt(&argc, argv, "--as-of", &as_of_text) < 0)
        return EX_USAGE;
    int rc = cli_no_more_options(argc, argv, "nightly");
    if (rc != 0)
        return rc;
    int as_of = as_of_text ? cli_parse_date(as_of_text) : cli_today();
    if (as_of < 0 || argc > 1) {
        fprintf(stderr, "用法：bizenv nightly [--as-of YYYY-MM-DD]\n");
        return EX_USAGE;
    }
    r = malloc(sizeof(*r));
    if (r == NULL) {
        bz_error_set(&e, E_NOMEM, "内存不足");
        return cli_report(&e);
    }
    struct progress p = {isatty(STDERR_FILENO) && isatty(STDOUT_FILENO), cli->verbose};
    bz_error_clear(&e);
    rc = nightly_run(cli, as_of, show_progress, &p, r, &e);
    /* a failed job says one thing, its error; the summary is in runs/ */
    int show = rc == 0 && (p.tty || p.verbose || r->stats.rejected > 0 ||
                           r->stats.files_retry > 0 || r->drift[0] != '\0' || r->backup_failed);
    if (show && r->summary.data != NULL)
        fputs(r->summary.data, stdout);
    int status = rc < 0 ? cli_report(&e) : EX_OK;
    if (rc < 0 && r->summary_path[0] != '\0')
        fprintf(stderr, "  运行摘要：%s\n", r->summary_path);
    dbuf_free(&r->summary);
    free(r);
    return status;
}
