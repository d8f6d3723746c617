#include "adx.h"

#include "reader.h"
#include "transform.h"

#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XSD_PATH "transform/adx-1.xsd"

/* As reader.c: NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE and
 * RECOVER are never set (untrusted-input.md). */
static const int parse_options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;

const char *const adx_elements[ADX_NCOUNTS] = {
    "HANDLED",         "EVALUATED",       "PROBLEMS_DUE",   "PROBLEMS_DONE",
    "WINDOWS_LISTED",  "WINDOWS_WALKED",  "LEADERS_LISTED", "LEADERS_WALKED",
    "MONTHS_EXPECTED", "MONTHS_REPORTED", "MONTHS_ON_TIME",
};

static xmlSchemaPtr schema; /* compiled once per process, like the submission XSD */

int
adx_detect(const unsigned char *data, size_t len)
{
    size_t n = len < 4096 ? len : 4096;
    size_t k = strlen(ADX_NS);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(data + i, ADX_NS, k) == 0)
            return 1;
    return 0;
}

static int
init_schema(struct bz_error *e)
{
    if (schema != NULL)
        return 0;
    int rc = transform_init(e); /* the refusing entity loader, silent handlers */
    if (rc < 0)
        return rc;
    void *compiled;
    rc = reader_compile_schema(XSD_PATH, "ADX 汇总格式", &compiled, e);
    schema = compiled;
    return rc;
}

struct parse {
    struct adx_doc *doc;
    struct diag_list *diags;
    int filled[ADX_NCOUNTS]; /* dataValues seen in the current group */
    int oom;
};

static void
on_error(void *arg, xmlErrorPtr err)
{
    struct parse *p = arg;
    char msg[512];
    if (err == NULL || err->level < XML_ERR_ERROR)
        return;
    bz_strlcpy_utf8(msg, err->message ? err->message : "", sizeof(msg));
    msg[strcspn(msg, "\n")] = '\0';
    const char *code = err->domain == XML_FROM_SCHEMASV ? "E_XML_SCHEMA"
                       : strstr(msg, "ntity") != NULL || strstr(msg, "DOCTYPE") != NULL
                           ? "E_XML_DOCTYPE"
                           : "E_XML_SYNTAX";
    diag_add(p->diags, code, err->line, NULL, "不符合 ADX 汇总格式：%s", msg);
}

static void
copy_attr(xmlTextReaderPtr r, const char *name, char *out, size_t cap)
{
    xmlChar *v = xmlTextReaderGetAttribute(r, (const xmlChar *)name);
    bz_strlcpy_utf8(out, v != NULL ? (const char *)v : "", cap);
    xmlFree(v);
}

/* "2026-10-01/P3M" -> 20261001, 3; 0 when malformed (the XSD reports it). */
static void
parse_period(const char *str, struct adx_group *g)
{
    int y, m, dd;
    char dur[8] = "";
    g->first_day = 0;
    g->months = 0;
    if (sscanf(str, "%4d-%2d-%2d/%3s", &y, &m, &dd, dur) != 4)
        return;
    g->first_day = y * 10000 + m * 100 + dd;
    g->months = strcmp(dur, "P1M") == 0   ? 1
                : strcmp(dur, "P3M") == 0 ? 3
                : strcmp(dur, "P6M") == 0 ? 6
                : strcmp(dur, "P1Y") == 0 ? 12
                                          : 0;
}

static int
on_group(struct parse *p, xmlTextReaderPtr r)
{
    struct adx_doc *doc = p->doc;
    char period[32];
    if (doc->n == ADX_MAX_GROUPS) {
        diag_add(p->diags, "E_XML_LIMIT", xmlTextReaderGetParserLineNumber(r), "/adx/group",
                 "ADX 汇总的分组数超过上限 %d", ADX_MAX_GROUPS);
        return -1;
    }
    if (doc->n == doc->cap) {
        size_t cap = doc->cap ? doc->cap * 2 : 64;
        struct adx_group *g = realloc(doc->groups, cap * sizeof(*g));
        if (g == NULL) {
            p->oom = 1;
            return -1;
        }
        doc->groups = g;
        doc->cap = cap;
    }
    struct adx_group *g = &doc->groups[doc->n++];
    memset(g, 0, sizeof(*g));
    memset(p->filled, 0, sizeof(p->filled));
    copy_attr(r, "orgUnit", g->township, sizeof(g->township));
    copy_attr(r, "orgUnitName", g->name, sizeof(g->name));
    copy_attr(r, "period", period, sizeof(period));
    parse_period(period, g);
    return 0;
}

static void
on_value(struct parse *p, xmlTextReaderPtr r)
{
    char name[32], value[32];
    if (p->doc->n == 0)
        return;
    struct adx_group *g = &p->doc->groups[p->doc->n - 1];
    copy_attr(r, "dataElement", name, sizeof(name));
    copy_attr(r, "value", value, sizeof(value));
    for (int k = 0; k < ADX_NCOUNTS; k++)
        if (strcmp(name, adx_elements[k]) == 0)
            g->v[k] = strtoll(value, NULL, 10); /* the XSD bounds it to 12 digits */
}

static void
on_root(struct parse *p, xmlTextReaderPtr r)
{
    struct adx_doc *doc = p->doc;
    copy_attr(r, "county", doc->county, sizeof(doc->county));
    copy_attr(r, "countyName", doc->county_name, sizeof(doc->county_name));
    copy_attr(r, "period", doc->period, sizeof(doc->period));
    copy_attr(r, "asOf", doc->as_of, sizeof(doc->as_of));
    copy_attr(r, "exported", doc->exported, sizeof(doc->exported));
}

/* One node; returns -1 to stop reading. */
static int
on_node(struct parse *p, xmlTextReaderPtr r)
{
    int type = xmlTextReaderNodeType(r);
    if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE ||
        type == XML_READER_TYPE_ENTITY) {
        diag_add(p->diags, "E_XML_DOCTYPE", xmlTextReaderGetParserLineNumber(r), NULL,
                 "ADX 汇总不允许 DOCTYPE 或实体引用");
        return -1;
    }
    if (type != XML_READER_TYPE_ELEMENT)
        return 0;
    const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
    const char *name = (const char *)xmlTextReaderConstLocalName(r);
    if (ns == NULL || strcmp(ns, ADX_NS) != 0 || name == NULL)
        return 0; /* the schema reports it */
    int depth = xmlTextReaderDepth(r);
    if (depth == 0 && strcmp(name, "adx") == 0)
        on_root(p, r);
    else if (depth == 1 && strcmp(name, "group") == 0)
        return on_group(p, r);
    else if (depth == 2 && strcmp(name, "dataValue") == 0)
        on_value(p, r);
    return 0;
}

static int
valid_day(int ymd)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return !(m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
}

/* The rules the XSD cannot say. */
static int
cmp_group_key(const void *a, const void *b)
{
    const struct adx_group *x = *(const struct adx_group *const *)a;
    const struct adx_group *y = *(const struct adx_group *const *)b;
    int c = strcmp(x->township, y->township);
    if (c == 0)
        c = (x->first_day > y->first_day) - (x->first_day < y->first_day);
    if (c == 0)
        c = (x->months > y->months) - (x->months < y->months);
    if (c == 0) /* the later of two equal keys is the one named */
        c = (x > y) - (x < y);
    return c;
}

/* The XSD's oneGroupPerTownshipAndPeriod says the same of a parsed file;
 * this is for a roll-up that comes back from a reader (transform/wire.c). */
const struct adx_group *
adx_duplicate(const struct adx_doc *doc, int *nomem)
{
    *nomem = 0;
    if (doc->n < 2)
        return NULL;
    const struct adx_group **v = malloc(doc->n * sizeof(*v));
    if (v == NULL) {
        *nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < doc->n; i++)
        v[i] = &doc->groups[i];
    qsort(v, doc->n, sizeof(*v), cmp_group_key);
    const struct adx_group *dup = NULL;
    for (size_t i = 1; i < doc->n && dup == NULL; i++)
        if (strcmp(v[i]->township, v[i - 1]->township) == 0 &&
            v[i]->first_day == v[i - 1]->first_day && v[i]->months == v[i - 1]->months)
            dup = v[i];
    free(v);
    return dup;
}

static void
check_rules(struct parse *p)
{
    static const int pairs[][2] = {{1, 0}, {3, 2}, {5, 4}, {7, 6}, {9, 8}, {10, 8}};
    const struct adx_doc *doc = p->doc;
    int y, m, d;
    if (sscanf(doc->as_of, "%4d-%2d-%2d", &y, &m, &d) != 3 || !valid_day(y * 10000 + m * 100 + d))
        diag_add(p->diags, "E_DATE_INVALID", 0, "/adx/@asOf", "截至日期“%s”不存在", doc->as_of);
    for (size_t i = 0; i < doc->n; i++) {
        const struct adx_group *g = &doc->groups[i];
        int month = g->first_day / 100 % 100;
        if (!valid_day(g->first_day) || g->months == 0 || (month - 1) % g->months != 0)
            diag_add(p->diags, "E_ADX_PERIOD", 0, "/adx/group/@period",
                     "乡镇 %s 的期间不是完整的月、季度、半年或年", g->township);
        if (strncmp(g->township, doc->county, 6) != 0)
            diag_add(p->diags, "E_ADX_ORGUNIT", 0, "/adx/group/@orgUnit", "乡镇代码 %s 不属于县 %s",
                     g->township, doc->county);
        for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
            if (g->v[pairs[k][0]] > g->v[pairs[k][1]])
                diag_add(p->diags, "E_ADX_INCONSISTENT", 0, "/adx/group/dataValue",
                         "乡镇 %s（%08d 起 %d 个月）的 %s 大于 %s", g->township, g->first_day,
                         g->months, adx_elements[pairs[k][0]], adx_elements[pairs[k][1]]);
        if (g->v[8] > g->months)
            diag_add(p->diags, "E_ADX_INCONSISTENT", 0, "/adx/group/dataValue",
                     "乡镇 %s 的 MONTHS_EXPECTED 大于期间的月数", g->township);
    }
}

int
adx_parse(const unsigned char *data, size_t len, struct adx_doc *doc, struct diag_list *diags,
          struct bz_error *e)
{
    struct parse p;
    int rc = init_schema(e);
    if (rc < 0)
        return rc;
    if (len > (size_t)0x7fffffff) { /* past what libxml2 reads from memory: rejected */
        diag_add(diags, "E_XML_LIMIT", 0, NULL, "ADX 汇总过大");
        return 0;
    }
    memset(&p, 0, sizeof(p));
    p.doc = doc;
    p.diags = diags;
    xmlSetStructuredErrorFunc(&p, on_error);
    xmlTextReaderPtr r =
        xmlReaderForMemory((const char *)data, (int)len, NULL, "UTF-8", parse_options);
    if (r == NULL) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法读取 ADX 汇总");
        goto out;
    }
    if (xmlTextReaderSetSchema(r, schema) != 0) {
        rc = bz_error_set(e, E_INTERNAL, "无法设置 ADX 汇总格式 XSD");
        goto out;
    }
    int more = xmlTextReaderRead(r);
    while (more == 1 && on_node(&p, r) == 0)
        more = xmlTextReaderRead(r);
    if (p.oom) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法读取 ADX 汇总");
        goto out;
    }
    if (more == 0 && xmlTextReaderIsValid(r) != 1 && !diag_has_errors(diags))
        diag_add(diags, "E_XML_SCHEMA", 0, NULL, "不符合 ADX 汇总格式");
    if (more < 0 && !diag_has_errors(diags))
        diag_add(diags, "E_XML_SYNTAX", 0, NULL, "ADX 汇总无法读完");
    if (!diag_has_errors(diags))
        check_rules(&p);
out:
    xmlFreeTextReader(r);
    reader_silence();
    return rc;
}

void
adx_doc_free(struct adx_doc *doc)
{
    free(doc->groups);
    doc->groups = NULL;
    doc->n = doc->cap = 0;
}
