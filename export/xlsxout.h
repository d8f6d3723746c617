/*
 * xlsxout — the ranking of one export as an Excel workbook (libxlsxwriter),
 * for county staff and the prefecture, opened in Excel, WPS or LibreOffice
 * and, above all, printed: every sheet has a title row and prints on A4
 * landscape one page wide (xlsxpage).
 *
 * Sheets: 排名 (the ranking: the columns of csvout_cols, 较上期 included,
 * percentages as real percentage cells with one decimal, the composite
 * with two, title and header rows frozen and repeated on every page,
 * widths fitted to Chinese text, 缺报/未报送 highlighted, a note saying
 * what 较上期 compares); 综合得分图 (a chart sheet: the ranked townships'
 * composites in rank order, the county's in the title); 三项指标图 (a chart
 * sheet: the three figures side by side per ranked township); for a
 * quarter, half or year 趋势 and 趋势图 (xlsxfeed); 明细 (the counts behind
 * each township's figures); 汇总 (the county summary and the weights
 * used); then one 反馈单 per township (xlsxfeed). Cells hold numbers as
 * numbers and text as text (a name beginning with '=' is a string cell,
 * never a formula).
 *
 * The document's creation time is the as-of date and nothing else in it
 * depends on the clock, so the same data give the same bytes. Writes only
 * the file it is given; never prints.
 */
#ifndef BZ_XLSXOUT_H
#define BZ_XLSXOUT_H

#include "export_data.h"

/* Writes the workbook to `path` (created or replaced); trace is the SHA-256
 * (hex) of the export's CSV, whose first 8 digits every page's footer
 * shows ("" for none). Returns 0 or BZ_EIO (E_IO_WRITE) with e filled; a
 * partial file may then be left at path. */
int xlsxout_write(const struct export_data *d, const char *trace, const char *path,
                  struct bz_error *e);

#endif
