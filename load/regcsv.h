/*
 * regcsv — the county's township registry file (townships.csv), parsed
 * strictly.
 *
 * Shape (submission-format.md, examples/townships.csv): UTF-8 with an
 * optional BOM, header line `code,name`, then one township per line; RFC
 * 4180 quoting ("..." with "" for a quote), CRLF or LF line ends, blank
 * lines ignored. A code is exactly 9 ASCII digits and appears once; a name
 * is non-empty after trimming spaces and tabs, at most
 * LOADER_REGISTRY_MAX_NAME bytes, without control characters. The first
 * bad line stops the parse and is named in the error. This module only
 * parses bytes it is given: no file access, no database, no printing.
 */
#ifndef BZ_REGCSV_H
#define BZ_REGCSV_H

#include "../common/error.h"

#include <stddef.h>

#define REGCSV_MAX_NAME 200 /* bytes of one township name (UTF-8) */

struct regcsv_row {
    char code[10]; /* 9 digits */
    char *name;    /* trimmed, owned by the regcsv */
    long line;     /* line of the file where the row starts (header = 1) */
};

struct regcsv {
    struct regcsv_row *rows; /* owned; n entries in file order */
    size_t n, cap;
};

/*
 * Parses len bytes of data (the whole file; `file` names it in errors) into
 * *out, which must be zeroed or freed. Returns 0 (at least one township),
 * BZ_EINPUT with code E_REGISTRY_FORMAT and e->file/e->line set, or
 * BZ_ENOMEM. On failure *out is left empty.
 */
int regcsv_parse(const char *data, size_t len, const char *file, struct regcsv *out,
                 struct bz_error *e);

/* Frees everything *r owns; it is empty afterwards. */
void regcsv_free(struct regcsv *r);

#endif
