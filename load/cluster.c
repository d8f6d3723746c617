#include "cluster.h"

#include "../common/dbuf.h"
#include "../common/hash.h"
#include "certs.h"
#include "instance.h"
#include "pgnet.h"
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

/* The last bytes of a program's output are kept: initdb and pg_ctl put the
 * reason for a failure at the end, and the error detail holds 512 bytes. */
#define OUTPUT_CAP 2048

/* pg_ctl's wait for start and stop, in seconds (its -t). */
#define PGCTL_WAIT "60"

/* The configuration files bizenv writes into pgdata: a few KB each. */
#define SERVER_FILE_MAX (64u << 10)

/* Marker line that makes postgresql.conf read bizenv.conf (last, so it wins). */
static const char include_line[] = "include = 'bizenv.conf'\n";

static const char sql_has_db[] = "SELECT 1 FROM pg_catalog.pg_database WHERE datname = 'bizenv'";
static const char sql_create_db[] = "CREATE DATABASE bizenv";

/* Every file name the module uses, derived from settings.pgdata. */
struct paths {
    char pgdata[BZ_PATH_MAX];
    char lock[BZ_PATH_MAX + 8]; /* <pgdata>.lock */
    char log[BZ_PATH_MAX + 8];  /* <pgdata>.log */
    char parent[BZ_PATH_MAX];
    char sockdir[BZ_PATH_MAX];
    int port; /* the port the settings ask for */
};

/* Who runs initdb and pg_ctl: bizenv itself, or settings.pg_user when root. */
struct runas {
    int switch_user; /* 1 when the child must drop to uid/gid */
    uid_t uid;
    gid_t gid;
    char name[64];
    char home[256];
};

/* Characters that pg_ctl's shell command line (it double-quotes -D and -l),
 * the server's list-valued settings and our conf files cannot carry. */
static int
path_is_safe(const char *p)
{
    for (const unsigned char *c = (const unsigned char *)p; *c != '\0'; c++)
        if (*c < 0x20 || *c == 0x7f || strchr("'\"\\,$`", *c) != NULL)
            return 0;
    return 1;
}

static uint64_t
fnv1a64(const char *str)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *c = (const unsigned char *)str; *c != '\0'; c++) {
        h ^= *c;
        h *= 1099511628211ULL;
    }
    return h;
}

/* The port the settings ask for (a bad `listen` is reported by
 * cluster_start; until then the default). */
static int
settings_port(const struct settings *s)
{
    struct pgnet_listen l;
    struct bz_error e;
    return pgnet_parse(s->listen, &l, &e) == 0 ? l.port : PGNET_DEFAULT_PORT;
}

int
cluster_socket_dir(const struct settings *s, char *buf, size_t cap)
{
    char name[32];
    size_t n = strlen(s->pgdata);
    size_t limit = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    /* the socket file the server makes inside the folder */
    snprintf(name, sizeof(name), "/.s.PGSQL.%d", settings_port(s));
    int fits = n > 0 && n + strlen(name) <= limit;
    int r;

    if (fits && path_is_safe(s->pgdata) && s->pgdata[n - 1] != ' ')
        r = snprintf(buf, cap, "%s", s->pgdata);
    else
        r = snprintf(buf, cap, "/tmp/bizenv-%016llx-%lu", (unsigned long long)fnv1a64(s->pgdata),
                     (unsigned long)geteuid());
    if (r < 0 || (size_t)r >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}

/* Appends key='value' to buf at *len, quoting as libpq's conninfo wants. */
static int
conninfo_add(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
    size_t n = *len;
    for (const char *k = *len ? " " : ""; *k != '\0'; k++)
        if (n + 1 < cap)
            buf[n++] = *k;
    for (const char *k = key; *k != '\0'; k++)
        if (n + 1 < cap)
            buf[n++] = *k;
    if (n + 2 < cap) {
        buf[n++] = '=';
        buf[n++] = '\'';
    } else {
        return -1;
    }
    for (const char *v = value; *v != '\0'; v++) {
        if ((*v == '\'' || *v == '\\') && n + 1 < cap)
            buf[n++] = '\\';
        if (n + 1 >= cap)
            return -1;
        buf[n++] = *v;
    }
    if (n + 1 >= cap)
        return -1;
    buf[n++] = '\'';
    buf[n] = '\0';
    *len = n;
    return 0;
}

static int
conninfo_for(const char *sockdir, int port, const char *dbname, char *buf, size_t cap)
{
    size_t len = 0;
    char portstr[16];
    if (cap == 0)
        return -1;
    buf[0] = '\0';
    snprintf(portstr, sizeof(portstr), "%d", port);
    if (conninfo_add(buf, cap, &len, "host", sockdir) < 0 ||
        conninfo_add(buf, cap, &len, "port", portstr) < 0 ||
        conninfo_add(buf, cap, &len, "dbname", dbname) < 0 ||
        conninfo_add(buf, cap, &len, "user", "bizenv") < 0) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

/* What postmaster.pid says about the running server: its port (line 4),
 * socket folder (line 5) and first listen address (line 6). Returns 0, or
 * -1 when there is no such file or it is not complete. */
static int
read_pid_lines(const char *pgdata, int *port, char *sockdir, size_t sockcap, char *listen,
               size_t listencap)
{
    char path[BZ_PATH_MAX + 24], buf[2 * BZ_PATH_MAX + 256];
    snprintf(path, sizeof(path), "%s/postmaster.pid", pgdata);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *line[6] = {0};
    char *p = buf;
    for (int i = 0; i < 6 && p != NULL; i++) {
        line[i] = p;
        p = strchr(p, '\n');
        if (p != NULL)
            *p++ = '\0';
    }
    if (p == NULL || line[5] == NULL)
        return -1;
    char *end;
    long v = strtol(line[3], &end, 10);
    if (end == line[3] || *end != '\0' || v < 1 || v > 65535 || line[4][0] == '\0')
        return -1;
    *port = (int)v;
    bz_strlcpy_utf8(sockdir, line[4], sockcap);
    bz_strlcpy_utf8(listen, line[5], listencap);
    return 0;
}

int
cluster_conninfo(const struct settings *s, char *buf, size_t cap)
{
    char dir[BZ_PATH_MAX], listen[256];
    int port;
    /* a running server is where its pid file says, even when the settings
     * name another port that a restart has not taken up yet */
    if (read_pid_lines(s->pgdata, &port, dir, sizeof(dir), listen, sizeof(listen)) == 0)
        return conninfo_for(dir, port, "bizenv", buf, cap);
    if (cluster_socket_dir(s, dir, sizeof(dir)) < 0) {
        if (cap > 0)
            buf[0] = '\0';
        return -1;
    }
    return conninfo_for(dir, settings_port(s), "bizenv", buf, cap);
}

static int
cluster_fail(struct bz_error *e, const char *fmt, const char *arg)
{
    bz_error_set(e, E_DB_CLUSTER, fmt, arg);
    return e->status;
}

/* The settings (pgdata, pg_user) cannot work: fixed by changing them. */
static int
settings_fail(struct bz_error *e, const char *fmt, const char *arg)
{
    return bz_error_set(e, E_DB_CLUSTER_CONFIG, fmt, arg);
}

static int
make_paths(const struct settings *s, struct paths *p, struct bz_error *e)
{
    memset(p, 0, sizeof(*p));
    if (s->pgdata[0] != '/')
        return settings_fail(e, "内置数据库目录“%s”必须是绝对路径", s->pgdata);
    if (!path_is_safe(s->pgdata))
        return settings_fail(
            e, "内置数据库目录“%s”含有不允许的字符（引号、反斜杠、逗号、$、`或控制字符）",
            s->pgdata);
    bz_strlcpy_utf8(p->pgdata, s->pgdata, sizeof(p->pgdata));
    size_t n = strlen(p->pgdata);
    while (n > 1 && p->pgdata[n - 1] == '/')
        p->pgdata[--n] = '\0';
    if (n <= 1)
        return settings_fail(e, "内置数据库目录“%s”不能是根目录", s->pgdata);
    snprintf(p->lock, sizeof(p->lock), "%s.lock", p->pgdata);
    snprintf(p->log, sizeof(p->log), "%s.log", p->pgdata);
    memcpy(p->parent, p->pgdata, n + 1);
    char *slash = strrchr(p->parent, '/');
    if (slash == p->parent)
        slash[1] = '\0';
    else
        *slash = '\0';
    struct settings trimmed = *s;
    memcpy(trimmed.pgdata, p->pgdata, n + 1);
    if (cluster_socket_dir(&trimmed, p->sockdir, sizeof(p->sockdir)) < 0)
        return settings_fail(e, "内置数据库目录“%s”路径过长", s->pgdata);
    p->port = settings_port(s);
    return 0;
}

/* Decides who runs the server programs. PostgreSQL refuses root. */
static int
resolve_runas(const struct settings *s, struct runas *ra, struct bz_error *e)
{
    memset(ra, 0, sizeof(*ra));
    ra->uid = geteuid();
    ra->gid = getegid();
    if (ra->uid != 0) {
        const struct passwd *me = getpwuid(ra->uid);
        bz_strlcpy_utf8(ra->home, me != NULL && me->pw_dir != NULL ? me->pw_dir : "/",
                        sizeof(ra->home));
        return 0;
    }
    errno = 0;
    const struct passwd *pw = getpwnam(s->pg_user);
    if (pw == NULL || pw->pw_uid == 0) {
        bz_error_set(e, E_DB_CLUSTER_CONFIG,
                     "以 root 运行时，内置数据库须以系统用户“%s”运行，但该用户%s；请安装 "
                     "postgresql 软件包，或用设置项 pg_user 指定一个非 root 用户",
                     s->pg_user, pw == NULL ? "不存在" : "是 root");
        return e->status;
    }
    ra->switch_user = 1;
    ra->uid = pw->pw_uid;
    ra->gid = pw->pw_gid;
    bz_strlcpy_utf8(ra->name, pw->pw_name, sizeof(ra->name));
    bz_strlcpy_utf8(ra->home, pw->pw_dir != NULL ? pw->pw_dir : "/", sizeof(ra->home));
    return 0;
}

/*
 * Runs argv[0] (an absolute path) with argv, as ra, from /, without a
 * shell, with a small fixed environment. The tail of its stdout+stderr
 * goes into out. Returns the exit status (128+signal when killed), or < 0
 * when it could not be started (out then says why).
 */
static int
run_program(const struct runas *ra, char *const argv[], char *out, size_t cap)
{
    char env_home[300];
    snprintf(env_home, sizeof(env_home), "HOME=%s", ra->home);
    char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", env_home, NULL};
    const struct spawn_user user = {.uid = ra->uid, .gid = ra->gid, .name = ra->name};
    const struct spawn_opts o = {
        .envp = envp, .dir = "/", .umask = -1, .user = ra->switch_user ? &user : NULL};
    return spawn_run(argv, &o, out, cap);
}

/* Puts program output into e's detail on one line, starting at a whole
 * UTF-8 character, with `extra` (a log tail) after it. */
static void
detail_from_output(struct bz_error *e, const char *out, const char *extra)
{
    char flat[OUTPUT_CAP * 2];
    size_t n = 0;
    /* initdb and pg_ctl chat before failing; their reason starts at "error:" */
    const char *reason = strstr(out, "error:");
    if (reason != NULL) {
        while (reason > out && reason[-1] != '\n')
            reason--;
        out = reason;
    }
    const char *parts[] = {out, extra};
    for (size_t i = 0; i < 2; i++) {
        if (parts[i] == NULL || parts[i][0] == '\0')
            continue;
        if (n > 0 && n + 3 < sizeof(flat)) {
            memcpy(flat + n, " | ", 3);
            n += 3;
        }
        for (const char *c = parts[i]; *c != '\0' && n + 1 < sizeof(flat); c++) {
            char ch = (*c == '\n' || *c == '\r' || *c == '\t') ? ' ' : *c;
            if (ch == ' ' && (n == 0 || flat[n - 1] == ' '))
                continue;
            flat[n++] = ch;
        }
    }
    while (n > 0 && flat[n - 1] == ' ')
        n--;
    flat[n] = '\0';
    /* keep the end: that is where the reason is */
    size_t keep = sizeof(e->detail) - 1;
    const char *start = flat;
    if (n > keep) {
        start = flat + (n - keep);
        while (((unsigned char)*start & 0xC0) == 0x80)
            start++;
    }
    bz_error_detail(e, "%s", start);
}

/* The last bytes of the server log, to explain a failed start. */
static void
read_log_tail(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)(cap - 1) ? size - (off_t)(cap - 1) : 0;
    ssize_t n = pread(fd, out, cap - 1, from);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
}

/* Creates dir (and missing parents) with mode for the last level and 0755
 * for the ones above. */
static int
mkdir_p(const char *dir, mode_t mode)
{
    char tmp[BZ_PATH_MAX];
    bz_strlcpy_utf8(tmp, dir, sizeof(tmp));
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Makes a folder the server user owns alone, or checks an existing one
 * (a socket folder under /tmp may have been made by someone else first). */
static int
ensure_private_dir(const char *dir, const struct runas *ra, struct bz_error *e)
{
    struct stat st;
    if (mkdir(dir, 0700) == 0) {
        if (ra->switch_user && chown(dir, ra->uid, ra->gid) != 0) {
            cluster_fail(e, "无法设置目录“%s”的属主", dir);
            return bz_error_detail(e, "%s", strerror(errno));
        }
    } else if (errno != EEXIST) {
        cluster_fail(e, "无法创建目录“%s”", dir);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    if (lstat(dir, &st) != 0) {
        cluster_fail(e, "无法访问目录“%s”", dir);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != ra->uid || (st.st_mode & 077) != 0) {
        cluster_fail(e, "套接字目录“%s”不是数据库用户独占的目录，拒绝使用", dir);
        return bz_error_detail(e, "uid %lu, mode %03o", (unsigned long)st.st_uid,
                               (unsigned)(st.st_mode & 0777));
    }
    return 0;
}

/* Opens (creating) a file for writing, owned by the server user. */
static int
open_for_server(const char *path, int flags, const struct runas *ra)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, 0600);
    if (fd < 0)
        return -1;
    if (ra->switch_user && fchown(fd, ra->uid, ra->gid) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int
write_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The files bizenv keeps in pgdata for the server, as the settings want
 * them now (load/pgnet.h): the configuration, the authentication file and,
 * while listening, the certificate and key. */
struct server_files {
    struct dbuf conf, hba, cert, key;
};

static void
server_files_free(struct server_files *f)
{
    dbuf_free(&f->conf);
    dbuf_free(&f->hba);
    dbuf_free(&f->cert);
    dbuf_free(&f->key);
}

/* What the configuration says about the certificate: its names (bizenv's
 * local CA) or whose it is, and the SHA-256 of certificate and key, so a
 * new certificate changes bizenv.conf and the server is reloaded. */
static void
tls_note(const struct certs *c, const struct server_files *f, char *out, size_t cap)
{
    struct hash_ctx h;
    char hex[HASH_HEX_LEN + 1];
    hash_init(&h);
    hash_update(&h, f->cert.data, f->cert.len);
    hash_update(&h, f->key.data, f->key.len);
    hash_final_hex(&h, hex);
    snprintf(out, cap, "%s sha256 %s", c->local ? c->names : "the county's own", hex);
}

static int
desired_files(const struct settings *s, const struct paths *p, struct server_files *f,
              struct bz_error *e)
{
    struct pgnet_listen l;
    struct certs c;
    char hba[BZ_PATH_MAX + 32], note[sizeof(c.names) + 128] = "";
    dbuf_init(&f->conf, SERVER_FILE_MAX);
    dbuf_init(&f->hba, SERVER_FILE_MAX);
    dbuf_init(&f->cert, CERTS_FILE_MAX);
    dbuf_init(&f->key, CERTS_FILE_MAX);
    int rc = pgnet_parse(s->listen, &l, e);
    if (rc == 0 && l.on) {
        rc = certs_prepare(s, &l, &c, e);
        if (rc == 0)
            rc = certs_read(c.cert, &f->cert, e);
        if (rc == 0)
            rc = certs_read(c.key, &f->key, e);
        if (rc == 0)
            tls_note(&c, f, note, sizeof(note));
    }
    if (rc < 0)
        return rc;
    snprintf(hba, sizeof(hba), "%s/" PGNET_HBA_NAME, p->pgdata);
    if (pgnet_conf_text(&l, p->sockdir, hba, note, &f->conf) < 0 ||
        pgnet_hba_text(&l, &f->hba) < 0) {
        bz_error_set(e, E_NOMEM, "内存不足");
        return e->status;
    }
    return 0;
}

/* 1 when pgdata/name holds exactly want. */
static int
file_holds(const struct paths *p, const char *name, const struct dbuf *want)
{
    char path[BZ_PATH_MAX + 32], buf[SERVER_FILE_MAX + 1];
    snprintf(path, sizeof(path), "%s/%s", p->pgdata, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) > 0)
        got += (size_t)n;
    close(fd);
    return got == want->len && (got == 0 || memcmp(buf, want->data, got) == 0);
}

/* Writes pgdata/name, owned by the server user, 0600: into name.tmp, then
 * renamed, so the server never reads half a file. */
static int
put_server_file(const struct paths *p, const char *name, const struct dbuf *text,
                const struct runas *ra, struct bz_error *e)
{
    char path[BZ_PATH_MAX + 32], tmp[BZ_PATH_MAX + 40];
    snprintf(path, sizeof(path), "%s/%s", p->pgdata, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open_for_server(tmp, O_TRUNC, ra);
    if (fd < 0 || write_all(fd, text->data != NULL ? text->data : "", text->len) != 0 ||
        fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        cluster_fail(e, "无法写入内置数据库配置“%s”", path);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    return 0;
}

/*
 * Brings the files bizenv keeps in pgdata up to the settings: bizenv.conf
 * (included from postgresql.conf), bizenv_hba.conf and, while listening,
 * the certificate and key. *changed says whether any was written; the
 * configuration last, since it names the others.
 */
static int
sync_server_files(const struct settings *s, const struct paths *p, const struct runas *ra,
                  int *changed, struct bz_error *e)
{
    struct server_files f;
    *changed = 0;
    int rc = desired_files(s, p, &f, e);
    struct {
        const char *name;
        const struct dbuf *text;
    } files[] = {{PGNET_CERT_NAME, &f.cert},
                 {PGNET_KEY_NAME, &f.key},
                 {PGNET_HBA_NAME, &f.hba},
                 {"bizenv.conf", &f.conf}};
    for (size_t i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
        if (files[i].text->len == 0 && i < 2)
            continue; /* not listening: no certificate to install */
        if (file_holds(p, files[i].name, files[i].text))
            continue;
        rc = put_server_file(p, files[i].name, files[i].text, ra, e);
        *changed = 1;
    }
    server_files_free(&f);
    return rc;
}

/* Makes sure postgresql.conf ends by including bizenv.conf (appended once,
 * at creation; checked at every start in case creation was interrupted). */
static int
ensure_include(const struct paths *p, struct bz_error *e)
{
    char path[BZ_PATH_MAX + 24];
    snprintf(path, sizeof(path), "%s/postgresql.conf", p->pgdata);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        cluster_fail(e, "无法读取“%s”", path);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strcmp(line, include_line) == 0;
    fclose(f);
    if (found)
        return 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    static const char block[] = "\n# bizenv: connection settings of the embedded cluster\n";
    if (fd < 0 || write_all(fd, block, sizeof(block) - 1) != 0 ||
        write_all(fd, include_line, sizeof(include_line) - 1) != 0 || close(fd) != 0) {
        cluster_fail(e, "无法写入“%s”", path);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    return 0;
}

/*
 * initdb takes only a missing or empty folder. Anything else is refused
 * here, before bizenv creates or hands over anything: the folder is
 * someone's, and chown-ing it to the server user first (as a root run
 * would) leaves it changed behind a failed initdb.
 */
static int
check_new_pgdata(const struct paths *p, struct bz_error *e)
{
    struct stat st;
    if (lstat(p->pgdata, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        cluster_fail(e, "无法访问内置数据库目录“%s”", p->pgdata);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    int empty = 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(p->pgdata);
        if (d == NULL) {
            cluster_fail(e, "无法读取内置数据库目录“%s”", p->pgdata);
            return bz_error_detail(e, "%s", strerror(errno));
        }
        const struct dirent *de;
        empty = 1;
        while (empty && (de = readdir(d)) != NULL)
            empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        closedir(d);
    }
    if (empty)
        return 0;
    bz_error_set(e, E_DB_CLUSTER_CONFIG,
                 "内置数据库目录“%s”已存在，但%s，也不是 PostgreSQL 数据目录；bizenv "
                 "没有改动它。请把设置项 pgdata 指向一个不存在的或空的目录",
                 p->pgdata,
                 S_ISDIR(st.st_mode)   ? "不是空目录"
                 : S_ISLNK(st.st_mode) ? "是符号链接（请直接指向目录）"
                                       : "不是目录");
    return e->status;
}

static int
initdb(const struct settings *s, const struct paths *p, const struct runas *ra, struct bz_error *e)
{
    char prog[BZ_PATH_MAX + 16], out[OUTPUT_CAP];
    snprintf(prog, sizeof(prog), "%s/initdb", s->pg_bindir);
    /* data checksums: a page damaged on disk is an error when read (and
     * `bizenv db check` reads them all), never silently wrong figures */
    char *argv[] = {prog,
                    "-D",
                    (char *)p->pgdata,
                    "-U",
                    "bizenv",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--data-checksums",
                    NULL};

    if (check_new_pgdata(p, e) < 0)
        return e->status;
    if (mkdir_p(p->pgdata, 0700) != 0) {
        cluster_fail(e, "无法创建内置数据库目录“%s”", p->pgdata);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    if (ra->switch_user && chown(p->pgdata, ra->uid, ra->gid) != 0) {
        cluster_fail(e, "无法把内置数据库目录“%s”交给数据库用户", p->pgdata);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    int rc = run_program(ra, argv, out, sizeof(out));
    if (rc != 0) {
        if (ra->switch_user)
            bz_error_set(e, E_DB_CLUSTER,
                         "无法创建内置数据库（initdb 失败），目录“%s”；数据库以系统用户“%s”运行，"
                         "它须能进入这个目录的各级上级目录",
                         p->pgdata, ra->name);
        else
            cluster_fail(e, "无法创建内置数据库（initdb 失败），目录“%s”", p->pgdata);
        detail_from_output(e, out, NULL);
        return e->status;
    }
    return ensure_include(p, e);
}

static int
pg_ctl(const struct settings *s, const struct paths *p, const struct runas *ra, int start,
       struct bz_error *e)
{
    char prog[BZ_PATH_MAX + 16], out[OUTPUT_CAP];
    snprintf(prog, sizeof(prog), "%s/pg_ctl", s->pg_bindir);
    char *start_argv[] = {prog,       "start",        "-D", (char *)p->pgdata,
                          "-l",       (char *)p->log, "-w", "-t",
                          PGCTL_WAIT, "-s",           NULL};
    char *stop_argv[] = {prog,       "stop", "-D", (char *)p->pgdata, "-m", "fast", "-w", "-t",
                         PGCTL_WAIT, "-s",   NULL};

    int rc = run_program(ra, start ? start_argv : stop_argv, out, sizeof(out));
    if (rc == 0)
        return 0;
    cluster_fail(e, start ? "内置数据库启动失败（%s）" : "内置数据库停止失败（%s）", p->pgdata);
    char logtail[400];
    read_log_tail(p->log, logtail, sizeof(logtail));
    detail_from_output(e, out, logtail);
    return e->status;
}

/* Makes a running server read its configuration again (pg_ctl reload:
 * SIGHUP). The authentication file and TLS take effect at once for new
 * connections; listen_addresses and port wait for a restart. */
static int
pg_ctl_reload(const struct settings *s, const struct paths *p, const struct runas *ra,
              struct bz_error *e)
{
    char prog[BZ_PATH_MAX + 16], out[OUTPUT_CAP];
    snprintf(prog, sizeof(prog), "%s/pg_ctl", s->pg_bindir);
    char *argv[] = {prog, "reload", "-D", (char *)p->pgdata, "-s", NULL};
    if (run_program(ra, argv, out, sizeof(out)) == 0)
        return 0;
    cluster_fail(e, "内置数据库重新加载配置失败（%s）", p->pgdata);
    detail_from_output(e, out, NULL);
    return e->status;
}

/* Creates database bizenv unless it exists (creation may have been
 * interrupted after initdb; checked at every real start, which is rare). */
static int
ensure_database(const struct paths *p, struct bz_error *e)
{
    char conninfo[BZ_PATH_MAX * 2 + 128];
    int rc = 0;
    PGresult *res = NULL;

    if (conninfo_for(p->sockdir, p->port, "postgres", conninfo, sizeof(conninfo)) < 0)
        return cluster_fail(e, "内置数据库目录“%s”路径过长", p->pgdata);
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        rc = cluster_fail(e, "无法连接刚启动的内置数据库（套接字目录 %s）", p->sockdir);
        bz_error_detail(e, "%s", PQerrorMessage(conn));
        goto out;
    }
    res = PQexec(conn, sql_has_db);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0) {
        PQclear(res);
        res = PQexec(conn, sql_create_db);
        if (PQresultStatus(res) == PGRES_COMMAND_OK)
            goto out;
    } else if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        goto out;
    }
    rc = cluster_fail(e, "无法在内置数据库中创建数据库 bizenv（%s）", p->pgdata);
    bz_error_detail(e, "%s", PQerrorMessage(conn));
out:
    PQclear(res);
    PQfinish(conn);
    return rc;
}

/* Reads the pid on the first line of a lock file (postmaster.pid, or the
 * socket's .s.PGSQL.5432.lock); 0 when there is none. With `shmid`, also
 * the shared memory id of postmaster.pid's seventh line (-1 when none). */
static long
read_lock_pid(const char *path, long *shmid)
{
    char buf[512];
    if (shmid != NULL)
        *shmid = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    if (end == buf || pid <= 0 || *end != '\n')
        return 0;
    /* lines: pid, data folder, start time, port, socket folder, listen
     * address, "shmem key  shmem id", status */
    const char *line = buf;
    for (int i = 1; i < 7 && line != NULL; i++)
        if ((line = strchr(line, '\n')) != NULL)
            line++;
    unsigned long key, id;
    if (shmid != NULL && line != NULL && sscanf(line, "%lu %lu", &key, &id) == 2)
        *shmid = (long)id;
    return pid;
}

static long
read_pid(const char *pgdata)
{
    char path[BZ_PATH_MAX + 24];
    snprintf(path, sizeof(path), "%s/postmaster.pid", pgdata);
    return read_lock_pid(path, NULL);
}

/*
 * Whether pid, named by postmaster.pid, is this cluster's postmaster. After
 * a power cut the file outlives its server, and its pid may have been
 * given to another process since the reboot; the postmaster and pg_ctl
 * trust a live pid, and would then never start. So, as they look at the
 * process: on Linux /proc/<pid> says whether it is a postgres whose
 * folder is this pgdata (a postmaster works in its data folder); when
 * /proc cannot tell (a process of another user), whether a server answers
 * on the cluster's socket. 1 live, 0 stale.
 */
static int
postmaster_live(const struct paths *p, long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 0;
#ifdef __linux__
    /* realpath writes up to PATH_MAX bytes (a fortified build checks) */
    char link[64], cwd[PATH_MAX], exe[PATH_MAX], data[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/%ld/cwd", pid);
    ssize_t n = readlink(link, cwd, sizeof(cwd) - 1);
    snprintf(link, sizeof(link), "/proc/%ld/exe", pid);
    ssize_t m = n > 0 ? readlink(link, exe, sizeof(exe) - 1) : -1;
    if (n > 0 && m > 0 && realpath(p->pgdata, data) != NULL) {
        cwd[n] = '\0';
        exe[m] = '\0';
        const char *base = strrchr(exe, '/');
        base = base != NULL ? base + 1 : exe;
        return strcmp(cwd, data) == 0 &&
               (strncmp(base, "postgres", 8) == 0 || strncmp(base, "postmaster", 10) == 0);
    }
#endif
    char conninfo[BZ_PATH_MAX * 2 + 128];
    if (conninfo_for(p->sockdir, p->port, "postgres", conninfo, sizeof(conninfo)) < 0)
        return 1; /* cannot ask: assume live, never remove a live server's file */
    PGPing ping = PQping(conninfo);
    return ping == PQPING_OK || ping == PQPING_REJECT;
}

/* A live pid counts as running only when it is this cluster's postmaster
 * (postmaster_live); otherwise the file is stale (st->stale). */
static int
status_of(const struct paths *p, struct cluster_status *cs, struct bz_error *e)
{
    char path[BZ_PATH_MAX + 16];
    struct stat sb;

    memset(cs, 0, sizeof(*cs));
    bz_strlcpy_utf8(cs->socket_dir, p->sockdir, sizeof(cs->socket_dir));
    snprintf(path, sizeof(path), "%s/PG_VERSION", p->pgdata);
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        cluster_fail(e, "无法访问内置数据库目录“%s”", p->pgdata);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    cs->exists = 1;
    long pid = read_pid(p->pgdata);
    if (pid > 0 && postmaster_live(p, pid)) {
        cs->running = 1;
        cs->pid = pid;
    } else if (pid > 0) {
        cs->stale = pid;
    }
    return 0;
}

/*
 * A postmaster.pid whose server is gone (a power cut, a kill -9) but whose
 * pid is alive again (another process after the reboot): removed, with
 * the socket's lock file when it names the same pid or no live server, so
 * that the postmaster starts and recovers. Not while the old server's
 * shared memory is still attached to (its processes are still running):
 * the postmaster's own check, which needs the file's shared memory id.
 */
static int
clear_stale(const struct paths *p, long pid, struct bz_error *e)
{
    char path[BZ_PATH_MAX + 32];
    long shmid;
    snprintf(path, sizeof(path), "%s/postmaster.pid", p->pgdata);
    read_lock_pid(path, &shmid);
    struct shmid_ds ds;
    if (shmid >= 0 && shmctl((int)shmid, IPC_STAT, &ds) == 0 && ds.shm_nattch > 0) {
        cluster_fail(e, "内置数据库“%s”的旧服务器进程仍在运行（共享内存仍被使用），无法启动",
                     p->pgdata);
        return bz_error_detail(e,
                               "postmaster.pid names pid %ld, not a server of this folder; "
                               "shared memory %ld has %lu processes attached",
                               pid, shmid, (unsigned long)ds.shm_nattch);
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        cluster_fail(e, "无法删除过期的“%s”", path);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    snprintf(path, sizeof(path), "%s/.s.PGSQL.%d.lock", p->sockdir, p->port);
    long other = read_lock_pid(path, NULL);
    if (other == pid || (other > 0 && !postmaster_live(p, other)))
        unlink(path);
    return 0;
}

int
cluster_status(const struct settings *s, struct cluster_status *cs, struct bz_error *e)
{
    struct paths p;
    memset(cs, 0, sizeof(*cs));
    int rc = make_paths(s, &p, e);
    if (rc < 0)
        return rc;
    return status_of(&p, cs, e);
}

/* Takes the creation/start lock next to pgdata; returns the fd or -1. */
static int
lock_cluster(const struct paths *p, struct bz_error *e)
{
    if (mkdir_p(p->parent, 0755) != 0) {
        cluster_fail(e, "无法创建目录“%s”", p->parent);
        bz_error_detail(e, "%s", strerror(errno));
        return -1;
    }
    int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        cluster_fail(e, "无法打开锁文件“%s”", p->lock);
        bz_error_detail(e, "%s", strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        cluster_fail(e, "无法锁定“%s”", p->lock);
        bz_error_detail(e, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The steps of a start once the lock is held and the server is down. */
static int
start_locked(const struct settings *s, const struct paths *p, const struct runas *ra, int exists,
             struct bz_error *e)
{
    int rc = exists ? ensure_include(p, e) : initdb(s, p, ra, e);
    if (rc < 0)
        return rc;
    if (strcmp(p->sockdir, p->pgdata) != 0) {
        rc = ensure_private_dir(p->sockdir, ra, e);
        if (rc < 0)
            return rc;
    }
    int changed;
    rc = sync_server_files(s, p, ra, &changed, e);
    if (rc < 0)
        return rc;
    int fd = open_for_server(p->log, O_APPEND, ra);
    if (fd < 0) {
        cluster_fail(e, "无法创建内置数据库日志“%s”", p->log);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    close(fd);
    rc = pg_ctl(s, p, ra, 1, e);
    if (rc < 0)
        return rc;
    return ensure_database(p, e);
}

/* Whether a missing cluster may be created (enum cluster_create). */
static int
may_create(const struct settings *s, const struct paths *p, enum cluster_create create,
           struct bz_error *e)
{
    struct instance_home h;
    if (create == CLUSTER_CREATE_ANY)
        return 0;
    int rc = instance_home_read(s, &h, e);
    if (rc < 0)
        return rc;
    if (create == CLUSTER_CREATE_NEW_HOME && !h.history)
        return 0;
    if (h.history) {
        bz_error_set(e, E_DB_MISSING,
                     "内置数据库“%s”不存在，而本目录已有历史记录；bizenv 不会新建空数据库代替它。"
                     "请从备份恢复该目录，或把设置项 pgdata 指向原来的数据库目录",
                     p->pgdata);
        return bz_error_detail(e, "history found in %s; no PG_VERSION in %s", h.evidence,
                               p->pgdata);
    }
    bz_error_set(e, E_DB_MISSING,
                 "内置数据库“%s”尚未建立，只读命令不会建立它；请先运行 bizenv migrate 或 "
                 "bizenv nightly",
                 p->pgdata);
    return e->status;
}

int
cluster_start(const struct settings *s, enum cluster_create create, struct bz_error *e)
{
    struct paths p;
    struct runas ra;
    struct cluster_status cs;
    int lockfd = -1;

    int rc = make_paths(s, &p, e);
    if (rc == 0)
        rc = resolve_runas(s, &ra, e);
    /* a refusal creates nothing, not even the lock file */
    if (rc == 0)
        rc = status_of(&p, &cs, e);
    if (rc == 0 && !cs.exists)
        rc = may_create(s, &p, create, e);
    if (rc < 0)
        return rc;
    lockfd = lock_cluster(&p, e);
    if (lockfd < 0)
        return e->status;
    rc = status_of(&p, &cs, e);
    if (rc == 0 && cs.running) {
        /* settings changed since the start (listen, the certificate) reach
         * the running server by a reload, never by a restart behind the
         * back of the night or an analyst's session */
        int changed;
        rc = sync_server_files(s, &p, &ra, &changed, e);
        if (rc == 0 && changed)
            rc = pg_ctl_reload(s, &p, &ra, e);
        goto out;
    }
    if (rc == 0 && cs.stale > 0)
        rc = clear_stale(&p, cs.stale, e);
    if (rc < 0)
        goto out;
    if (!cs.exists)
        rc = may_create(s, &p, create, e);
    if (rc == 0)
        rc = start_locked(s, &p, &ra, cs.exists, e);
out:
    close(lockfd); /* releases the flock */
    return rc;
}

int
cluster_stop(const struct settings *s, struct bz_error *e)
{
    struct paths p;
    struct runas ra;
    struct cluster_status cs;
    int lockfd = -1;

    int rc = make_paths(s, &p, e);
    if (rc == 0)
        rc = status_of(&p, &cs, e);
    if (rc < 0 || !cs.running)
        return rc;
    rc = resolve_runas(s, &ra, e);
    if (rc < 0)
        return rc;
    lockfd = lock_cluster(&p, e);
    if (lockfd < 0)
        return e->status;
    rc = status_of(&p, &cs, e);
    if (rc == 0 && cs.running)
        rc = pg_ctl(s, &p, &ra, 0, e);
    close(lockfd);
    return rc;
}

int
cluster_restart(const struct settings *s, struct bz_error *e)
{
    int rc = cluster_stop(s, e);
    return rc < 0 ? rc : cluster_start(s, CLUSTER_CREATE_NEVER, e);
}

int
cluster_listen_state(const struct settings *s, struct cluster_listen *l, struct bz_error *e)
{
    struct pgnet_listen want;
    struct cluster_status st;
    char sockdir[BZ_PATH_MAX];
    memset(l, 0, sizeof(*l));
    int rc = pgnet_parse(s->listen, &want, e);
    if (rc == 0)
        rc = cluster_status(s, &st, e);
    if (rc < 0)
        return rc;
    l->wanted = want.on;
    memcpy(l->wanted_host, want.host, sizeof(l->wanted_host));
    l->wanted_port = want.port;
    if (!st.running || read_pid_lines(s->pgdata, &l->running_port, sockdir, sizeof(sockdir),
                                      l->running_host, sizeof(l->running_host)) < 0)
        return 0;
    l->running = 1;
    l->restart_needed =
        l->running_port != l->wanted_port || strcmp(l->running_host, want.on ? want.host : "") != 0;
    return 0;
}
