/*
 * encoding — turns the bytes of a submission into UTF-8 for the parser.
 *
 * Accepts UTF-8 (with or without BOM, the default without a declaration),
 * documents whose XML declaration names GB18030, GBK or GB2312, which are
 * transcoded with iconv as GB18030 (a superset of the other two; libxml2
 * itself fails on GBK characters in a "GB2312" document), and UTF-16LE/BE
 * beginning with a byte order mark (XML 1.0 4.3.3; Windows Notepad's
 * "Unicode"), transcoded with iconv too; their declaration, if any, must
 * name UTF-16. Everything else (UTF-16 without a BOM included) is refused
 * with a line number, before libxml2 sees it, so that the township gets a
 * clear message. Never prints, never reads files.
 */
#ifndef BZ_ENCODING_H
#define BZ_ENCODING_H

#include <stddef.h>

struct encoding_result {
    const unsigned char *data; /* UTF-8 without BOM; points into the input or `owned` */
    size_t len;
    unsigned char *owned; /* malloc'd transcoded copy, or NULL */
    int transcoded;       /* GB or UTF-16 converted: parse with IGNORE_ENC */
    long line;            /* on BZ_EINPUT: 1-based line of the offending byte, 0 if none */
    char message[256];    /* on BZ_EINPUT: Chinese text for E_XML_ENCODING */
};

/*
 * Checks (and if needed transcodes) data. Returns 0 with r->data/len set,
 * BZ_EINPUT with r->line/message set, or BZ_ENOMEM. Call encoding_release
 * in every case.
 */
int encoding_prepare(const unsigned char *data, size_t len, struct encoding_result *r);

/* Frees r->owned. */
void encoding_release(struct encoding_result *r);


#endif
