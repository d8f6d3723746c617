/*
 * xlsxfeed — the export workbook's sheets about change and about each
 * township: 趋势 (each township's composite month by month, from
 * report.ranking_trend) with its line chart 趋势图, and one feedback page
 * (反馈单) per township of the ranking, for sending back to it: its three
 * figures and composite with their ranks and the county's figures, its
 * movement since the previous period, reporting and on-time rates, its
 * missing months, its problems still open at the end of the period
 * (report.open_problems) and the warnings its reports for the period
 * raised (report.period_warnings). Each prints on one A4 landscape page
 * (xlsxpage).
 *
 * A feedback sheet is named by the township's name, or by its code when
 * the name cannot name a sheet (too long, a character Excel forbids, or
 * taken by another sheet).
 *
 * Only formats what export_data read; never prints, never touches files.
 */
#ifndef BZ_XLSXFEED_H
#define BZ_XLSXFEED_H

#include "xlsxpage.h"

/* 趋势 and, when nranked > 0, 趋势图 (the lines of the first nranked
 * rows: the ranked townships). Needs p->d->trend. */
void xlsxfeed_trend(struct xlsxpage *p, int nranked);

/* One 反馈单 sheet per row of p->d->ranking, in ranking order. */
void xlsxfeed_pages(struct xlsxpage *p);

#endif
