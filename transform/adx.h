/*
 * adx — reading a county's roll-up, as a prefecture ingests it: an ADX
 * message (urn:ihe:qrph:adx:2015) as described by transform/adx-1.xsd,
 * one group per township and sub-period with eleven counts
 * (export/adxout.h writes them).
 *
 * The same safety rules as the submission reader: streaming xmlTextReader
 * over bytes in memory (never a path), bizenv's own compiled XSD set
 * before the first read, no DTD (a DOCTYPE or entity reference is
 * refused), the refusing external entity loader of transform_init, a cap
 * on the number of groups. Then the rules the XSD cannot say:
 * month-aligned periods, township codes of the sending county, counts that
 * are consistent (evaluated <= handled ...). Every problem is a
 * diagnostic with its code (E_ADX_*, E_XML_*): a rejection, not a failure.
 *
 * Never prints, never touches the database or files.
 */
#ifndef BZ_ADX_H
#define BZ_ADX_H

#include "../common/diag.h"
#include "../common/error.h"

#include <stddef.h>

#define ADX_NS "urn:ihe:qrph:adx:2015"
#define ADX_NCOUNTS 11        /* dataValues per group, in the order of adx_elements */
#define ADX_NAME_MAX 804      /* 200 characters of UTF-8, plus NUL */
#define ADX_MAX_GROUPS 100000 /* a province of townships over a year's sub-periods */

/* The dataElement codes: handled, evaluated, problems due/done, windows
 * listed/walked, leaders listed/walked, months expected/reported/on time. */
extern const char *const adx_elements[ADX_NCOUNTS];

struct adx_group {
    char township[10]; /* 9 digits */
    char name[ADX_NAME_MAX];
    int first_day;            /* yyyymmdd, a 1st of the month */
    int months;               /* 1, 3, 6 or 12 */
    long long v[ADX_NCOUNTS]; /* counts, order of adx_elements */
};

struct adx_doc {
    char county[8]; /* 6 digits */
    char county_name[ADX_NAME_MAX];
    char period[16];          /* the export's ranking period: 2026-Q4 */
    char as_of[16];           /* YYYY-MM-DD */
    char exported[40];        /* xs:dateTime */
    struct adx_group *groups; /* owned (malloc), n entries */
    size_t n, cap;
};

/* Non-zero when the bytes look like an ADX message (its namespace in the
 * first kilobytes): cheap, for routing; adx_parse decides. */
int adx_detect(const unsigned char *data, size_t len);

/*
 * Parses and validates len bytes into *doc (zeroed by the caller). Returns
 * 0 when the document was read: diags then holds every problem found (the
 * document is usable only without errors). Returns BZ_ENOMEM/BZ_EFAIL with
 * e filled when the check could not be done. The caller frees *doc with
 * adx_doc_free in every case.
 */
int adx_parse(const unsigned char *data, size_t len, struct adx_doc *doc, struct diag_list *diags,
              struct bz_error *e);

void adx_doc_free(struct adx_doc *doc);

/* The first group whose township and period (first day, months) an
 * earlier group already has, or NULL; facts.rollup_group keeps one row per
 * key. *nomem is set when the check could not be made. */
const struct adx_group *adx_duplicate(const struct adx_doc *doc, int *nomem);

#endif
