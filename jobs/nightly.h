/*
 * nightly — the job cron runs every night, in the order of the product
 * spec: pending migrations, ingest of the inbox, refresh of the rankings,
 * exports, and a run summary. One run at a time (runlock), recorded in
 * meta.run (load/runs.h), logged line by line in bizenv.log. The
 * statements it needs are load/'s (runs.h, ranking.h, export.h): this
 * module only drives them and writes the summary.
 *
 * It never prints: the summary text comes back in struct nightly_report
 * and the command decides whether cron should see it.
 */
#ifndef BZ_NIGHTLY_H
#define BZ_NIGHTLY_H

#include "../common/dbuf.h"
#include "cli.h"
#include "pipeline.h"

/* Rejected files named in the summary; more are counted, not listed. */
#define NIGHTLY_MAX_LISTED 200

struct nightly_report {
    long long run_id; /* meta.run id, 0 when the database was not reached */
    int as_of;        /* yyyymmdd */
    struct pipeline_stats stats;
    struct pipeline_file rejected[NIGHTLY_MAX_LISTED]; /* name pointers are copied below */
    char rejected_names[NIGHTLY_MAX_LISTED][256];
    size_t nrejected;
    char refreshed[32][10];      /* periods whose ranking changed and was stored anew */
    long long refreshed_run[32]; /* their facts.ranking_run ids, which the exports record */
    size_t nrefreshed;
    size_t nexported;       /* periods exported (step 4) */
    size_t nexport_changed; /* of those, exports that changed published figures */
    char drift[256];        /* what was found changed outside bizenv (record.h), "" none */
    int backup_failed;      /* the night's backup failed (the summary says why) */
    char backup_path[BZ_PATH_MAX + 128]; /* the backup made, "" none */
    struct dbuf summary;                 /* Chinese run summary (also written to runs/) */
    char summary_path[BZ_PATH_MAX + 64];
};

/* Progress callback: one call per file. */
typedef void (*nightly_observer)(const struct pipeline_file *f, size_t done, size_t total,
                                 void *arg);

/*
 * Runs the night as of `as_of` (yyyymmdd). Returns 0 when the job did its
 * work (rejected submissions are not a failure of the job), or the failure
 * (BZ_EBUSY, BZ_EDB, BZ_EIO, BZ_ETIMEOUT, BZ_ECONFIG, ...) with e filled.
 * r->summary holds the summary in both cases; the caller frees it with
 * dbuf_free.
 */
int nightly_run(struct cli *cli, int as_of, nightly_observer obs, void *obs_arg,
                struct nightly_report *r, struct bz_error *e);

#endif
