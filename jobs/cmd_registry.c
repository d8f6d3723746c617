/*
 * bizenv registry load FILE — load the county's township registry
 * (townships.csv) into ref.township: new codes added, names updated,
 * missing townships marked inactive (never deleted), returning ones
 * reactivated. Prints a one-line Chinese summary, then keeps a copy of the
 * file as loaded at the `registry` setting (jobs/regcopy.h).
 *
 * Exit: 0 loaded; 65 bad file (the line is named); 66 file missing;
 * 69 database unreachable; 64 usage.
 */
#include "commands.h"

#include "../load/registry.h"
#include "regcopy.h"
#include "session.h"

#include <string.h>
#include <sysexits.h>

static const char usage_text[] = "用法：bizenv registry load 文件";

int
cmd_registry(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct registry_stats stats;
    struct regcsv reg;

    int rc = cli_no_more_options(argc, argv, "registry");
    if (rc != 0)
        return rc;
    if (argc != 3 || strcmp(argv[1], "load") != 0) {
        fprintf(stderr, "%s\n", usage_text);
        return EX_USAGE;
    }
    bz_error_clear(&e);
    /* the file first: a bad one is refused before any database is touched */
    rc = regcsv_read(argv[2], REGCSV_TOWNSHIPS, &reg, &e);
    PGconn *conn = rc == 0 ? session_open(cli, &e) : NULL;
    if (conn != NULL)
        rc = registry_load_townships(conn, &reg, &stats, &e);
    else if (rc == 0)
        rc = e.status;
    PQfinish(conn);
    if (rc == 0)
        printf("乡镇名录已载入：新增 %d，更名 %d，停用 %d，恢复 %d，未变 %d\n", stats.added,
               stats.renamed, stats.inactivated, stats.reactivated, stats.unchanged);
    /* for validate, and the sign the nightly service waits for */
    if (rc == 0)
        rc = regcopy_save(reg.data, reg.len, cli->settings.registry, &e);
    regcsv_free(&reg);
    return rc < 0 ? cli_report(&e) : EX_OK;
}
