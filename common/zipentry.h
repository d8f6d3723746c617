/*
 * zipentry — the rules every zip entry bizenv reads must pass, whoever
 * reads it: ingest/unpack_zip.c (packages and batches) and transform/xlsx.c
 * (the parts of a workbook). One place, so that a name or an entry type
 * refused in a package is refused in a workbook too.
 *
 * It only judges what libarchive has already read: it never reads, never
 * allocates and never reports; the callers turn a problem into their own
 * reject (code, path, message).
 */
#ifndef BZ_ZIPENTRY_H
#define BZ_ZIPENTRY_H

#include <archive.h>
#include <archive_entry.h>

/* Whether libarchive's last failure on `a` was a failed allocation (never
 * the file's fault, so it must not reject the file). */
int zipentry_oom(struct archive *a);

/* Whether the NUL-terminated `name` is valid UTF-8 (no overlong forms,
 * surrogates or code points beyond U+10FFFF). */
int zipentry_utf8(const unsigned char *name);

/* Why an entry name is unsafe (in Chinese, for the reject), or NULL.
 * `name` is valid UTF-8; a directory's single trailing '/' is allowed. */
const char *zipentry_name_problem(const char *name, long long max_bytes);

/* Why an entry cannot be read as a file or folder (link, device, pipe,
 * encryption), with its code in *code; NULL when it can. */
const char *zipentry_kind_problem(struct archive_entry *ent, const char **code);

#endif
