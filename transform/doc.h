/*
 * doc — the state of reading one document, shared by the transform modules.
 *
 * Holds the record of every element started (name, line, parent, position
 * among same-name siblings) so that any diagnostic, including a schema error
 * reported by libxml2 ahead of the reader, can be given its element path;
 * the diagnostics found so far (sorted and de-duplicated before they reach
 * the caller's list); and scratch vectors for the repeated elements, copied
 * into the submission's arena at the end. Every vector is capped by the
 * settings. Internal to transform/: no libxml2 types appear here.
 */
#ifndef BZ_DOC_H
#define BZ_DOC_H

#include "../common/diag.h"
#include "../common/settings.h"
#include "submission.h"
#include "transform.h"

#include <stddef.h>
#include <stdint.h>

#define DOC_MAX_DEPTH 256 /* libxml2's own hard limit without XML_PARSE_HUGE */
#define DOC_MAX_KIDS 32   /* distinct child names counted per element; more is never valid */
#define DOC_MAX_ATTRS 16  /* attributes kept per element; the format uses at most 6 */
#define DOC_NO_ELEM UINT32_MAX

struct doc_elem {
    const char *name; /* local name, owned by the reader's dictionary */
    long line;
    uint32_t parent; /* index in doc.elems, DOC_NO_ELEM for the root */
    uint32_t pos;    /* 1-based position among same-name siblings, 0 when not counted */
    int ours;        /* in the submission namespace */
};

struct doc_frame {
    uint32_t elem;
    size_t nkids;
    struct {
        const char *name;
        uint32_t n;
    } kids[DOC_MAX_KIDS];
};

struct doc_attr {
    const char *name; /* owned by the reader's dictionary */
    char *value;      /* malloc'd copy */
};

struct doc_pending {
    char code[32];
    long line;
    char *path;    /* malloc'd */
    char *message; /* malloc'd */
    size_t seq;    /* order found, keeps the sort stable */
};

struct doc_schema_err {
    char name[64]; /* element local name from libxml2's message */
    char attr[64]; /* attribute name, "" for the element itself */
    long line;
    char *message; /* Chinese text, malloc'd */
};

/* A repeated element's item plus the element it came from (for paths). */
struct doc_window {
    struct subm_window v;
    uint32_t elem;
};
struct doc_leader {
    struct subm_leader v;
    uint32_t elem;
};
struct doc_walk {
    struct subm_walk v;
    uint32_t elem;
};
struct doc_problem {
    struct subm_problem v;
    uint32_t elem;
    int has_rectified; /* the attribute was given, valid or not */
};

/* Growable array with a hard cap on its length. */
struct doc_vec {
    void *items;
    size_t n, cap, max, size;
};

struct doc {
    const struct settings *set;
    const struct transform_ctx *ctx;
    struct submission *out;
    struct diag_list *diags; /* the caller's list: only overflow goes there directly */

    struct doc_elem *elems;
    size_t nelems, capelems;
    struct doc_frame *frames; /* DOC_MAX_DEPTH + 1 */
    int depth;                /* open elements */

    struct doc_attr attrs[DOC_MAX_ATTRS]; /* of the element being started */
    size_t nattrs;
    char *text; /* text of the innermost open element */
    size_t ntext, captext;

    struct doc_vec pending; /* struct doc_pending */
    struct doc_vec schema;  /* struct doc_schema_err */
    size_t seq;

    struct doc_vec windows, leaders, walks, problems; /* struct doc_window, ... */
    struct doc_vec texts[SUBM_TEXT_KINDS];            /* const char * */

    /* which single values were read and are valid (rules skip the rest) */
    uint32_t township_elem, period_elem, evaluation_elem, sites_elem, complaints_elem;
    int have_period, have_handled, have_evaluated, have_rate;
    int have_sites_total, have_sites_with, have_received, have_resolved;

    const unsigned char *buf; /* the UTF-8 being read (for the line of a DOCTYPE) */
    size_t len;

    int stopped; /* reading ended early (DOCTYPE, limit, syntax, encoding) */
    int oom;     /* malloc failed: the result is an operational failure */
    int over;    /* the arena cap was hit (E_XML_LIMIT already reported) */
};

/* Allocates the state; NULL when memory ran out. */
struct doc *doc_new(const struct settings *set, const struct transform_ctx *ctx,
                    struct submission *out, struct diag_list *diags);

/* Frees everything; tolerates NULL. */
void doc_free(struct doc *d);

/* Records one diagnostic about element `elem` (DOC_NO_ELEM: none) and its
 * attribute `attr` (may be NULL). Memory failure sets d->oom. */
void doc_diag(struct doc *d, const char *code, uint32_t elem, const char *attr, const char *fmt,
              ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Same, with an explicit line and path (for errors not tied to an element). */
void doc_diag_at(struct doc *d, const char *code, long line, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Queues a schema error whose path is resolved at the end (doc_flush). */
void doc_schema_error(struct doc *d, const char *name, const char *attr, long line,
                      const char *message);

/* Moves the diagnostics to the caller's list: schema errors get their paths,
 * a schema error on a path that has a specific diagnostic is dropped, the
 * rest are sorted by line. Returns 0 or BZ_ENOMEM. */
int doc_flush(struct doc *d);

/* Appends one item to v (copied from item); NULL when the cap is reached
 * (E_XML_LIMIT reported, reading stopped) or memory ran out (d->oom). */
void *doc_vec_push(struct doc *d, struct doc_vec *v, const void *item);

/* Copies str (n bytes) trimmed of Unicode white space into the arena; NULL on
 * failure (then d->over or d->oom is set). */
const char *doc_strdup_trim(struct doc *d, const char *str, size_t n);

/* n bytes from the submission's arena; NULL on failure (then d->over, with
 * E_XML_LIMIT reported, or d->oom is set, and reading stops). */
void *doc_alloc(struct doc *d, size_t n);

/* Value of attribute `name` of the element being started, or NULL. */
const char *doc_attr(const struct doc *d, const char *name);

/* Reports E_XML_LIMIT at `line` with `message` and stops reading. */
void doc_limit(struct doc *d, long line, const char *message);

/* Decodes the UTF-8 character at str (n > 0 bytes available; input already
 * checked as UTF-8) and stores its length in *len. */
uint32_t doc_utf8_next(const char *str, size_t n, size_t *len);

/* Non-zero for Unicode white space, the full-width space U+3000 included. */
int doc_is_space(uint32_t cp);

#endif
