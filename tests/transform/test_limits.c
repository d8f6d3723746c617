/* Hostile documents: DOCTYPEs and entities (XXE, billion laughs) and the
 * structural limits. Each must end in a clear diagnostic, never a crash. */
#include "tx.h"

#include <unistd.h>

static void
expect_doctype(const char *doc)
{
    struct tx t;
    tx_run(&t, doc);
    assert_int_equal(t.rc, 0);
    tx_expect(&t, "E_XML_DOCTYPE", 0, NULL);
    assert_true(diag_has_errors(&t.diags));
    tx_done(&t);
}

static char *
with_doctype(const char *subset, const char *name)
{
    char decl[2048], attr[256];
    snprintf(decl, sizeof(decl), "<!DOCTYPE submission [%s]>\n<submission ", subset);
    snprintf(attr, sizeof(attr), "name=\"%s\"", name);
    char *doc = tx_edit("<submission ", decl);
    return tx_replace(doc, "name=\"示例乡\"", attr);
}

static void
rejects_doctype(void **state)
{
    (void)state;
    char *doc = tx_edit("<submission ", "<!DOCTYPE submission>\n<submission ");
    struct tx t;
    tx_run(&t, doc);
    tx_expect(&t, "E_XML_DOCTYPE", 6, "");
    tx_done(&t);
    free(doc);
}

static void
rejects_internal_entity(void **state)
{
    (void)state;
    char *doc = with_doctype("<!ENTITY t \"示例\">", "&t;乡");
    expect_doctype(doc);
    free(doc);
}

static void
rejects_undeclared_entity_without_doctype(void **state)
{
    (void)state;
    char *doc = tx_edit("name=\"示例乡\"", "name=\"&t;\"");
    expect_doctype(doc);
    free(doc);
}

static void
never_reads_local_file_through_external_entity(void **state)
{
    (void)state;
    char path[] = "/tmp/bizenv-xxe-XXXXXX", subset[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "XXE-SECRET", 10), 10);
    close(fd);
    snprintf(subset, sizeof(subset), "<!ENTITY xxe SYSTEM \"file://%s\">", path);
    char *doc = with_doctype(subset, "&xxe;");
    struct tx t;
    tx_run(&t, doc);
    tx_expect(&t, "E_XML_DOCTYPE", 0, NULL);
    assert_true(t.s.township_name == NULL || strstr(t.s.township_name, "XXE") == NULL);
    for (size_t i = 0; i < t.diags.n; i++)
        assert_null(strstr(t.diags.items[i].message, "XXE-SECRET"));
    tx_done(&t);
    free(doc);
    unlink(path);
}

static void
never_fetches_external_entity_url(void **state)
{
    (void)state;
    char *doc = with_doctype("<!ENTITY net SYSTEM \"http://127.0.0.1:9/x.txt\">", "&net;");
    expect_doctype(doc);
    free(doc);
}

static void
rejects_billion_laughs(void **state)
{
    (void)state;
    char subset[2048] = "<!ENTITY lol \"lol\">";
    for (int i = 1; i <= 9; i++) {
        char line[200];
        /* each level refers to the previous ten times */
        char prev[8];
        snprintf(prev, sizeof(prev), i == 1 ? "" : "%d", i - 1);
        snprintf(line, sizeof(line), "<!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++) {
            strncat(line, "&lol", sizeof(line) - strlen(line) - 1);
            strncat(line, prev, sizeof(line) - strlen(line) - 1);
            strncat(line, ";", sizeof(line) - strlen(line) - 1);
        }
        strncat(line, "\">", sizeof(line) - strlen(line) - 1);
        strncat(subset, line, sizeof(subset) - strlen(subset) - 1);
    }
    char *doc = with_doctype(subset, "&lol9;");
    expect_doctype(doc);
    free(doc);
}

/* The example with `n` copies of `piece` inside <suggestions>. */
static char *
with_suggestions(const char *open, const char *close, size_t n)
{
    size_t lo = strlen(open), lc = strlen(close), len = 14 + n * (lo + lc) + 16;
    char *inner = malloc(len), *p = inner;
    assert_non_null(inner);
    p += snprintf(p, len, "<suggestions>");
    for (size_t i = 0; i < n; i++, p += lo)
        memcpy(p, open, lo);
    for (size_t i = 0; i < n; i++, p += lc)
        memcpy(p, close, lc);
    strcpy(p, "</suggestions>");
    char *doc = tx_edit("<suggestions/>", inner);
    free(inner);
    return doc;
}

static void
expect_limit(const char *doc)
{
    struct tx t;
    tx_run(&t, doc);
    assert_int_equal(t.rc, 0);
    tx_expect(&t, "E_XML_LIMIT", 0, NULL);
    tx_done(&t);
}

static void
rejects_deep_nesting(void **state)
{
    (void)state;
    char *doc = with_suggestions("<x>", "</x>", 40);
    expect_limit(doc);
    free(doc);
}

static void
rejects_nesting_beyond_libxml2_limit(void **state)
{
    (void)state;
    char *doc = with_suggestions("<x>", "</x>", 300);
    expect_limit(doc);
    free(doc);
}

static void
rejects_long_text(void **state)
{
    (void)state;
    size_t n = 70 * 1024;
    char *text = malloc(n + 20);
    assert_non_null(text);
    strcpy(text, "<item>");
    memset(text + 6, 'a', n);
    strcpy(text + 6 + n, "</item>");
    char *doc = with_suggestions(text, "", 1);
    expect_limit(doc);
    free(doc);
    free(text);
}

static void
rejects_long_attribute(void **state)
{
    (void)state;
    size_t n = 70 * 1024;
    char *attr = malloc(n + 20);
    assert_non_null(attr);
    strcpy(attr, "name=\"");
    memset(attr + 6, 'a', n);
    strcpy(attr + 6 + n, "\"");
    char *doc = tx_edit("name=\"示例乡\"", attr);
    expect_limit(doc);
    free(doc);
    free(attr);
}

static void
rejects_too_many_elements(void **state)
{
    (void)state;
    char *doc = with_suggestions("<item/>", "", 200100);
    expect_limit(doc);
    free(doc);
}

static void
rejects_document_over_arena_cap(void **state)
{
    (void)state;
    struct tx t;
    struct transform_ctx ctx = {TX_TODAY, NULL, NULL};
    char *doc = tx_example();
    memset(&t, 0, sizeof(t));
    settings_defaults(&t.set, "/nonexistent");
    submission_init(&t.s, 8 * 1024); /* less than one arena block */
    diag_list_init(&t.diags, 100);
    t.rc =
        transform_document((unsigned char *)doc, strlen(doc), &t.set, &ctx, &t.s, &t.diags, &t.e);
    assert_int_equal(t.rc, 0);
    tx_expect(&t, "E_XML_LIMIT", 0, NULL);
    tx_done(&t);
    free(doc);
}

static void
rejects_empty_and_truncated_documents(void **state)
{
    (void)state;
    struct tx t;
    tx_run_bytes(&t, "", 0);
    tx_expect(&t, "E_XML_SYNTAX", 0, NULL);
    tx_done(&t);
    char *doc = tx_example();
    doc[strlen(doc) / 2] = '\0';
    tx_run(&t, doc);
    tx_expect(&t, "E_XML_SYNTAX", 0, NULL);
    tx_done(&t);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rejects_doctype),
        cmocka_unit_test(rejects_internal_entity),
        cmocka_unit_test(rejects_undeclared_entity_without_doctype),
        cmocka_unit_test(never_reads_local_file_through_external_entity),
        cmocka_unit_test(never_fetches_external_entity_url),
        cmocka_unit_test(rejects_billion_laughs),
        cmocka_unit_test(rejects_deep_nesting),
        cmocka_unit_test(rejects_nesting_beyond_libxml2_limit),
        cmocka_unit_test(rejects_long_text),
        cmocka_unit_test(rejects_long_attribute),
        cmocka_unit_test(rejects_too_many_elements),
        cmocka_unit_test(rejects_document_over_arena_cap),
        cmocka_unit_test(rejects_empty_and_truncated_documents),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    transform_cleanup();
    return rc;
}
