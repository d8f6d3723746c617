/*
 * cluster — bizenv's own embedded PostgreSQL 15 cluster (the default when
 * no database is configured).
 *
 * Layout, for pgdata = $BIZENV_HOME/pg:
 *   pg/            the data folder (0700, owned by the server user)
 *   pg/bizenv.conf connection settings, included from postgresql.conf and
 *                  rewritten at every start, so a manual `pg_ctl start`
 *                  keeps them: listen_addresses (none unless the `listen`
 *                  setting asks), the port, unix_socket_permissions 0700,
 *                  the socket folder, hba_file and TLS (load/pgnet.h)
 *   pg/bizenv_hba.conf  the authentication file bizenv owns (pgnet.h)
 *   pg/bizenv-server.crt, .key  the TLS certificate while listening
 *                  (load/certs.h), copied here for the server user
 *   pg.lock        flock taken while creating or starting, so two bizenv
 *                  processes starting at once do not collide
 *   pg.log         the server log (pg_ctl -l)
 * The socket lives in pgdata itself (already 0700). When that path would
 * exceed the 107-byte limit of a Unix socket path, or holds characters the
 * server's configuration lists cannot carry, the socket goes to
 * /tmp/bizenv-<FNV-1a 64 of pgdata>-<server uid>/ instead: made 0700 and
 * owned by the server user, refused if someone else owns it. The choice is
 * a pure function of the pgdata path, and is also written in bizenv.conf.
 *
 * The cluster is created on first start (initdb -U bizenv --auth=trust -E
 * UTF8 --locale=C.UTF-8 --data-checksums, then database bizenv), when pgdata is missing or
 * an empty folder, and only for a home without history unless the caller
 * says otherwise (enum cluster_create). PostgreSQL refuses to run
 * as root: when bizenv runs as root, initdb and pg_ctl run as the OS user
 * settings.pg_user, forked and exec'd directly (never through a shell).
 * Their output is collected into a capped buffer and reported in the error
 * detail. This module never prints.
 */
#ifndef BZ_CLUSTER_H
#define BZ_CLUSTER_H

#include "../common/error.h"
#include "../common/settings.h"

#include <stddef.h>

struct cluster_status {
    int exists;                   /* pgdata holds an initialised cluster (PG_VERSION) */
    int running;                  /* postmaster.pid names a live process */
    long pid;                     /* the postmaster's pid when running, else 0 */
    long stale;                   /* postmaster.pid names this pid, which is not this
                                     cluster's server (a crash or power cut): cluster_start
                                     clears the file; 0 otherwise */
    char socket_dir[BZ_PATH_MAX]; /* where the server's socket is, or will be */
};

/*
 * When a missing cluster may be created. A home with history (see
 * load/instance.h) whose cluster is gone must not silently get an empty
 * one: run numbers would start again at 1 and every ranking would be lost.
 */
enum cluster_create {
    CLUSTER_CREATE_NEW_HOME, /* only for a home without history (every command that writes) */
    CLUSTER_CREATE_NEVER,    /* never (read-only commands) */
    CLUSTER_CREATE_ANY       /* even for a home with history: for a future `bizenv rebuild`
                                or `bizenv restore`, which must ask for it explicitly */
};

/*
 * Creates the cluster if needed and `create` allows it, and starts it if
 * it is not running. A running cluster gets the files above rewritten when
 * the settings changed them, and a reload (pg_ctl reload), never a
 * restart; otherwise nothing happens. Waits until
 * it accepts connections (at most 60 s). Returns 0; E_DB_MISSING
 * (BZ_ECONFIG) when the cluster is missing and may not be created,
 * nothing created; E_DB_CLUSTER_CONFIG (BZ_ECONFIG) when settings.pg_user
 * is unusable or pgdata cannot be a data folder (not absolute, characters
 * the server's options cannot carry, a folder that is not empty), nothing
 * created; E_DB_CLUSTER (BZ_EDB) with the programs' output in the detail.
 */
int cluster_start(const struct settings *s, enum cluster_create create, struct bz_error *e);

/*
 * Stops the cluster (fast shutdown, waiting at most 60 s). Stopping a
 * cluster that is not running or not created succeeds. Returns 0 or
 * E_DB_CLUSTER.
 */
int cluster_stop(const struct settings *s, struct bz_error *e);

/*
 * Stops the cluster when it runs and starts it again, for what only a
 * restart applies (the `listen` address and port). Returns as
 * cluster_stop and cluster_start (CLUSTER_CREATE_NEVER).
 */
int cluster_restart(const struct settings *s, struct bz_error *e);

/* Where the server listens for analysts (load/pgnet.h), wanted and actual. */
struct cluster_listen {
    int wanted; /* the `listen` setting is on */
    char wanted_host[256];
    int wanted_port;
    int running;            /* the server runs (postmaster.pid read) */
    char running_host[256]; /* its first listen address, "" when it listens on no TCP */
    int running_port;
    int restart_needed; /* running, and host or port differ from the settings */
};

/* Fills *l from the settings and postmaster.pid without changing anything.
 * Returns 0, or E_CONFIG for a bad `listen`. */
int cluster_listen_state(const struct settings *s, struct cluster_listen *l, struct bz_error *e);

/* Fills *cs without changing anything. Returns 0, or E_DB_CLUSTER when
 * pgdata cannot be examined (permission). */
int cluster_status(const struct settings *s, struct cluster_status *cs, struct bz_error *e);

/*
 * Writes the libpq conninfo of the cluster's database ("host=<socket dir>
 * port=5432 dbname=bizenv user=bizenv", values quoted) into buf. Returns 0,
 * or -1 when it does not fit in cap (buf then holds "").
 */
int cluster_conninfo(const struct settings *s, char *buf, size_t cap);

/* The socket folder the cluster uses (see above) into buf. Returns 0, or
 * -1 when it does not fit (buf then holds ""). Cannot fail otherwise. */
int cluster_socket_dir(const struct settings *s, char *buf, size_t cap);

#endif
