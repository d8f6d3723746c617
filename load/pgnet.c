#include "pgnet.h"

#include <stdlib.h>
#include <string.h>

/* Characters of a host name or IPv4 address, and of an IPv6 address. */
static int
host_ok(const char *h, size_t n, int v6)
{
    if (n == 0)
        return 0;
    if (!v6 && n == 1 && h[0] == '*')
        return 1;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                 c == ':' || c == '.';
        if (!v6)
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '.' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

static int
bad_listen(struct bz_error *e, const char *listen, const char *why)
{
    bz_error_set(e, E_CONFIG,
                 "设置项 listen 的值“%s”无效：%s（应为 地址:端口，如 0.0.0.0:5432，"
                 "IPv6 写作 [::]:5432；留空则不开放网络访问）",
                 listen, why);
    return e->status;
}

int
pgnet_parse(const char *listen, struct pgnet_listen *l, struct bz_error *e)
{
    memset(l, 0, sizeof(*l));
    l->port = PGNET_DEFAULT_PORT;
    if (listen[0] == '\0')
        return 0;
    const char *host = listen, *port = NULL;
    size_t hlen;
    int v6 = listen[0] == '[';
    if (v6) {
        const char *close = strchr(listen, ']');
        if (close == NULL)
            return bad_listen(e, listen, "缺少“]”");
        host = listen + 1;
        hlen = (size_t)(close - host);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return bad_listen(e, listen, "“]”之后只能是 :端口");
    } else {
        const char *colon = strchr(listen, ':');
        hlen = colon != NULL ? (size_t)(colon - listen) : strlen(listen);
        if (colon != NULL)
            port = colon + 1;
    }
    if (!host_ok(host, hlen, v6) || hlen >= sizeof(l->host))
        return bad_listen(e, listen, "地址无效");
    if (port != NULL) {
        char *end;
        long n = strtol(port, &end, 10);
        if (port[0] < '0' || port[0] > '9' || *end != '\0' || n < 1 || n > 65535)
            return bad_listen(e, listen, "端口应为 1–65535 的整数");
        l->port = (int)n;
    }
    memcpy(l->host, host, hlen);
    l->host[hlen] = '\0';
    l->on = 1;
    return 0;
}

int
pgnet_conf_text(const struct pgnet_listen *l, const char *sockdir, const char *hba_path,
                const char *tls_note, struct dbuf *out)
{
    int rc = dbuf_printf(out,
                         "# Written by bizenv whenever the embedded cluster starts or its"
                         " settings change; edits are lost.\n"
                         "listen_addresses = '%s'\n"
                         "port = %d\n"
                         "unix_socket_directories = '%s'\n"
                         "unix_socket_permissions = 0700\n"
                         "hba_file = '%s'\n"
                         "password_encryption = 'scram-sha-256'\n",
                         l->on ? l->host : "", l->port, sockdir, hba_path);
    if (rc == 0 && !l->on)
        rc = dbuf_adds(out, "# Unix socket only: the server opens no TCP port at all.\n"
                            "ssl = off\n");
    if (rc == 0 && l->on)
        rc = dbuf_printf(out,
                         "# Analysts over TCP, TLS only (bizenv_hba.conf); every connection"
                         " logged with its user.\n"
                         "ssl = on\n"
                         "ssl_cert_file = '" PGNET_CERT_NAME "'\n"
                         "ssl_key_file = '" PGNET_KEY_NAME "'\n"
                         "ssl_min_protocol_version = 'TLSv1.2'\n"
                         "log_connections = on\n"
                         "log_disconnections = on\n"
                         "log_line_prefix = '%%m [%%p] %%q%%u@%%d %%r '\n"
                         "# certificate: %s\n",
                         tls_note);
    return rc;
}

int
pgnet_hba_text(const struct pgnet_listen *l, struct dbuf *out)
{
    int rc =
        dbuf_adds(out, "# Written by bizenv whenever the embedded cluster starts or its settings"
                       " change; edits are lost.\n"
                       "# The private socket (mode 0700, reachable by the server's OS user and"
                       " root only).\n"
                       "local   all     all     trust\n");
    if (rc == 0 && l->on)
        rc = dbuf_adds(out,
                       "# TCP: analysts only, TLS and a SCRAM-SHA-256 password, database bizenv."
                       " The owner,\n"
                       "# the loader and postgres never log in over TCP; a connection without"
                       " TLS matches no line.\n"
                       "hostssl all     bizenv,bizenv_loader,bizenv_analyst,postgres  all  reject\n"
                       "hostssl bizenv  +bizenv_analyst  all  scram-sha-256\n");
    return rc;
}
