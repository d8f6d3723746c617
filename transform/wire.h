/*
 * wire — the compact binary form in which a reader process hands what it
 * read back to the process that loads it (ingest/sandbox.h): a submission,
 * a county's ADX roll-up, a diagnostics list, a package's attachments.
 *
 * The writer is trusted code in the reader process. The bytes it writes
 * are not trusted by the reader of them: a reader process that was
 * subverted by a crafted file may send anything. So decoding treats the
 * bytes as it would an inbox file: every length is checked against what is
 * left, every count against the bytes it needs before anything is
 * allocated, every string is UTF-8 without NUL, every code is one of the
 * catalog's; and a submission or roll-up that will be loaded (no error in
 * its diagnostics) must also satisfy what the database's constraints
 * require (dates that exist, enumerated values, unique ids, walks naming
 * leaders and windows that are there, evaluated <= handled, ...), so that
 * nothing a reader sends can make a load statement fail and end the night.
 *
 * Integers are little-endian and of fixed width; a string is a u32 length
 * and its bytes (0xFFFFFFFF for NULL). The format is private to one
 * binary: writer and reader are always the same build.
 *
 * Never prints, never touches the disk or the database.
 */
#ifndef BZ_WIRE_H
#define BZ_WIRE_H

#include "../common/arena.h"
#include "../common/dbuf.h"
#include "../common/diag.h"
#include "adx.h"
#include "submission.h"

#include <stddef.h>
#include <stdint.h>

/* Bytes being decoded. `bad` is set by the first check that fails; every
 * later read then returns zero values, so a decoder may read a whole
 * record and look at `bad` once. */
struct wire_in {
    const unsigned char *p; /* next byte */
    size_t left;            /* bytes after p */
    int bad;                /* the bytes are not what the writer writes */
};

void wire_in_init(struct wire_in *in, const void *data, size_t len);

/* Writers: append to b. Each returns 0, BZ_ELIMIT or BZ_ENOMEM (dbuf.h). */
int wire_put_u8(struct dbuf *b, unsigned v);
int wire_put_u32(struct dbuf *b, uint32_t v);
int wire_put_i64(struct dbuf *b, int64_t v);
int wire_put_str(struct dbuf *b, const char *str); /* NULL allowed */

/* Readers. A string is copied into the arena (NUL-terminated); NULL is
 * accepted only when `nullable`. A failed check sets in->bad; a failed
 * allocation sets *oom (the reading process's own lack of memory, not a
 * fault of the bytes). */
unsigned wire_get_u8(struct wire_in *in);
uint32_t wire_get_u32(struct wire_in *in);
int64_t wire_get_i64(struct wire_in *in);
const char *wire_get_str(struct wire_in *in, struct arena *a, size_t max, int nullable, int *oom);

/* A string into a caller's buffer of cap bytes (at most cap-1 bytes). */
void wire_get_strbuf(struct wire_in *in, char *buf, size_t cap);

/* 1 when str is valid UTF-8 (no overlong forms, no surrogates, no NUL
 * before len). */
int wire_utf8_valid(const char *str, size_t len);

/*
 * The record readers return 0, BZ_EINPUT when the bytes are malformed or
 * break a rule above (in->bad is then set), or BZ_ENOMEM when memory ran
 * out while decoding. On failure what was decoded so far is still owned
 * by the output (free it as usual).
 */

/* A diagnostics list (every entry, and the counts of those dropped). */
int wire_put_diags(struct dbuf *b, const struct diag_list *l);
/* Into l, initialised by the caller with diag_list_init: more entries
 * than l->limit is malformed. */
int wire_get_diags(struct wire_in *in, struct diag_list *l);

/* A package's attachments. */
int wire_put_attachments(struct dbuf *b, const struct subm_attachment *atts, size_t n);
/* Into the arena; at most max_n of them. */
int wire_get_attachments(struct wire_in *in, struct arena *a, size_t max_n,
                         struct subm_attachment **atts, size_t *n);

/* A submission as transform made it (identity, figures, lists); where it
 * came from (attachments, member, document SHA-256) is not part of it. */
int wire_put_submission(struct dbuf *b, const struct submission *sub);
/* Into sub, initialised by the caller with submission_init (its arena
 * limit bounds what the bytes may make: wire_arena_limit). With
 * `loadable` the database's rules are checked too. */
int wire_get_submission(struct wire_in *in, struct submission *sub, int loadable);

/* The arena cap that lets every submission of `len` wire bytes decode. */
size_t wire_arena_limit(size_t len);

/* An ADX roll-up. */
int wire_put_adx(struct dbuf *b, const struct adx_doc *doc);
/* Into doc (zeroed by the caller; adx_doc_free in every case). */
int wire_get_adx(struct wire_in *in, struct adx_doc *doc, int loadable);

#endif
