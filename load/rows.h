/*
 * rows — what the load stage sends, encoded: a validated submission as the
 * COPY rows of its tables, a receipt as its raw.receipt row, an inbox file
 * as the elements of raw.file's array parameters.
 *
 * Rows are PostgreSQL's COPY text format (pgutil.h escapes every value),
 * in the column order of the COPY statements declared here, so submitted
 * text of any content reaches the server as data, never as SQL. This
 * module only formats into caller-owned buffers: no database, no printing;
 * loader.h sends what it writes.
 */
#ifndef BZ_ROWS_H
#define BZ_ROWS_H

#include "../common/dbuf.h"
#include "../common/diag.h"
#include "../transform/submission.h"

#include <stdint.h>
#include <time.h>

/* The tables one submission fills, in the order they are sent: the header
 * (staging.submission, which load.decide_batch judges), then its rows in
 * facts, windows and leaders before the walks that name them. */
enum rows_table {
    ROWS_SUBMISSION,
    ROWS_WINDOW,
    ROWS_LEADER,
    ROWS_WALK,
    ROWS_PROBLEM,
    ROWS_TEXT,
    ROWS_ATTACHMENT,
    ROWS_WARNING,
    ROWS_NTABLES
};

/* `COPY ... FROM STDIN` of each table, and the table named in Chinese for
 * error messages. */
extern const char *const rows_copy_sql[ROWS_NTABLES];
extern const char *const rows_copy_what[ROWS_NTABLES];

/* `COPY raw.receipt ... FROM STDIN`, for rows_receipt's rows; _timed for
 * rows with their created_at (every row of one COPY has it, or none). */
extern const char rows_copy_receipt[];
extern const char rows_copy_receipt_timed[];

/* Where a submission came from (the inbox file it was found in). */
struct rows_origin {
    const char *file_sha256; /* of the inbox file; in raw.file by the time the rows are sent */
    time_t received_at;      /* when the inbox file was taken */
    const char *member;      /* location inside the file; NULL or "" for a bare XML */
};

/*
 * Appends the rows of one submission (which must have no errors) under
 * `load_id` to tables[t] for each table, with its transform warnings
 * (only warnings are stored, numbered from 1). Returns 0, or the dbuf
 * error (BZ_ENOMEM, BZ_ELIMIT) with every buffer cut back to where it was.
 */
int rows_submission(struct dbuf tables[ROWS_NTABLES], int64_t load_id, const struct submission *sub,
                    const struct diag_list *warnings, const struct rows_origin *origin);

/* One receipt as stored in raw.receipt. */
struct rows_receipt {
    const char *file_sha256;       /* must be in raw.file */
    const char *member;            /* NULL or "" for the file itself */
    const char *township_code;     /* NULL when unknown */
    int year, month;               /* period; 0 when unknown */
    int64_t revision;              /* 0 when unknown */
    const char *outcome;           /* accepted, accepted_with_warnings, duplicate, rejected */
    const struct diag_list *diags; /* its codes become raw.receipt.codes; may be NULL */
    const char *body;              /* the Chinese text receipt */
    const char *body_json;         /* the JSON receipt, or NULL */
    const char *created_at;        /* timestamptz text (bizenv rebuild: the journal's); NULL:
                                      the column is not sent (the transaction's time) */
};

/* Appends the receipt's row (rows_copy_receipt's columns; the codes are
 * the first 64 distinct ones). Returns 0, or the dbuf error with b as it
 * was. */
int rows_receipt(struct dbuf *b, const struct rows_receipt *r);

/* The columns of raw.file, each sent as one array parameter. */
enum {
    ROWS_FILE_SHA256,
    ROWS_FILE_SIZE,
    ROWS_FILE_NAME,
    ROWS_FILE_TIME,
    ROWS_FILE_PATH,
    ROWS_FILE_NCOLS
};

/*
 * Appends an inbox file to the five column buffers as array-literal
 * elements, without the braces ("a","b"). Returns 0, or the dbuf error
 * with the buffers as they were.
 */
int rows_file(struct dbuf cols[ROWS_FILE_NCOLS], const char *sha256, int64_t size,
              const char *original_name, time_t received_at, const char *archive_path);

#endif
