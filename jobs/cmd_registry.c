/*
 * bizenv registry load FILE — load the county's township registry
 * (townships.csv) into ref.township: new codes added, names updated,
 * missing townships marked inactive (never deleted), returning ones
 * reactivated. The file is archived by its SHA-256 and journaled
 * (jobs/record.h) in the same transaction, so `bizenv rebuild` loads the
 * same bytes at the same place. Prints a one-line Chinese summary, then
 * keeps a copy of the file at the `registry` setting (jobs/regcopy.h).
 *
 * Exit: 0 loaded; 65 bad file (the line is named); 66 file missing;
 * 69 database unreachable; 64 usage; 75 a night is running.
 */
#include "commands.h"

#include "../common/dbuf.h"
#include "../ingest/archived.h"
#include "../load/loader.h"
#include "../load/pgutil.h"
#include "record.h"
#include "regcopy.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const char usage_text[] = "用法：bizenv registry load 文件";

/* The load, its journal line and its COMMIT, in one transaction. */
static int
load(struct record_session *rs, const char *path, const struct dbuf *data,
     struct loader_registry_stats *st, struct bz_error *e)
{
    char sha[65];
    const char *base = strrchr(path, '/');
    int rc = archived_put(rs->rec.s, data->data ? data->data : "", data->len, sha, e);
    if (rc == 0)
        rc = pgutil_exec(rs->conn, "BEGIN", "开始载入乡镇名录", e);
    if (rc < 0)
        return rc;
    rc = loader_registry_merge(rs->conn, data->data ? data->data : "", data->len, path, st, e);
    if (rc == 0) {
        struct journal_line *l = record_line(&rs->rec, "registry");
        journal_add_str(l, "kind", "townships");
        journal_add_str(l, "sha256", sha);
        journal_add_int(l, "size", (long long)data->len);
        journal_add_str(l, "name", base ? base + 1 : path);
        record_add_time(l);
        rc = record_line_end(&rs->rec, l, e);
    }
    if (rc == 0)
        rc = record_prepare(&rs->rec, 1, 1, e);
    if (rc == 0)
        rc = pgutil_exec(rs->conn, "COMMIT", "提交乡镇名录", e);
    if (rc < 0) {
        pgutil_rollback(rs->conn);
        record_abandon(&rs->rec);
        return rc;
    }
    struct bz_error ignored; /* a lost commit line is closed by the next writer */
    record_committed(&rs->rec, &ignored);
    return 0;
}

int
cmd_registry(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct loader_registry_stats st;
    struct record_session rs;
    struct dbuf data;

    int rc = cli_no_more_options(argc, argv, "registry");
    if (rc != 0)
        return rc;
    if (argc != 3 || strcmp(argv[1], "load") != 0) {
        fprintf(stderr, "%s\n", usage_text);
        return EX_USAGE;
    }
    bz_error_clear(&e);
    dbuf_init(&data, LOADER_REGISTRY_MAX_BYTES);
    rc = loader_registry_read(argv[2], &data, &e);
    if (rc == 0)
        rc = record_session_open(cli, &rs, &e);
    if (rc < 0) {
        dbuf_free(&data);
        return cli_report(&e);
    }
    record_warn_drift(&rs.rec, stderr);
    rc = load(&rs, argv[2], &data, &st, &e);
    record_session_close(&rs);
    dbuf_free(&data);
    if (rc < 0)
        return cli_report(&e);
    printf("乡镇名录已载入：新增 %d，更名 %d，停用 %d，恢复 %d，未变 %d\n", st.added, st.renamed,
           st.inactivated, st.reactivated, st.unchanged);
    /* for validate, and the sign the nightly service waits for */
    if (regcopy_save(argv[2], cli->settings.registry, &e) < 0)
        return cli_report(&e);
    return EX_OK;
}
