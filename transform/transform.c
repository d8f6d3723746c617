#include "transform.h"

#include "doc.h"
#include "encoding.h"
#include "fields.h"
#include "reader.h"
#include "rules.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#include <libxml/xmlmemory.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XSD_PATH "transform/submission-1.xsd"

/* Compiled once per process; read-only afterwards, shared by every document. */
static xmlSchemaPtr schema;

/* Nothing is ever loaded from outside the bytes given: not a DTD, not an
 * external entity, not a schema named by the document. */
static xmlParserInputPtr
refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL;
}

/*
 * libxml2 2.9.14 does not survive every allocation failure: fail-at-N runs
 * (tests/fault) crashed it inside xmlParseChunk. So libxml2 never sees a
 * NULL from its allocator: a failed allocation ends the process through the
 * hook jobs/ installs (a message and a clean exit code; a claimed file is
 * taken back by the next run as after any kill). The caps keep libxml2's
 * own memory far below the process's memory cap, so this is reached only
 * when the machine itself is out of memory.
 */
static void (*oom_hook)(void);

void
transform_set_oom_hook(void (*hook)(void))
{
    oom_hook = hook;
}

static void
xml_oom(void)
{
    if (oom_hook != NULL)
        oom_hook();
    abort();
}

static void *
xml_malloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL && n > 0)
        xml_oom();
    return p;
}

static void *
xml_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL && n > 0)
        xml_oom();
    return q;
}

static char *
xml_strdup(const char *str)
{
    size_t n = strlen(str) + 1;
    char *p = xml_malloc(n);
    memcpy(p, str, n);
    return p;
}

int
transform_init(struct bz_error *e)
{
    static int mem_set;
    if (schema != NULL)
        return 0;
    if (!mem_set) {
        xmlMemSetup(free, xml_malloc, xml_realloc, xml_strdup);
        mem_set = 1;
    }
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_entity);
    reader_silence();
    void *compiled;
    int rc = reader_compile_schema(XSD_PATH, "报送格式", &compiled, e);
    schema = compiled;
    return rc;
}

void
transform_cleanup(void)
{
    if (schema != NULL)
        xmlSchemaFree(schema);
    schema = NULL;
    xmlCleanupParser();
}

size_t
transform_arena_limit(size_t doc_len)
{
    const size_t base = 64 * 1024;
    if (doc_len > (SIZE_MAX - base) / 4)
        return SIZE_MAX;
    return 4 * doc_len + base;
}

/* Runs while the reader still owns the element names (see reader_run). */
static int
finish(struct doc *d)
{
    int rc = d->stopped ? 0 : rules_check(d);
    fields_finish(d);
    int frc = doc_flush(d);
    return rc < 0 ? rc : frc;
}

static int
read_document(struct doc *d, const unsigned char *data, size_t len)
{
    struct encoding_result enc;

    if (len == 0) {
        doc_diag_at(d, "E_XML_SYNTAX", 0, "", "文档为空");
        return finish(d);
    }
    if ((long long)len > d->set->max_xml_bytes) {
        doc_limit(d, 0, "XML 文档超过大小上限");
        return finish(d);
    }
    int rc = encoding_prepare(data, len, &enc);
    if (rc == BZ_EINPUT) {
        doc_diag_at(d, "E_XML_ENCODING", enc.line, "", "%s", enc.message);
        d->stopped = 1;
        rc = finish(d);
    } else if (rc == 0) {
        rc = reader_run(d, schema, enc.data, enc.len, 1, finish);
    }
    encoding_release(&enc);
    return rc;
}

static int
operational(struct bz_error *e, int rc)
{
    if (rc == BZ_ENOMEM)
        return bz_error_set(e, E_NOMEM, "内存不足，无法完成报表检查");
    return bz_error_set(e, rc == BZ_EDB ? E_DB_QUERY : E_INTERNAL,
                        "无法完成报表检查（乡镇名录查询或 XML 读取失败）");
}

int
transform_document(const unsigned char *data, size_t len, const struct settings *s,
                   const struct transform_ctx *ctx, struct submission *out, struct diag_list *diags,
                   struct bz_error *e)
{
    int rc = transform_init(e);
    if (rc < 0)
        return rc;
    struct doc *d = doc_new(s, ctx, out, diags);
    if (d == NULL)
        return operational(e, BZ_ENOMEM);
    rc = read_document(d, data, len);
    if (rc == 0 && (d->oom || diags->oom))
        rc = BZ_ENOMEM;
    doc_free(d);
    return rc < 0 ? operational(e, rc) : 0;
}
