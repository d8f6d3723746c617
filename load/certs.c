#include "certs.h"

#include "../common/fsdir.h"
#include "spawn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define OPENSSL_PATH "/usr/bin/openssl"

/* The tail of openssl's output kept for the error detail (its reason is
 * on its last lines; the detail holds 512 bytes). */
#define OUTPUT_CAP 1024

/* Validity, in days. The CA outlives any server certificate it signs, so
 * that a new server certificate never means sending analysts a new CA. */
#define CA_DAYS "7300"
#define SERVER_DAYS "3650"
/* A server certificate is made again after nine of its ten years. */
#define SERVER_RENEW_SECONDS (9LL * 365 * 86400)

/* Most names in the server certificate; a machine with more addresses
 * names the ones it needs in tls_names and listens on one of them. */
#define MAX_NAMES 64

static int
tls_fail(struct bz_error *e, const char *fmt, const char *arg)
{
    bz_error_set(e, E_TLS, fmt, arg);
    return e->status;
}

int
certs_read(const char *path, struct dbuf *out, struct bz_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        tls_fail(e, "无法读取证书文件“%s”", path);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    int rc = 0;
    for (;;) {
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = tls_fail(e, "无法读取证书文件“%s”", path);
            bz_error_detail(e, "%s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > CERTS_FILE_MAX || dbuf_add(out, chunk, (size_t)n) < 0) {
            rc = tls_fail(e, "证书文件“%s”过大", path);
            bz_error_detail(e, "more than %u bytes", CERTS_FILE_MAX);
            break;
        }
    }
    close(fd);
    return rc;
}

/* ---- the names the local server certificate carries ---- */

struct names {
    char item[MAX_NAMES][80]; /* "DNS:localhost", "IP:10.0.0.5" */
    int n;
};

static int
names_add(struct names *ns, const char *kind, const char *value)
{
    char item[80];
    int w = snprintf(item, sizeof(item), "%s:%s", kind, value);
    if (w < 0 || (size_t)w >= sizeof(item))
        return -1;
    for (int i = 0; i < ns->n; i++)
        if (strcmp(ns->item[i], item) == 0)
            return 0;
    if (ns->n == MAX_NAMES)
        return -1;
    memcpy(ns->item[ns->n++], item, (size_t)w + 1);
    return 0;
}

static int
is_ip(const char *v)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1;
}

/* A DNS name as a certificate may carry one: letters, digits, '-', '.'
 * and a leading "*." wildcard. */
static int
dns_ok(const char *v)
{
    if (v[0] == '\0')
        return 0;
    const char *p = strncmp(v, "*.", 2) == 0 ? v + 2 : v;
    for (; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '.'))
            return 0;
    return 1;
}

static int
add_value(struct names *ns, const char *v)
{
    if (is_ip(v))
        return names_add(ns, "IP", v);
    if (dns_ok(v))
        return names_add(ns, "DNS", v);
    return -2;
}

/* Every address of the machine's interfaces but link-local IPv6 ones,
 * which a client can only name with an interface suffix. */
static int
add_interfaces(struct names *ns)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return 0; /* then only the other names: the county can add its own */
    int rc = 0;
    for (struct ifaddrs *a = list; rc == 0 && a != NULL; a = a->ifa_next) {
        char text[INET6_ADDRSTRLEN];
        if (a->ifa_addr == NULL)
            continue;
        if (a->ifa_addr->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)a->ifa_addr;
            if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != NULL)
                rc = names_add(ns, "IP", text);
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)a->ifa_addr;
            if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
                continue;
            if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)) != NULL)
                rc = names_add(ns, "IP", text);
        }
    }
    freeifaddrs(list);
    return rc;
}

static int
cmp_item(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The sorted, comma-separated names into out ("DNS:localhost,IP:..."). */
static int
collect_names(const struct settings *s, const struct pgnet_listen *l, char *out, size_t cap,
              struct bz_error *e)
{
    struct names ns;
    char host[256];
    ns.n = 0;
    int rc = names_add(&ns, "DNS", "localhost");
    if (rc == 0)
        rc = names_add(&ns, "IP", "127.0.0.1");
    if (rc == 0)
        rc = names_add(&ns, "IP", "::1");
    if (rc == 0 && gethostname(host, sizeof(host)) == 0 && dns_ok(host))
        rc = names_add(&ns, "DNS", host);
    if (rc == 0 && strcmp(l->host, "*") != 0 && strcmp(l->host, "0.0.0.0") != 0 &&
        strcmp(l->host, "::") != 0)
        rc = add_value(&ns, l->host) == 0 ? 0 : -1;
    if (rc == 0)
        rc = add_interfaces(&ns);
    char extra[sizeof(s->tls_names)];
    memcpy(extra, s->tls_names, sizeof(extra));
    for (char *tok = extra; rc == 0 && tok != NULL && *tok != '\0';) {
        char *comma = strchr(tok, ',');
        if (comma != NULL)
            *comma = '\0';
        while (*tok == ' ')
            tok++;
        for (char *end = tok + strlen(tok); end > tok && end[-1] == ' ';)
            *--end = '\0';
        if (*tok != '\0' && (rc = add_value(&ns, tok)) == -2) {
            bz_error_set(e, E_CONFIG, "设置项 tls_names 中的“%s”不是主机名或 IP 地址", tok);
            return e->status;
        }
        tok = comma != NULL ? comma + 1 : NULL;
    }
    if (rc < 0)
        return tls_fail(e, "服务器证书的名称过多（最多 %s 个）或过长", "64");
    qsort(ns.item, (size_t)ns.n, sizeof(ns.item[0]), cmp_item);
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < ns.n; i++) {
        int w = snprintf(out + len, cap - len, "%s%s", i > 0 ? "," : "", ns.item[i]);
        if (w < 0 || (size_t)w >= cap - len)
            return tls_fail(e, "服务器证书的名称过多（最多 %s 个）或过长", "64");
        len += (size_t)w;
    }
    return 0;
}

/* ---- running openssl ---- */

/*
 * Runs openssl with argv (argv[0] is OPENSSL_PATH), no shell, a fixed
 * environment and umask 077 (the keys it writes are private from their
 * first byte), its stdout and stderr into out's tail. Returns the exit
 * status, 128+signal, or < 0 when it could not be started (out says why).
 */
static int
run_openssl(char *const argv[], char *out, size_t cap)
{
    char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
    const struct spawn_opts o = {.envp = envp, .dir = NULL, .umask = 077, .user = NULL};
    return spawn_run(argv, &o, out, cap);
}

static int
openssl_failed(struct bz_error *e, const char *what, const char *out)
{
    tls_fail(e, "无法生成%s（openssl 失败）", what);
    char flat[OUTPUT_CAP];
    size_t n = 0;
    for (const char *c = out; *c != '\0' && n + 1 < sizeof(flat); c++)
        if (*c != '-' || (n > 0 && flat[n - 1] != '-'))
            flat[n++] = (*c == '\n' || *c == '\r') ? ' ' : *c;
    flat[n] = '\0';
    const char *start = n > 400 ? flat + n - 400 : flat;
    return bz_error_detail(e, "%s", start);
}

/* ---- the local CA ---- */

struct tlsdir {
    int fd;                       /* $BIZENV_HOME/tls, checked */
    char path[BZ_PATH_MAX];       /* its absolute path, for openssl's arguments */
    char fresh[BZ_PATH_MAX + 16]; /* a new folder inside it, or "" */
};

static int
is_file(int dir, const char *name, struct stat *st)
{
    return fstatat(dir, name, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode);
}

static int
open_tlsdir(const struct settings *s, struct tlsdir *t, struct bz_error *e)
{
    char home[PATH_MAX];
    int hfd;
    t->fd = -1;
    t->fresh[0] = '\0';
    if (realpath(s->home, home) == NULL) {
        tls_fail(e, "无法确定工作目录“%s”的位置", s->home);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    size_t n = strlen(home);
    if (n + sizeof("/tls") > sizeof(t->path))
        return tls_fail(e, "工作目录“%s”路径过长", s->home);
    memcpy(t->path, home, n);
    memcpy(t->path + n, "/tls", sizeof("/tls"));
    int rc = fsdir_open(home, 0, &hfd, e);
    if (rc < 0)
        return rc;
    rc = fsdir_sub(hfd, "tls", t->path, FSDIR_CREATE | FSDIR_OWN, &t->fd, e);
    close(hfd);
    return rc;
}

/* Makes the folder the new files are written in, inside tls/. */
static int
make_fresh(struct tlsdir *t, struct bz_error *e)
{
    snprintf(t->fresh, sizeof(t->fresh), "%s/.new-XXXXXX", t->path);
    if (mkdtemp(t->fresh) == NULL) {
        t->fresh[0] = '\0';
        tls_fail(e, "无法在“%s”中建立临时目录", t->path);
        return bz_error_detail(e, "%s", strerror(errno));
    }
    return 0;
}

/* Removes the fresh folder and what is left in it (a failed run's files). */
static void
drop_fresh(struct tlsdir *t)
{
    static const char *const leftovers[] = {"ca.crt", "ca.key", "server.crt", "server.key",
                                            "server.names"};
    if (t->fresh[0] == '\0')
        return;
    int fd = open(t->fresh, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        for (size_t i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++)
            unlinkat(fd, leftovers[i], 0);
        close(fd);
    }
    rmdir(t->fresh);
    t->fresh[0] = '\0';
}

/* Moves name from the fresh folder into tls/. */
static int
put_in_place(struct tlsdir *t, const char *name, struct bz_error *e)
{
    int fd = open(t->fresh, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = fd < 0 ? -1 : renameat(fd, name, t->fd, name);
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        tls_fail(e, "无法把新证书文件放入“%s”", t->path);
        return bz_error_detail(e, "%s: %s", name, strerror(err));
    }
    return 0;
}

/* Moves the new files, in order, from the fresh folder into tls/ unless
 * rc already says a step failed, then removes the fresh folder. */
static int
finish_fresh(struct tlsdir *t, int rc, const char *const names[], struct bz_error *e)
{
    for (size_t i = 0; rc == 0 && names[i] != NULL; i++)
        rc = put_in_place(t, names[i], e);
    drop_fresh(t);
    return rc;
}

/* Runs `openssl req -x509 -new` for a new P-256 key without a passphrase
 * (to `key`) and its certificate (to `crt`): valid `days`, named `subj`,
 * with `more` arguments (NULL-terminated: the signer and the extensions).
 * Returns as run_openssl. */
static int
new_cert(char *key, char *crt, char *days, char *subj, char *const more[], char *out, size_t cap)
{
    char *const head[] = {OPENSSL_PATH, "req",     "-x509",    "-new",
                          "-newkey",    "ec",      "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-noenc",     "-keyout", key,        "-out",
                          crt,          "-days",   days,       "-subj",
                          subj,         "-config", "/dev/null"};
    char *argv[sizeof(head) / sizeof(head[0]) + 16];
    size_t n = 0;
    for (; n < sizeof(head) / sizeof(head[0]); n++)
        argv[n] = head[n];
    for (size_t i = 0; more[i] != NULL && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
        argv[n++] = more[i];
    argv[n] = NULL;
    return run_openssl(argv, out, cap);
}

static int
make_ca(struct tlsdir *t, struct bz_error *e)
{
    char key[BZ_PATH_MAX + 40], crt[BZ_PATH_MAX + 40], subj[200], out[OUTPUT_CAP], host[64] = "";
    unsigned char rnd[4] = {0};
    int rc = make_fresh(t, e);
    if (rc < 0)
        return rc;
    snprintf(key, sizeof(key), "%s/ca.key", t->fresh);
    snprintf(crt, sizeof(crt), "%s/ca.crt", t->fresh);
    if (gethostname(host, sizeof(host)) != 0 || !dns_ok(host))
        snprintf(host, sizeof(host), "localhost");
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 0, sizeof(rnd)); /* only a name: zeros do no harm */
    /* a name of its own, so that two counties' CAs are told apart */
    snprintf(subj, sizeof(subj), "/O=bizenv/CN=bizenv local CA %s %02x%02x%02x%02x", host, rnd[0],
             rnd[1], rnd[2], rnd[3]);
    char *more[] = {"-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign", NULL};
    if (new_cert(key, crt, CA_DAYS, subj, more, out, sizeof(out)) != 0)
        rc = openssl_failed(e, "本地 CA 证书", out);
    /* the certificate is for analysts to have; its key stays 0600 */
    if (rc == 0 && chmod(crt, 0644) != 0) {
        rc = tls_fail(e, "无法设置“%s”的权限", crt);
        bz_error_detail(e, "%s", strerror(errno));
    }
    static const char *const made[] = {"ca.key", "ca.crt", NULL};
    return finish_fresh(t, rc, made, e);
}

static int
make_server(struct tlsdir *t, const char *names, struct bz_error *e)
{
    char key[BZ_PATH_MAX + 40], crt[BZ_PATH_MAX + 40], ca[BZ_PATH_MAX + 40],
        cakey[BZ_PATH_MAX + 40];
    char san[1100], subj[120], out[OUTPUT_CAP];
    int rc = make_fresh(t, e);
    if (rc < 0)
        return rc;
    snprintf(key, sizeof(key), "%s/server.key", t->fresh);
    snprintf(crt, sizeof(crt), "%s/server.crt", t->fresh);
    snprintf(ca, sizeof(ca), "%s/ca.crt", t->path);
    snprintf(cakey, sizeof(cakey), "%s/ca.key", t->path);
    snprintf(san, sizeof(san), "subjectAltName=%s", names);
    /* the first DNS name (sorted: localhost, or the host name before it) */
    const char *first = strstr(names, "DNS:");
    size_t n = first != NULL ? strcspn(first + 4, ",") : 0;
    snprintf(subj, sizeof(subj), "/O=bizenv/CN=%.*s", (int)(n > 60 ? 60 : n),
             first != NULL ? first + 4 : "localhost");
    char *more[] = {"-CA",     ca,
                    "-CAkey",  cakey,
                    "-addext", san,
                    "-addext", "basicConstraints=critical,CA:FALSE",
                    "-addext", "keyUsage=critical,digitalSignature",
                    "-addext", "extendedKeyUsage=serverAuth",
                    NULL};
    if (new_cert(key, crt, SERVER_DAYS, subj, more, out, sizeof(out)) != 0)
        rc = openssl_failed(e, "服务器证书", out);
    if (rc == 0) {
        char path[BZ_PATH_MAX + 40];
        snprintf(path, sizeof(path), "%s/server.names", t->fresh);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        size_t len = strlen(names);
        if (fd < 0 || write(fd, names, len) != (ssize_t)len || close(fd) != 0) {
            rc = tls_fail(e, "无法写入“%s”", path);
            bz_error_detail(e, "%s", strerror(errno));
        }
    }
    /* the names last: a run killed between the renames makes them again */
    static const char *const made[] = {"server.key", "server.crt", "server.names", NULL};
    return finish_fresh(t, rc, made, e);
}

/* 1 when tls/server.* exist, name exactly `names`, are younger than nine
 * years and younger than the CA. */
static int
server_current(const struct tlsdir *t, const char *names)
{
    struct stat crt, key, nm, ca;
    if (!is_file(t->fd, "server.crt", &crt) || !is_file(t->fd, "server.key", &key) ||
        !is_file(t->fd, "server.names", &nm) || !is_file(t->fd, "ca.crt", &ca))
        return 0;
    if (crt.st_mtime < ca.st_mtime || (long long)(time(NULL) - crt.st_mtime) > SERVER_RENEW_SECONDS)
        return 0;
    size_t want = strlen(names);
    if ((size_t)nm.st_size != want)
        return 0;
    char buf[sizeof(((struct certs *)0)->names)];
    int fd = openat(t->fd, "server.names", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t got = read(fd, buf, sizeof(buf));
    close(fd);
    return got == (ssize_t)want && memcmp(buf, names, want) == 0;
}

static int
prepare_local(const struct settings *s, const struct pgnet_listen *l, struct certs *c,
              struct bz_error *e)
{
    struct tlsdir t;
    struct stat st;
    int rc = collect_names(s, l, c->names, sizeof(c->names), e);
    if (rc == 0)
        rc = open_tlsdir(s, &t, e);
    if (rc < 0)
        return rc;
    if (!is_file(t.fd, "ca.crt", &st) || !is_file(t.fd, "ca.key", &st))
        rc = make_ca(&t, e);
    if (rc == 0 && !server_current(&t, c->names))
        rc = make_server(&t, c->names, e);
    close(t.fd);
    if (rc < 0)
        return rc;
    c->local = 1;
    snprintf(c->cert, sizeof(c->cert), "%s/server.crt", t.path);
    snprintf(c->key, sizeof(c->key), "%s/server.key", t.path);
    snprintf(c->ca, sizeof(c->ca), "%s/ca.crt", t.path);
    return 0;
}

int
certs_prepare(const struct settings *s, const struct pgnet_listen *l, struct certs *c,
              struct bz_error *e)
{
    memset(c, 0, sizeof(*c));
    int own_cert = s->tls_cert_file[0] != '\0', own_key = s->tls_key_file[0] != '\0';
    if (own_cert != own_key || (!own_cert && s->tls_ca_file[0] != '\0'))
        return bz_error_set(e, E_CONFIG,
                            "设置项 tls_cert_file 与 tls_key_file 须同时设置（tls_ca_file "
                            "只和它们一起使用）；都不设置时 bizenv 使用自己的本地 CA");
    if (!own_cert)
        return prepare_local(s, l, c, e);
    snprintf(c->cert, sizeof(c->cert), "%s", s->tls_cert_file);
    snprintf(c->key, sizeof(c->key), "%s", s->tls_key_file);
    snprintf(c->ca, sizeof(c->ca), "%s", s->tls_ca_file);
    return 0;
}

int
certs_ca_path(const struct settings *s, char *buf, size_t cap)
{
    int n = s->tls_cert_file[0] != '\0' ? snprintf(buf, cap, "%s", s->tls_ca_file)
                                        : snprintf(buf, cap, "%s/tls/ca.crt", s->home);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}
