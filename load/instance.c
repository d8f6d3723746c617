#include "instance.h"

#include "../common/hash.h"
#include "db.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID_FILE "bizenv.id"

/* Which of the tables exist, asked of the catalogs: a read-only role may
 * not look into raw or meta (to_regclass would raise). Columns by name. */
static const char sql_probe[] =
    "SELECT bool_or(n.nspname = 'meta' AND c.relname = 'instance') AS has_instance,"
    " bool_or(n.nspname = 'meta' AND c.relname = 'run') AS has_run,"
    " bool_or(n.nspname = 'raw' AND c.relname = 'file') AS has_file"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname IN ('meta', 'raw') AND c.relkind = 'r'";
static const char sql_db_id[] = "SELECT id FROM meta.instance";
static const char sql_runs_exist[] = "SELECT EXISTS (SELECT 1 FROM meta.run) AS found";
static const char sql_files_exist[] = "SELECT EXISTS (SELECT 1 FROM raw.file) AS found";
/* the first id written wins; a second claimer reads it back */
static const char sql_claim[] =
    "INSERT INTO meta.instance (id) VALUES ($1) ON CONFLICT (singleton) DO NOTHING";

static int
is_id(const char *str, size_t n)
{
    if (n != INSTANCE_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((str[i] >= '0' && str[i] <= '9') || (str[i] >= 'a' && str[i] <= 'f')))
            return 0;
    return 1;
}

static int
io_fail(struct bz_error *e, enum bz_code code, const char *what, const char *path)
{
    int err = errno;
    bz_error_set(e, code, "%s“%s”失败", what, path);
    return bz_error_detail(e, "%s", strerror(err));
}

/* Reads bizenv.id in the folder dfd into id ("" when there is none). */
static int
read_id_file(int dfd, const char *home, char id[INSTANCE_ID_LEN + 1], struct bz_error *e)
{
    char buf[INSTANCE_ID_LEN + 2];
    struct stat st;
    id[0] = '\0';
    int fd = openat(dfd, ID_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0 && errno != ELOOP)
        return io_fail(e, E_IO_READ, "读取实例编号文件", ID_FILE);
    ssize_t n =
        fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ? -1 : read(fd, buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n < 0 || !is_id(buf, (size_t)n)) {
        bz_error_set(e, E_DB_IDENTITY,
                     "目录 %s 的实例编号文件 %s 已损坏（应为一行 32 位十六进制数）；"
                     "请从备份恢复它，或在确认数据库属于本目录后删除它",
                     home, ID_FILE);
        return e->status;
    }
    memcpy(id, buf, INSTANCE_ID_LEN);
    id[INSTANCE_ID_LEN] = '\0';
    return 0;
}

/* 1 when the folder holds an entry that is not a dot file (bizenv's own
 * temporary files start with a dot), or cannot be read; 0 when it is
 * empty or absent. */
static int
folder_has_entries(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return errno != ENOENT && errno != ENOTDIR;
    const struct dirent *de;
    int found = 0;
    while (!found && (de = readdir(d)) != NULL)
        found = de->d_name[0] != '.';
    closedir(d);
    return found;
}

int
instance_home_read(const struct settings *s, struct instance_home *h, struct bz_error *e)
{
    memset(h, 0, sizeof(*h));
    int dfd = open(s->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
        return 0;
    if (dfd < 0)
        return io_fail(e, E_IO_READ, "打开目录", s->home);
    int rc = read_id_file(dfd, s->home, h->id, e);
    close(dfd);
    if (rc < 0)
        return rc;
    if (h->id[0] != '\0') {
        h->history = 1;
        snprintf(h->evidence, sizeof(h->evidence), "%s/%s", s->home, ID_FILE);
        return 0;
    }
    const char *folders[] = {s->archive, s->runs, s->receipts, s->quarantine};
    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]) && !h->history; i++) {
        if (folder_has_entries(folders[i])) {
            h->history = 1;
            bz_strlcpy_utf8(h->evidence, folders[i], sizeof(h->evidence));
        }
    }
    return 0;
}

/* Runs a parameterless query returning one row; *out owned by the caller. */
static int
query_row(PGconn *conn, const char *sql, const char *what, PGresult **out, struct bz_error *e)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = db_error(e, conn, res, what);
        PQclear(res);
        return rc;
    }
    *out = res;
    return 0;
}

static int
bool_column(const PGresult *res, const char *name)
{
    int col = PQfnumber(res, name);
    return col >= 0 && PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, col), "t") == 0;
}

/* The database's id into id ("" when it has none); *history set when
 * want_history and it has runs or files. */
static int
read_db(PGconn *conn, char id[INSTANCE_ID_LEN + 1], int want_history, int *history,
        struct bz_error *e)
{
    PGresult *probe = NULL, *res = NULL;
    id[0] = '\0';
    *history = 0;
    int rc = query_row(conn, sql_probe, "读取数据库实例编号", &probe, e);
    if (rc == 0 && bool_column(probe, "has_instance")) {
        rc = query_row(conn, sql_db_id, "读取数据库实例编号", &res, e);
        if (rc == 0 && PQntuples(res) > 0)
            bz_strlcpy_utf8(id, PQgetvalue(res, 0, PQfnumber(res, "id")), INSTANCE_ID_LEN + 1);
        PQclear(res);
    }
    const char *const checks[][2] = {{"has_run", sql_runs_exist}, {"has_file", sql_files_exist}};
    for (size_t i = 0; rc == 0 && want_history && !*history && i < 2; i++) {
        if (!bool_column(probe, checks[i][0]))
            continue;
        rc = query_row(conn, checks[i][1], "检查数据库是否已有运行记录", &res, e);
        if (rc == 0)
            *history = bool_column(res, "found");
        PQclear(res);
    }
    PQclear(probe);
    return rc;
}

/* The database as messages name it. */
static const char *
db_label(PGconn *conn)
{
    const char *name = PQdb(conn);
    return name != NULL && name[0] != '\0' ? name : "（默认）";
}

static int
refuse(struct bz_error *e, const char *fmt, const char *db)
{
    bz_error_set(e, E_DB_IDENTITY, fmt, db);
    return e->status;
}

int
instance_check(PGconn *conn, const struct settings *s, struct instance_home *h,
               enum instance_mode mode, struct bz_error *e)
{
    char db_id[INSTANCE_ID_LEN + 1];
    int db_history = 0;
    int need_history = mode == INSTANCE_WRITE && h->id[0] == '\0' && h->history;
    int rc = read_db(conn, db_id, need_history, &db_history, e);
    if (rc < 0)
        return rc;
    h->paired = h->id[0] != '\0' && strcmp(h->id, db_id) == 0;
    if (h->id[0] != '\0' && db_id[0] != '\0' && strcmp(h->id, db_id) != 0) {
        refuse(e,
               "数据库“%s”属于另一个 bizenv 目录（两边的实例编号不同），不是本目录的数据库；"
               "bizenv 没有改动它。请用设置项 db 或 pgdata 指向本目录原来的数据库，或从备份恢复",
               db_label(conn));
        return bz_error_detail(e, "home %s: bizenv.id = %s; database: meta.instance = %s", s->home,
                               h->id, db_id);
    }
    if (h->id[0] != '\0' && db_id[0] == '\0' && mode != INSTANCE_NEW_DATABASE) {
        refuse(e,
               "本目录已有实例编号，但数据库“%s”没有：它不是本目录原来的数据库（新建的空数据库，"
               "或别处的数据库）；bizenv 没有改动它。请从备份恢复本目录的数据库，或用设置项 db "
               "或 pgdata 指向它",
               db_label(conn));
        return bz_error_detail(e, "home %s: bizenv.id = %s; database: no meta.instance row",
                               s->home, h->id);
    }
    if (need_history && db_id[0] == '\0' && !db_history) {
        refuse(e,
               "本目录已有历史记录，但数据库“%s”是空的：它不是本目录原来的数据库；bizenv "
               "没有改动它。请从备份恢复本目录的数据库，或用设置项 db 或 pgdata 指向它",
               db_label(conn));
        return bz_error_detail(e, "home %s has history (%s); the database has no runs and no files",
                               s->home, h->evidence);
    }
    return 0;
}

/* Writes the home's bizenv.id: a temporary file made durable, then
 * linked into place, which fails when one exists already (then read). */
static int
write_home_id(const struct settings *s, const char *id, char out[INSTANCE_ID_LEN + 1],
              struct bz_error *e)
{
    char tmp[64], text[INSTANCE_ID_LEN + 2];
    int rc = 0;
    snprintf(tmp, sizeof(tmp), ".%s.%ld", ID_FILE, (long)getpid());
    snprintf(text, sizeof(text), "%s\n", id);
    int dfd = open(s->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return io_fail(e, E_IO_WRITE, "打开目录", s->home);
    unlinkat(dfd, tmp, 0); /* left by a killed run of the same pid */
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, INSTANCE_ID_LEN + 1) != INSTANCE_ID_LEN + 1 || fsync(fd) != 0) {
        rc = io_fail(e, E_IO_WRITE, "写入实例编号文件", ID_FILE);
        if (fd >= 0)
            close(fd);
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return rc;
    }
    close(fd);
    if (linkat(dfd, tmp, dfd, ID_FILE, 0) == 0) {
        memcpy(out, id, INSTANCE_ID_LEN + 1);
        if (fsync(dfd) != 0)
            rc = io_fail(e, E_IO_WRITE, "写入实例编号文件", ID_FILE);
    } else if (errno == EEXIST) {
        rc = read_id_file(dfd, s->home, out, e);
    } else {
        rc = io_fail(e, E_IO_WRITE, "写入实例编号文件", ID_FILE);
    }
    unlinkat(dfd, tmp, 0);
    close(dfd);
    return rc;
}

int
instance_claim(PGconn *conn, const struct settings *s, struct instance_home *h, int bind_home,
               struct bz_error *e)
{
    char db_id[INSTANCE_ID_LEN + 1], want[INSTANCE_ID_LEN + 1], home_id[INSTANCE_ID_LEN + 1];
    int unused;
    if (h->paired) /* every night but the first: both sides hold the id already */
        return 0;
    int rc = read_db(conn, db_id, 0, &unused, e);
    if (rc == 0 && db_id[0] == '\0') {
        if (h->id[0] != '\0')
            memcpy(want, h->id, sizeof(want));
        else
            rc = hash_random_hex(want, INSTANCE_ID_LEN / 2, e);
        const char *params[] = {want};
        PGresult *res =
            rc == 0 ? PQexecParams(conn, sql_claim, 1, NULL, params, NULL, NULL, 0) : NULL;
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = db_error(e, conn, res, "记录数据库实例编号");
        PQclear(res);
        if (rc == 0)
            rc = read_db(conn, db_id, 0, &unused, e);
    }
    if (rc < 0)
        return rc;
    if (h->id[0] == '\0' && !bind_home)
        return 0;
    if (h->id[0] == '\0') {
        rc = write_home_id(s, db_id, home_id, e);
        if (rc < 0)
            return rc;
        memcpy(h->id, home_id, sizeof(h->id));
    }
    if (strcmp(h->id, db_id) != 0) {
        refuse(e,
               "数据库“%s”刚被另一个 bizenv 目录记为它的数据库（两边的实例编号不同）；"
               "请用设置项 db 或 pgdata 指向本目录自己的数据库",
               db_label(conn));
        return bz_error_detail(e, "home %s: bizenv.id = %s; database: meta.instance = %s", s->home,
                               h->id, db_id);
    }
    return 0;
}
