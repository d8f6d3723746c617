#include "netinfo.h"

#include "../common/esc.h"
#include "../load/certs.h"
#include "../load/cluster.h"
#include "cli.h"

#include <string.h>
#include <unistd.h>

/* The name analysts reach the server by: the listen address, or the host
 * name when it listens everywhere. */
static void
server_name(const struct cluster_listen *l, char *buf, size_t cap)
{
    const char *h = l->wanted_host;
    if (strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0) {
        if (gethostname(buf, cap) != 0 || buf[0] == '\0')
            snprintf(buf, cap, "服务器地址");
        buf[cap - 1] = '\0';
        return;
    }
    snprintf(buf, cap, "%s", h);
}

void
netinfo_print_psql(const struct settings *s, const char *host, const char *user, FILE *out)
{
    struct cluster_listen l;
    struct bz_error e;
    char name[256], shown[4 * 256 + 1];
    if (cluster_listen_state(s, &l, &e) < 0)
        return;
    if (host == NULL)
        server_name(&l, name, sizeof(name));
    else
        snprintf(name, sizeof(name), "%s", host);
    esc_text(shown, sizeof(shown), user);
    fprintf(out,
            "psql \"host=%s port=%d dbname=bizenv user=%s sslmode=verify-full "
            "sslrootcert=bizenv-ca.crt\"\n",
            name, l.wanted_port, shown);
}

int
netinfo_print(const struct settings *s, FILE *out)
{
    struct cluster_listen l;
    struct bz_error e;
    char ca[BZ_PATH_MAX + 32];
    if (cluster_listen_state(s, &l, &e) < 0)
        return cli_report(&e);
    if (!l.wanted && !l.running_host[0]) {
        fprintf(out, "网络访问：关闭（设置项 listen 为空，只能经本机套接字连接）\n");
        return 0;
    }
    if (l.wanted)
        fprintf(out, "网络访问：%s:%d（仅分析人员账号，须 TLS 加密和密码）\n", l.wanted_host,
                l.wanted_port);
    else
        fprintf(out, "网络访问：已关闭（设置项 listen 为空）\n");
    if (l.restart_needed)
        fprintf(out, "  服务器仍在监听 %s:%d；设置的更改须重启才能生效：bizenv db restart\n",
                l.running_host[0] ? l.running_host : "（无）", l.running_port);
    if (l.wanted && certs_ca_path(s, ca, sizeof(ca)) == 0) {
        if (ca[0] != '\0')
            fprintf(out, "CA 证书（发给分析人员，连接时 sslmode=verify-full）：%s\n", ca);
        else
            fprintf(out, "CA 证书：本县自备证书，未设置 tls_ca_file（请把签发该证书的 CA "
                         "证书发给分析人员）\n");
    }
    return 0;
}
