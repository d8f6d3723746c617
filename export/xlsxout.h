/*
 * xlsxout — the ranking of one export as an Excel workbook (libxlsxwriter),
 * for county staff and the prefecture, opened in Excel, WPS or LibreOffice.
 *
 * Sheets: 排名 (the ranking: the columns of csvout_cols, percentages as
 * real percentage cells with one decimal, the composite with two, header
 * row frozen, widths fitted to Chinese text, 缺报/未报送 highlighted, and a
 * native bar chart of the composite by township); 明细 (the counts behind
 * each township's figures); 汇总 (the county summary and the weights used).
 * Cells hold numbers as numbers and text as text (a name beginning with '='
 * is a string cell, never a formula).
 *
 * The document's creation time is the as-of date, so the same data give
 * the same workbook content. Writes only the file it is given; never prints.
 */
#ifndef BZ_XLSXOUT_H
#define BZ_XLSXOUT_H

#include "export_data.h"

/* Writes the workbook to `path` (created or replaced). Returns 0 or BZ_EIO
 * (E_IO_WRITE) with e filled; a partial file may then be left at path. */
int xlsxout_write(const struct export_data *d, const char *path, struct bz_error *e);

#endif
