/*
 * csvout — the ranking of one export as CSV for spreadsheet users.
 *
 * UTF-8 with a BOM (Excel on Windows then shows Chinese correctly), CRLF
 * line ends, RFC 4180 quoting (a field holding a comma, quote, CR or LF is
 * quoted, quotes doubled), Chinese headers in the order of metrics.md's
 * Display section, the change since the previous period of the same kind
 * (较上期: ↑2, ↓1, –, 新; and the composite's change, "+1.23"), then the
 * code, missing months and the figure ranks.
 * Percentages with one decimal (96.8%), the composite with two, as SQL
 * rounded them.
 *
 * A field that begins with '=', '+', '-', '@', TAB or CR would be taken for
 * a formula by Excel, WPS or LibreOffice: it is written with a leading
 * apostrophe, which those programs show as text and never evaluate. A
 * plain signed decimal number ("-0.50") is read as that number, not a
 * formula, and is written as it is.
 *
 * Renders into memory only; never prints, never touches files.
 */
#ifndef BZ_CSVOUT_H
#define BZ_CSVOUT_H

#include "../common/dbuf.h"
#include "export_data.h"

/* Appends the whole CSV to out. Returns 0 or the dbuf error (BZ_ELIMIT,
 * BZ_ENOMEM); out may then hold part of the text. */
int csvout_render(const struct export_data *d, struct dbuf *out);

/* Appends one field (neutralised and quoted as above; NULL = empty). */
int csvout_field(struct dbuf *out, const char *str);

/* The ranking columns both the CSV and the workbook's 排名 sheet show. */
struct csvout_col {
    const char *title; /* Chinese header */
    int col;           /* enum export_rank_col of the value */
    int display;       /* enum export_rank_col of the CSV text, -1 = same as col */
};
extern const struct csvout_col csvout_cols[];
extern const int csvout_ncols;

#endif
