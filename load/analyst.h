/*
 * analyst — analysts' logins: login roles in bizenv_analyst, each with a
 * SCRAM-SHA-256 password, an optional expiry day and the limits every
 * session of theirs starts with (sql/meta/analysts.sql).
 *
 * The password never reaches the server: its SCRAM verifier is computed
 * here (libpq's PQencryptPasswordConn, a fresh salt each time) and sent as
 * a parameter, with the name, to the functions of meta, which quote both
 * with format(). Works the same on the embedded server and on a
 * configured one, where the connecting role needs CREATEROLE. This module
 * never prints and never keeps a password: the caller owns and wipes it.
 */
#ifndef BZ_ANALYST_H
#define BZ_ANALYST_H

#include "../common/error.h"
#include "../common/settings.h"

#include <libpq-fe.h>
#include <stddef.h>

/* Generated passwords: 20 characters of a 56-letter alphabet without the
 * look-alikes (0/O, 1/l/I), about 116 bits: read off a screen and typed
 * once into a password store. */
#define ANALYST_PASSWORD_LEN 20
/* A password given on stdin: long enough to resist guessing over the
 * network, short enough to be a password and not a file. */
#define ANALYST_PASSWORD_MIN 12
#define ANALYST_PASSWORD_MAX 256

/* One analyst as `bizenv analyst list` shows it. */
struct analyst_info {
    char name[64];        /* the role name (at most 63 bytes, PostgreSQL's limit) */
    char valid_until[16]; /* the last day it may log in (county time), "" = no expiry */
    int expired;          /* 1 when that day is over */
    int connection_limit; /* -1 = none */
    int sessions;         /* sessions open now, on the whole server */
    char added[160];      /* the role's comment ("bizenv 分析人员账号（... 添加）"), or "" */
};

/* The limits from settings (analyst_*), as the functions take them. */
struct analyst_limits {
    long long connections;
    long long statement_timeout_ms;
    long long idle_in_transaction_ms;
    long long temp_file_kb;
};

/* The analyst_* settings as limits. Cannot fail. */
void analyst_limits_from(const struct settings *s, struct analyst_limits *l);

/*
 * Checks that `name` may be an analyst's login: 1 to 63 bytes of UTF-8
 * letters (Chinese included), digits, '_', '-' and '.', not starting with
 * "pg_" and not bizenv's own or PostgreSQL's reserved names. Returns 0 or
 * E_USAGE (BZ_ECONFIG) saying why.
 */
int analyst_check_name(const char *name, struct bz_error *e);

/* Checks a password read from the user (length, no control characters).
 * Returns 0 or E_USAGE. */
int analyst_check_password(const char *password, struct bz_error *e);

/* Writes a new random password (ANALYST_PASSWORD_LEN characters and a
 * NUL) into buf (cap > ANALYST_PASSWORD_LEN). Returns 0 or E_IO_READ when
 * the kernel gives no randomness. */
int analyst_generate_password(char *buf, size_t cap, struct bz_error *e);

/*
 * Adds the analyst with the password, valid through `expires` (YYYY-MM-DD,
 * the end of that day in the county's time zone; NULL = no expiry), and
 * the limits. *skipped gets the settings the connecting role could not set
 * (comma separated, "" when none; "temp_file_limit" on a server where it
 * is neither superuser nor granted SET on it). Returns 0, E_ANALYST_EXISTS
 * (BZ_EINPUT) when a role of that name exists, or the database error.
 */
int analyst_add(PGconn *conn, const char *name, const char *password, const char *expires,
                const struct analyst_limits *lim, char *skipped, size_t skipped_cap,
                struct bz_error *e);

/*
 * Sets a new password (and, when set_expiry, the expiry as analyst_add
 * takes it) and the current limits. Returns 0, E_ANALYST_UNKNOWN
 * (BZ_ENOTFOUND) when name is not an analyst, or the database error.
 */
int analyst_passwd(PGconn *conn, const char *name, const char *password, int set_expiry,
                   const char *expires, const struct analyst_limits *lim, char *skipped,
                   size_t skipped_cap, struct bz_error *e);

/* Removes the analyst: no more logins, its sessions ended, the role
 * dropped. *ended gets the sessions ended. Returns 0, E_ANALYST_UNKNOWN,
 * or the database error (the detail names what still depends on it). */
int analyst_remove(PGconn *conn, const char *name, int *ended, struct bz_error *e);

/* Every analyst, by name, into a new array *out (caller frees) of *n.
 * Returns 0 or the database error (*out NULL). */
int analyst_list(PGconn *conn, struct analyst_info **out, size_t *n, struct bz_error *e);

#endif
