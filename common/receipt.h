/*
 * receipt — the 回执 a township gets for each submission.
 *
 * One receipt per submission found in an inbox file (or one for the whole
 * file when it is rejected before any submission could be read). It says
 * who and what (township, period, revision), the outcome, and every error
 * and warning with code, line and element path. Rendered as Chinese text
 * (for the township clerk and the receipts/ folder) or as one line of JSON
 * (for tools; `--format json`). This module only renders into a buffer;
 * writing and printing are the callers'.
 */
#ifndef BZ_RECEIPT_H
#define BZ_RECEIPT_H

#include "dbuf.h"
#include "diag.h"

enum receipt_outcome {
    RECEIPT_ACCEPTED,
    RECEIPT_ACCEPTED_WITH_WARNINGS,
    RECEIPT_DUPLICATE,
    RECEIPT_REJECTED
};

struct receipt {
    const char *file;          /* inbox file name as received */
    const char *member;        /* location inside it; "" or NULL for the file itself */
    const char *township_code; /* NULL when not known */
    const char *township_name; /* registry name when known, else as submitted; may be NULL */
    const char *period;        /* "YYYY-MM", NULL when not known */
    long revision;             /* 0 when not known */
    const char *sha256;        /* of the submission's document bytes; NULL when none */
    const char *received_at;   /* "2026-11-03 09:30:00+08", NULL when not applicable */
    enum receipt_outcome outcome;
    const char *note; /* one extra sentence (duplicate of revision N ...), may be NULL */
    const struct diag_list *diags; /* errors and warnings; may be NULL */
};

/* The outcome's stable name: accepted, accepted_with_warnings, duplicate,
 * rejected. */
const char *receipt_outcome_name(enum receipt_outcome o);

/* The outcome in Chinese (接收, 接收（有警告）, ...). */
const char *receipt_outcome_label(enum receipt_outcome o);

/* Outcome for a validated submission: REJECTED if diags has errors,
 * else `ok` or ACCEPTED_WITH_WARNINGS when there are warnings and ok is
 * RECEIPT_ACCEPTED. */
enum receipt_outcome receipt_outcome_for(const struct diag_list *diags, enum receipt_outcome ok);

/* Appends the Chinese text receipt to b. Returns 0 or the dbuf error. */
int receipt_render_text(const struct receipt *r, struct dbuf *b);

/* Appends the receipt as one JSON object and a newline. Returns as above. */
int receipt_render_json(const struct receipt *r, struct dbuf *b);

#endif
