#include "session.h"

#include "../ingest/inbox.h"
#include "../load/db.h"
#include "../load/migrate.h"

int
session_folders(const struct settings *s, struct bz_error *e)
{
    const char *dirs[] = {s->home,     s->inbox,   s->archive, s->quarantine,
                          s->receipts, s->exports, s->runs};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        int rc = inbox_mkdirs(dirs[i], e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

PGconn *
session_open(struct cli *cli, struct bz_error *e)
{
    struct migrate_plan done;
    if (session_folders(&cli->settings, e) < 0)
        return NULL;
    PGconn *conn = db_connect(&cli->settings, e);
    if (conn == NULL)
        return NULL;
    if (migrate_apply(conn, &done, e) < 0) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}
