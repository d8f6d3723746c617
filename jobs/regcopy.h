/*
 * regcopy — keeps a copy of a registry just loaded into the database in the
 * home: `registry load` writes the townships to the `registry` setting
 * ($BIZENV_HOME/townships.csv), which `validate` reads without a database;
 * `counties load` writes $BIZENV_HOME/counties.csv. Either file is also the
 * sign that a registry was loaded, which the packaged nightly service waits
 * for (ConditionPathExists in bizenv-nightly.service).
 */
#ifndef BZ_REGCOPY_H
#define BZ_REGCOPY_H

#include "../common/error.h"

#include <stddef.h>

/* Name of the counties' copy under the home. */
#define REGCOPY_COUNTIES "counties.csv"

/*
 * Copies the file `src` (at most LOADER_REGISTRY_MAX_BYTES) to `dest`:
 * written under a temporary name in dest's folder (O_EXCL, O_NOFOLLOW),
 * synced, then renamed over dest, so dest is always whole. Returns 0, or
 * BZ_EIO (E_IO_READ, E_IO_WRITE) / BZ_EINPUT (E_REGISTRY_FORMAT: too
 * large) with e filled; nothing is left behind on failure.
 */
int regcopy_save(const char *src, const char *dest, struct bz_error *e);

/* The same for any file of at most `limit` bytes, never replacing dest
 * (BZ_ECONFLICT when it exists): the journal a restore puts in place. */
int regcopy_save_new(const char *src, const char *dest, size_t limit, struct bz_error *e);

#endif
