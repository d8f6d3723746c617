/*
 * unpack_gz.c — a `.xml.gz` read with zlib directly.
 *
 * libarchive's gzip filter ignores the trailer (untrusted-input.md), so
 * zlib's inflate with gzip framing does the work: it checks the header, the
 * CRC-32 and the length in the trailer, and must reach Z_STREAM_END. The
 * output is counted against max_xml_bytes, max_total_bytes and the ratio
 * while it is produced, so a gzip bomb stops after a few megabytes.
 *
 * Policy on anything after the first member (a second member, zero padding
 * some tools add, garbage): rejected with E_GZ_TRAILING_DATA. A township
 * tool writes one member; accepting concatenated members would let a file
 * carry bytes that the receipt does not account for, and gzip(1) itself
 * only warns about trailing garbage while discarding it.
 */
#include "unpack_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct gz_state {
    struct unpack_run *r;
    z_stream zs;
    unsigned char *in;  /* UNPACK_CHUNK bytes of the file */
    unsigned char *out; /* UNPACK_CHUNK bytes of output */
    unsigned char *doc; /* pass 2: the whole document, at most max_xml_bytes */
    size_t doc_len;
    size_t doc_cap;
    long long produced; /* decompressed bytes so far */
    int eof;            /* the file has no more bytes */
};

/* Fills the input buffer when it is empty. Returns 0 or -1 (I/O failure). */
static int
refill(struct gz_state *g)
{
    if (g->zs.avail_in > 0 || g->eof)
        return 0;
    for (;;) {
        ssize_t n = read(g->r->fd, g->in, UNPACK_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return unpack_fail(g->r, E_IO_READ, strerror(errno));
        if (n == 0)
            g->eof = 1;
        g->zs.next_in = g->in;
        g->zs.avail_in = (uInt)n;
        return 0;
    }
}

/* Appends output to the pass-2 document; the caps were checked already. */
static int
keep(struct gz_state *g, const unsigned char *p, size_t n)
{
    if (g->doc_len + n > g->doc_cap) {
        size_t cap = g->doc_cap ? g->doc_cap : UNPACK_CHUNK;
        while (cap < g->doc_len + n)
            cap *= 2;
        if (cap > (size_t)g->r->s->max_xml_bytes)
            cap = (size_t)g->r->s->max_xml_bytes;
        unsigned char *d = realloc(g->doc, cap);
        if (d == NULL)
            return unpack_fail(g->r, E_NOMEM, NULL);
        g->doc = d;
        g->doc_cap = cap;
    }
    memcpy(g->doc + g->doc_len, p, n);
    g->doc_len += n;
    return 0;
}

/* Counts n new output bytes against the limits. Returns 0 or -1 (rejected). */
static int
count(struct gz_state *g, size_t n)
{
    struct unpack_run *r = g->r;
    const struct settings *s = r->s;

    g->produced += (long long)n;
    r->total_out += (long long)n;
    if (g->produced > s->ratio_min_bytes && g->produced > s->max_ratio * r->file_size) {
        unpack_reject(r, "E_LIMIT_RATIO", NULL,
                      "解压比超过 %lld 倍（%lld 字节压缩数据已解压出超过 %lld 字节）", s->max_ratio,
                      r->file_size, g->produced);
        return -1;
    }
    if (g->produced > s->max_xml_bytes) {
        unpack_reject(r, "E_LIMIT_ENTRY_SIZE", NULL, "解压后超过 XML 上限 %lld 字节",
                      s->max_xml_bytes);
        return -1;
    }
    if (r->total_out > s->max_total_bytes) {
        unpack_reject(r, "E_LIMIT_TOTAL_SIZE", NULL, "解压后超过总上限 %lld 字节",
                      s->max_total_bytes);
        return -1;
    }
    return 0;
}

/* zlib reports trailer mismatches as Z_DATA_ERROR with these messages
 * (inflate.c, unchanged since 1.2.0); everything else is corruption. */
static void
reject_data_error(struct gz_state *g)
{
    const char *msg = g->zs.msg ? g->zs.msg : "";

    if (strcmp(msg, "incorrect data check") == 0 || strcmp(msg, "incorrect length check") == 0)
        unpack_reject(g->r, "E_GZ_TRAILER", NULL, "gzip 尾部校验失败：%s", msg);
    else
        unpack_reject(g->r, "E_GZ_CORRUPT", NULL, "gzip 数据损坏：%s", msg);
}

/* After Z_STREAM_END: any further byte is rejected (see the policy above). */
static void
check_trailing(struct gz_state *g)
{
    if (g->zs.avail_in == 0 && refill(g) < 0)
        return;
    if (g->zs.avail_in > 0)
        unpack_reject(g->r, "E_GZ_TRAILING_DATA", NULL,
                      "gzip 数据结束后还有内容（第二个 gzip 成员或多余字节）");
}

/* Inflates the whole stream. Returns 1 at a sound end, 0 when rejected or
 * failed. */
static int
inflate_all(struct gz_state *g)
{
    struct unpack_run *r = g->r;

    for (;;) {
        if (unpack_check_time(r) < 0 || refill(g) < 0)
            return 0;
        if (g->zs.avail_in == 0 && g->eof) {
            unpack_reject(r, "E_GZ_CORRUPT", NULL, "gzip 数据不完整（文件被截断）");
            return 0;
        }
        g->zs.next_out = g->out;
        g->zs.avail_out = UNPACK_CHUNK;
        int zrc = inflate(&g->zs, Z_NO_FLUSH);
        size_t n = UNPACK_CHUNK - g->zs.avail_out;
        if (n > 0) {
            if (count(g, n) < 0)
                return 0;
            if (r->pass == 2 && keep(g, g->out, n) < 0)
                return 0;
        }
        switch (zrc) {
        case Z_OK:
        case Z_BUF_ERROR: /* no progress possible: more input comes next round */
            break;
        case Z_STREAM_END:
            return 1;
        case Z_MEM_ERROR:
            unpack_fail(r, E_NOMEM, "zlib");
            return 0;
        case Z_DATA_ERROR:
            reject_data_error(g);
            return 0;
        default: /* Z_NEED_DICT cannot happen with gzip framing; Z_STREAM_ERROR is a bug */
            unpack_reject(r, "E_GZ_CORRUPT", NULL, "gzip 数据损坏（zlib 返回 %d）", zrc);
            return 0;
        }
    }
}

void
unpack_gz_read(struct unpack_run *r)
{
    struct gz_state g;

    memset(&g, 0, sizeof(g));
    g.r = r;
    g.in = malloc(UNPACK_CHUNK);
    g.out = malloc(UNPACK_CHUNK);
    if (g.in == NULL || g.out == NULL) {
        unpack_fail(r, E_NOMEM, NULL);
        goto out;
    }
    /* 16 + MAX_WBITS: gzip framing only, so a raw zlib stream is corrupt */
    if (inflateInit2(&g.zs, 16 + MAX_WBITS) != Z_OK) {
        unpack_fail(r, E_NOMEM, "inflateInit2");
        goto out;
    }
    if (inflate_all(&g)) {
        size_t errors = r->diags->nerrors;
        check_trailing(&g);
        if (r->diags->nerrors == errors && r->status == 0) {
            if (r->pass == 1)
                r->ndocs = 1;
            else
                unpack_deliver(r, "", g.doc ? g.doc : (const unsigned char *)"", g.doc_len, NULL,
                               0);
        }
    }
    inflateEnd(&g.zs);
out:
    free(g.in);
    free(g.out);
    free(g.doc);
}
