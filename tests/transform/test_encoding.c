/* Encodings: UTF-8 with and without BOM or declaration, GB18030/GBK/GB2312
 * (documents converted with iconv here), and everything that must fail. */
#include "tx.h"

#include <iconv.h>

/* Converts the NUL-terminated UTF-8 text to `charset`; *len gets the size. */
static char *
convert(const char *text, const char *charset, size_t *len)
{
    iconv_t cd = iconv_open(charset, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t inleft = strlen(text), cap = inleft * 4 + 16, outleft = cap;
    char *out = malloc(cap), *in = (char *)text, *o = out;
    assert_non_null(out);
    assert_true(iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1);
    iconv_close(cd);
    *len = cap - outleft;
    return out;
}

/* The example declared as `declared`, its bytes in `charset`, with a
 * window name using a GBK-only character (喆). */
static void
run_gb(struct tx *t, const char *declared, const char *charset)
{
    char decl[64];
    size_t len;
    snprintf(decl, sizeof(decl), "encoding=\"%s\"", declared);
    char *doc = tx_edit("encoding=\"UTF-8\"", decl);
    doc = tx_replace(doc, "<window id=\"W11\">民政</window>", "<window id=\"W11\">民政喆</window>");
    char *bytes = convert(doc, charset, &len);
    tx_run_bytes(t, bytes, len);
    free(bytes);
    free(doc);
}

static void
check_gb_result(struct tx *t)
{
    assert_int_equal(t->rc, 0);
    assert_int_equal(t->diags.nerrors, 0);
    assert_string_equal(t->s.township_name, "示例乡");
    assert_string_equal(t->s.windows[10].name, "民政喆");
    assert_string_equal(t->s.windows[11].catalog, "onestop");
    tx_expect(t, "W_RATE_MISMATCH", 19, "/submission/evaluation/@reportedRate");
}

static void
accepts_gb18030_declared(void **state)
{
    (void)state;
    struct tx t;
    run_gb(&t, "GB18030", "GB18030");
    check_gb_result(&t);
    tx_done(&t);
}

static void
accepts_gbk_declared_in_lower_case(void **state)
{
    (void)state;
    struct tx t;
    run_gb(&t, "gbk", "GBK");
    check_gb_result(&t);
    tx_done(&t);
}

static void
accepts_gb2312_declared_with_gbk_only_characters(void **state)
{
    (void)state;
    struct tx t;
    run_gb(&t, "GB2312", "GBK");
    check_gb_result(&t);
    tx_done(&t);
}

static void
accepts_utf8_bom(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_replace(tx_example(), "<?xml", "\xEF\xBB\xBF<?xml");
    tx_run(&t, doc);
    assert_int_equal(t.diags.nerrors, 0);
    tx_expect(&t, "W_RATE_MISMATCH", 19, NULL);
    tx_done(&t);
    free(doc);
}

static void
accepts_utf8_without_declaration(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "");
    tx_run(&t, doc);
    assert_int_equal(t.diags.nerrors, 0);
    assert_string_equal(t.s.township_name, "示例乡");
    tx_done(&t);
    free(doc);
}

static void
accepts_crlf_line_ends(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_example();
    size_t n = strlen(doc), k = 0;
    char *crlf = malloc(2 * n + 1);
    assert_non_null(crlf);
    for (size_t i = 0; i < n; i++) {
        if (doc[i] == '\n')
            crlf[k++] = '\r';
        crlf[k++] = doc[i];
    }
    crlf[k] = '\0';
    tx_run(&t, crlf);
    assert_int_equal(t.diags.nerrors, 0);
    tx_expect(&t, "W_RATE_MISMATCH", 19, NULL);
    assert_string_equal(t.s.texts[SUBM_DIFFICULTY].items[0],
                        "思想上认识不到位：对优化营商环境的重视程度不够、服务意识不足。");
    tx_done(&t);
    free(crlf);
    free(doc);
}

static void
rejects_gbk_bytes_declared_utf8(void **state)
{
    (void)state;
    struct tx t;
    size_t len;
    char *doc = tx_example();
    char *bytes = convert(doc, "GBK", &len);
    tx_run_bytes(&t, bytes, len);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 7, NULL);
    assert_non_null(strstr(d->message, "第 7 行"));
    assert_int_equal(t.diags.nerrors, 1);
    tx_done(&t);
    free(bytes);
    free(doc);
}

static void
rejects_gbk_bytes_without_declaration(void **state)
{
    (void)state;
    struct tx t;
    size_t len;
    char *doc = tx_edit("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "");
    char *bytes = convert(doc, "GBK", &len);
    tx_run_bytes(&t, bytes, len);
    tx_expect(&t, "E_XML_ENCODING", 6, NULL);
    tx_done(&t);
    free(bytes);
    free(doc);
}

static void
rejects_invalid_bytes_in_gbk_document(void **state)
{
    (void)state;
    struct tx t;
    size_t len;
    char *doc = tx_edit("encoding=\"UTF-8\"", "encoding=\"GBK\"");
    char *bytes = convert(doc, "GBK", &len);
    free(doc);
    bytes = realloc(bytes, len + 3);
    assert_non_null(bytes);
    bytes[len] = '\0';
    /* 0xFF never starts a GB18030 character */
    char *at = strstr(bytes, "<period>") + 8;
    memmove(at + 2, at, len + 1 - (size_t)(at - bytes));
    at[0] = at[1] = (char)0xFF;
    tx_run_bytes(&t, bytes, len + 2);
    tx_expect(&t, "E_XML_ENCODING", 8, NULL);
    tx_done(&t);
    free(bytes);
}

static void
rejects_utf16_bom(void **state)
{
    (void)state;
    struct tx t;
    size_t len;
    char *doc = tx_edit("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    char *bytes = convert(doc, "UTF-16", &len); /* glibc writes a BOM */
    assert_true((unsigned char)bytes[0] == 0xFF || (unsigned char)bytes[0] == 0xFE);
    tx_run_bytes(&t, bytes, len);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 1, NULL);
    assert_non_null(strstr(d->message, "只接受 UTF-8 或 GB18030/GBK/GB2312"));
    tx_done(&t);
    free(bytes);
    free(doc);
}

static void
rejects_other_declared_encoding(void **state)
{
    (void)state;
    char *doc = tx_edit("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    struct tx t;
    tx_run(&t, doc);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 1, NULL);
    assert_non_null(strstr(d->message, "ISO-8859-1"));
    tx_done(&t);
    free(doc);
}

static void
rejects_nul_byte(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_example();
    size_t len = strlen(doc);
    char *at = strstr(doc, "<revision>");
    at[1] = '\0';
    tx_run_bytes(&t, doc, len);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 9, NULL);
    assert_non_null(strstr(d->message, "NUL"));
    tx_done(&t);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_gb18030_declared),
        cmocka_unit_test(accepts_gbk_declared_in_lower_case),
        cmocka_unit_test(accepts_gb2312_declared_with_gbk_only_characters),
        cmocka_unit_test(accepts_utf8_bom),
        cmocka_unit_test(accepts_utf8_without_declaration),
        cmocka_unit_test(accepts_crlf_line_ends),
        cmocka_unit_test(rejects_gbk_bytes_declared_utf8),
        cmocka_unit_test(rejects_gbk_bytes_without_declaration),
        cmocka_unit_test(rejects_invalid_bytes_in_gbk_document),
        cmocka_unit_test(rejects_utf16_bom),
        cmocka_unit_test(rejects_other_declared_encoding),
        cmocka_unit_test(rejects_nul_byte),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    transform_cleanup();
    return rc;
}
