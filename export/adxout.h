/*
 * adxout — a county's roll-up for the prefecture as an ADX message
 * (urn:ihe:qrph:adx:2015, transform/adx-1.xsd): one group per township and
 * sub-period of the export (each month, quarter, half and year the period
 * covers), with the eleven counts every figure of that period is
 * recomputed from; codes as identifiers, periods as ISO 8601
 * start/duration (2026-10-01/P1M, 2026-10-01/P3M, 2026-01-01/P1Y).
 *
 * Only formats what export_data read: the prefecture's side, reading and
 * checking such a message, is transform/adx.h (which export.c also runs
 * on every file before writing it). Never prints, never touches the
 * database or files.
 */
#ifndef BZ_ADXOUT_H
#define BZ_ADXOUT_H

#include "../common/dbuf.h"
#include "export_data.h"

/* Appends the roll-up of d as ADX XML. Returns 0 or the dbuf error. */
int adxout_render(const struct export_data *d, struct dbuf *out);

#endif
