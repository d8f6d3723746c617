#include "db.h"

#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A bizenv session only sits idle inside a transaction between the
 * statements of one load; ten minutes means a hung or stopped bizenv
 * releases its locks long before the next nightly run.
 */
#define IDLE_IN_TRANSACTION_MS "600000"

/* Applied once per connection; values travel as parameters. */
static const char sql_session[] =
    "SELECT pg_catalog.set_config('TimeZone', $1, false),"
    " pg_catalog.set_config('statement_timeout', $2, false),"
    " pg_catalog.set_config('lock_timeout', $3, false),"
    " pg_catalog.set_config('idle_in_transaction_session_timeout', $4, false),"
    /* a backend whose client was killed mid-statement notices within a
     * second and rolls back, releasing the run lock for the next run */
    " pg_catalog.set_config('client_connection_check_interval', '1000', false)";

static int
env_set(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0';
}

enum db_target
db_target(const struct settings *s)
{
    if (s->db[0] != '\0')
        return DB_TARGET_CONNINFO;
    if (env_set("PGSERVICE") || env_set("PGHOST") || env_set("PGDATABASE"))
        return DB_TARGET_ENVIRONMENT;
    return DB_TARGET_EMBEDDED;
}

/* libpq's messages end in a newline; the detail should not. */
static void
set_trimmed_detail(struct bz_error *e, const char *msg)
{
    bz_error_detail(e, "%s", msg != NULL ? msg : "");
    size_t n = strlen(e->detail);
    while (n > 0 && (e->detail[n - 1] == '\n' || e->detail[n - 1] == ' '))
        e->detail[--n] = '\0';
}

/* Where a connection went (or tried to go), without secrets. */
static void
describe_conn(const PGconn *conn, char *buf, size_t cap)
{
    const char *host = conn != NULL ? PQhost(conn) : NULL;
    const char *port = conn != NULL ? PQport(conn) : NULL;
    const char *dbname = conn != NULL ? PQdb(conn) : NULL;
    const char *user = conn != NULL ? PQuser(conn) : NULL;
    snprintf(buf, cap, "主机 %s，端口 %s，数据库 %s，用户 %s",
             host != NULL && host[0] != '\0' ? host : "默认",
             port != NULL && port[0] != '\0' ? port : "默认",
             dbname != NULL && dbname[0] != '\0' ? dbname : "默认",
             user != NULL && user[0] != '\0' ? user : "默认");
}

static PGconn *
connect_failed(struct bz_error *e, PGconn *conn, enum db_target t, const char *sockdir)
{
    char where[600];
    describe_conn(conn, where, sizeof(where));
    if (t == DB_TARGET_EMBEDDED)
        bz_error_set(e, E_DB_CONNECT, "无法连接内置数据库（套接字目录 %s）", sockdir);
    else
        bz_error_set(e, E_DB_CONNECT, "无法连接数据库（%s；来自 %s）", where,
                     t == DB_TARGET_CONNINFO ? "--db 连接串" : "PG* 环境变量或服务文件");
    set_trimmed_detail(e, conn != NULL ? PQerrorMessage(conn) : "out of memory");
    PQfinish(conn);
    return NULL;
}

/* Session settings every bizenv connection runs with. */
static int
configure_session(const struct settings *s, PGconn *conn, struct bz_error *e)
{
    char stmt[32], lock[32];
    snprintf(stmt, sizeof(stmt), "%lld", s->statement_timeout_ms);
    snprintf(lock, sizeof(lock), "%lld", s->lock_timeout_ms);
    const char *params[] = {"Asia/Shanghai", stmt, lock, IDLE_IN_TRANSACTION_MS};

    if (PQsetClientEncoding(conn, "UTF8") != 0)
        return db_error(e, conn, NULL, "设置客户端编码 UTF8");
    PGresult *res = PQexecParams(conn, sql_session, 4, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = db_error(e, conn, res, "设置会话参数（时区、超时）");
    PQclear(res);
    return rc;
}

static void
ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

PGconn *
db_connect(const struct settings *s, struct bz_error *e)
{
    return db_connect_create(s, CLUSTER_CREATE_NEW_HOME, e);
}

PGconn *
db_connect_create(const struct settings *s, enum cluster_create create, struct bz_error *e)
{
    enum db_target t = db_target(s);
    char conninfo[BZ_PATH_MAX * 2 + 128], sockdir[BZ_PATH_MAX];
    const char *dbname = "";

    sockdir[0] = '\0';
    if (t == DB_TARGET_CONNINFO) {
        dbname = s->db;
    } else if (t == DB_TARGET_EMBEDDED) {
        if (cluster_start(s, create, e) < 0)
            return NULL;
        if (cluster_socket_dir(s, sockdir, sizeof(sockdir)) < 0 ||
            cluster_conninfo(s, conninfo, sizeof(conninfo)) < 0) {
            bz_error_set(e, E_DB_CONNECT, "内置数据库目录“%s”路径过长", s->pgdata);
            return NULL;
        }
        dbname = conninfo;
    }
    /* application_name comes after dbname so that it wins over a conninfo's */
    /* connect_timeout before dbname: a conninfo that sets its own wins; a
     * server that never answers cannot hang the night */
    const char *keys[] = {"connect_timeout", "dbname", "application_name", NULL};
    const char *values[] = {"30", dbname, "bizenv", NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
        return connect_failed(e, conn, t, sockdir);
    /* Server NOTICEs (e.g. "relation already exists, skipping") are not
     * for the user: libpq's default processor would print them to stderr. */
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    if (configure_session(s, conn, e) < 0) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* An error without SQLSTATE was made by libpq itself, not by the server:
 * apart from its own "out of memory" that is a lost connection. A write
 * to a server that went away ("server closed the connection
 * unexpectedly", EPIPE) leaves PQstatus at CONNECTION_OK until the next
 * read, so the status alone does not tell. */
static int
connection_lost(PGconn *conn, const PGresult *res, const char *sqlstate)
{
    if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
        return 1;
    if (res == NULL) { /* a failed send (COPY data, encoding) has only the connection's message */
        const char *m = PQerrorMessage(conn);
        return strstr(m, "server closed the connection") != NULL ||
               strstr(m, "no connection to the server") != NULL ||
               strstr(m, "could not send data") != NULL;
    }
    if (sqlstate == NULL)
        return PQresultStatus(res) == PGRES_FATAL_ERROR &&
               strstr(PQresultErrorMessage(res), "out of memory") == NULL;
    return strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
           strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0;
}

int
db_error(struct bz_error *e, PGconn *conn, const PGresult *res, const char *what)
{
    const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *more = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

    if (res != NULL && sqlstate == NULL &&
        strstr(PQresultErrorMessage(res), "out of memory") != NULL)
        bz_error_set(e, E_NOMEM, "%s失败：内存不足", what); /* libpq's own allocation */
    else if (connection_lost(conn, res, sqlstate))
        bz_error_set(e, E_DB_CONNECT, "%s失败：与数据库的连接已断开", what);
    else if (sqlstate != NULL && strcmp(sqlstate, "57014") == 0)
        bz_error_set(e, E_TIMEOUT, "%s超时：语句执行时间超过上限（statement_timeout）", what);
    else if (sqlstate != NULL && strcmp(sqlstate, "55P03") == 0)
        bz_error_set(e, E_TIMEOUT, "%s超时：等待锁超过上限（lock_timeout）", what);
    else
        bz_error_set(e, E_DB_QUERY, "%s失败", what);

    if (primary != NULL && sqlstate != NULL && more != NULL)
        bz_error_detail(e, "%s: %s (%s)", sqlstate, primary, more);
    else if (primary != NULL && sqlstate != NULL)
        bz_error_detail(e, "%s: %s", sqlstate, primary);
    else if (res != NULL && PQresultErrorMessage(res)[0] != '\0')
        set_trimmed_detail(e, PQresultErrorMessage(res));
    else
        set_trimmed_detail(e, conn != NULL ? PQerrorMessage(conn) : "no connection");
    return e->status;
}
