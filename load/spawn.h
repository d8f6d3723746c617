/*
 * spawn — runs one outside program (initdb, pg_ctl, openssl, pg_dump,
 * pg_restore, pg_amcheck) the way every module of bizenv that needs one
 * does: fork and execve directly (no shell, argv[0] an absolute path),
 * stdin from /dev/null, stdout and stderr into one pipe of which only the
 * tail is kept (the programs give their reason for failing last), and the
 * environment the caller gives, nothing inherited. No timeout: the
 * programs bound their own waits (pg_ctl -t). Never prints.
 */
#ifndef BZ_SPAWN_H
#define BZ_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* The user the child becomes before exec (bizenv runs as root and the
 * program must not). */
struct spawn_user {
    uid_t uid;
    gid_t gid;
    const char *name; /* for initgroups */
};

struct spawn_opts {
    char *const *envp;             /* the child's whole environment, NULL-ended */
    const char *dir;               /* the child changes to it first; NULL: stays */
    int umask;                     /* the child's umask; -1: inherited */
    const struct spawn_user *user; /* NULL: the child stays bizenv's user */
};

/* spawn_run could not start the program (pipe, fork), or not wait for it. */
#define SPAWN_NOSTART (-1)
#define SPAWN_NOWAIT (-2)

/*
 * Runs argv[0] with argv under o. out (cap bytes, cap >= 2) receives the
 * last cap-1 bytes of its stdout and stderr. Returns its exit status
 * (128+signal when killed; 127 when it could not be executed, 126 when
 * the user switch failed), or SPAWN_NOSTART / SPAWN_NOWAIT with out
 * saying why ("fork: ...") and errno kept.
 */
int spawn_run(char *const argv[], const struct spawn_opts *o, char *out, size_t cap);

#endif
