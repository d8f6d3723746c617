/*
 * export — one export of a ranking period for the prefecture: the Excel
 * workbook (xlsxout), the CSV (csvout) and the ADX roll-up (adxout), named
 * <county>_<period>_<as-of>.{xlsx,csv,adx.xml}, and its record.
 *
 * Everything is read in one REPEATABLE READ transaction that also stores
 * the ranking (report.refresh_ranking; or takes a stored one, see
 * export_run_stored) and records the export
 * (meta.record_export: period, as-of, weights, SHA-256 of each file). The
 * ADX is read back with the prefecture's own reader (transform/adx.h:
 * transform/adx-1.xsd and its rules) before it is written. Files are
 * written under temporary names and renamed into place just before the
 * commit, so a failed export leaves neither files nor a record behind.
 *
 * Published means frozen: an export for a period and as-of date that was
 * exported before is compared with the first one (reproduces_exactly); an
 * export with a later as-of is compared with the latest earlier one, and
 * the record says whether it changes the published figures (changes_id).
 *
 * Never prints.
 */
#ifndef BZ_EXPORT_H
#define BZ_EXPORT_H

#include "../common/error.h"
#include "../common/settings.h"

#include <libpq-fe.h>

enum export_kind { EXPORT_XLSX, EXPORT_CSV, EXPORT_ADX, EXPORT_NKINDS };

struct export_file {
    char path[BZ_PATH_MAX + 128]; /* where it was written */
    char sha256[65];
    long long size;
};

struct export_result {
    long long export_id; /* meta.export id */
    struct export_file files[EXPORT_NKINDS];
    int townships;           /* rows of the ranking */
    int groups;              /* ADX groups */
    long long reproduces_id; /* first export of the same period and as-of, 0 = none */
    int reproduces_exactly;  /* with reproduces_id: 1 same figures and ranks, 0 not */
    long long changes_id;    /* earlier-as-of export whose figures changed, 0 = none */
    char changes_as_of[16];  /* that export's as-of date */
};

/*
 * Exports `period` as of `as_of` (YYYY-MM-DD) into out_dir (created if
 * missing; NULL = settings exports folder). Returns 0 with *r filled, or
 * BZ_EUSAGE (E_USAGE: bad period), BZ_ECONFIG (no county code), BZ_EIO, BZ_EDB,
 * BZ_ETIMEOUT, BZ_ENOMEM, BZ_EFAIL (the roll-up failed its own XSD) with e
 * filled. The connection must not be inside a transaction.
 */
int export_run(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
               const char *out_dir, struct export_result *r, struct bz_error *e);

/*
 * The same for a ranking already stored (facts.ranking_run run_id, of
 * `period` as of `as_of`): the export records that run instead of storing
 * another. The nightly exports the runs it has just stored this way. Also
 * BZ_EFAIL (E_INTERNAL) when run_id is not of that period and date.
 */
int export_run_stored(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
                      long long run_id, const char *out_dir, struct export_result *r,
                      struct bz_error *e);

struct export_data;

/* What a journaled or replayed export adds (jobs/record.h, jobs/replay.c). */
struct export_hook {
    /* bizenv rebuild: the time and the build the original export recorded,
     * written into the files and the record in place of the transaction's
     * time and this build's label; NULL = those */
    const char *exported_at; /* as the ADX carries it (xs:dateTime with offset) */
    const char *recorded_at; /* exactly (timestamptz text), for meta.export */
    const char *build;
    /* called with the files written and recorded, before the COMMIT; a
     * failure rolls the export back (no files, no record). May be NULL. */
    int (*before_commit)(const struct export_data *d, const struct export_result *r, void *arg,
                         struct bz_error *e);
    void *arg;
};

/* export_run (run_id 0) or export_run_stored, with the hook (NULL = none). */
int export_run_hooked(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
                      long long run_id, const char *out_dir, const struct export_hook *hook,
                      struct export_result *r, struct bz_error *e);

#endif
