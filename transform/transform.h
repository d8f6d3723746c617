/*
 * transform — one XML document to a validated, normalized submission.
 *
 * Streaming (xmlTextReader) over bytes the ingest stage has already read
 * under its caps; never a path, never a whole-document DOM. The document is
 * validated against bizenv's own compiled XSD for format 1 (compiled once per
 * process, see transform_init) and then against every rule of
 * submission-format.md. All problems are collected in one pass into the
 * diagnostics list, each with code, line and element path.
 *
 * Encodings: UTF-8 with or without BOM; GB18030/GBK/GB2312 when declared,
 * UTF-16 with a byte order mark (transcoded with iconv, encoding.h, then
 * parsed as UTF-8). Bytes that do not match the declared encoding are
 * E_XML_ENCODING. DOCTYPEs and entity
 * references are refused (E_XML_DOCTYPE); no external entity is ever loaded.
 *
 * This module never prints and never touches the database or the disk.
 */
#ifndef BZ_TRANSFORM_H
#define BZ_TRANSFORM_H

#include "../common/diag.h"
#include "../common/error.h"
#include "../common/settings.h"
#include "submission.h"

#include <stddef.h>
#include <stdint.h>

/* What the rules need from outside the document. */
struct transform_ctx {
    int32_t today; /* yyyymmdd (Asia/Shanghai): `period` may not be after this month */
    /* Registry lookup: 1 known, 0 unknown, negative = failure (returned as
     * is). NULL skips the registry check (offline validation without a
     * registry). On success may set *canonical_name (static or arena-owned
     * storage of the callee, valid until the next call) to the registry name. */
    int (*township_known)(const char *code, const char **canonical_name, void *arg);
    void *arg;
};

/*
 * Process-wide set-up: installs the refusing external entity loader and the
 * error handlers, and compiles the embedded XSD. Idempotent. Returns 0 or
 * BZ_ENOMEM/BZ_EFAIL with e filled.
 */
int transform_init(struct bz_error *e);

/* Called when libxml2 cannot get memory; must not return (it prints and
 * exits). Without a hook the process aborts. Set before transform_init. */
void transform_set_oom_hook(void (*hook)(void));

/* Frees what transform_init made. */
void transform_cleanup(void);

/*
 * Parses and validates one document into *out (initialised by the caller
 * with submission_init). Returns 0 when the document was read to the end or
 * stopped by an input problem: then diags holds every error and warning
 * found, and out is usable for loading only when diags has no error.
 * Returns BZ_ENOMEM (or the lookup's negative value) with e filled when
 * the check could not be completed for reasons that are not the file's.
 */
int transform_document(const unsigned char *data, size_t len, const struct settings *s,
                       const struct transform_ctx *ctx, struct submission *out,
                       struct diag_list *diags, struct bz_error *e);

/* Maps a window name to its catalog code ("market", ..., "other") by the
 * matching rules of the window catalog. Never fails; returns a static string. */
const char *transform_window_catalog(const char *name);

/* Like transform_window_catalog, storing the code in *code; returns 1 when
 * the name is in the catalog (其他 included), 0 when it fell to "other". */
int transform_window_catalog_find(const char *name, const char **code);

/* The arena cap to give submission_init for a document of doc_len bytes:
 * generous for any valid submission, bounded for a hostile one. */
size_t transform_arena_limit(size_t doc_len);

#endif
