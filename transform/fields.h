/*
 * fields — reads the values of each element of format 1 into the submission.
 *
 * Called by the reader at the start of an element (attributes) and at its
 * end (text). Parses counts, dates, the period and the reported rate, and
 * reports the diagnostics that belong to one value (E_COUNT_FORMAT,
 * E_DATE_INVALID, E_RATE_RANGE, W_APPROX_COUNT). Elements outside their
 * place in the format are ignored here: the schema reports them.
 */
#ifndef BZ_FIELDS_H
#define BZ_FIELDS_H

#include "doc.h"

/* Element d->elems[e] started; its attributes are in d->attrs. */
void fields_start(struct doc *d, uint32_t e);

/* Element d->elems[e] ended with text (not NUL-terminated, n bytes). */
void fields_end(struct doc *d, uint32_t e, const char *text, size_t n);

/* Copies the collected repeated elements into the submission's arena. */
void fields_finish(struct doc *d);

/* Days in month (1..12) of year. */
int fields_days_in_month(int year, int month);

#endif
