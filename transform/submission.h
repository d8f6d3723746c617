/*
 * submission — one township's monthly report, validated and normalized.
 *
 * This is what the transform stage produces and the load stage consumes:
 * every value already parsed (counts as integers, dates as yyyymmdd,
 * window names mapped to catalog codes, text trimmed, UTF-8). All strings
 * and arrays live in the submission's arena and are freed together by
 * submission_free. A submission that failed validation may be partially
 * filled; only one whose diagnostics hold no error may be loaded.
 *
 * Dates are int32 yyyymmdd (20261013), 0 when absent; they compare with <.
 */
#ifndef BZ_SUBMISSION_H
#define BZ_SUBMISSION_H

#include "../common/arena.h"
#include "../common/diag.h"

#include <stddef.h>
#include <stdint.h>

struct subm_count {
    int64_t value; /* 0..999,999,999 */
    int approx;    /* approx="true": the township wrote "120余人" */
    long line;
};

struct subm_window {
    const char *id;      /* as in the document, unique within it */
    const char *name;    /* the township's own name, trimmed */
    const char *catalog; /* catalog code (market, agri, ..., other) */
    long line;
};

struct subm_leader {
    const char *id;
    const char *role;  /* "principal" or "deputy" */
    const char *title; /* post title, trimmed */
    long line;
};

struct subm_walk {
    const char *leader;    /* leader id */
    const char *window;    /* window id */
    int32_t date;          /* yyyymmdd */
    const char **problems; /* problem ids, nproblems entries */
    size_t nproblems;
    long line;
};

struct subm_problem {
    const char *id;
    const char *source; /* walk, supervision, complaint, other */
    const char *status; /* open, rectifying, rectified */
    int32_t found;      /* yyyymmdd */
    int32_t rectified;  /* yyyymmdd, 0 when absent */
    int32_t deadline;   /* yyyymmdd, 0 when absent */
    const char *text;   /* description, trimmed */
    long line;
};

struct subm_attachment {
    const char *name; /* entry name inside the package, UTF-8 */
    int64_t size;     /* bytes */
    char sha256[65];  /* lowercase hex */
};

/* Free-text lists: mechanisms/document, difficulties/item, nextSteps/item,
 * suggestions/item. */
enum subm_text_kind {
    SUBM_MECHANISM,
    SUBM_DIFFICULTY,
    SUBM_NEXT_STEP,
    SUBM_SUGGESTION,
    SUBM_TEXT_KINDS
};

struct subm_text_list {
    const char **items;
    size_t n;
};

struct submission {
    struct arena arena; /* owns every pointer below */

    /* identity */
    char township_code[10];         /* 9 digits */
    const char *township_name;      /* as submitted */
    const char *township_canonical; /* the registry's name; NULL when not looked up */
    int year, month;                /* period */
    int64_t revision;               /* >= 1 */
    const char *submitted_at;       /* xs:dateTime with offset, as written */
    const char *contact_name;
    const char *contact_phone; /* NULL when absent */

    /* oneStop */
    int64_t sites_total, sites_with_window;
    struct subm_count consultations, job_postings, recruitment_events;
    int64_t county_items;

    /* evaluation (好差评) */
    int64_t handled, evaluated;
    const char *reported_rate; /* decimal text as written (trimmed), NULL when absent */
    double reported_rate_value;

    struct subm_window *windows;
    size_t nwindows;
    struct subm_leader *leaders;
    size_t nleaders;
    struct subm_walk *walks;
    size_t nwalks;
    struct subm_problem *problems;
    size_t nproblems;

    int64_t symposia, merchants_visited, enterprises_visited;
    int64_t inspections, warning_sessions, violations;
    int has_complaints;
    int64_t complaints_received, complaints_resolved;

    struct subm_text_list texts[SUBM_TEXT_KINDS];

    /* where it came from (set by ingest, not by the parser) */
    struct subm_attachment *attachments;
    size_t nattachments;
    char doc_sha256[65]; /* SHA-256 of the XML document bytes as received */
    const char *member;  /* location inside the inbox file ("" for a bare XML) */
};

/* Initialises an empty submission whose arena is capped at arena_limit bytes. */
void submission_init(struct submission *sub, size_t arena_limit);

/* Frees everything the submission owns; it is empty and reusable afterwards. */
void submission_free(struct submission *sub);

/*
 * Fills the identity lines of a receipt from a (possibly partly read)
 * submission: township code and name (the registry's when known), period
 * (written into `period`, which must outlive the receipt) and revision.
 * Fields the document did not get to stay NULL/0. Cannot fail.
 */
struct receipt;
void submission_receipt_identity(const struct submission *sub, struct receipt *r, char period[16]);

#endif
