/*
 * reader — the libxml2 side of transform: one streaming pass of
 * xmlTextReader with bizenv's compiled schema over UTF-8 bytes in memory.
 *
 * Keeps the element stack (depth, positions, text) and the structural
 * limits, refuses DOCTYPEs and entity references, and turns every libxml2
 * message into a diagnostic of the doc. Values are handed to fields.c.
 * Never loads anything from the network or disk (see transform_init).
 */
#ifndef BZ_READER_H
#define BZ_READER_H

#include "doc.h"

/*
 * Reads buf (len bytes of UTF-8; ignore_enc: ignore the declared encoding)
 * validating against `schema` (an xmlSchemaPtr), then calls finish(d)
 * while the element names (owned by the reader) are still valid. Problems
 * of the document go to d's diagnostics; returns finish's result, or
 * BZ_ENOMEM/BZ_EFAIL when the reader could not be set up.
 */
int reader_run(struct doc *d, void *schema, const unsigned char *buf, size_t len, int ignore_enc,
               int (*finish)(struct doc *d));

/*
 * Compiles the XSD compiled into the binary at `path` (`what` names it in
 * messages, "报送格式") into *schema, an xmlSchemaPtr the caller keeps.
 * Returns 0, or E_INTERNAL (missing, or not compiling) / E_NOMEM with e
 * filled and *schema NULL.
 */
int reader_compile_schema(const char *path, const char *what, void **schema, struct bz_error *e);

/* Silent libxml2 handlers for use outside reader_run (transform_init). */
void reader_silence(void);

#endif
