#include "reader.h"

#include "../common/embedded.h"
#include "../common/error.h"
#include "fields.h"

#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBMISSION_NS "urn:bizenv:submission:1"

/* NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE and RECOVER are never
 * set (untrusted-input.md); BIG_LINES keeps line numbers past 65535 right. */
static const int base_options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;

static void
silent_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void
silent_structured(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

void
reader_silence(void)
{
    xmlSetGenericErrorFunc(NULL, silent_generic);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
}

/* Copies the text between `open` and the next quote in msg into out. */
static const char *
quoted_after(const char *msg, const char *open, char *out, size_t cap)
{
    const char *p = strstr(msg, open);
    size_t k = 0;
    out[0] = '\0';
    if (p == NULL)
        return NULL;
    p += strlen(open);
    while (*p != '\0' && *p != '\'' && k + 1 < cap)
        out[k++] = *p++;
    out[k] = '\0';
    return *p == '\'' ? p + 1 : NULL;
}

static void
strip_namespace(char *name)
{
    char *brace = name[0] == '{' ? strchr(name, '}') : NULL;
    if (brace != NULL)
        memmove(name, brace + 1, strlen(brace + 1) + 1);
}

/* Chinese wording for the kinds of schema error a township can cause. */
static void
schema_wording(const char *m, const char *name, const char *attr, const char *value, char *out,
               size_t cap)
{
    char missing[64];
    if (strstr(m, "No matching global declaration") != NULL)
        snprintf(out, cap, "根元素必须是命名空间 " SUBMISSION_NS " 中的 submission");
    else if (strstr(m, "This element is not expected") != NULL)
        snprintf(out, cap, "此处不应出现元素 %s（缺少前面的元素或顺序不对）", name);
    else if (strstr(m, "Missing child element") != NULL)
        snprintf(out, cap, "元素 %s 缺少必需的子元素", name);
    else if (quoted_after(m, "The attribute '", missing, sizeof(missing)) != NULL &&
             strstr(m, "required but missing") != NULL)
        snprintf(out, cap, "元素 %s 缺少必需的属性 %s", name, missing);
    else if (strstr(m, "is not allowed") != NULL && attr[0] != '\0')
        snprintf(out, cap, "元素 %s 不允许有属性 %s", name, attr);
    else if (strstr(m, "Character content") != NULL)
        snprintf(out, cap, "元素 %s 不应包含文字", name);
    else if (value != NULL && attr[0] != '\0')
        snprintf(out, cap, "元素 %s 的属性 %s 的值“%s”不符合报送格式", name, attr, value);
    else if (value != NULL)
        snprintf(out, cap, "元素 %s 的值“%s”不符合报送格式", name, value);
    else
        snprintf(out, cap, "元素 %s 不符合报送格式", name);
}

static void
schema_error(struct doc *d, xmlErrorPtr err)
{
    char name[64], attr[64], value[64] = "", text[2048], msg[600];
    const char *m = err->message ? err->message : "";
    const char *rest = quoted_after(m, "Element '", name, sizeof(name));

    attr[0] = '\0';
    if (rest != NULL && strncmp(rest, ", attribute '", 13) == 0)
        quoted_after(rest, ", attribute '", attr, sizeof(attr));
    strip_namespace(name);
    if (err->str1 != NULL)
        bz_strlcpy_utf8(value, err->str1, sizeof(value));
    schema_wording(m, name, attr, err->str1 ? value : NULL, text, sizeof(text));
    bz_strlcpy_utf8(msg, m, sizeof(msg));
    msg[strcspn(msg, "\n")] = '\0';
    size_t k = strlen(text);
    snprintf(text + k, sizeof(text) - k, "（%s）", msg);
    doc_schema_error(d, name, attr, err->line, text);
}

static const char *
parse_error_code(const xmlError *err)
{
    const char *m = err->message ? err->message : "";
    if (err->code == XML_ERR_UNDECLARED_ENTITY || err->code == XML_WAR_UNDECLARED_ENTITY ||
        err->code == XML_ERR_ENTITY_LOOP || err->code == XML_IO_LOAD_ERROR ||
        strstr(m, "ntity") != NULL || strstr(m, "DOCTYPE") != NULL)
        return "E_XML_DOCTYPE";
    if (strstr(m, "Excessive depth") != NULL || strstr(m, "huge") != NULL ||
        strstr(m, "HUGE") != NULL)
        return "E_XML_LIMIT";
    if (err->code == XML_ERR_INVALID_CHAR || err->code == XML_ERR_INVALID_ENCODING)
        return "E_XML_ENCODING";
    return "E_XML_SYNTAX";
}

static void
on_error(void *arg, xmlErrorPtr err)
{
    struct doc *d = arg;
    char msg[512];

    if (err == NULL || err->level < XML_ERR_ERROR)
        return;
    if (err->domain == XML_FROM_SCHEMASV) {
        schema_error(d, err);
        return;
    }
    bz_strlcpy_utf8(msg, err->message ? err->message : "", sizeof(msg));
    msg[strcspn(msg, "\n")] = '\0';
    doc_diag_at(d, parse_error_code(err), err->line, "", "第 %d 行 XML 有误：%s", err->line, msg);
    if (err->level == XML_ERR_FATAL)
        d->stopped = 1;
}

static void
clear_attrs(struct doc *d)
{
    for (size_t i = 0; i < d->nattrs; i++)
        free(d->attrs[i].value);
    d->nattrs = 0;
}

static int
too_long(struct doc *d, size_t n, long line)
{
    if ((long long)n <= d->set->max_text_bytes)
        return 0;
    char msg[128];
    snprintf(msg, sizeof(msg), "第 %ld 行的文本或属性值超过 %lld 字节的上限", line,
             d->set->max_text_bytes);
    doc_limit(d, line, msg);
    return 1;
}

static void
read_attrs(struct doc *d, xmlTextReaderPtr r, long line)
{
    clear_attrs(d);
    for (int rc = xmlTextReaderMoveToFirstAttribute(r); rc == 1 && !d->stopped;
         rc = xmlTextReaderMoveToNextAttribute(r)) {
        if (xmlTextReaderIsNamespaceDecl(r) == 1)
            continue;
        const char *v = (const char *)xmlTextReaderConstValue(r);
        if (v == NULL || too_long(d, strlen(v), line) || d->nattrs == DOC_MAX_ATTRS)
            continue;
        struct doc_attr *a = &d->attrs[d->nattrs];
        a->name = (const char *)xmlTextReaderConstLocalName(r);
        a->value = strdup(v);
        if (a->name == NULL || a->value == NULL) {
            free(a->value);
            d->oom = d->stopped = 1;
            break;
        }
        d->nattrs++;
    }
    xmlTextReaderMoveToElement(r);
}

/* Position of `name` among the children of the frame so far (1-based);
 * 0 once the frame has seen too many distinct names (never valid). */
static uint32_t
next_position(struct doc_frame *f, const char *name)
{
    for (size_t i = 0; i < f->nkids; i++)
        if (f->kids[i].name == name) /* both from the reader's dictionary */
            return ++f->kids[i].n;
    if (f->nkids == DOC_MAX_KIDS)
        return 0;
    f->kids[f->nkids].name = name;
    f->kids[f->nkids].n = 1;
    f->nkids++;
    return 1;
}

static int
check_structure(struct doc *d, long line)
{
    char msg[128];
    if ((long long)d->nelems >= d->set->max_elements) {
        snprintf(msg, sizeof(msg), "元素数量超过 %lld 个的上限", d->set->max_elements);
        doc_limit(d, line, msg);
        return -1;
    }
    if (d->depth + 1 > d->set->max_xml_depth || d->depth + 1 > DOC_MAX_DEPTH) {
        snprintf(msg, sizeof(msg), "第 %ld 行元素嵌套超过 %lld 层的上限", line,
                 d->set->max_xml_depth);
        doc_limit(d, line, msg);
        return -1;
    }
    if (d->nelems == d->capelems) {
        size_t cap = d->capelems ? d->capelems * 2 : 256;
        struct doc_elem *e = realloc(d->elems, cap * sizeof(*e));
        if (e == NULL) {
            d->oom = d->stopped = 1;
            return -1;
        }
        d->elems = e;
        d->capelems = cap;
    }
    return 0;
}

static void
start_element(struct doc *d, xmlTextReaderPtr r)
{
    long line = xmlGetLineNo(xmlTextReaderCurrentNode(r));
    if (check_structure(d, line) < 0)
        return;
    struct doc_frame *parent = &d->frames[d->depth];
    const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
    uint32_t e = (uint32_t)d->nelems++;
    struct doc_elem *el = &d->elems[e];
    el->name = (const char *)xmlTextReaderConstLocalName(r);
    el->line = line;
    el->parent = d->depth == 0 ? DOC_NO_ELEM : parent->elem;
    el->pos = next_position(parent, el->name);
    el->ours = ns != NULL && strcmp(ns, SUBMISSION_NS) == 0;
    d->ntext = 0;
    read_attrs(d, r, line);
    if (d->stopped)
        return;
    fields_start(d, e);
    if (xmlTextReaderIsEmptyElement(r) == 1) {
        fields_end(d, e, "", 0);
        return;
    }
    struct doc_frame *f = &d->frames[++d->depth];
    f->elem = e;
    f->nkids = 0;
}

static void
end_element(struct doc *d)
{
    if (d->depth == 0)
        return;
    fields_end(d, d->frames[d->depth].elem, d->text ? d->text : "", d->ntext);
    d->depth--;
    d->ntext = 0;
}

static void
add_text(struct doc *d, xmlTextReaderPtr r)
{
    const char *v = (const char *)xmlTextReaderConstValue(r);
    size_t n = v ? strlen(v) : 0;
    long line = xmlGetLineNo(xmlTextReaderCurrentNode(r));
    if (d->depth == 0 || n == 0 || too_long(d, d->ntext + n, line))
        return;
    if (d->ntext + n + 1 > d->captext) {
        size_t cap = d->ntext + n + 1 + 256;
        char *t = realloc(d->text, cap);
        if (t == NULL) {
            d->oom = d->stopped = 1;
            return;
        }
        d->text = t;
        d->captext = cap;
    }
    memcpy(d->text + d->ntext, v, n);
    d->ntext += n;
    d->text[d->ntext] = '\0';
}

/* libxml2 keeps no line for a DOCTYPE node; the first "<!DOCTYPE" in the
 * bytes is it (a comment before it that mentions one would mislead this,
 * which only moves the line number of a rejected document). */
static long
doctype_line(const struct doc *d)
{
    static const char tag[] = "<!DOCTYPE";
    long line = 1;
    for (size_t i = 0; i + sizeof(tag) - 1 <= d->len; i++) {
        if (memcmp(d->buf + i, tag, sizeof(tag) - 1) == 0)
            return line;
        line += d->buf[i] == '\n';
    }
    return 0;
}

static void
refuse_doctype(struct doc *d, xmlTextReaderPtr r, int type)
{
    long line = xmlGetLineNo(xmlTextReaderCurrentNode(r));
    if (type == XML_READER_TYPE_DOCUMENT_TYPE)
        line = doctype_line(d);
    if (line <= 0)
        line = xmlTextReaderGetParserLineNumber(r);
    if (type == XML_READER_TYPE_DOCUMENT_TYPE)
        doc_diag_at(d, "E_XML_DOCTYPE", line, "", "第 %ld 行有 DOCTYPE 声明；报表不允许 DOCTYPE",
                    line);
    else
        doc_diag_at(d, "E_XML_DOCTYPE", line, "", "第 %ld 行有实体引用 &%s;；报表不允许实体引用",
                    line, (const char *)xmlTextReaderConstName(r));
    d->stopped = 1;
}

static void
dispatch(struct doc *d, xmlTextReaderPtr r)
{
    int type = xmlTextReaderNodeType(r);
    switch (type) {
    case XML_READER_TYPE_DOCUMENT_TYPE:
    case XML_READER_TYPE_ENTITY_REFERENCE:
    case XML_READER_TYPE_ENTITY:
        refuse_doctype(d, r, type);
        break;
    case XML_READER_TYPE_ELEMENT:
        start_element(d, r);
        break;
    case XML_READER_TYPE_END_ELEMENT:
        end_element(d);
        break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_WHITESPACE:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
        add_text(d, r);
        break;
    default:
        break; /* comments, processing instructions */
    }
}

static void
read_all(struct doc *d, xmlTextReaderPtr r)
{
    int rc = 0;
    size_t before = d->pending.n;
    while (!d->stopped && (rc = xmlTextReaderRead(r)) == 1)
        dispatch(d, r);
    if (!d->stopped && rc < 0) {
        if (d->pending.n == before)
            doc_diag_at(d, "E_XML_SYNTAX", xmlTextReaderGetParserLineNumber(r), "",
                        "XML 格式错误，无法读完文档");
        d->stopped = 1;
    }
}

int
reader_run(struct doc *d, void *schema, const unsigned char *buf, size_t len, int ignore_enc,
           int (*finish)(struct doc *d))
{
    int opts = base_options | (ignore_enc ? XML_PARSE_IGNORE_ENC : 0);
    int rc = 0;

    if (len > INT_MAX) {
        doc_limit(d, 0, "文档超过大小上限");
        return finish(d);
    }
    d->buf = buf;
    d->len = len;
    xmlSetStructuredErrorFunc(d, on_error);
    xmlTextReaderPtr r = xmlReaderForMemory((const char *)buf, (int)len, NULL, NULL, opts);
    if (r == NULL) {
        rc = BZ_ENOMEM;
        goto out;
    }
    xmlTextReaderSetStructuredErrorHandler(r, on_error, d);
    /* set before the first read: any xsi:schemaLocation is then ignored */
    if (xmlTextReaderSetSchema(r, (xmlSchemaPtr)schema) != 0) {
        rc = BZ_EFAIL;
        goto out;
    }
    read_all(d, r);
    clear_attrs(d);
    /* before the reader goes: element names belong to its dictionary */
    rc = finish(d);
out:
    clear_attrs(d);
    xmlFreeTextReader(r);
    reader_silence();
    return rc;
}

int
reader_compile_schema(const char *path, const char *what, void **schema, struct bz_error *e)
{
    const struct embedded_file *f = embedded_find(path);
    *schema = NULL;
    if (f == NULL)
        return bz_error_set(e, E_INTERNAL, "程序中缺少%s XSD（%s）", what, path);
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt((const char *)f->data, (int)f->len);
    if (pc == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法编译%s XSD", what);
    *schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    if (*schema == NULL)
        return bz_error_set(e, E_INTERNAL, "%s XSD 编译失败（%s）", what, path);
    return 0;
}
