/*
 * pgnet — what the embedded server lets in: the `listen` setting, and the
 * server configuration and host-based authentication file (pg_hba) that
 * follow from it.
 *
 * With `listen` empty (the default) the server opens no TCP port at all and
 * takes connections only on its private Unix socket, as before analysts
 * could log in. With `listen = HOST[:PORT]` it also listens there, and
 * only for analysts: TLS is required (hostssl), the password is checked
 * with SCRAM-SHA-256, and only members of bizenv_analyst are let in, to
 * the database bizenv. The owner (the superuser initdb made), the loader
 * and `postgres` are refused over TCP whatever their password; they use
 * the socket, which only the server's OS user (and root) can reach.
 * Connections and disconnections are logged (pg.log) while listening.
 *
 * This module only builds text; cluster.c writes it and reloads the server,
 * certs.c makes the certificate. It never prints.
 */
#ifndef BZ_PGNET_H
#define BZ_PGNET_H

#include "../common/dbuf.h"
#include "../common/error.h"

/* The port when `listen` names none, and the one the socket uses when not
 * listening: PostgreSQL's. */
#define PGNET_DEFAULT_PORT 5432

/* The installed copies of the server certificate and key, in pgdata. */
#define PGNET_CERT_NAME "bizenv-server.crt"
#define PGNET_KEY_NAME "bizenv-server.key"
/* The authentication file bizenv owns, in pgdata (hba_file). */
#define PGNET_HBA_NAME "bizenv_hba.conf"

struct pgnet_listen {
    int on;         /* 1 when the server listens on TCP */
    char host[256]; /* the listen_addresses value: "0.0.0.0", "*", "::", an address or name */
    int port;       /* 1-65535; PGNET_DEFAULT_PORT when not given */
};

/*
 * Parses the `listen` setting: "" (off), HOST, HOST:PORT, [IPV6] or
 * [IPV6]:PORT, HOST being an IPv4 address, a host name, "*" or "0.0.0.0"
 * (every IPv4 interface). Returns 0, or BZ_ECONFIG (E_CONFIG) naming the
 * setting. Cannot fail otherwise.
 */
int pgnet_parse(const char *listen, struct pgnet_listen *l, struct bz_error *e);

/*
 * Appends the text of pgdata/bizenv.conf to out: listen_addresses, port,
 * the socket folder, hba_file (hba_path, absolute), and when listening
 * TLS on with the installed certificate, connection logging and
 * `tls_note` as a comment (what the certificate is: its names and
 * fingerprint, so that a new certificate changes the file and makes
 * cluster.c reload the server). sockdir and hba_path must hold no quote
 * or backslash (cluster.c checks its paths). Returns 0 or the dbuf error.
 */
int pgnet_conf_text(const struct pgnet_listen *l, const char *sockdir, const char *hba_path,
                    const char *tls_note, struct dbuf *out);

/* Appends the text of pgdata/bizenv_hba.conf (see above) to out. Returns
 * 0 or the dbuf error. */
int pgnet_hba_text(const struct pgnet_listen *l, struct dbuf *out);

#endif
