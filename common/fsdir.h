/*
 * fsdir — the folders bizenv writes in, held open and checked, and the
 * files it makes in them, always relative to those descriptors (as postfix
 * delivers into maildirs and OpenSSH checks the paths it trusts).
 *
 * Only paths from the configuration (the home, the inbox, archive/, ...)
 * are ever opened by path: an uploader cannot change them. Everything below
 * such a folder is reached with openat/mkdirat/renameat/unlinkat from its
 * descriptor, never following a symlink (O_NOFOLLOW, O_DIRECTORY), new
 * files are created with O_EXCL, and a folder of bizenv's own is checked
 * with fstat on the descriptor it will use: a real folder, owned by the
 * user bizenv runs as, writable by no one else. A folder that fails the
 * check is refused (E_HOME_UNSAFE): nothing in it could be trusted.
 *
 * This module never prints. Errors name the folder as the caller shows it.
 */
#ifndef BZ_FSDIR_H
#define BZ_FSDIR_H

#include "error.h"

#include <stddef.h>
#include <sys/types.h>

#define FSDIR_CREATE 1u  /* make the folder when missing (parents 0755, the folder 0750) */
#define FSDIR_OWN 2u     /* insist on owner = effective user and no group/other write bit */
#define FSDIR_DURABLE 4u /* fsync the file and its folder before returning */
#define FSDIR_EXCL 8u    /* never replace: an existing name is BZ_ECONFLICT */

/*
 * Opens the configured folder `path` (symlinks in it are the
 * administrator's and are followed) as *fd, creating it with FSDIR_CREATE
 * and checking it with FSDIR_OWN. Returns 0, BZ_ENOTFOUND (missing, not
 * created), BZ_ECONFIG (E_HOME_UNSAFE: not a folder, or fails the check),
 * BZ_EIO. The caller closes *fd.
 */
int fsdir_open(const char *path, unsigned flags, int *fd, struct bz_error *e);

/* The same for the folder `name` (one path component) inside `dir`; a
 * symlink there is refused. `shown` names it in messages. */
int fsdir_sub(int dir, const char *name, const char *shown, unsigned flags, int *fd,
              struct bz_error *e);

/* Creates `path` and its missing parents: the parents 0755 (so a server
 * user can pass through), the folder itself `mode`. Returns 0 or BZ_EIO. */
int fsdir_mkdirs(const char *path, mode_t mode, struct bz_error *e);

/* Creates the new file `name` in dir for reading and writing (O_EXCL,
 * O_NOFOLLOW) as *fd. Returns 0, BZ_ECONFLICT (E_FILE_EXISTS) when the name exists, BZ_EIO. */
int fsdir_create(int dir, const char *name, const char *shown, mode_t mode, int *fd,
                 struct bz_error *e);

/*
 * Writes `len` bytes as the file `name` in dir, whole or not at all: into a
 * new temporary file first, then renamed. With FSDIR_EXCL an existing name
 * is never replaced (BZ_ECONFLICT, nothing written), and on Linux the file
 * is written unnamed (O_TMPFILE) and then linked, so a process killed
 * meanwhile leaves nothing behind; with FSDIR_DURABLE the file and the
 * folder are fsynced. Returns 0, BZ_ECONFLICT, BZ_EIO.
 */
int fsdir_write(int dir, const char *name, const char *shown, const void *data, size_t len,
                unsigned flags, struct bz_error *e);

/* Writes all `len` bytes to fd, again after a signal or a short write.
 * Returns 0, or -1 with errno. */
int fsdir_write_all(int fd, const void *data, size_t len);

/* Renames from/old to to/new unless `new` exists (renameat2 NOREPLACE on
 * Linux; elsewhere a check first, safe under the run lock). Returns 0 or -1
 * with errno (EEXIST when the name is taken). */
int fsdir_rename_noreplace(int from, const char *old, int to, const char *new_name);

/* 1 when the open folder fd is the folder (dev, ino) or lies below it,
 * found by walking up its ".." entries; 0 otherwise or on error. */
int fsdir_inside(int fd, dev_t dev, ino_t ino);

/* Splits a file's path: its folder into dir (cap bytes; "." for a bare
 * name, "/" for a file at the root; cut to fit) and returns its name, a
 * pointer into path. */
const char *fsdir_split(const char *path, char *dir, size_t cap);

/* Fills e from errno for a failed `what` on `shown`: E_NOMEM, E_IO_WRITE
 * (ENOSPC, EDQUOT, EROFS) or E_IO_READ. Returns the status. */
int fsdir_io_error(struct bz_error *e, const char *what, const char *shown);

#endif
