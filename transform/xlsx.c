/*
 * xlsx.c — the zip of a workbook (libarchive), then its XML parts (libxml2's
 * streaming reader), into cells. See xlsx.h for what is checked.
 *
 * One pass over the zip checks every entry and keeps the few parts cells
 * are read from; the parts are then read in the order their references
 * need: content types, package relationships, workbook and its
 * relationships, styles, shared strings, the requested worksheets.
 */
#include "xlsx.h"

#include "../common/arena.h"
#include "../common/zipentry.h"
#include "reader.h"
#include "transform.h"

#include <archive.h>
#include <archive_entry.h>
#include <libxml/xmlreader.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE and RECOVER are never
 * set (untrusted-input.md); the entity loader refuses everything
 * (transform_init). */
static const int part_options =
    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT;

/* More formats, cell styles, relationships or sheets than any real
 * workbook has; past them a part is refused rather than scanned. */
#define MAX_NUMFMTS 4096
#define MAX_XFS 65536
#define MAX_RELS 4096
#define MAX_BOOK_SHEETS 1024
#define MAX_PARTS 256

struct xlsx_store {
    struct arena arena; /* every string of the book */
    struct xlsx_cell *cells[XLSX_MAX_SHEETS];
};

struct part {
    char *name;          /* as in the zip */
    char *key;           /* ASCII-lowercased, for lookups (OPC names ignore case) */
    unsigned char *data; /* the bytes */
    size_t len;
};

struct rel {
    char *id, *type, *target; /* malloc'd */
    int external;             /* TargetMode="External": never followed */
};

struct sst_item {
    const char *text; /* in the arena */
    int bad;          /* an _xHHHH_ escape named a character XML cannot hold */
};

struct book_sheet {
    char *name, *rid;
    int hidden;
};

struct numfmt {
    unsigned id;
    enum xlsx_fmt fmt;
};

/* The state of one xlsx_read. */
struct rd {
    const struct settings *s;
    struct diag_list *diags;
    struct bz_error *e;
    struct xlsx_book *book;
    int status; /* first operational failure, BZ_E* */
    int rejected;

    struct part *parts; /* kept parts */
    size_t nparts, capparts;
    long long kept;   /* bytes of kept parts (max_xml_bytes in total) */
    long long out;    /* bytes decompressed from the zip */
    long long zipped; /* the zip's size: the ratio's denominator */
    char **names;     /* every entry name, lowercased, for duplicates */
    size_t nnames, capnames;

    struct rel *rels; /* the workbook's relationships */
    size_t nrels;
    struct book_sheet *bsheets;
    size_t nbsheets;
    struct numfmt *numfmts;
    size_t nnumfmts;
    uint8_t *xf_fmt; /* enum xlsx_fmt per cellXfs entry */
    size_t nxf, capxf;
    struct sst_item *sst;
    size_t nsst, capsst;
    long long cells_seen;    /* <c> elements of every sheet read */
    xmlTextReaderPtr reader; /* reused for every part */
};

/* ---- diagnostics and failures ---------------------------------------- */

static void reject(struct rd *rd, const char *code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void
reject(struct rd *rd, const char *code, const char *path, const char *fmt, ...)
{
    char msg[768], shown[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (path != NULL) {
        size_t n = bz_strlcpy_utf8(shown, path, sizeof(shown));
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)shown[i] < 0x20 || shown[i] == 0x7F)
                shown[i] = '?';
    }
    /* a diagnostic that cannot be stored still counts, and the workbook is
     * rejected either way */
    diag_add(rd->diags, code, 0, path != NULL ? shown : NULL, "%s", msg);
    rd->rejected = 1;
}

static int
fail(struct rd *rd, int status, const char *detail)
{
    if (rd->status == 0) {
        if (status == BZ_ENOMEM)
            status = bz_error_set(rd->e, E_NOMEM, "内存不足，无法读取填报表");
        else
            status = bz_error_set(rd->e, E_INTERNAL, "无法读取填报表");
        if (detail != NULL)
            bz_error_detail(rd->e, "%s", detail);
        rd->status = status;
    }
    return -1;
}

/* The array v (n items used, *cap allocated) with room for one more,
 * doubling from `first`: v itself, or a moved copy; NULL when memory ran
 * out (the read then fails with BZ_ENOMEM and v stays the caller's). */
static void *
grow(struct rd *rd, void *v, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return v;
    size_t want = *cap ? *cap * 2 : first;
    void *bigger = realloc(v, want * size);
    if (bigger == NULL) {
        fail(rd, BZ_ENOMEM, NULL);
        return NULL;
    }
    *cap = want;
    return bigger;
}

static int
stopped(const struct rd *rd)
{
    return rd->status != 0 || rd->rejected;
}

static char *
lower_dup(const char *str)
{
    size_t n = strlen(str);
    char *k = malloc(n + 1);
    if (k == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        k[i] = (char)(str[i] >= 'A' && str[i] <= 'Z' ? str[i] - 'A' + 'a' : str[i]);
    return k;
}

/* ---- the zip ----------------------------------------------------------- */

static int
ends_with(const char *key, const char *suffix)
{
    size_t n = strlen(key), m = strlen(suffix);
    return n >= m && strcmp(key + n - m, suffix) == 0;
}

/* Whether `key` is "<dir>/<one component><ext>". */
static int
directly_in(const char *key, const char *dir, const char *ext)
{
    size_t d = strlen(dir);
    return strncmp(key, dir, d) == 0 && strchr(key + d, '/') == NULL && key[d] != '\0' &&
           ends_with(key, ext);
}

/* The parts cells are read from; everything else is checked, not kept. */
static int
wanted(const char *key)
{
    return strcmp(key, "[content_types].xml") == 0 || strcmp(key, "_rels/.rels") == 0 ||
           directly_in(key, "xl/_rels/", ".rels") || directly_in(key, "xl/", ".xml") ||
           directly_in(key, "xl/worksheets/", ".xml");
}

static int
is_macro(const char *key)
{
    return ends_with(key, "vbaproject.bin") || ends_with(key, "vbaprojectsignature.bin") ||
           strstr(key, "macrosheets/") != NULL || strstr(key, "dialogsheets/") != NULL;
}

static int
xmlish(const char *key)
{
    return ends_with(key, ".xml") || ends_with(key, ".rels") || ends_with(key, ".vml");
}

/* Whether the ASCII word w starts at p (n bytes left), one byte a
 * character (UTF-8) or two with a zero byte between them (UTF-16 of
 * either byte order: "<\0!\0D..." is what follows the '<' in both). */
static int
word_at(const unsigned char *p, size_t n, const char *w, size_t step)
{
    size_t k = strlen(w);
    if (n < (k - 1) * step + 1)
        return 0;
    for (size_t i = 0; i < k; i++) {
        if (p[i * step] != (unsigned char)w[i])
            return 0;
        if (step == 2 && i + 1 < k && p[i * step + 1] != 0)
            return 0;
    }
    return 1;
}

/* "<!DOCTYPE" or "<!ENTITY" in UTF-8 or UTF-16: one pass over the '<'s. */
static int
has_doctype(const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    for (const unsigned char *q = p; q < end && (q = memchr(q, '<', (size_t)(end - q))) != NULL;
         q++) {
        size_t left = (size_t)(end - q);
        if (left < 3 || (q[1] != '!' && (q[1] != 0 || q[2] != '!')))
            continue; /* an ordinary tag: the common case */
        for (size_t step = 1; step <= 2; step++)
            if (word_at(q, left, "<!DOCTYPE", step) || word_at(q, left, "<!ENTITY", step))
                return 1;
    }
    return 0;
}

static int
remember_name(struct rd *rd, const char *name)
{
    char **v = grow(rd, rd->names, rd->nnames, &rd->capnames, sizeof(*v), 32);
    if (v == NULL)
        return -1;
    rd->names = v;
    char *k = lower_dup(name);
    if (k == NULL)
        return fail(rd, BZ_ENOMEM, NULL);
    size_t n = strlen(k);
    if (n > 0 && k[n - 1] == '/')
        k[n - 1] = '\0';
    rd->names[rd->nnames++] = k;
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
report_duplicates(struct rd *rd)
{
    if (rd->nnames < 2)
        return;
    qsort(rd->names, rd->nnames, sizeof(*rd->names), cmp_str);
    for (size_t i = 1; i < rd->nnames; i++)
        if (strcmp(rd->names[i], rd->names[i - 1]) == 0)
            reject(rd, "E_ZIP_DUPLICATE_NAME", rd->names[i], "条目名称重复（不区分大小写）");
}

/* Reads the current entry through the caps; keeps its bytes in *buf when
 * buf is given. Returns 0, 1 (entry rejected) or -1 (stop). */
static int
read_entry(struct rd *rd, struct archive *a, struct archive_entry *ent, const char *name,
           long long cap, unsigned char **buf, size_t *len)
{
    const struct settings *s = rd->s;
    long long declared = archive_entry_size_is_set(ent) ? (long long)archive_entry_size(ent) : -1;
    long long got = 0;
    size_t bufcap = 0;

    if (declared > cap) {
        reject(rd, "E_LIMIT_ENTRY_SIZE", name, "声明大小 %lld 字节，超过上限 %lld 字节", declared,
               cap);
        return 1;
    }
    for (;;) {
        const void *p;
        size_t n;
        la_int64_t off;
        int rc = archive_read_data_block(a, &p, &n, &off);
        if (rc == ARCHIVE_EOF)
            break;
        if ((rc == ARCHIVE_OK || rc == ARCHIVE_WARN) && n > 0) {
            got += (long long)n;
            rd->out += (long long)n;
            if (declared >= 0 && got > declared) {
                reject(rd, "E_ZIP_SIZE_MISMATCH", name, "声明 %lld 字节，实际更多", declared);
                return 1;
            }
            if (got > cap) {
                reject(rd, "E_LIMIT_ENTRY_SIZE", name, "解压后超过上限 %lld 字节", cap);
                return 1;
            }
            if (rd->out > s->max_total_bytes) {
                reject(rd, "E_LIMIT_TOTAL_SIZE", name, "整个工作簿解压后超过上限 %lld 字节",
                       s->max_total_bytes);
                return -1;
            }
            if (rd->out > s->ratio_min_bytes && rd->out > s->max_ratio * rd->zipped) {
                reject(rd, "E_LIMIT_RATIO", name, "解压比超过 %lld 倍，疑似压缩炸弹", s->max_ratio);
                return -1;
            }
            if (buf != NULL) {
                if (*len + n > bufcap) {
                    size_t nc = bufcap ? bufcap : 16384;
                    while (nc < *len + n)
                        nc *= 2;
                    unsigned char *q = realloc(*buf, nc);
                    if (q == NULL)
                        return fail(rd, BZ_ENOMEM, NULL);
                    *buf = q;
                    bufcap = nc;
                }
                memcpy(*buf + *len, p, n);
                *len += n;
            }
        }
        if (rc != ARCHIVE_OK) {
            const char *m = archive_error_string(a) ? archive_error_string(a) : "";
            if (zipentry_oom(a))
                return fail(rd, BZ_ENOMEM, m);
            if (rc == ARCHIVE_WARN && declared >= 0 && got != declared)
                reject(rd, "E_ZIP_SIZE_MISMATCH", name, "声明 %lld 字节，实际 %lld 字节", declared,
                       got);
            else if (rc == ARCHIVE_WARN && strstr(m, "CRC") != NULL)
                reject(rd, "E_ZIP_CRC", name, "校验和错误（%s）", m);
            else
                reject(rd, "E_ZIP_CORRUPT", name, "条目数据损坏（%s）", m);
            return rc == ARCHIVE_FATAL ? -1 : 1;
        }
    }
    if (declared >= 0 && got != declared) {
        reject(rd, "E_ZIP_SIZE_MISMATCH", name, "声明 %lld 字节，实际 %lld 字节", declared, got);
        return 1;
    }
    return 0;
}

static int
keep_part(struct rd *rd, const char *name, const char *key, unsigned char *data, size_t len)
{
    if (rd->nparts == MAX_PARTS) {
        reject(rd, "E_WB_LIMIT", name, "工作簿部件超过 %d 个", MAX_PARTS);
        return -1;
    }
    struct part *v = grow(rd, rd->parts, rd->nparts, &rd->capparts, sizeof(*v), 16);
    if (v == NULL)
        return -1;
    rd->parts = v;
    struct part *p = &rd->parts[rd->nparts];
    p->name = strdup(name);
    p->key = strdup(key);
    if (p->name == NULL || p->key == NULL) {
        free(p->name);
        free(p->key);
        return fail(rd, BZ_ENOMEM, NULL);
    }
    p->data = data;
    p->len = len;
    rd->nparts++;
    return 0;
}

/* One entry: name, type, encryption, macros, then its bytes. Returns 0 to
 * go on, -1 to stop reading the zip. */
static int
zip_entry(struct rd *rd, struct archive *a, struct archive_entry *ent, int hdr_rc, size_t seq)
{
    const char *name = archive_entry_pathname(ent);
    if (hdr_rc != ARCHIVE_OK && zipentry_oom(a))
        return fail(rd, BZ_ENOMEM, archive_error_string(a));
    if (name == NULL || !zipentry_utf8((const unsigned char *)name)) {
        char where[64];
        snprintf(where, sizeof(where), "（第 %zu 个条目）", seq);
        reject(rd, "E_ZIP_NAME_ENCODING", where, "条目名称不是 UTF-8 编码");
        return 0;
    }
    if (hdr_rc != ARCHIVE_OK) {
        reject(rd, "E_ZIP_CORRUPT", name, "条目头损坏（%s）",
               archive_error_string(a) ? archive_error_string(a) : "");
        return 0;
    }
    const char *why = zipentry_name_problem(name, rd->s->max_name_bytes);
    if (why != NULL)
        reject(rd, "E_ZIP_ENTRY_NAME", name, "%s", why);
    if (remember_name(rd, name) < 0)
        return -1;
    const char *code;
    const char *kind = zipentry_kind_problem(ent, &code);
    if (kind != NULL) {
        reject(rd, code, name, "%s", kind);
        return 0;
    }
    if (archive_entry_filetype(ent) == AE_IFDIR)
        return 0;
    char *key = lower_dup(name);
    if (key == NULL)
        return fail(rd, BZ_ENOMEM, NULL);
    int rc = 0;
    if (is_macro(key))
        reject(rd, "E_WB_MACRO", name, "工作簿含宏（%s）", name);
    int keep = why == NULL && wanted(key), scan = xmlish(key);
    long long cap = scan ? (rd->s->max_xml_bytes < rd->s->max_entry_bytes ? rd->s->max_xml_bytes
                                                                          : rd->s->max_entry_bytes)
                         : rd->s->max_entry_bytes;
    unsigned char *buf = NULL;
    size_t len = 0;
    int r = read_entry(rd, a, ent, name, cap, scan ? &buf : NULL, &len);
    if (r < 0) {
        rc = -1;
    } else if (r == 0 && scan && has_doctype(buf ? buf : (const unsigned char *)"", len)) {
        reject(rd, "E_XML_DOCTYPE", name, "部件含 DOCTYPE 或实体声明；填报表不允许");
    } else if (r == 0 && keep) {
        rd->kept += (long long)len;
        if (rd->kept > rd->s->max_xml_bytes) {
            reject(rd, "E_WB_LIMIT", name, "工作簿的 XML 部件合计超过 %lld 字节",
                   rd->s->max_xml_bytes);
            rc = -1;
        } else if (keep_part(rd, name, key, buf, len) == 0) {
            buf = NULL;
        } else {
            rc = -1;
        }
    }
    free(buf);
    free(key);
    return rc;
}

static void
zip_pass(struct rd *rd, const unsigned char *data, size_t len)
{
    struct archive *a = archive_read_new();
    struct archive_entry *ent;
    size_t seq = 0;

    if (a == NULL) {
        fail(rd, BZ_ENOMEM, "archive_read_new");
        return;
    }
    if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK) {
        fail(rd, zipentry_oom(a) ? BZ_ENOMEM : BZ_EFAIL, archive_error_string(a));
        archive_read_free(a);
        return;
    }
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        if (zipentry_oom(a))
            fail(rd, BZ_ENOMEM, archive_error_string(a));
        else
            reject(rd, "E_ZIP_CORRUPT", NULL, "无法读取工作簿的压缩包目录（%s）",
                   archive_error_string(a) ? archive_error_string(a) : "");
        archive_read_free(a);
        return;
    }
    for (;;) {
        int rc = archive_read_next_header(a, &ent);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc == ARCHIVE_FATAL) {
            if (zipentry_oom(a))
                fail(rd, BZ_ENOMEM, archive_error_string(a));
            else
                reject(rd, "E_ZIP_CORRUPT", NULL, "工作簿的压缩包已损坏（%s）",
                       archive_error_string(a) ? archive_error_string(a) : "");
            break;
        }
        if ((long long)++seq > rd->s->max_entries) {
            reject(rd, "E_LIMIT_ENTRIES", NULL, "工作簿条目数超过上限 %lld", rd->s->max_entries);
            break;
        }
        if (zip_entry(rd, a, ent, rc, seq) < 0)
            break;
    }
    archive_read_free(a);
    if (rd->status == 0)
        report_duplicates(rd);
    if (seq == 0 && rd->status == 0)
        reject(rd, "E_ZIP_EMPTY", NULL, "工作簿压缩包中没有任何条目");
}

static const struct part *
find_part(const struct rd *rd, const char *key)
{
    for (size_t i = 0; i < rd->nparts; i++)
        if (strcmp(rd->parts[i].key, key) == 0)
            return &rd->parts[i];
    return NULL;
}

/* ---- reading one XML part --------------------------------------------- */

struct xr {
    struct rd *rd;
    const char *part; /* its name, for diagnostics */
    xmlTextReaderPtr r;
    int error_line;
    char error[256]; /* libxml2's first error, when any */
    struct {
        char *p;
        size_t len, cap;
    } text; /* text collected for the current value */
};

static void
xr_on_error(void *arg, xmlErrorPtr err)
{
    struct xr *x = arg;
    if (err == NULL || err->level < XML_ERR_ERROR || x->error[0] != '\0')
        return;
    bz_strlcpy_utf8(x->error, err->message ? err->message : "XML 有误", sizeof(x->error));
    x->error[strcspn(x->error, "\n")] = '\0';
    x->error_line = err->line;
}

static int
xr_open(struct xr *x, struct rd *rd, const struct part *p)
{
    memset(x, 0, sizeof(*x));
    x->rd = rd;
    x->part = p->name;
    if (p->len > INT_MAX) {
        reject(rd, "E_WB_LIMIT", p->name, "部件过大");
        return -1;
    }
    xmlSetStructuredErrorFunc(x, xr_on_error);
    const char *buf = p->len ? (const char *)p->data : "";
    /* one reader for every part of the workbook, reset for each: a new
     * one per part costs its allocations again */
    if (rd->reader == NULL)
        rd->reader = xmlReaderForMemory(buf, (int)p->len, NULL, NULL, part_options);
    else if (xmlReaderNewMemory(rd->reader, buf, (int)p->len, NULL, NULL, part_options) != 0)
        return fail(rd, BZ_ENOMEM, "xmlReaderNewMemory");
    if (rd->reader == NULL)
        return fail(rd, BZ_ENOMEM, "xmlReaderForMemory");
    x->r = rd->reader;
    xmlTextReaderSetStructuredErrorHandler(x->r, xr_on_error, x);
    return 0;
}

static void
xr_close(struct xr *x)
{
    x->r = NULL; /* the reader is the workbook's (rd_free) */
    free(x->text.p);
    x->text.p = NULL;
    reader_silence();
}

/* The next node's type, 0 at the end, -1 when the part is refused (the
 * reason is reported). */
static int
xr_next(struct xr *x)
{
    int rc = xmlTextReaderRead(x->r);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        const char *code = strstr(x->error, "ntity") != NULL ? "E_XML_DOCTYPE" : "E_XML_SYNTAX";
        reject(x->rd, code, x->part, "部件第 %d 行 XML 有误：%s", x->error_line,
               x->error[0] ? x->error : "无法读完");
        return -1;
    }
    int type = xmlTextReaderNodeType(x->r);
    if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE ||
        type == XML_READER_TYPE_ENTITY) {
        reject(x->rd, "E_XML_DOCTYPE", x->part, "部件含 DOCTYPE 或实体引用；填报表不允许");
        return -1;
    }
    if (xmlTextReaderDepth(x->r) > x->rd->s->max_xml_depth) {
        reject(x->rd, "E_XML_LIMIT", x->part, "部件元素嵌套超过 %lld 层的上限",
               x->rd->s->max_xml_depth);
        return -1;
    }
    return type;
}

static const char *
xr_name(const struct xr *x)
{
    const char *n = (const char *)xmlTextReaderConstLocalName(x->r);
    return n ? n : "";
}

static int
xr_is(const struct xr *x, const char *name)
{
    return strcmp(xr_name(x), name) == 0;
}

static int
xr_empty(const struct xr *x)
{
    return xmlTextReaderIsEmptyElement(x->r) == 1;
}

/* Attribute by local name (any namespace when ns_part is NULL, else one
 * whose namespace URI contains ns_part); the value is the reader's, valid
 * until the next read. */
static const char *
xr_attr(struct xr *x, const char *name, const char *ns_part)
{
    const char *v = NULL;
    for (int rc = xmlTextReaderMoveToFirstAttribute(x->r); rc == 1;
         rc = xmlTextReaderMoveToNextAttribute(x->r)) {
        const char *n = (const char *)xmlTextReaderConstLocalName(x->r);
        const char *ns = (const char *)xmlTextReaderConstNamespaceUri(x->r);
        if (n == NULL || strcmp(n, name) != 0)
            continue;
        if (ns_part == NULL ? ns != NULL : (ns == NULL || strstr(ns, ns_part) == NULL))
            continue;
        v = (const char *)xmlTextReaderConstValue(x->r);
        break;
    }
    xmlTextReaderMoveToElement(x->r);
    return v;
}

static int
xr_text_add(struct xr *x)
{
    const char *v = (const char *)xmlTextReaderConstValue(x->r);
    size_t n = v ? strlen(v) : 0;
    if ((long long)(x->text.len + n) > x->rd->s->max_text_bytes) {
        reject(x->rd, "E_XML_LIMIT", x->part, "一个单元格的文字超过 %lld 字节的上限",
               x->rd->s->max_text_bytes);
        return -1;
    }
    if (x->text.len + n + 1 > x->text.cap) {
        size_t cap = x->text.len + n + 1 + 256;
        char *p = realloc(x->text.p, cap);
        if (p == NULL)
            return fail(x->rd, BZ_ENOMEM, NULL);
        x->text.p = p;
        x->text.cap = cap;
    }
    memcpy(x->text.p + x->text.len, v, n);
    x->text.len += n;
    x->text.p[x->text.len] = '\0';
    return 0;
}

static int
is_text_node(int type)
{
    return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
           type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

/* ---- relationships and paths ------------------------------------------ */

/* The folder of a part ("xl/" of "xl/workbook.xml"), into buf. */
static void
part_dir(const char *key, char *buf, size_t cap)
{
    const char *slash = strrchr(key, '/');
    size_t n = slash ? (size_t)(slash - key + 1) : 0;
    if (n >= cap)
        n = 0;
    memcpy(buf, key, n);
    buf[n] = '\0';
}

/* A relationship target resolved against the folder `dir` into a
 * lowercased part key; NULL when it leaves the package. */
static char *
resolve(const char *dir, const char *target)
{
    size_t nd = strlen(dir), nt = strlen(target);
    char *joined = malloc(nd + nt + 2);
    if (joined == NULL)
        return NULL;
    if (target[0] == '/')
        snprintf(joined, nd + nt + 2, "%s", target + 1);
    else
        snprintf(joined, nd + nt + 2, "%s%s", dir, target);
    char *out = malloc(strlen(joined) + 1);
    size_t o = 0;
    if (out == NULL) {
        free(joined);
        return NULL;
    }
    for (char *seg = joined; seg != NULL;) {
        char *next = strchr(seg, '/');
        if (next != NULL)
            *next++ = '\0';
        if (strcmp(seg, "..") == 0) {
            if (o == 0) {
                free(joined);
                free(out);
                return NULL;
            }
            o--;
            while (o > 0 && out[o - 1] != '/')
                o--;
        } else if (seg[0] != '\0' && strcmp(seg, ".") != 0) {
            size_t n = strlen(seg);
            memcpy(out + o, seg, n);
            o += n;
            if (next != NULL)
                out[o++] = '/';
        }
        seg = next;
    }
    out[o] = '\0';
    free(joined);
    char *key = lower_dup(out);
    free(out);
    return key;
}

static void
free_rels(struct rel *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].type);
        free(v[i].target);
    }
    free(v);
}

/* Reads a relationships part into *out. Returns 0 or -1. */
static int
read_rels(struct rd *rd, const struct part *p, struct rel **out, size_t *nout)
{
    struct xr x;
    size_t cap = 0;
    int t, rc = 0;
    *out = NULL;
    *nout = 0;
    if (xr_open(&x, rd, p) < 0)
        return -1;
    while ((t = xr_next(&x)) > 0) {
        if (t != XML_READER_TYPE_ELEMENT || !xr_is(&x, "Relationship"))
            continue;
        if (*nout == MAX_RELS) {
            reject(rd, "E_WB_LIMIT", p->name, "关系条目超过 %d 个", MAX_RELS);
            rc = -1;
            break;
        }
        struct rel *v = grow(rd, *out, *nout, &cap, sizeof(*v), 16);
        if (v == NULL) {
            rc = -1;
            break;
        }
        *out = v;
        const char *id = xr_attr(&x, "Id", NULL), *type = xr_attr(&x, "Type", NULL);
        const char *target = xr_attr(&x, "Target", NULL), *mode = xr_attr(&x, "TargetMode", NULL);
        struct rel *r = &(*out)[*nout];
        r->external = mode != NULL && strcmp(mode, "External") == 0;
        r->id = strdup(id ? id : "");
        r->type = strdup(type ? type : "");
        r->target = strdup(target ? target : "");
        (*nout)++;
        if (r->id == NULL || r->type == NULL || r->target == NULL) {
            rc = fail(rd, BZ_ENOMEM, NULL);
            break;
        }
    }
    if (t < 0)
        rc = -1;
    xr_close(&x);
    return rc;
}

static const struct rel *
rel_of_type(const struct rel *v, size_t n, const char *suffix)
{
    for (size_t i = 0; i < n; i++)
        if (ends_with(v[i].type, suffix))
            return &v[i];
    return NULL;
}

/* ---- content types, package, workbook ---------------------------------- */

static int
read_content_types(struct rd *rd)
{
    const struct part *p = find_part(rd, "[content_types].xml");
    struct xr x;
    int t;
    if (p == NULL) {
        reject(rd, "E_WB_FORMAT", NULL, "缺少 [Content_Types].xml，不是 Excel 工作簿");
        return -1;
    }
    if (xr_open(&x, rd, p) < 0)
        return -1;
    while ((t = xr_next(&x)) > 0) {
        if (t != XML_READER_TYPE_ELEMENT || (!xr_is(&x, "Default") && !xr_is(&x, "Override")))
            continue;
        const char *ct = xr_attr(&x, "ContentType", NULL);
        if (ct == NULL)
            continue;
        char *k = lower_dup(ct);
        if (k == NULL) {
            fail(rd, BZ_ENOMEM, NULL);
            break;
        }
        int binary = strstr(k, ".binary.") != NULL;
        int macro = strstr(k, "macroenabled") != NULL || strstr(k, "vbaproject") != NULL ||
                    strstr(k, "macrosheet") != NULL;
        free(k);
        if (binary) {
            reject(rd, "E_WB_FORMAT", p->name, "工作簿是二进制格式（.xlsb），请另存为 .xlsx");
            break;
        }
        if (macro) {
            reject(rd, "E_WB_MACRO", p->name, "工作簿声明了宏内容（%s）", ct);
            break;
        }
    }
    xr_close(&x);
    return t < 0 || stopped(rd) ? -1 : 0;
}

/* The workbook part named by the package relationships; NULL (reported)
 * when there is none. */
static const struct part *
workbook_part(struct rd *rd)
{
    const struct part *p = find_part(rd, "_rels/.rels");
    struct rel *rels;
    size_t n;
    const struct part *wb = NULL;
    if (p == NULL) {
        reject(rd, "E_WB_FORMAT", NULL, "缺少 _rels/.rels，不是 Excel 工作簿");
        return NULL;
    }
    if (read_rels(rd, p, &rels, &n) < 0)
        return NULL;
    const struct rel *r = rel_of_type(rels, n, "/officeDocument");
    char *key = r != NULL && !r->external ? resolve("", r->target) : NULL;
    if (key != NULL && ends_with(key, ".bin"))
        reject(rd, "E_WB_FORMAT", p->name, "工作簿是二进制格式（.xlsb），请另存为 .xlsx");
    else if (key == NULL || (wb = find_part(rd, key)) == NULL)
        reject(rd, "E_WB_STRUCTURE", p->name, "找不到工作簿部件（%s）",
               r != NULL ? r->target : "没有 officeDocument 关系");
    free(key);
    free_rels(rels, n);
    return wb;
}

static int
read_workbook(struct rd *rd, const struct part *p)
{
    struct xr x;
    int t, rc = 0;
    size_t cap = 0;
    if (xr_open(&x, rd, p) < 0)
        return -1;
    while ((t = xr_next(&x)) > 0) {
        if (t != XML_READER_TYPE_ELEMENT)
            continue;
        if (xr_is(&x, "workbookPr")) {
            const char *v = xr_attr(&x, "date1904", NULL);
            rd->book->date1904 = v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
            continue;
        }
        if (!xr_is(&x, "sheet"))
            continue;
        if (rd->nbsheets == MAX_BOOK_SHEETS) {
            reject(rd, "E_WB_LIMIT", p->name, "工作表超过 %d 个", MAX_BOOK_SHEETS);
            rc = -1;
            break;
        }
        struct book_sheet *v = grow(rd, rd->bsheets, rd->nbsheets, &cap, sizeof(*v), 16);
        if (v == NULL) {
            rc = -1;
            break;
        }
        rd->bsheets = v;
        const char *name = xr_attr(&x, "name", NULL), *state = xr_attr(&x, "state", NULL);
        const char *rid = xr_attr(&x, "id", "relationships");
        struct book_sheet *b = &rd->bsheets[rd->nbsheets++];
        b->hidden = state != NULL && strcmp(state, "visible") != 0;
        b->name = strdup(name ? name : "");
        b->rid = strdup(rid ? rid : "");
        if (b->name == NULL || b->rid == NULL) {
            rc = fail(rd, BZ_ENOMEM, NULL);
            break;
        }
    }
    if (t < 0)
        rc = -1;
    xr_close(&x);
    return rc;
}

/* ---- styles -------------------------------------------------------------- */

/* The class of a format code: a date or time when it shows y, m, d, h or s
 * outside quotes, escapes and [brackets] (an elapsed [h] counts). */
static enum xlsx_fmt
classify_code(const char *code)
{
    int pct = 0;
    for (const char *p = code; *p != '\0' && *p != ';'; p++) {
        char c = *p;
        if (c == '"') {
            while (p[1] != '\0' && p[1] != '"')
                p++;
            if (p[1] == '"')
                p++;
        } else if (c == '\\' || c == '_' || c == '*') {
            if (p[1] != '\0')
                p++;
        } else if (c == '[') {
            const char *end = strchr(p, ']');
            if (end == NULL)
                break;
            char l = (char)(p[1] | 0x20);
            if (l == 'h' || l == 'm' || l == 's')
                return XLSX_FMT_DATE;
            p = end;
        } else if (c == '@') {
            return XLSX_FMT_TEXT;
        } else if (c == '%') {
            pct = 1;
        } else {
            char l = (char)(c | 0x20);
            if (l == 'y' || l == 'm' || l == 'd' || l == 'h' || l == 's')
                return XLSX_FMT_DATE;
            if (l == 'e' && strncmp(p, "General", 7) != 0 && strncmp(p, "general", 7) != 0 &&
                p > code && (p[-1] == '0' || p[-1] == '#'))
                continue; /* 0.00E+00 */
            if (strncmp(p, "General", 7) == 0 || strncmp(p, "general", 7) == 0)
                p += 6;
        }
    }
    return pct ? XLSX_FMT_PERCENT : XLSX_FMT_GENERAL;
}

/* Excel's built-in formats (ECMA-376 18.8.30, with the zh-CN date ids). */
static enum xlsx_fmt
builtin_fmt(unsigned id)
{
    if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
        (id >= 50 && id <= 58))
        return XLSX_FMT_DATE;
    if (id == 9 || id == 10)
        return XLSX_FMT_PERCENT;
    if (id == 49)
        return XLSX_FMT_TEXT;
    return XLSX_FMT_GENERAL;
}

static int
parse_uint(const char *str, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (str == NULL || *str == '\0')
        return -1;
    for (; *str; str++) {
        if (*str < '0' || *str > '9' || v > max / 10)
            return -1;
        v = v * 10 + (unsigned long)(*str - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static enum xlsx_fmt
fmt_of_id(const struct rd *rd, unsigned id)
{
    for (size_t i = 0; i < rd->nnumfmts; i++)
        if (rd->numfmts[i].id == id)
            return rd->numfmts[i].fmt;
    return builtin_fmt(id);
}

static int
push_xf(struct rd *rd, const struct part *p, unsigned long id)
{
    if (rd->nxf == MAX_XFS) {
        reject(rd, "E_WB_LIMIT", p->name, "单元格样式超过 %d 个", MAX_XFS);
        return -1;
    }
    uint8_t *v = grow(rd, rd->xf_fmt, rd->nxf, &rd->capxf, sizeof(*v), 64);
    if (v == NULL)
        return -1;
    rd->xf_fmt = v;
    /* the class is resolved once every numFmt is known (read_styles) */
    rd->xf_fmt[rd->nxf++] = (uint8_t)(id > 255 ? 255 : id);
    return 0;
}

static int
read_styles(struct rd *rd, const struct part *p)
{
    struct xr x;
    int t, rc = 0, xfs_depth = -1;
    unsigned long *ids = NULL; /* numFmtId per xf, parallel to xf_fmt */
    size_t capids = 0;
    if (xr_open(&x, rd, p) < 0)
        return -1;
    while (rc == 0 && (t = xr_next(&x)) > 0) {
        int depth = xmlTextReaderDepth(x.r);
        if (t == XML_READER_TYPE_END_ELEMENT && xr_is(&x, "cellXfs"))
            break; /* cell styles, differential formats, colours: not needed */
        if (t != XML_READER_TYPE_ELEMENT)
            continue;
        if (xr_is(&x, "cellXfs") && !xr_empty(&x)) {
            xfs_depth = depth;
        } else if (xr_is(&x, "numFmt")) {
            unsigned long id;
            const char *code = xr_attr(&x, "formatCode", NULL);
            if (parse_uint(xr_attr(&x, "numFmtId", NULL), 100000, &id) < 0 || code == NULL)
                continue;
            if (rd->nnumfmts == MAX_NUMFMTS) {
                reject(rd, "E_WB_LIMIT", p->name, "数字格式超过 %d 个", MAX_NUMFMTS);
                rc = -1;
                break;
            }
            if (rd->numfmts == NULL &&
                (rd->numfmts = malloc(MAX_NUMFMTS * sizeof(*rd->numfmts))) == NULL) {
                rc = fail(rd, BZ_ENOMEM, NULL);
                break;
            }
            rd->numfmts[rd->nnumfmts].id = (unsigned)id;
            rd->numfmts[rd->nnumfmts].fmt = classify_code(code);
            rd->nnumfmts++;
        } else if (xr_is(&x, "xf") && xfs_depth >= 0 && depth == xfs_depth + 1) {
            unsigned long id = 0;
            if (parse_uint(xr_attr(&x, "numFmtId", NULL), 100000, &id) < 0)
                id = 0;
            if (push_xf(rd, p, id) < 0) {
                rc = -1;
                break;
            }
            if (rd->nxf > capids) {
                capids = capids ? capids * 2 : 64;
                unsigned long *v = realloc(ids, capids * sizeof(*v));
                if (v == NULL) {
                    rc = fail(rd, BZ_ENOMEM, NULL);
                    break;
                }
                ids = v;
            }
            ids[rd->nxf - 1] = id;
        }
    }
    if (t < 0)
        rc = -1;
    xr_close(&x);
    for (size_t i = 0; rc == 0 && i < rd->nxf; i++)
        rd->xf_fmt[i] = (uint8_t)fmt_of_id(rd, (unsigned)ids[i]);
    free(ids);
    return rc;
}

/* ---- strings ------------------------------------------------------------ */

static int
hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int
xml_char(uint32_t cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* Decodes OOXML's _xHHHH_ escapes in place (a UTF-16 code unit each; Excel
 * writes "_x000D_" for a carriage return and "_x005F_" for an escaped
 * underscore). Returns 0, or -1 when one names a character XML 1.0 cannot
 * hold (a control character, half a surrogate pair). */
static int
decode_escapes(char *str, size_t *n)
{
    size_t o = 0;
    int bad = 0;
    for (size_t i = 0; i < *n;) {
        int h0, h1, h2, h3;
        if (str[i] == '_' && i + 6 < *n && str[i + 1] == 'x' && str[i + 6] == '_' &&
            (h0 = hexval(str[i + 2])) >= 0 && (h1 = hexval(str[i + 3])) >= 0 &&
            (h2 = hexval(str[i + 4])) >= 0 && (h3 = hexval(str[i + 5])) >= 0) {
            uint32_t cp = (uint32_t)(h0 << 12 | h1 << 8 | h2 << 4 | h3);
            if (!xml_char(cp)) {
                bad = 1;
                cp = 0xFFFD;
            }
            if (cp < 0x80) {
                str[o++] = (char)cp;
            } else if (cp < 0x800) {
                str[o++] = (char)(0xC0 | cp >> 6);
                str[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                str[o++] = (char)(0xE0 | cp >> 12);
                str[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
                str[o++] = (char)(0x80 | (cp & 0x3F));
            }
            i += 7;
        } else {
            str[o++] = str[i++];
        }
    }
    str[o] = '\0';
    *n = o;
    return bad ? -1 : 0;
}

/* The collected text, escapes decoded, copied into the book's arena. */
static const char *
keep_text(struct xr *x, int *bad)
{
    size_t n = x->text.len;
    char empty[1] = "";
    char *src = x->text.p ? x->text.p : empty;
    *bad = decode_escapes(src, &n) < 0;
    char *t = arena_strndup(&x->rd->book->store->arena, src, n);
    if (t == NULL)
        fail(x->rd, BZ_ENOMEM, "arena");
    return t;
}

static int
push_sst(struct rd *rd, struct xr *x, const struct part *p)
{
    int bad;
    if ((long long)rd->nsst >= rd->s->max_shared_strings) {
        reject(rd, "E_WB_LIMIT", p->name, "共享字符串超过 %lld 个的上限",
               rd->s->max_shared_strings);
        return -1;
    }
    struct sst_item *v = grow(rd, rd->sst, rd->nsst, &rd->capsst, sizeof(*v), 64);
    if (v == NULL)
        return -1;
    rd->sst = v;
    const char *t = keep_text(x, &bad);
    if (t == NULL)
        return -1;
    rd->sst[rd->nsst].text = t;
    rd->sst[rd->nsst].bad = bad;
    rd->nsst++;
    x->text.len = 0;
    return 0;
}

/* <si> items: the <t> of the item or of its runs; phonetic runs (<rPh>)
 * are reading aids, not part of the text. */
static int
read_sst(struct rd *rd, const struct part *p)
{
    struct xr x;
    int t, rc = 0, in_si = 0, in_t = 0, in_rph = 0;
    if (xr_open(&x, rd, p) < 0)
        return -1;
    while (rc == 0 && (t = xr_next(&x)) > 0) {
        if (t == XML_READER_TYPE_ELEMENT) {
            if (xr_is(&x, "si")) {
                x.text.len = 0;
                in_si = !xr_empty(&x);
                if (!in_si)
                    rc = push_sst(rd, &x, p);
            } else if (xr_is(&x, "rPh")) {
                in_rph = !xr_empty(&x);
            } else if (xr_is(&x, "t")) {
                in_t = in_si && !in_rph && !xr_empty(&x);
            }
        } else if (t == XML_READER_TYPE_END_ELEMENT) {
            if (xr_is(&x, "si") && in_si) {
                in_si = in_t = in_rph = 0;
                rc = push_sst(rd, &x, p);
            } else if (xr_is(&x, "rPh")) {
                in_rph = 0;
            } else if (xr_is(&x, "t")) {
                in_t = 0;
            }
        } else if (is_text_node(t) && in_t) {
            rc = xr_text_add(&x);
        }
    }
    if (t < 0)
        rc = -1;
    xr_close(&x);
    return rc;
}

/* ---- worksheets ---------------------------------------------------------- */

/* "B7" into row and column; -1 when it is not a cell inside Excel's grid. */
static int
parse_ref(const char *ref, uint32_t *row, unsigned *col)
{
    unsigned c = 0, n = 0;
    unsigned long r = 0;
    const char *p = ref;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
        if (++n > 3)
            return -1;
        c = c * 26 + (unsigned)((*p | 0x20) - 'a' + 1);
        p++;
    }
    if (n == 0 || c > XLSX_MAX_COL || parse_uint(p, XLSX_MAX_ROW, &r) < 0 || r == 0)
        return -1;
    *row = (uint32_t)r;
    *col = c;
    return 0;
}

/* A number as Excel writes it: -?digits[.digits][E[+-]digits]. */
static int
parse_number(const char *str, double *out)
{
    const char *p = str;
    int digits = 0;
    if (*p == '-' || *p == '+')
        p++;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (digits == 0)
        return -1;
    if (*p == 'E' || *p == 'e') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p != '\0')
        return -1;
    double v = strtod(str, NULL);
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* The state of reading one worksheet. */
struct sheet_rd {
    struct rd *rd;
    struct xr x;
    const char *sheet; /* 工作表“NAME”, for diagnostics */
    unsigned max_col;
    struct xlsx_cell *cells;
    size_t n, cap;
    uint32_t row;      /* current row */
    unsigned next_col; /* column of a <c> without r */
    /* the cell being read */
    uint32_t c_row;
    unsigned c_col;
    char c_type[12];
    unsigned long c_style;
    int in_c, in_v, in_is, in_t, in_rph, has_v, has_f, has_is, keep;
    int done; /* </sheetData> was read */
};

static void bad_cell(struct sheet_rd *sr, struct xlsx_cell *c, const char *code, const char *fmt,
                     ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void
bad_cell(struct sheet_rd *sr, struct xlsx_cell *c, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->type = XLSX_BAD;
    c->code = code;
    c->text = arena_strdup(&sr->rd->book->store->arena, msg);
    if (c->text == NULL) {
        c->text = "";
        fail(sr->rd, BZ_ENOMEM, "arena");
    }
}

static const char *
arena_text(struct sheet_rd *sr, const char *str)
{
    const char *t = arena_strdup(&sr->rd->book->store->arena, str);
    if (t == NULL)
        fail(sr->rd, BZ_ENOMEM, "arena");
    return t ? t : "";
}

/* The value of the finished <c>, by its type attribute; the text of its
 * <v> or <is> is in the reader's text buffer. */
static void
cell_value(struct sheet_rd *sr, struct xlsx_cell *c)
{
    const char *t = sr->c_type;
    const char *v = sr->x.text.p ? sr->x.text.p : "";
    int bad = 0;
    c->text = "";
    if (sr->has_f && !sr->has_v && !sr->has_is) {
        bad_cell(sr, c, "E_WB_FORMULA", "公式单元格没有计算结果");
    } else if (sr->has_v && sr->has_is) {
        bad_cell(sr, c, "E_WB_CELL", "单元格同时有值和内嵌文字，无法识别");
    } else if (strcmp(t, "inlineStr") == 0 || strcmp(t, "str") == 0 || strcmp(t, "d") == 0) {
        const char *str = keep_text(&sr->x, &bad);
        if (str == NULL)
            return;
        if (bad)
            bad_cell(sr, c, "E_WB_CELL", "文字含控制字符，无法读取");
        else
            c->type = XLSX_STRING, c->text = str;
    } else if (sr->x.text.len > 40) {
        bad_cell(sr, c, "E_WB_CELL", "单元格的值过长，无法识别");
    } else if (strcmp(t, "s") == 0) {
        unsigned long i;
        if (parse_uint(v, ULONG_MAX, &i) < 0 || i >= sr->rd->nsst)
            bad_cell(sr, c, "E_WB_SHARED_STRING", "共享字符串编号“%s”超出范围（共 %zu 个）", v,
                     sr->rd->nsst);
        else if (sr->rd->sst[i].bad)
            bad_cell(sr, c, "E_WB_CELL", "文字含控制字符，无法读取");
        else
            c->type = XLSX_STRING, c->text = sr->rd->sst[i].text;
    } else if (strcmp(t, "b") == 0) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            bad_cell(sr, c, "E_WB_CELL", "逻辑值“%s”无法识别", v);
        else
            c->type = XLSX_BOOL, c->num = v[0] == '1';
    } else if (strcmp(t, "e") == 0) {
        bad_cell(sr, c, "E_WB_CELL", "单元格是错误值“%s”", v);
    } else if (t[0] == '\0' || strcmp(t, "n") == 0) {
        if (parse_number(v, &c->num) < 0)
            bad_cell(sr, c, "E_WB_CELL", "数字“%s”无法识别", v);
        else
            c->type = XLSX_NUMBER, c->text = arena_text(sr, v);
    } else {
        bad_cell(sr, c, "E_WB_CELL", "单元格类型“%s”无法识别", t);
    }
}

static int
push_cell(struct sheet_rd *sr)
{
    struct rd *rd = sr->rd;
    if (!sr->has_v && !sr->has_f && !sr->has_is)
        return 0; /* formatted but blank */
    struct xlsx_cell *v = grow(rd, sr->cells, sr->n, &sr->cap, sizeof(*v), 64);
    if (v == NULL)
        return -1;
    sr->cells = v;
    struct xlsx_cell *c = &sr->cells[sr->n];
    memset(c, 0, sizeof(*c));
    c->row = sr->c_row;
    c->col = (uint16_t)sr->c_col;
    c->fmt = sr->c_style < rd->nxf ? rd->xf_fmt[sr->c_style] : XLSX_FMT_GENERAL;
    cell_value(sr, c);
    sr->n++;
    return rd->status != 0 ? -1 : 0;
}

static int
start_row(struct sheet_rd *sr)
{
    const char *r = xr_attr(&sr->x, "r", NULL);
    unsigned long v;
    if (r == NULL)
        v = (unsigned long)sr->row + 1;
    else if (parse_uint(r, XLSX_MAX_ROW, &v) < 0 || v == 0) {
        reject(sr->rd, "E_WB_CELL", sr->sheet, "行号“%s”无效", r);
        return -1;
    }
    if ((long long)v > sr->rd->s->max_sheet_rows) {
        reject(sr->rd, "E_WB_LIMIT", sr->sheet, "工作表用到第 %lu 行，超过 %lld 行的上限", v,
               sr->rd->s->max_sheet_rows);
        return -1;
    }
    sr->row = (uint32_t)v;
    sr->next_col = 1;
    return 0;
}

static int
start_cell(struct sheet_rd *sr)
{
    struct rd *rd = sr->rd;
    const char *ref = NULL, *t = NULL, *s = NULL;
    /* one pass over the attributes: this runs for every cell */
    for (int k = xmlTextReaderMoveToFirstAttribute(sr->x.r); k == 1;
         k = xmlTextReaderMoveToNextAttribute(sr->x.r)) {
        const char *n = (const char *)xmlTextReaderConstLocalName(sr->x.r);
        const char **slot = n == NULL || n[1] != '\0' || xmlTextReaderConstNamespaceUri(sr->x.r)
                                ? NULL
                            : n[0] == 'r' ? &ref
                            : n[0] == 't' ? &t
                            : n[0] == 's' ? &s
                                          : NULL;
        if (slot != NULL)
            *slot = (const char *)xmlTextReaderConstValue(sr->x.r);
    }
    xmlTextReaderMoveToElement(sr->x.r);
    if (++rd->cells_seen > rd->s->max_sheet_cells) {
        reject(rd, "E_WB_LIMIT", sr->sheet, "单元格超过 %lld 个的上限", rd->s->max_sheet_cells);
        return -1;
    }
    if (ref != NULL) {
        if (parse_ref(ref, &sr->c_row, &sr->c_col) < 0) {
            reject(rd, "E_WB_CELL", sr->sheet, "单元格位置“%.40s”无效", ref);
            return -1;
        }
    } else {
        sr->c_row = sr->row ? sr->row : 1;
        sr->c_col = sr->next_col;
    }
    if ((long long)sr->c_row > rd->s->max_sheet_rows) {
        reject(rd, "E_WB_LIMIT", sr->sheet, "工作表用到第 %u 行，超过 %lld 行的上限", sr->c_row,
               rd->s->max_sheet_rows);
        return -1;
    }
    if (sr->c_col > XLSX_MAX_COL) {
        reject(rd, "E_WB_CELL", sr->sheet, "单元格列号超出工作表范围");
        return -1;
    }
    sr->next_col = sr->c_col + 1;
    bz_strlcpy_utf8(sr->c_type, t ? t : "", sizeof(sr->c_type));
    if (s == NULL || parse_uint(s, MAX_XFS, &sr->c_style) < 0)
        sr->c_style = 0;
    sr->keep = sr->c_col <= sr->max_col;
    sr->has_v = sr->has_f = sr->has_is = 0;
    sr->in_v = sr->in_is = sr->in_t = sr->in_rph = 0;
    sr->x.text.len = 0;
    if (sr->x.text.p != NULL)
        sr->x.text.p[0] = '\0';
    sr->in_c = !xr_empty(&sr->x);
    return 0;
}

static int
check_dimension(struct sheet_rd *sr)
{
    const char *ref = xr_attr(&sr->x, "ref", NULL);
    const char *last = ref ? strrchr(ref, ':') : NULL;
    uint32_t row;
    unsigned col;
    char buf[24];
    if (ref == NULL)
        return 0;
    bz_strlcpy_utf8(buf, last ? last + 1 : ref, sizeof(buf));
    if (parse_ref(buf, &row, &col) < 0) {
        /* beyond Excel's own grid ("A1:XFE2000000") is absurd; other
         * spellings are only advisory and ignored */
        if (strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
            strlen(buf)) {
            reject(sr->rd, "E_WB_LIMIT", sr->sheet, "工作表区域“%.40s”超出范围", ref);
            return -1;
        }
        return 0;
    }
    if ((long long)row > sr->rd->s->max_sheet_rows) {
        reject(sr->rd, "E_WB_LIMIT", sr->sheet, "工作表区域“%.40s”超过 %lld 行的上限", ref,
               sr->rd->s->max_sheet_rows);
        return -1;
    }
    return 0;
}

static int
sheet_element(struct sheet_rd *sr)
{
    struct xr *x = &sr->x;
    if (!sr->in_c) {
        if (xr_is(x, "sheetData") && xr_empty(x))
            sr->done = 1;
        if (xr_is(x, "row"))
            return start_row(sr);
        if (xr_is(x, "c"))
            return start_cell(sr) < 0 ? -1 : sr->in_c ? 0 : (sr->keep ? push_cell(sr) : 0);
        if (xr_is(x, "dimension"))
            return check_dimension(sr);
        return 0;
    }
    if (xr_is(x, "v")) {
        sr->in_v = !xr_empty(x);
        sr->has_v = 1;
    } else if (xr_is(x, "f")) {
        sr->has_f = 1;
    } else if (xr_is(x, "is")) {
        sr->in_is = !xr_empty(x);
        sr->has_is = 1;
    } else if (xr_is(x, "rPh") && sr->in_is) {
        sr->in_rph = !xr_empty(x);
    } else if (xr_is(x, "t") && sr->in_is && !sr->in_rph) {
        sr->in_t = !xr_empty(x);
    }
    return 0;
}

static int
sheet_end(struct sheet_rd *sr)
{
    struct xr *x = &sr->x;
    if (!sr->in_c) {
        sr->done = xr_is(x, "sheetData");
        return 0;
    }
    if (xr_is(x, "c")) {
        sr->in_c = 0;
        return sr->keep ? push_cell(sr) : 0;
    }
    if (xr_is(x, "v"))
        sr->in_v = 0;
    else if (xr_is(x, "is"))
        sr->in_is = 0;
    else if (xr_is(x, "rPh"))
        sr->in_rph = 0;
    else if (xr_is(x, "t"))
        sr->in_t = 0;
    return 0;
}

static int
sheet_text(struct sheet_rd *sr)
{
    if (!sr->in_c || !sr->keep)
        return 0;
    if (sr->in_v || (sr->in_is && sr->in_t && !sr->in_rph))
        return xr_text_add(&sr->x);
    return 0;
}

static int
cmp_cell(const void *pa, const void *pb)
{
    const struct xlsx_cell *a = pa, *b = pb;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    return a->col < b->col ? -1 : a->col > b->col;
}

static int
read_sheet(struct rd *rd, const struct part *p, const struct xlsx_want *w, struct xlsx_sheet *out,
           struct xlsx_cell **store)
{
    struct sheet_rd sr;
    int t = 0, rc = 0;
    char where[256];
    memset(&sr, 0, sizeof(sr));
    snprintf(where, sizeof(where), "工作表“%s”", w->name);
    sr.rd = rd;
    sr.sheet = where;
    sr.max_col = w->max_col;
    if (xr_open(&sr.x, rd, p) < 0)
        return -1;
    sr.x.part = p->name;
    /* every cell is inside <sheetData>; what follows it (protection, data
     * validation, hyperlinks, page set-up) is never needed, so reading
     * stops there: a DOCTYPE can only come before the root, and the byte
     * scan of the zip pass has seen the whole part */
    while (rc == 0 && !sr.done && (t = xr_next(&sr.x)) > 0) {
        if (t == XML_READER_TYPE_ELEMENT)
            rc = sheet_element(&sr);
        else if (t == XML_READER_TYPE_END_ELEMENT)
            rc = sheet_end(&sr);
        else if (is_text_node(t))
            rc = sheet_text(&sr);
    }
    if (t < 0)
        rc = -1;
    xr_close(&sr.x);
    if (rc == 0 && sr.n > 1) {
        qsort(sr.cells, sr.n, sizeof(*sr.cells), cmp_cell);
        for (size_t i = 1; i < sr.n; i++) {
            if (sr.cells[i].row == sr.cells[i - 1].row && sr.cells[i].col == sr.cells[i - 1].col) {
                char col[8];
                unsigned c = sr.cells[i].col, k = 0;
                char tmp[8];
                while (c > 0 && k < 3) {
                    c--;
                    tmp[k++] = (char)('A' + c % 26);
                    c /= 26;
                }
                for (unsigned j = 0; j < k; j++)
                    col[j] = tmp[k - 1 - j];
                col[k] = '\0';
                reject(rd, "E_WB_CELL", where, "单元格 %s%u 出现两次", col,
                       (unsigned)sr.cells[i].row);
                rc = -1;
                break;
            }
        }
    }
    *store = sr.cells;
    out->cells = sr.cells;
    out->n = rc == 0 ? sr.n : 0;
    return rc;
}

/* ---- the whole workbook ------------------------------------------------- */

static const struct part *
target_part(struct rd *rd, const struct part *wb, const struct rel *r, const char *what)
{
    char dir[256];
    const struct part *p = NULL;
    if (r->external) {
        reject(rd, "E_WB_STRUCTURE", wb->name, "%s指向工作簿以外（%s），不予读取", what, r->target);
        return NULL;
    }
    part_dir(wb->key, dir, sizeof(dir));
    char *key = resolve(dir, r->target);
    if (key == NULL && strlen(r->target) < 4096) {
        reject(rd, "E_WB_STRUCTURE", wb->name, "%s的位置无效（%s）", what, r->target);
        return NULL;
    }
    if (key != NULL)
        p = find_part(rd, key);
    if (key != NULL && p == NULL)
        reject(rd, "E_WB_STRUCTURE", wb->name, "找不到%s（%s）", what, r->target);
    free(key);
    return p;
}

static const struct rel *
rel_by_id(const struct rd *rd, const char *id)
{
    for (size_t i = 0; i < rd->nrels; i++)
        if (strcmp(rd->rels[i].id, id) == 0)
            return &rd->rels[i];
    return NULL;
}

static int
read_parts(struct rd *rd, const struct xlsx_want *want, size_t nwant)
{
    if (read_content_types(rd) < 0)
        return -1;
    const struct part *wb = workbook_part(rd);
    if (wb == NULL)
        return -1;
    char dir[256], relkey[512];
    part_dir(wb->key, dir, sizeof(dir));
    snprintf(relkey, sizeof(relkey), "%s_rels/%s.rels", dir, wb->key + strlen(dir));
    const struct part *relp = find_part(rd, relkey);
    if (relp == NULL) {
        reject(rd, "E_WB_STRUCTURE", wb->name, "缺少工作簿的关系部件（%s）", relkey);
        return -1;
    }
    if (read_rels(rd, relp, &rd->rels, &rd->nrels) < 0 || read_workbook(rd, wb) < 0)
        return -1;
    const struct rel *r = rel_of_type(rd->rels, rd->nrels, "/styles");
    const struct part *p;
    if (r != NULL && ((p = target_part(rd, wb, r, "样式部件")) == NULL || read_styles(rd, p) < 0))
        return -1;
    r = rel_of_type(rd->rels, rd->nrels, "/sharedStrings");
    if (r != NULL &&
        ((p = target_part(rd, wb, r, "共享字符串部件")) == NULL || read_sst(rd, p) < 0))
        return -1;
    for (size_t i = 0; i < nwant; i++) {
        const struct book_sheet *b = NULL;
        if (want[i].name == NULL)
            continue;
        for (size_t k = 0; k < rd->nbsheets && b == NULL; k++)
            if (strcmp(rd->bsheets[k].name, want[i].name) == 0)
                b = &rd->bsheets[k];
        if (b == NULL)
            continue;
        r = rel_by_id(rd, b->rid);
        if (r == NULL) {
            reject(rd, "E_WB_STRUCTURE", wb->name, "工作表“%s”没有对应的部件", b->name);
            return -1;
        }
        if ((p = target_part(rd, wb, r, "工作表部件")) == NULL)
            return -1;
        rd->book->sheets[i].found = 1;
        rd->book->sheets[i].hidden = b->hidden;
        if (read_sheet(rd, p, &want[i], &rd->book->sheets[i], &rd->book->store->cells[i]) < 0)
            return -1;
    }
    return 0;
}

static void
rd_free(struct rd *rd)
{
    if (rd->reader != NULL)
        xmlFreeTextReader(rd->reader);
    for (size_t i = 0; i < rd->nparts; i++) {
        free(rd->parts[i].name);
        free(rd->parts[i].key);
        free(rd->parts[i].data);
    }
    free(rd->parts);
    for (size_t i = 0; i < rd->nnames; i++)
        free(rd->names[i]);
    free(rd->names);
    free_rels(rd->rels, rd->nrels);
    for (size_t i = 0; i < rd->nbsheets; i++) {
        free(rd->bsheets[i].name);
        free(rd->bsheets[i].rid);
    }
    free(rd->bsheets);
    free(rd->numfmts);
    free(rd->xf_fmt);
    free(rd->sst);
}

void
xlsx_free(struct xlsx_book *book)
{
    if (book->store != NULL) {
        for (int i = 0; i < XLSX_MAX_SHEETS; i++)
            free(book->store->cells[i]);
        arena_free(&book->store->arena);
        free(book->store);
    }
    memset(book, 0, sizeof(*book));
}

int
xlsx_read(const unsigned char *data, size_t len, const struct settings *s,
          const struct xlsx_want *want, size_t nwant, struct xlsx_book *book,
          struct diag_list *diags, struct bz_error *e)
{
    struct rd rd;
    size_t errors_before = diags->nerrors;

    memset(book, 0, sizeof(*book));
    memset(&rd, 0, sizeof(rd));
    rd.s = s;
    rd.diags = diags;
    rd.e = e;
    rd.book = book;
    rd.zipped = (long long)len;
    if (nwant > XLSX_MAX_SHEETS)
        return bz_error_set(e, E_INTERNAL, "xlsx_read: too many sheets asked for");
    int rc = transform_init(e);
    if (rc < 0)
        return rc;
    book->store = calloc(1, sizeof(*book->store));
    if (book->store == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取填报表");
    /* text is bounded by the kept parts (max_xml_bytes) and the <v> copies */
    arena_init(&book->store->arena, (size_t)s->max_xml_bytes * 3 + (1u << 20));

    /* libarchive converts entry names to the thread's locale charset;
     * C.UTF-8 for this thread makes that independent of the caller. It is
     * made once: newlocale reads the locale's files every time. */
    static locale_t utf8;
    if (utf8 == (locale_t)0)
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (utf8 == (locale_t)0) {
        fail(&rd, BZ_ENOMEM, "newlocale C.UTF-8");
    } else {
        locale_t old = uselocale(utf8);
        zip_pass(&rd, data, len);
        uselocale(old);
    }
    if (!stopped(&rd))
        read_parts(&rd, want, nwant);
    rd_free(&rd);
    if (rd.status != 0) {
        xlsx_free(book);
        return rd.status;
    }
    if (rd.rejected || diags->nerrors > errors_before || diags->oom) {
        xlsx_free(book);
        return BZ_EINPUT;
    }
    return 0;
}

const struct xlsx_cell *
xlsx_cell_at(const struct xlsx_sheet *sh, uint32_t row, unsigned col)
{
    size_t lo = 0, hi = sh->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct xlsx_cell *c = &sh->cells[mid];
        if (c->row == row && c->col == col)
            return c;
        if (c->row < row || (c->row == row && c->col < col))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Days from 1970-01-01 to a civil date, and back (H. Hinnant's algorithms). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void
civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long)yoe + era * 400 + (*m <= 2);
}

int
xlsx_serial_date(double serial, int date1904, int32_t *ymd, int *seconds)
{
    if (!isfinite(serial) || serial < 0 || serial >= 2958466.0)
        return -1;
    double whole = floor(serial);
    long secs = lround((serial - whole) * 86400.0);
    long day = (long)whole;
    if (secs >= 86400) {
        secs -= 86400;
        day++;
    }
    long base;
    if (date1904) {
        base = days_from_civil(1904, 1, 1);
    } else {
        /* 1900-01-01 is serial 1; serial 60 is the 1900-02-29 Lotus 1-2-3
         * invented and Excel kept, so real days after it are one less */
        if (day == 0 || day == 60)
            return -1;
        base = days_from_civil(1899, 12, day < 60 ? 31 : 30);
    }
    long y;
    unsigned m, d;
    civil_from_days(base + day, &y, &m, &d);
    if (y > 9999)
        return -1;
    *ymd = (int32_t)(y * 10000 + (long)m * 100 + (long)d);
    *seconds = (int)secs;
    return 0;
}
