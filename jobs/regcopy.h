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
 * Writes the registry file's bytes as loaded (regcsv.h keeps them) to
 * `dest`: under a temporary name in dest's folder (O_EXCL, O_NOFOLLOW),
 * synced, then renamed over dest, so dest is always whole and is exactly
 * what the database holds, even if the source file changed meanwhile.
 * Returns 0, or BZ_EIO (E_IO_WRITE) with e filled; nothing is left behind
 * on failure.
 */
int regcopy_save(const char *data, size_t len, const char *dest, struct bz_error *e);

/* The file `src` (at most `limit` bytes, else E_IO_READ) to `dest` the same
 * way; with `excl` an existing dest is never replaced (E_FILE_EXISTS):
 * what a restore puts into the home (the journal, the registry copies). */
int regcopy_save_file(const char *src, const char *dest, size_t limit, int excl,
                      struct bz_error *e);

#endif
