/*
 * bizenv registry load FILE — load the county's township registry
 * (townships.csv) into ref.township: new codes added, names updated,
 * missing townships marked inactive (never deleted), returning ones
 * reactivated.
 *
 * bizenv counties load FILE — (prefecture) load the registry of counties
 * whose ADX roll-ups `bizenv ingest` accepts; a database with counties
 * ranks counties (sql/report/figures.sql).
 *
 * Both read the file with the one registry parser (load/regcsv.h) before
 * touching the database, archive its bytes by SHA-256, load it
 * (load/registry.h) in one transaction with its journal line
 * (jobs/record.h), so `bizenv rebuild` loads the same bytes at the same
 * place, print a one-line Chinese summary, then keep a copy of the bytes
 * loaded in the home (jobs/regcopy.h). Journaling holds the run lock: a
 * load waits for no night, it fails (75) while one runs. Exit (from the
 * error's code): 0 loaded; 65 bad file (the line is named); 66 file
 * missing; 69 database unreachable; 64 usage; 75 a night is running.
 */
#include "commands.h"

#include "../ingest/archived.h"
#include "../load/jstate.h"
#include "../load/registry.h"
#include "record.h"
#include "regcopy.h"

#include <stdio.h>
#include "session.h"

#include <string.h>
#include <sysexits.h>

/* The load and its journal line in one transaction, the bytes archived
 * first. On failure nothing changed and no line counts. */
static int
load_journaled(struct record_session *rs, const char *path, const struct regcsv *reg,
               struct registry_stats *stats, struct bz_error *e)
{
    char sha[65];
    const char *base = strrchr(path, '/');
    int townships = reg->kind == REGCSV_TOWNSHIPS;
    int rc = archived_put(rs->rec.s, reg->data, reg->len, sha, e);
    if (rc == 0)
        rc = jstate_txn_begin(rs->conn, e);
    if (rc < 0)
        return rc;
    rc = townships ? registry_merge_townships(rs->conn, reg, stats, e)
                   : registry_load_counties(rs->conn, reg, stats, e);
    if (rc == 0) {
        struct journal_line *l = record_line(&rs->rec, "registry");
        journal_add_str(l, "kind", townships ? "townships" : "counties");
        journal_add_str(l, "sha256", sha);
        journal_add_int(l, "size", (long long)reg->len);
        journal_add_str(l, "name", base ? base + 1 : path);
        record_add_time(l);
        rc = record_line_end(&rs->rec, l, e);
    }
    rc = record_session_commit(rs, rc, e);
    if (rc < 0)
        memset(stats, 0, sizeof(*stats));
    return rc;
}

/* Reads, loads and keeps a copy of one registry file. */
static int
load_file(struct cli *cli, const char *path, enum regcsv_kind kind, const char *copy)
{
    struct bz_error e;
    struct registry_stats stats;
    struct regcsv reg;
    struct record_session rs;

    bz_error_clear(&e);
    /* the file first: a bad one is refused before any database is touched */
    int rc = regcsv_read(path, kind, &reg, &e);
    if (rc == 0)
        rc = record_session_open(cli, &rs, &e);
    if (rc == 0) {
        record_warn_drift(&rs.rec, stderr);
        rc = load_journaled(&rs, path, &reg, &stats, &e);
        record_session_close(&rs);
    }
    if (rc == 0 && kind == REGCSV_TOWNSHIPS)
        printf("乡镇名录已载入：新增 %d，更名 %d，停用 %d，恢复 %d，未变 %d\n", stats.added,
               stats.renamed, stats.inactivated, stats.reactivated, stats.unchanged);
    else if (rc == 0)
        printf("县名录已载入：新增 %d，更名 %d，停用 %d\n", stats.added, stats.renamed,
               stats.inactivated);
    /* for validate, and the sign the nightly service waits for */
    if (rc == 0)
        rc = regcopy_save(reg.data, reg.len, copy, &e);
    regcsv_free(&reg);
    return rc < 0 ? cli_report(&e) : EX_OK;
}

int
cmd_registry(struct cli *cli, int argc, char **argv)
{
    int rc = cli_no_more_options(argc, argv, "registry");
    if (rc != 0)
        return rc;
    if (argc != 3 || strcmp(argv[1], "load") != 0) {
        fputs("用法：bizenv registry load 文件\n", stderr);
        return EX_USAGE;
    }
    return load_file(cli, argv[2], REGCSV_TOWNSHIPS, cli->settings.registry);
}

int
cmd_counties(struct cli *cli, int argc, char **argv)
{
    char copy[BZ_PATH_MAX + 32];
    if (cli_no_more_options(argc, argv, "counties") != 0)
        return EX_USAGE;
    if (argc != 3 || strcmp(argv[1], "load") != 0) {
        fputs("用法：bizenv counties load 文件（州级：县名录 CSV，表头 code,name）\n", stderr);
        return EX_USAGE;
    }
    snprintf(copy, sizeof(copy), "%s/" REGCOPY_COUNTIES, cli->settings.home);
    return load_file(cli, argv[2], REGCSV_COUNTIES, copy);
}
