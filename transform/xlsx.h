/*
 * xlsx — reading the cells of an .xlsx workbook that a township sent.
 *
 * Everything in it is untrusted (shared/spec/untrusted-input.md). The zip
 * is read with libarchive's seekable zip reader from memory, every entry
 * checked as ingest/unpack_zip.c checks a package (names, types,
 * encryption, declared against actual sizes, CRCs, bytes per entry and in
 * total, compression ratio, duplicates) with the same codes; macros
 * (vbaProject.bin, macro sheets, macro-enabled content types) are refused;
 * a DOCTYPE in any XML part is refused. Only the parts needed to read cells
 * are kept (content types, relationships, workbook, styles, shared strings,
 * the requested worksheets), each parsed with libxml2's streaming reader
 * (never a DOM, never a path, nothing loaded from outside the bytes).
 * Rows, cells, shared strings and the sheet's declared dimension are
 * capped by settings. External links, DDE and hyperlinks are never read,
 * and formulas are never evaluated: a formula cell gives its cached value.
 *
 * What a cell holds is reported as it is (number, string, boolean, and its
 * number format's class); turning that into a count, a date or a choice is
 * the caller's (transform/workbook.c). A cell that cannot be read at all
 * (shared string out of range, error value, bad number, formula without a
 * value, control characters) is kept as XLSX_BAD with its code and reason,
 * so the caller reports it at its cell only when it reads that cell.
 *
 * Never prints, never touches the disk or the database.
 */
#ifndef BZ_XLSX_H
#define BZ_XLSX_H

#include "../common/diag.h"
#include "../common/error.h"
#include "../common/settings.h"

#include <stddef.h>
#include <stdint.h>

#define XLSX_MAX_SHEETS 16 /* sheets one call may ask for */
#define XLSX_MAX_ROW 1048576u
#define XLSX_MAX_COL 16384u

enum xlsx_type {
    XLSX_NUMBER, /* num, and text = the <v> as written */
    XLSX_STRING, /* text (shared, inline or a formula's string) */
    XLSX_BOOL,   /* num = 0 or 1 */
    XLSX_BAD     /* unreadable: code and text say why */
};

/* The class of a cell's number format (styles.xml). */
enum xlsx_fmt { XLSX_FMT_GENERAL, XLSX_FMT_DATE, XLSX_FMT_PERCENT, XLSX_FMT_TEXT };

struct xlsx_cell {
    uint32_t row; /* 1-based */
    uint16_t col; /* 1-based */
    uint8_t type; /* enum xlsx_type */
    uint8_t fmt;  /* enum xlsx_fmt */
    double num;
    const char *text; /* UTF-8, owned by the book; never NULL */
    const char *code; /* XLSX_BAD: a code of codes.h (static) */
};

/* A sheet to read, by its tab name (NULL: none, a place left empty), and
 * the columns 1..max_col of it to keep (cells further right are counted,
 * not kept). */
struct xlsx_want {
    const char *name;
    unsigned max_col;
};

struct xlsx_sheet {
    int found;                     /* the workbook has a sheet of that name */
    int hidden;                    /* its state is hidden or veryHidden */
    const struct xlsx_cell *cells; /* sorted by row then column, no blanks */
    size_t n;
};

struct xlsx_book {
    int date1904; /* workbookPr/@date1904: serials count from 1904-01-01 */
    struct xlsx_sheet sheets[XLSX_MAX_SHEETS]; /* in the order asked */
    struct xlsx_store *store;                  /* owns cells and text */
};

/*
 * Reads the workbook in data (len bytes, the .xlsx as sent) and the sheets
 * listed in want (nwant <= XLSX_MAX_SHEETS). Returns:
 *   0          the book is filled; a sheet not in the workbook has found 0;
 *   BZ_EINPUT  the workbook is rejected; diags holds why (E_ZIP_*,
 *              E_LIMIT_*, E_WB_*, E_XML_*), each with the part or sheet as
 *              path; the book is empty;
 *   BZ_ENOMEM / BZ_EFAIL  with e filled (not the workbook's fault).
 * `member` prefixes the paths of diagnostics ("" for a bare workbook).
 * Call xlsx_free in every case.
 */
int xlsx_read(const unsigned char *data, size_t len, const struct settings *s,
              const struct xlsx_want *want, size_t nwant, struct xlsx_book *book,
              struct diag_list *diags, struct bz_error *e);

/* Frees what the book owns; it is empty afterwards. Tolerates an empty book. */
void xlsx_free(struct xlsx_book *book);

/* The cell at (row, col) of a sheet, or NULL when it is blank. */
const struct xlsx_cell *xlsx_cell_at(const struct xlsx_sheet *sh, uint32_t row, unsigned col);

/*
 * A serial date-time of the 1900 system (with its fictitious 1900-02-29,
 * serial 60) or the 1904 system into yyyymmdd and seconds after midnight
 * (rounded to the second). Returns 0, or -1 when the serial names no real
 * date (negative, 0 and 60 in the 1900 system, past 9999-12-31).
 */
int xlsx_serial_date(double serial, int date1904, int32_t *ymd, int *seconds);

#endif
