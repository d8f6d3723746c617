/*
 * rollup — the prefecture side: counties' ADX roll-ups into the database,
 * and the prefecture's registry of counties.
 *
 * A bizenv database with a county registry (ref.county) is a prefecture:
 * `bizenv ingest` routes an ADX document here (rollup_ingest) instead of
 * the township transform, and report.ranking ranks counties (sql/report/figures.sql).
 * Same SHA-256 from the same county = duplicate; any other accepted
 * roll-up is stored beside the earlier ones, and the newest (as-of date,
 * then export time) counts for each period it carries.
 *
 * Never prints; touches only the database.
 */
#ifndef BZ_ROLLUP_H
#define BZ_ROLLUP_H

#include "../common/diag.h"
#include "../common/error.h"
#include "adx.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <time.h>

enum rollup_result { ROLLUP_ACCEPTED, ROLLUP_DUPLICATE, ROLLUP_REJECTED };

struct rollup_outcome {
    enum rollup_result result;
    char county[8]; /* as sent; "" when unreadable */
    char county_name[ADX_NAME_MAX];
    char period[16];
    size_t groups;
};

/* Where the document came from (for facts.rollup). */
struct rollup_meta {
    const char *doc_sha256;  /* of the document bytes */
    const char *file_sha256; /* of the inbox file, already in raw.file */
    const char *member;      /* entry in the inbox file, "" for a bare file */
    time_t received_at;      /* the inbox file's mtime */
};

/*
 * Validates one ADX document (adx_parse) and stores it. Returns 0 with
 * *out and diags filled (a rejection is not a failure: its reasons are in
 * diags), or BZ_EDB/BZ_ETIMEOUT/BZ_ENOMEM with e filled.
 */
int rollup_ingest(PGconn *conn, const unsigned char *data, size_t len,
                  const struct rollup_meta *meta, struct rollup_outcome *out,
                  struct diag_list *diags, struct bz_error *e);

struct rollup_registry_stats {
    int added, renamed, inactivated;
};

/*
 * Loads the county registry from CSV bytes (UTF-8, optional BOM, header
 * `code,name`, one 6-digit code per line, a name optionally in RFC 4180
 * quotes): new counties added, names updated, counties no longer listed
 * marked inactive. Returns 0, BZ_EINPUT (E_REGISTRY_FORMAT, the line named
 * in e), BZ_EDB.
 */
int rollup_registry_load(PGconn *conn, const char *data, size_t len, const char *file,
                         struct rollup_registry_stats *st, struct bz_error *e);

#endif
