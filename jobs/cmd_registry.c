/*
 * bizenv registry load FILE — load the county's township registry
 * (townships.csv) into ref.township: new codes added, names updated,
 * missing townships marked inactive (never deleted), returning ones
 * reactivated. Prints a one-line Chinese summary, then keeps a copy of the
 * file at the `registry` setting (jobs/regcopy.h).
 *
 * Exit: 0 loaded; 65 bad file (the line is named); 66 file missing;
 * 69 database unreachable; 64 usage.
 */
#include "commands.h"

#include "../load/loader.h"
#include "regcopy.h"
#include "session.h"

#include <string.h>
#include <sysexits.h>

static const char usage_text[] = "用法：bizenv registry load 文件";

int
cmd_registry(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    struct loader_registry_stats st;

    int rc = cli_no_more_options(argc, argv, "registry");
    if (rc != 0)
        return rc;
    if (argc != 3 || strcmp(argv[1], "load") != 0) {
        fprintf(stderr, "%s\n", usage_text);
        return EX_USAGE;
    }
    bz_error_clear(&e);
    PGconn *conn = session_open(cli, &e);
    if (conn == NULL)
        return cli_report(&e);
    rc = loader_registry_load(conn, argv[2], &st, &e);
    PQfinish(conn);
    if (rc < 0)
        return cli_report(&e);
    printf("乡镇名录已载入：新增 %d，更名 %d，停用 %d，恢复 %d，未变 %d\n", st.added, st.renamed,
           st.inactivated, st.reactivated, st.unchanged);
    /* for validate, and the sign the nightly service waits for */
    if (regcopy_save(argv[2], cli->settings.registry, &e) < 0)
        return cli_report(&e);
    return EX_OK;
}
