/*
 * migrate_test — what the runner's tests need of load/migrate.c and the
 * product does not: the previous release's migration records, from which
 * tests/load/test_migrate.c builds a database as that release left it
 * (the embedded baseline, then these records).
 */
#ifndef BZ_MIGRATE_TEST_H
#define BZ_MIGRATE_TEST_H

#include "migrate.h"

#include <stddef.h>

/* The previous release's migrations as its meta.migration records them;
 * *n is set to their number. Cannot fail. */
const struct migrate_item *migrate_previous_release(size_t *n);

#endif
