/*
 * unpack — reading one inbox file into the XML documents it carries.
 *
 * Transports (submission-format.md): a bare `.xml`, a `.xml.gz`, a `.zip`
 * package (one top-level XML + attachments), or a `.zip` batch of packages
 * and XMLs one level deep. The monthly workbook (`.xlsx`) is a document
 * like an XML: bare, as a package's one top-level document, or at the top
 * of a batch; its own zip is read by transform/xlsx.c, under the same
 * limits. The kind is decided from the bytes (magic), not
 * the file name. Everything is untrusted (untrusted-input.md): entry names
 * and types are checked, decompressed bytes are counted against the limits
 * in settings, CRCs and the gzip trailer are enforced.
 *
 * The file is read twice: a first pass checks the whole file (structure,
 * names, sizes, CRCs, ratios) without keeping any document; only when it is
 * sound does a second pass deliver the documents, one at a time, to the
 * caller's callback. So a transport-level problem rejects the whole file
 * before any of its submissions reaches the database, and memory holds at
 * most one document (max_xml_bytes) and one nested package (max_entry_bytes).
 *
 * This module never prints and never touches the database.
 */
#ifndef BZ_UNPACK_H
#define BZ_UNPACK_H

#include "../common/diag.h"
#include "../common/error.h"
#include "../common/settings.h"
#include "../transform/submission.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* UNPACK_WORKBOOK: the file is itself an Office zip (a bare .xlsx 填报表,
 * recognised by its top-level [Content_Types].xml, or an OpenDocument
 * file by its mimetype entry); its bytes are the one document. */
enum unpack_kind { UNPACK_XML, UNPACK_GZIP, UNPACK_PACKAGE, UNPACK_BATCH, UNPACK_WORKBOOK };

/* One XML document found in the inbox file. Valid only during the callback. */
struct unpack_doc {
    const char *member;        /* where it was: "" for a bare/gzipped XML,
                                  "report.xml" in a package, "a.zip/report.xml"
                                  or "x.xml" in a batch (UTF-8) */
    const unsigned char *data; /* the document bytes as sent (decompressed) */
    size_t len;
    char sha256[65];                           /* of data, lowercase hex */
    const struct subm_attachment *attachments; /* the package's other entries */
    size_t nattachments;
    size_t index; /* 0-based position in the file's order */
    int workbook; /* data is an .xlsx workbook (zip bytes), for transform/workbook.h:
                     a bare workbook, or a top-level .xlsx of a package or batch */
};

/* Called once per document, in archive order. A negative return stops the
 * unpacking and is returned by unpack_file unchanged. */
typedef int (*unpack_cb)(const struct unpack_doc *doc, void *ctx);

struct unpack_result {
    enum unpack_kind kind;
    size_t ndocs;         /* documents found (delivered when no error) */
    int64_t file_size;    /* bytes of the inbox file */
    char file_sha256[65]; /* of the inbox file's bytes */
};

/*
 * Reads `path`. Returns:
 *   0          the file is sound; every document was passed to cb;
 *   BZ_EINPUT  the file is rejected at transport level; `diags` holds every
 *              reason found (E_ZIP_*, E_GZ_*, E_LIMIT_*, E_FILE_*), cb was
 *              never called;
 *   BZ_EIO / BZ_ENOMEM / BZ_ETIMEOUT  with e filled (not the file's fault,
 *              except ETIMEOUT: parse_timeout_s was hit); BZ_EIO also when
 *              the file changed between the two passes;
 *   BZ_ENOTFOUND (E_NOINPUT)  `path` does not exist;
 *   a negative value returned by cb.
 * cb may be NULL (the documents are then only checked and counted). Diag
 * paths are entry names shown safely (control characters as '?', long
 * names cut); the line is always 0.
 * `res` is filled as far as known in every case.
 */
int unpack_file(const char *path, const struct settings *s, unpack_cb cb, void *ctx,
                struct unpack_result *res, struct diag_list *diags, struct bz_error *e);

/*
 * Opens `path` for reading as unpack_file does (no symlink followed, no
 * FIFO waited on, a regular file only), so that another process can read
 * it: 0 with *fd (the caller closes it), BZ_EINPUT with E_FILE_NOT_REGULAR
 * in diags, BZ_ENOTFOUND (E_NOINPUT) or BZ_EIO with e filled.
 */
int unpack_open(const char *path, const struct settings *s, int *fd, struct diag_list *diags,
                struct bz_error *e);

/*
 * The same for a file already open: `fd` is read from offset 0 and never
 * closed (the ingest reads bizenv's own archive copy this way, so what is
 * loaded is what the archive holds); `name` is for messages. `deadline`
 * (CLOCK_MONOTONIC) caps the reading; NULL = parse_timeout_s from now.
 * Returns as unpack_file (never BZ_ENOTFOUND).
 */
int unpack_fd(int fd, const char *name, const struct settings *s, const struct timespec *deadline,
              unpack_cb cb, void *ctx, struct unpack_result *res, struct diag_list *diags,
              struct bz_error *e);

#endif
