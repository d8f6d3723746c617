/*
 * certs — the TLS certificate of the embedded server when it listens for
 * analysts (load/pgnet.h).
 *
 * Either the county's own files (settings tls_cert_file, tls_key_file and
 * tls_ca_file, the CA analysts verify with), or bizenv's local CA, made on
 * first use in $BIZENV_HOME/tls/:
 *   ca.crt        the CA certificate analysts get (sslrootcert=, with
 *                 sslmode=verify-full); valid 20 years, kept for good so
 *                 the copies analysts hold stay valid
 *   ca.key        its private key (0600)
 *   server.crt    the server certificate it signs, named for localhost,
 *   server.key    127.0.0.1, ::1, the host name, every address of the
 *   server.names  machine's interfaces and tls_names; made again when that
 *                 list changes (server.names records it) or after 9 of its
 *                 10 years, signed by the same CA
 * Keys are ECDSA P-256, made by the openssl program (Debian's openssl
 * package) run directly, never through a shell, with its output kept for
 * the error detail. Files are made in a new folder inside tls/ and renamed
 * into place, so a killed run leaves either the old set or the new one.
 * tls/ is checked like every folder of bizenv's (owner, no group or other
 * write bit). This module never prints.
 */
#ifndef BZ_CERTS_H
#define BZ_CERTS_H

#include "../common/dbuf.h"
#include "../common/error.h"
#include "../common/settings.h"
#include "pgnet.h"

/* A PEM certificate or key is a few KB; a chain of several stays far below. */
#define CERTS_FILE_MAX (64u << 10)

/* The server's certificate and key, and the CA file analysts get. */
struct certs {
    char cert[BZ_PATH_MAX + 32]; /* server certificate (PEM), absolute */
    char key[BZ_PATH_MAX + 32];  /* its private key (PEM) */
    char ca[BZ_PATH_MAX + 32];   /* CA certificate for analysts; "" when the county gave none */
    int local;                   /* 1 when bizenv's local CA made them */
    char names[1024];            /* local: the certificate's names ("DNS:localhost,IP:...") */
};

/*
 * Makes sure the certificate for listening as `l` says exists, creating the
 * local CA and the server certificate when needed, and fills *c. Returns 0;
 * E_CONFIG (BZ_ECONFIG) for settings that do not go together or a bad
 * tls_names entry; E_HOME_UNSAFE for an unsafe tls/ folder; E_TLS (BZ_EIO)
 * when openssl fails or a file cannot be read, with the reason in the
 * detail.
 */
int certs_prepare(const struct settings *s, const struct pgnet_listen *l, struct certs *c,
                  struct bz_error *e);

/* Appends the whole file at path to out (at most CERTS_FILE_MAX bytes).
 * Returns 0, or E_TLS (BZ_EIO) naming the file. */
int certs_read(const char *path, struct dbuf *out, struct bz_error *e);

/* The CA file analysts get, whether it exists yet or not: tls/ca.crt under
 * the home, or tls_ca_file with the county's own certificate ("" when it
 * named none). Returns 0, or -1 when it does not fit (buf then holds ""). */
int certs_ca_path(const struct settings *s, char *buf, size_t cap);

#endif
