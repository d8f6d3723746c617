#include "session.h"

#include "../ingest/inbox.h"
#include "../load/db.h"
#include "../load/instance.h"
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

int
session_claim(struct cli *cli, PGconn *conn, struct bz_error *e)
{
    struct instance_home h;
    int rc = instance_home_read(&cli->settings, &h, e);
    return rc < 0 ? rc : instance_claim(conn, &cli->settings, &h, 0, e);
}

PGconn *
session_connect(struct cli *cli, enum session_mode mode, int allow_new_database, struct bz_error *e)
{
    const struct settings *s = &cli->settings;
    int reads = mode == SESSION_READ || mode == SESSION_INSPECT;
    enum cluster_create create = reads                ? CLUSTER_CREATE_NEVER
                                 : allow_new_database ? CLUSTER_CREATE_ANY
                                                      : CLUSTER_CREATE_NEW_HOME;
    enum instance_mode check = reads                ? INSTANCE_READ
                               : allow_new_database ? INSTANCE_NEW_DATABASE
                                                    : INSTANCE_WRITE;
    struct instance_home h;
    struct migrate_plan done;

    if (!reads && session_folders(s, e) < 0)
        return NULL;
    if (instance_home_read(s, &h, e) < 0)
        return NULL;
    PGconn *conn = db_connect_create(s, create, e);
    if (conn == NULL)
        return NULL;
    /* the schema first when reading: it says whether meta.instance exists */
    int rc = mode == SESSION_READ ? migrate_check(conn, e) : 0;
    /* before any migration: a foreign database is left as it was */
    if (rc == 0)
        rc = instance_check(conn, s, &h, check, e);
    int migrates = mode == SESSION_WRITE || mode == SESSION_WRITE_HOME;
    if (rc == 0 && migrates)
        rc = migrate_apply(conn, &done, e);
    if (rc == 0 && migrates)
        rc = instance_claim(conn, s, &h, mode == SESSION_WRITE_HOME, e);
    if (rc < 0) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

PGconn *
session_open(struct cli *cli, struct bz_error *e)
{
    return session_connect(cli, SESSION_WRITE, 0, e);
}

PGconn *
session_open_home(struct cli *cli, struct bz_error *e)
{
    return session_connect(cli, SESSION_WRITE_HOME, 0, e);
}

PGconn *
session_open_read(struct cli *cli, struct bz_error *e)
{
    return session_connect(cli, SESSION_READ, 0, e);
}
