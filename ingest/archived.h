/*
 * archived — bytes bizenv keeps by their SHA-256 under archive/ab/cd/<sha256>
 * that did not come through the inbox (a registry file as loaded, a
 * registry snapshot), and reading any archived file back for `bizenv
 * rebuild`, which replays the journal from the archive's bytes.
 *
 * archive/ and its two levels are bizenv's own folders (common/fsdir.h:
 * owned by the run's user, reached through descriptors, no symlinks). An
 * entry is never trusted by its name alone: reading checks its SHA-256, and
 * an entry found torn when storing is replaced. Never prints.
 */
#ifndef BZ_ARCHIVED_H
#define BZ_ARCHIVED_H

#include "../common/error.h"
#include "../common/settings.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Stores len bytes as archive/ab/cd/<sha256> (made durable: file and
 * folders fsynced) unless an intact entry is there. sha256 receives the
 * hex digest. Returns 0, BZ_ECONFIG (E_HOME_UNSAFE), BZ_EIO, BZ_ENOMEM.
 */
int archived_put(const struct settings *s, const void *data, size_t len, char sha256[65],
                 struct bz_error *e);

/*
 * Opens the archived entry of sha256 for reading, after reading it whole
 * and checking its digest; *fd is at offset 0, *size its bytes. Returns 0,
 * BZ_ENOTFOUND (E_NOINPUT: not in the archive), BZ_ECONFIG (E_JOURNAL: the
 * bytes do not match their name, or not a plain file; E_HOME_UNSAFE), BZ_EIO.
 */
int archived_open(const struct settings *s, const char *sha256, int *fd, int64_t *size,
                  struct bz_error *e);

/* Reads an archived entry whole (checked as archived_open), at most
 * `limit` bytes, into *data (malloc'd, NUL-terminated; the caller frees). */
int archived_read(const struct settings *s, const char *sha256, size_t limit, char **data,
                  size_t *len, struct bz_error *e);

#endif
