/*
 * rollup — a prefecture stores the counties' ADX roll-ups.
 *
 * A bizenv database with a county registry (ref.county, registry.h) is a
 * prefecture: `bizenv ingest` routes an ADX document (transform/adx.h
 * reads and checks it) here instead of the township merge, and
 * report.ranking ranks counties (sql/report/figures.sql). One statement,
 * load.merge_rollup (sql/load/rollup.sql), decides and stores: same
 * SHA-256 from the same county = duplicate, a county outside the registry
 * is rejected, any other roll-up is stored beside the earlier ones, and
 * the newest (as-of date, then export time) counts for each period it
 * carries. The groups travel as one JSON parameter.
 *
 * Never prints; touches only the database.
 */
#ifndef BZ_ROLLUP_H
#define BZ_ROLLUP_H

#include "../common/diag.h"
#include "../common/error.h"
#include "../transform/adx.h"

#include <libpq-fe.h>
#include <time.h>

enum rollup_result { ROLLUP_ACCEPTED, ROLLUP_DUPLICATE, ROLLUP_REJECTED };

/* Where the document came from (for facts.rollup). */
struct rollup_meta {
    const char *doc_sha256;  /* of the document bytes */
    const char *file_sha256; /* of the inbox file, already in raw.file */
    const char *member;      /* entry in the inbox file, "" for a bare file */
    time_t received_at;      /* the inbox file's mtime */
};

/*
 * Stores a roll-up adx_parse read without errors. Returns 0 with *result
 * set (a rejection is not a failure: E_ADX_COUNTY_UNKNOWN is added to
 * diags), or BZ_EDB/BZ_ETIMEOUT/BZ_ENOMEM with e filled.
 */
int rollup_store(PGconn *conn, const struct adx_doc *doc, const struct rollup_meta *meta,
                 enum rollup_result *result, struct diag_list *diags, struct bz_error *e);

#endif
