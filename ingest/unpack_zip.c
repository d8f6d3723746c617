/*
 * unpack_zip.c — zip packages and batches, read with libarchive.
 *
 * Only the seekable zip reader is enabled: it reads the central directory
 * and reports real entry types (the streaming reader shows a symlink as a
 * file). Names without the UTF-8 flag are decoded as GB18030, the superset
 * of GBK that Windows "compressed folders" write in China. No passphrase,
 * no zip:ignorecrc32, no zip:mac-ext. libarchive checks none of the things
 * below when reading into memory (untrusted-input.md), so this file does:
 * names, types, encryption, duplicates, entry count, bytes per entry, total
 * bytes, ratio, declared size against bytes read; and every libarchive
 * result other than OK/EOF rejects.
 *
 * Package or batch (submission-format.md leaves the line to us):
 *   - a zip whose top level holds [Content_Types].xml (an Office Open XML
 *     file: the .xlsx 填报表) or mimetype (an OpenDocument file) is a
 *     workbook: every entry is checked as below, then the whole file is
 *     the one document (UNPACK_WORKBOOK), read by transform/xlsx.c;
 *   - top-level entries are those whose name has no '/';
 *   - a top-level .xlsx is a document like a top-level .xml (a package's
 *     one document, or one of a batch); its own zip is checked by
 *     transform/xlsx.c with the same limits and is no nesting level;
 *   - if any top-level entry ends in ".zip" (ASCII case-insensitive) the zip
 *     is a batch: every top-level entry must be a .zip or .xml file and
 *     nothing may sit in a sub-folder (E_ZIP_BATCH_CONTENT);
 *   - otherwise exactly one top-level .xml makes a package, every other
 *     file entry being one of its attachments (a .zip in a sub-folder is an
 *     attachment and is never opened); none is E_ZIP_NO_XML; two or more
 *     make a batch of XMLs when the zip holds nothing else, else
 *     E_ZIP_MANY_XML;
 *   - a .zip of a batch is a package read from memory with every check
 *     above; a top-level .zip inside it (a third level, or a batch inside
 *     a batch) is E_LIMIT_NESTING, and so is any nested .zip when
 *     max_nesting is 0; a nested package with 0 or 2+ XMLs is
 *     E_ZIP_NO_XML / E_ZIP_MANY_XML (no batch of XMLs inside a batch).
 *
 * Ratio: bytes decompressed from one zip (the inbox file, or one nested
 * package) against that zip's size, checked after every block once above
 * ratio_min_bytes. max_total_bytes counts the bytes of every level, so a
 * nested package counts once as an entry of the batch and again as its
 * own entries.
 *
 * Known limits of libarchive 3.6.2 that shape the checks: it turns
 * backslashes into '/' in names written by DOS/Windows zippers before we
 * see them (so "a\..\b.xml" is caught as "a/../b.xml" and "a\b.pdf" reads
 * as "a/b.pdf"); backslashes survive in names from other systems and are
 * rejected; its zip reader never reports hard links, the check stays for
 * safety; when local and central headers disagree it takes the name from
 * the local header, which turns an overlapping-entry bomb into duplicate
 * names as well as a ratio violation.
 */
#include "../common/hash.h"
#include "../common/zipentry.h"
#include "unpack_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct zip_name {
    char *key;  /* name without a trailing '/', ASCII-lowercased */
    char *name; /* name without a trailing '/', as converted to UTF-8 */
    size_t seq; /* position in the archive, to report in archive order */
};

struct zip_level {
    struct unpack_run *r;
    struct archive *a;
    const char *prefix;     /* "" at the top, "pkg.zip/" inside a batch */
    int nested;             /* 1 for a package inside a batch */
    long long comp_size;    /* bytes of this zip: the ratio's denominator */
    long long out;          /* bytes decompressed from this zip */
    enum unpack_kind shape; /* pass 2: UNPACK_PACKAGE or UNPACK_BATCH, from pass 1 */
    size_t seq;             /* entries seen at this level */
    struct zip_name *names; /* for the duplicate check; nnames entries */
    size_t nnames, capnames;
    size_t ntop_xml, ntop_zip, nother; /* nother: dirs, files in folders, other top-level files */
    size_t ntop_xlsx;                  /* top-level .xlsx documents */
    size_t ntop_office; /* [Content_Types].xml or mimetype at the top: the zip is a workbook */
    size_t nested_docs; /* pass 1 batch: documents in its nested packages */
    /* pass 2 of a package: its document and attachments, delivered at the end */
    unsigned char *xml;
    size_t xml_len;
    char *xml_member;
    int xml_workbook; /* the kept document is an .xlsx */
    struct subm_attachment *atts;
    size_t natts, capatts;
};

/* One growing byte buffer with a hard cap (a document or a nested zip). */
struct zbuf {
    unsigned char *p;
    size_t len, cap, limit;
};

static void zip_walk(struct zip_level *z);

/* An operational failure from libarchive: out of memory, I/O, or (for the
 * set-up calls only) anything else. Returns -1. */
static int
archive_fail(struct unpack_run *r, struct archive *a, const char *what)
{
    const char *m = archive_error_string(a) ? archive_error_string(a) : what;

    if (zipentry_oom(a))
        return unpack_fail(r, E_NOMEM, m);
    if (archive_errno(a) == EIO)
        return unpack_fail(r, E_IO_READ, strerror(EIO));
    return unpack_fail(r, E_INTERNAL, m);
}

static char *
concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *str = malloc(na + nb + 1);

    if (str != NULL) {
        memcpy(str, a, na);
        memcpy(str + na, b, nb + 1);
    }
    return str;
}

static int
remember_name(struct zip_level *z, const char *name)
{
    size_t len = strlen(name);

    if (len > 0 && name[len - 1] == '/')
        len--;
    if (z->nnames == z->capnames) {
        size_t cap = z->capnames ? z->capnames * 2 : 32;
        struct zip_name *n = realloc(z->names, cap * sizeof(*n));
        if (n == NULL)
            return unpack_fail(z->r, E_NOMEM, NULL);
        z->names = n;
        z->capnames = cap;
    }
    struct zip_name *zn = &z->names[z->nnames];
    zn->name = malloc(len + 1);
    zn->key = malloc(len + 1);
    if (zn->name == NULL || zn->key == NULL) {
        free(zn->name);
        free(zn->key);
        return unpack_fail(z->r, E_NOMEM, NULL);
    }
    memcpy(zn->name, name, len);
    zn->name[len] = '\0';
    for (size_t i = 0; i < len; i++)
        zn->key[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    zn->key[len] = '\0';
    zn->seq = z->seq;
    z->nnames++;
    return 0;
}

static int
cmp_name(const void *pa, const void *pb)
{
    const struct zip_name *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);

    if (c != 0)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorting keeps this O(n log n) for max_entries up to a million; each
 * later duplicate is reported once, against the first of its group. */
static void
report_duplicates(struct zip_level *z)
{
    if (z->nnames < 2)
        return;
    qsort(z->names, z->nnames, sizeof(*z->names), cmp_name);
    for (size_t i = 1; i < z->nnames; i++) {
        size_t first = i - 1;
        while (i < z->nnames && strcmp(z->names[i].key, z->names[first].key) == 0) {
            char *path = concat(z->prefix, z->names[i].name);
            int exact = strcmp(z->names[i].name, z->names[first].name) == 0;
            unpack_reject(z->r, "E_ZIP_DUPLICATE_NAME", path ? path : z->names[i].name,
                          exact ? "条目名称与“%s”重复" : "条目名称与“%s”仅大小写不同",
                          z->names[first].name);
            free(path);
            i++;
        }
    }
}

static int
zbuf_add(struct unpack_run *r, struct zbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : UNPACK_CHUNK;
        while (cap < b->len + n)
            cap *= 2;
        if (cap > b->limit)
            cap = b->limit;
        unsigned char *q = realloc(b->p, cap);
        if (q == NULL)
            return unpack_fail(r, E_NOMEM, NULL);
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

/* Counts one block against every limit. Returns 0, 1 (entry rejected) or
 * -1 (halt: the whole file is rejected, reading further is pointless). */
static int
count_block(struct zip_level *z, const char *path, long long got, long long declared, long long cap)
{
    struct unpack_run *r = z->r;
    const struct settings *s = r->s;

    if (declared >= 0 && got > declared) {
        unpack_reject(r, "E_ZIP_SIZE_MISMATCH", path, "声明 %lld 字节，实际超过 %lld 字节",
                      declared, declared);
        return 1;
    }
    if (got > cap) {
        unpack_reject(r, "E_LIMIT_ENTRY_SIZE", path, "解压后超过上限 %lld 字节", cap);
        return 1;
    }
    if (r->total_out > s->max_total_bytes) {
        unpack_reject(r, "E_LIMIT_TOTAL_SIZE", path, "整个文件解压后超过上限 %lld 字节",
                      s->max_total_bytes);
        r->halt = 1;
        return -1;
    }
    if (z->out > s->ratio_min_bytes && z->out > s->max_ratio * z->comp_size) {
        unpack_reject(r, "E_LIMIT_RATIO", path,
                      "解压比超过 %lld 倍（%lld 字节的压缩包已解压出超过 %lld 字节）", s->max_ratio,
                      z->comp_size, z->out);
        r->halt = 1;
        return -1;
    }
    return 0;
}

/* A libarchive failure while reading data. WARN at the end of an entry is
 * a CRC or size mismatch (libarchive's own checks, reported only as text). */
static int
data_failure(struct zip_level *z, const char *path, int rc, long long got, long long declared)
{
    struct unpack_run *r = z->r;
    const char *msg = archive_error_string(z->a) ? archive_error_string(z->a) : "";

    if (zipentry_oom(z->a) || (rc == ARCHIVE_FATAL && archive_errno(z->a) == EIO))
        return archive_fail(r, z->a, NULL);
    if (rc == ARCHIVE_WARN && declared >= 0 && got != declared)
        unpack_reject(r, "E_ZIP_SIZE_MISMATCH", path, "声明 %lld 字节，实际 %lld 字节", declared,
                      got);
    else if (rc == ARCHIVE_WARN && strstr(msg, "CRC") != NULL)
        unpack_reject(r, "E_ZIP_CRC", path, "校验和错误（%s）", msg);
    else
        unpack_reject(r, "E_ZIP_CORRUPT", path, "条目数据损坏（%s）", msg);
    if (rc == ARCHIVE_FATAL) {
        r->halt = 1;
        return -1;
    }
    return 1;
}

/* Reads the current entry's data through the limits; hashes it into h and
 * keeps it in b when given. Returns 0 (sound), 1 (entry rejected) or -1. */
static int
read_data(struct zip_level *z, struct archive_entry *ent, const char *path, long long cap,
          struct hash_ctx *h, struct zbuf *b)
{
    struct unpack_run *r = z->r;
    long long declared = archive_entry_size_is_set(ent) ? (long long)archive_entry_size(ent) : -1;
    long long got = 0;

    if (declared > cap) {
        unpack_reject(r, "E_LIMIT_ENTRY_SIZE", path, "声明大小 %lld 字节，超过上限 %lld 字节",
                      declared, cap);
        return 1;
    }
    for (;;) {
        const void *p;
        size_t n;
        la_int64_t off;

        if (unpack_check_time(r) < 0)
            return -1;
        int rc = archive_read_data_block(z->a, &p, &n, &off);
        if (rc == ARCHIVE_EOF)
            break;
        if ((rc == ARCHIVE_OK || rc == ARCHIVE_WARN) && n > 0) {
            got += (long long)n;
            z->out += (long long)n;
            r->total_out += (long long)n;
            int crc = count_block(z, path, got, declared, cap);
            if (crc != 0)
                return crc;
            if (h != NULL)
                hash_update(h, p, n);
            if (b != NULL && zbuf_add(r, b, p, n) < 0)
                return -1;
        }
        if (rc != ARCHIVE_OK)
            return data_failure(z, path, rc, got, declared);
    }
    if (declared >= 0 && got != declared) {
        unpack_reject(r, "E_ZIP_SIZE_MISMATCH", path, "声明 %lld 字节，实际 %lld 字节", declared,
                      got);
        return 1;
    }
    return 0;
}

static int
add_attachment(struct zip_level *z, const char *name, long long size, const char *sha)
{
    if (z->natts == z->capatts) {
        size_t cap = z->capatts ? z->capatts * 2 : 8;
        struct subm_attachment *a = realloc(z->atts, cap * sizeof(*a));
        if (a == NULL)
            return unpack_fail(z->r, E_NOMEM, NULL);
        z->atts = a;
        z->capatts = cap;
    }
    struct subm_attachment *at = &z->atts[z->natts];
    char *copy = strdup(name);
    if (copy == NULL)
        return unpack_fail(z->r, E_NOMEM, NULL);
    at->name = copy;
    at->size = size;
    memcpy(at->sha256, sha, sizeof(at->sha256));
    z->natts++;
    return 0;
}

static void
free_level(struct zip_level *z)
{
    for (size_t i = 0; i < z->nnames; i++) {
        free(z->names[i].key);
        free(z->names[i].name);
    }
    free(z->names);
    for (size_t i = 0; i < z->natts; i++)
        free((char *)z->atts[i].name);
    free(z->atts);
    free(z->xml);
    free(z->xml_member);
}

static struct archive *
open_archive(struct unpack_run *r, const void *mem, size_t len, const char *path)
{
    struct archive *a = archive_read_new();

    if (a == NULL) {
        unpack_fail(r, E_NOMEM, "archive_read_new");
        return NULL;
    }
    /* set-up reads nothing of the file: a failure here is ours; GB18030
     * is always available, so iconv_open failing means it had no memory */
    if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
        archive_read_set_options(a, "zip:hdrcharset=GB18030") != ARCHIVE_OK) {
        const char *m = archive_error_string(a);
        if (m != NULL && strstr(m, "iconv_open") != NULL)
            unpack_fail(r, E_NOMEM, m);
        else
            archive_fail(r, a, "archive set-up");
        archive_read_free(a);
        return NULL;
    }
    int rc;
    if (mem != NULL) {
        rc = archive_read_open_memory(a, mem, len);
    } else if (lseek(r->fd, 0, SEEK_SET) < 0) {
        unpack_fail(r, E_IO_READ, strerror(errno));
        archive_read_free(a);
        return NULL;
    } else {
        rc = archive_read_open_fd(a, r->fd, UNPACK_CHUNK);
    }
    if (rc != ARCHIVE_OK) {
        if (zipentry_oom(a) || archive_errno(a) == EIO)
            archive_fail(r, a, NULL);
        else
            unpack_reject(r, "E_ZIP_CORRUPT", path, "无法读取压缩包目录（%s）",
                          archive_error_string(a) ? archive_error_string(a) : "");
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Reads a top-level .zip of a batch into memory and walks it as a package. */
static void
nested_package(struct zip_level *z, struct archive_entry *ent, const char *path)
{
    struct unpack_run *r = z->r;
    struct zbuf b = {NULL, 0, 0, (size_t)r->s->max_entry_bytes};
    struct zip_level in;

    memset(&in, 0, sizeof(in));
    if (z->nested || r->s->max_nesting < 1) {
        unpack_reject(r, "E_LIMIT_NESTING", path, "压缩包只允许嵌套一层（批量包中的报送包）");
        return;
    }
    if (read_data(z, ent, path, r->s->max_entry_bytes, NULL, &b) != 0)
        goto out;
    if (b.len >= 4 && memcmp(b.p, "PK\x05\x06", 4) == 0) {
        unpack_reject(r, "E_ZIP_EMPTY", path, "嵌套的压缩包中没有任何条目");
        goto out;
    }
    in.r = r;
    in.nested = 1;
    in.comp_size = (long long)b.len;
    in.shape = UNPACK_PACKAGE;
    char *prefix = concat(path, "/");
    if (prefix == NULL) {
        unpack_fail(r, E_NOMEM, NULL);
        goto out;
    }
    in.prefix = prefix;
    in.a = open_archive(r, b.p, b.len, path);
    if (in.a != NULL) {
        zip_walk(&in);
        archive_read_free(in.a);
    }
    z->nested_docs += r->pass == 1 && in.shape == UNPACK_PACKAGE ? 1 : 0;
    free_level(&in);
    free(prefix);
out:
    free(b.p);
}

/* A top-level document, XML or (`workbook`) .xlsx, capped by max_xml_bytes
 * or max_workbook_bytes: pass 1 checks it; pass 2 keeps it (package) or
 * delivers it at once (batch). A workbook's own entries are checked when
 * it is read. */
static void
top_document(struct zip_level *z, struct archive_entry *ent, const char *path, int workbook)
{
    struct unpack_run *r = z->r;
    long long doc_cap = workbook ? r->s->max_workbook_bytes : r->s->max_xml_bytes;
    long long cap = doc_cap < r->s->max_entry_bytes ? doc_cap : r->s->max_entry_bytes;
    struct zbuf b = {NULL, 0, 0, (size_t)cap};

    if (workbook)
        z->ntop_xlsx++;
    else
        z->ntop_xml++;
    if (read_data(z, ent, path, cap, NULL, r->pass == 2 ? &b : NULL) != 0 || r->pass == 1)
        goto out;
    if (z->shape == UNPACK_BATCH) {
        (workbook ? unpack_deliver_workbook
                  : unpack_deliver)(r, path, b.p ? b.p : (const unsigned char *)"", b.len, NULL, 0);
    } else if (z->xml == NULL) {
        z->xml = b.p;
        z->xml_len = b.len;
        z->xml_workbook = workbook;
        z->xml_member = strdup(path);
        b.p = NULL;
        if (z->xml_member == NULL)
            unpack_fail(r, E_NOMEM, NULL);
    }
out:
    free(b.p);
}

static void
attachment(struct zip_level *z, struct archive_entry *ent, const char *name, const char *path)
{
    struct hash_ctx h;
    char sha[HASH_HEX_LEN + 1];
    long long before = z->out;

    hash_init(&h);
    if (read_data(z, ent, path, z->r->s->max_entry_bytes, &h, NULL) != 0)
        return;
    hash_final_hex(&h, sha);
    if (z->r->pass == 2)
        add_attachment(z, name, z->out - before, sha);
}

/* The entry's type, name and encryption; then its data by role. */
static void
zip_entry(struct zip_level *z, struct archive_entry *ent, int hdr_rc)
{
    struct unpack_run *r = z->r;
    /* The multibyte name is UTF-8 (this thread's locale, see
     * unpack_zip_read) and is returned without an allocation: the _utf8
     * and _w accessors convert, and libarchive exits the process when
     * that conversion cannot allocate. */
    const char *name = archive_entry_pathname(ent);
    char *path = NULL;

    if (hdr_rc != ARCHIVE_OK && zipentry_oom(z->a)) {
        archive_fail(r, z->a, NULL);
        goto out;
    }
    if (name == NULL || !zipentry_utf8((const unsigned char *)name)) {
        char where[64];
        snprintf(where, sizeof(where), "（第 %zu 个条目）", z->seq);
        path = concat(z->prefix, where);
        unpack_reject(r, "E_ZIP_NAME_ENCODING", path ? path : where,
                      "条目名称既不是 UTF-8 也不是 GBK/GB18030 编码");
        goto out;
    }
    path = concat(z->prefix, name);
    if (path == NULL) {
        unpack_fail(r, E_NOMEM, NULL);
        goto out;
    }
    if (hdr_rc != ARCHIVE_OK) {
        unpack_reject(r, "E_ZIP_CORRUPT", path, "条目头损坏（%s）",
                      archive_error_string(z->a) ? archive_error_string(z->a) : "");
        goto out;
    }
    const char *why = zipentry_name_problem(name, r->s->max_name_bytes);
    if (why != NULL)
        unpack_reject(r, "E_ZIP_ENTRY_NAME", path, "%s", why);
    if (remember_name(z, name) < 0)
        goto out;

    const char *code;
    const char *kind = zipentry_kind_problem(ent, &code);
    if (kind != NULL) {
        unpack_reject(r, code, path, "%s", kind);
        goto out;
    }
    mode_t type = archive_entry_filetype(ent);
    size_t len = strlen(name);
    int top = memchr(name, '/', len) == NULL;
    if (top && !z->nested && z->prefix[0] == '\0' &&
        (strcasecmp(name, "[Content_Types].xml") == 0 || strcmp(name, "mimetype") == 0))
        z->ntop_office++;
    else if (z->ntop_office > 0) {
        /* a workbook: its parts' bytes are read and checked, under the
         * same limits, by transform/xlsx.c; inflating them here too would
         * double the cost of reading every workbook ([Content_Types].xml
         * comes first in every Office writer's zips, so this is the rule) */
        z->nother++;
        goto out;
    }
    if (type == AE_IFDIR)
        z->nother++;
    else if (top && unpack_has_ext(name, ".zip")) {
        z->ntop_zip++;
        nested_package(z, ent, path);
    } else if (top && unpack_has_ext(name, ".xml"))
        top_document(z, ent, path, 0);
    else if (top && unpack_has_ext(name, ".xlsx"))
        top_document(z, ent, path, 1);
    else {
        z->nother++;
        attachment(z, ent, name, path);
    }
out:
    free(path);
}

/* After pass 1 has seen every entry: duplicates, then package or batch. */
static void
classify(struct zip_level *z)
{
    struct unpack_run *r = z->r;
    const char *where = z->prefix[0] ? z->prefix : NULL;

    report_duplicates(z);
    if (z->seq == 0) {
        unpack_reject(r, "E_ZIP_EMPTY", where, "压缩包中没有任何条目");
        z->shape = UNPACK_PACKAGE;
        return;
    }
    if (z->ntop_office > 0) {
        z->shape = UNPACK_WORKBOOK;
        return;
    }
    size_t ndocs = z->ntop_xml + z->ntop_xlsx;
    if (z->ntop_zip > 0 || (!z->nested && ndocs >= 2 && z->nother == 0)) {
        z->shape = UNPACK_BATCH;
        if (z->nested)
            return; /* E_LIMIT_NESTING was reported at the entry */
        if (z->nother > 0)
            unpack_reject(r, "E_ZIP_BATCH_CONTENT", where,
                          "批量包顶层只能有 .zip 报送包、.xml 报表和 .xlsx 填报表，"
                          "不能有文件夹或其他文件");
        return;
    }
    z->shape = UNPACK_PACKAGE;
    if (ndocs == 0)
        unpack_reject(r, "E_ZIP_NO_XML", where, "压缩包顶层没有 .xml 报表或 .xlsx 填报表");
    else if (ndocs > 1)
        unpack_reject(r, "E_ZIP_MANY_XML", where,
                      "压缩包顶层有 %zu 个报表（.xml 或 .xlsx），报送包只能有一个", ndocs);
}

static void
zip_walk(struct zip_level *z)
{
    struct unpack_run *r = z->r;
    struct archive_entry *ent;

    for (;;) {
        if (unpack_check_time(r) < 0)
            return;
        int rc = archive_read_next_header(z->a, &ent);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc == ARCHIVE_FATAL) {
            if (zipentry_oom(z->a) || archive_errno(z->a) == EIO) {
                archive_fail(r, z->a, NULL);
                return;
            }
            unpack_reject(r, "E_ZIP_CORRUPT", z->prefix[0] ? z->prefix : NULL, "压缩包已损坏（%s）",
                          archive_error_string(z->a) ? archive_error_string(z->a) : "");
            r->halt = 1;
            return;
        }
        z->seq++;
        if (++r->nentries > r->s->max_entries) {
            unpack_reject(r, "E_LIMIT_ENTRIES", z->prefix[0] ? z->prefix : NULL,
                          "条目数超过上限 %lld", r->s->max_entries);
            r->halt = 1;
            return;
        }
        zip_entry(z, ent, rc);
        if (r->halt)
            return;
    }
    if (r->pass == 1)
        classify(z);
    else if (z->shape == UNPACK_PACKAGE && z->xml_member != NULL)
        (z->xml_workbook ? unpack_deliver_workbook : unpack_deliver)(
            r, z->xml_member, z->xml ? z->xml : (const unsigned char *)"", z->xml_len, z->atts,
            z->natts);
}

void
unpack_zip_read(struct unpack_run *r)
{
    struct zip_level z;
    /* libarchive converts names to the thread's locale charset; in the C
     * locale every non-ASCII name fails. A UTF-8 locale for this thread
     * only makes the result independent of the caller's setlocale. */
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t old = utf8 != (locale_t)0 ? uselocale(utf8) : (locale_t)0;

    if (utf8 == (locale_t)0) {
        /* without it every non-ASCII name would look unconvertible; glibc
         * 2.35+ builds C.UTF-8 in, so only memory can be missing (its
         * errno is not always ENOMEM then) */
        unpack_fail(r, E_NOMEM, "newlocale C.UTF-8");
        return;
    }
    memset(&z, 0, sizeof(z));
    z.r = r;
    z.prefix = "";
    z.comp_size = r->file_size;
    z.shape = r->kind;
    z.a = open_archive(r, NULL, 0, NULL);
    if (z.a != NULL) {
        zip_walk(&z);
        archive_read_free(z.a);
    }
    if (r->pass == 1) {
        r->kind = z.shape;
        r->ndocs = z.shape == UNPACK_BATCH ? z.ntop_xml + z.ntop_xlsx + z.nested_docs : 1;
    }
    free_level(&z);
    if (utf8 != (locale_t)0) {
        uselocale(old);
        freelocale(utf8);
    }
}
