/*
 * regcsv — the registry files, read and parsed strictly by one parser: a
 * county's townships (townships.csv, `bizenv registry load`) and a
 * prefecture's counties (counties.csv, `bizenv counties load`).
 *
 * Shape (submission-format.md, examples/townships.csv): UTF-8 with an
 * optional BOM, header line `code,name`, then one row per line; RFC 4180
 * quoting ("..." with "" for a quote), CRLF or LF line ends, blank lines
 * ignored. A code is exactly 9 ASCII digits for a township, 6 for a
 * county, and appears once; a name is non-empty after trimming spaces and
 * tabs, at most the kind's name limit, without control characters. The
 * first bad line stops the parse and is named in the error. This module
 * reads the one file it is given and parses bytes: no database, no
 * printing.
 */
#ifndef BZ_REGCSV_H
#define BZ_REGCSV_H

#include "../common/error.h"

#include <stddef.h>

enum regcsv_kind {
    REGCSV_TOWNSHIPS, /* 9-digit codes, names of at most REGCSV_TOWNSHIP_NAME bytes */
    REGCSV_COUNTIES   /* 6-digit codes, names of at most REGCSV_COUNTY_NAME bytes */
};

/* Most bytes a registry file may have: a county has tens of townships, a
 * province-scale test a few thousand, a prefecture tens of counties; this
 * is far above all of them. */
#define REGCSV_MAX_BYTES (4L * 1024 * 1024)
#define REGCSV_TOWNSHIP_NAME 200 /* bytes of one township name (UTF-8) */
#define REGCSV_COUNTY_NAME 800   /* bytes of one county name: 200 characters, as ADX carries */

struct regcsv_row {
    char code[10]; /* 9 or 6 digits */
    char *name;    /* trimmed, owned by the regcsv */
    long line;     /* line of the file where the row starts (header = 1) */
};

struct regcsv {
    enum regcsv_kind kind;
    struct regcsv_row *rows; /* owned; n entries in file order */
    size_t n, cap;
    char *data; /* regcsv_read: the file's bytes as read (owned), len of them */
    size_t len;
};

/*
 * Reads the file at path (at most REGCSV_MAX_BYTES) and parses it; out->data
 * keeps the bytes read, so a copy of exactly what was loaded can be saved.
 * Returns 0 (at least one row); BZ_ENOTFOUND (E_NOINPUT) when the file
 * does not exist; BZ_EIO (E_IO_READ); BZ_EINPUT (E_REGISTRY_FORMAT: too
 * large, or the first bad line, named in e->file/e->line: bad header,
 * field count, quoting, code, empty, long or control-character name,
 * invalid UTF-8, a code listed twice, no row at all); BZ_ENOMEM. On
 * failure *out is left empty.
 */
int regcsv_read(const char *path, enum regcsv_kind kind, struct regcsv *out, struct bz_error *e);

/* The same for a file already in memory: data (malloc'd, len bytes) is
 * the regcsv's from here on, freed on failure too; `file` names it in
 * errors. bizenv rebuild parses an archived registry with it. */
int regcsv_parse(char *data, size_t len, enum regcsv_kind kind, const char *file,
                 struct regcsv *out, struct bz_error *e);

/* Frees everything *r owns; it is empty afterwards. */
void regcsv_free(struct regcsv *r);

#endif
