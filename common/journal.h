/*
 * journal — the append-only record, outside the database, of every input
 * that reaches the figures (jobs/record.c says what is written and when;
 * jobs/replay.c reads it back for `bizenv rebuild`).
 *
 * One event per line:
 *
 *   <16 hex digits> <JSON object>\n
 *
 * The hex digits are the first 64 bits of the SHA-256 of the JSON text, so
 * a line torn by a power cut in the middle of a write, or changed by hand,
 * is recognised and reported, never read in part or guessed at. The object
 * is flat: keys map to strings or integers. Every line has "seq" (1, 2, ...
 * in the file's order) and "ev" (what happened); lines written for one
 * database transaction share "g" (the group: the seq of its first line),
 * and a later line {"ev":"commit","g":G} or {"ev":"abort","g":G} says
 * whether that transaction committed. A string that is not UTF-8 (a file
 * name as uploaded may be anything) is written as its bytes in hex under
 * the key with "~hex" appended ("name~hex":"e4b8ad..."); journal_get gives
 * the bytes back either way.
 *
 * The file is reached through its folder's descriptor (O_NOFOLLOW, owned
 * by the run's user, common/fsdir.h) and only ever appended to, each group
 * with one write(2). The caller holds the run lock (one writer at a time)
 * and makes a group durable before the transaction it describes commits:
 * with the batch's syncfs (journal_fd is on the home's filesystem) or
 * journal_sync.
 *
 * This module only touches the file; it never prints and knows nothing of
 * the database.
 */
#ifndef BZ_JOURNAL_H
#define BZ_JOURNAL_H

#include "dbuf.h"
#include "error.h"

#include <stddef.h>

/* One line at most: a file name of 255 bytes in hex, a few paths and
 * checksums; far below this. A longer line is refused when written and
 * reported as damaged when read. */
#define JOURNAL_LINE_MAX (16u << 10)
/* A group's text (a batch of 500 files of a few hundred bytes each). */
#define JOURNAL_GROUP_MAX (8u << 20)
/* Keys of one event. */
#define JOURNAL_MAX_FIELDS 48
/* The journal's id: 128 random bits in hex, in its first line. */
#define JOURNAL_ID_LEN 32

/* An open journal, for appending. */
struct journal {
    int fd;                      /* the file, O_APPEND; -1 when closed */
    char path[1024];             /* for messages */
    char id[JOURNAL_ID_LEN + 1]; /* from its "open" line; "" for a new, empty journal */
    long long last_seq;          /* seq of the last intact line; 0 when none */
    long long open_group;        /* the group of the last intact line when no commit or
                                    abort followed it, else 0 */
    int ends_torn;               /* the file ends in a damaged line (journal_open_append
                                    ends it with a newline so the next line starts clean) */
};

/*
 * Opens (creating it, 0640, its folder too) the journal at `path` for
 * appending, and reads its first and last intact lines. The folder must be
 * the run user's own and not writable by others (E_HOME_UNSAFE), the file a
 * plain file of that user. A journal whose first line is damaged is
 * refused (E_JOURNAL). Returns 0, BZ_ECONFIG, BZ_EIO, BZ_ENOMEM.
 */
int journal_open_append(const char *path, struct journal *j, struct bz_error *e);

/* Closes it (safe on a closed one). */
void journal_close(struct journal *j);

/* Makes everything written durable (fdatasync). Returns 0 or BZ_EIO. */
int journal_sync(struct journal *j, struct bz_error *e);

/* Appends `text` (whole lines built with journal_line_*) with one write.
 * Returns 0 or BZ_EIO (E_IO_WRITE). */
int journal_write(struct journal *j, const struct dbuf *text, struct bz_error *e);

/* A line being built: the JSON text, then journal_line_end adds the
 * checksum in front and appends the line to a group's text. */
struct journal_line {
    char buf[JOURNAL_LINE_MAX];
    size_t len;
    int overflow; /* a value did not fit: journal_line_end refuses the line */
};

/* Starts {"seq":seq,"ev":ev and, when g > 0, "g":g. */
void journal_line_begin(struct journal_line *l, long long seq, const char *ev, long long g);
/* Adds "key":"value" (hex under key~hex when value is not UTF-8); NULL adds "". */
void journal_add_str(struct journal_line *l, const char *key, const char *value);
void journal_add_int(struct journal_line *l, const char *key, long long value);
/* Closes the object and appends "<checksum> <json>\n" to out. Returns 0,
 * BZ_EFAIL (E_INTERNAL: the line would exceed JOURNAL_LINE_MAX) or
 * BZ_ENOMEM (out's limit). */
int journal_line_end(struct journal_line *l, struct dbuf *out, struct bz_error *e);

/* A new journal id (getrandom). Returns 0 or BZ_EIO. */
int journal_new_id(char id[JOURNAL_ID_LEN + 1], struct bz_error *e);

/* One event read back. Strings are decoded (hex keys included) and owned
 * by the event. */
struct journal_event {
    long long seq;
    long long g;  /* 0 when the line has none */
    long line_no; /* 1-based line of the file */
    const char *ev;
    size_t nfields;
    struct {
        char *key;   /* without "~hex" */
        char *value; /* decoded; integers as their text */
    } fields[JOURNAL_MAX_FIELDS];
    char *storage; /* one allocation holding every key and value */
};

/* The value of key, or NULL when the event has none. */
const char *journal_get(const struct journal_event *ev, const char *key);
/* The same as a number; `def` when absent or not a number. */
long long journal_get_int(const struct journal_event *ev, const char *key, long long def);

/* A damaged line: its number and why (Chinese). */
struct journal_damage {
    long line_no;
    char why[160];
};

/* A whole journal in memory, in file order, damaged lines left out. */
struct journal_file {
    char id[JOURNAL_ID_LEN + 1];
    struct journal_event *events;
    size_t n;
    struct journal_damage *damaged;
    size_t ndamaged;
    int ends_torn; /* the last line is damaged (a write cut short) */
};

/*
 * Reads the journal at `path` whole (at most `max_bytes`). A line that is
 * not intact (checksum, JSON, a seq not above the previous one, no
 * newline at the end of the file) is listed in damaged[] and skipped.
 * Returns 0, BZ_ENOTFOUND (E_NOINPUT: no journal), BZ_EIO, BZ_ENOMEM,
 * BZ_ECONFIG (E_JOURNAL: larger than max_bytes). Free with journal_file_free.
 */
int journal_read(const char *path, size_t max_bytes, struct journal_file *jf, struct bz_error *e);
void journal_file_free(struct journal_file *jf);

/* Parses one line (without its newline) into ev. Returns 0, or -1 with
 * `why` (Chinese) filled; ev then holds nothing to free. */
int journal_parse_line(const char *line, size_t len, struct journal_event *ev, char *why,
                       size_t cap);
void journal_event_free(struct journal_event *ev);

#endif
