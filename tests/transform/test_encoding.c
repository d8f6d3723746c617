/* Encodings: UTF-8 with and without BOM or declaration, GB18030/GBK/GB2312,
 * UTF-16LE/BE with a BOM (documents converted with iconv here), and
 * everything that must fail. */
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

/* `text` in charset ("UTF-16LE" or "UTF-16BE") after that charset's BOM,
 * as Windows Notepad saves "Unicode"; *len gets the size. */
static char *
utf16_with_bom(const char *text, const char *charset, size_t *len)
{
    size_t n;
    char *body = convert(text, charset, &n);
    char *out = malloc(n + 2);
    assert_non_null(out);
    int le = strcmp(charset, "UTF-16LE") == 0;
    out[0] = (char)(le ? 0xFF : 0xFE);
    out[1] = (char)(le ? 0xFE : 0xFF);
    memcpy(out + 2, body, n);
    free(body);
    *len = n + 2;
    return out;
}

/* The example declared as `declared` (NULL: no XML declaration), with a
 * window name outside the BMP (𠀀, a surrogate pair in UTF-16), in charset
 * after its BOM. */
static char *
utf16_example(const char *declared, const char *charset, size_t *len)
{
    char decl[64];
    char *doc;
    if (declared == NULL) {
        doc = tx_edit("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "");
    } else {
        snprintf(decl, sizeof(decl), "encoding=\"%s\"", declared);
        doc = tx_edit("encoding=\"UTF-8\"", decl);
    }
    doc = tx_replace(doc, "<window id=\"W11\">民政</window>", "<window id=\"W11\">民政𠀀</window>");
    char *bytes = utf16_with_bom(doc, charset, len);
    free(doc);
    return bytes;
}

/* The document read from UTF-16 is the one read from UTF-8: every text
 * (names, problems, free text) and count. */
static void
check_same_as_utf8(struct tx *t)
{
    struct tx u;
    char *doc = tx_edit("<window id=\"W11\">民政</window>", "<window id=\"W11\">民政𠀀</window>");
    tx_run(&u, doc);
    free(doc);
    assert_int_equal(t->rc, 0);
    assert_int_equal(t->diags.nerrors, 0);
    assert_int_equal(u.diags.nerrors, 0);
    assert_string_equal(t->s.township_name, u.s.township_name);
    assert_string_equal(t->s.contact_name, u.s.contact_name);
    assert_int_equal(t->s.handled, u.s.handled);
    assert_int_equal(t->s.nwindows, u.s.nwindows);
    for (size_t i = 0; i < u.s.nwindows; i++) {
        assert_string_equal(t->s.windows[i].name, u.s.windows[i].name);
        assert_string_equal(t->s.windows[i].catalog, u.s.windows[i].catalog);
    }
    assert_string_equal(t->s.windows[10].name, "民政𠀀");
    assert_int_equal(t->s.nproblems, u.s.nproblems);
    for (size_t i = 0; i < u.s.nproblems; i++)
        assert_string_equal(t->s.problems[i].text, u.s.problems[i].text);
    for (int k = 0; k < SUBM_TEXT_KINDS; k++) {
        assert_int_equal(t->s.texts[k].n, u.s.texts[k].n);
        for (size_t i = 0; i < u.s.texts[k].n; i++)
            assert_string_equal(t->s.texts[k].items[i], u.s.texts[k].items[i]);
    }
    /* the same warning on the same line: lines count the same */
    tx_expect(t, "W_RATE_MISMATCH", 19, "/submission/evaluation/@reportedRate");
    tx_done(&u);
}

static void
run_utf16(struct tx *t, const char *declared, const char *charset)
{
    size_t len;
    char *bytes = utf16_example(declared, charset, &len);
    tx_run_bytes(t, bytes, len);
    free(bytes);
}

static void
accepts_utf16le_bom_as_notepad_saves(void **state)
{
    (void)state;
    struct tx t;
    run_utf16(&t, "UTF-16", "UTF-16LE");
    check_same_as_utf8(&t);
    tx_done(&t);
}

static void
accepts_utf16be_bom(void **state)
{
    (void)state;
    struct tx t;
    run_utf16(&t, "utf-16", "UTF-16BE");
    check_same_as_utf8(&t);
    tx_done(&t);
}

static void
accepts_utf16_bom_without_declaration(void **state)
{
    (void)state;
    struct tx t;
    run_utf16(&t, NULL, "UTF-16LE");
    assert_int_equal(t.diags.nerrors, 0);
    assert_string_equal(t.s.windows[10].name, "民政𠀀");
    tx_done(&t);
}

static void
accepts_utf16le_declared_as_its_byte_order(void **state)
{
    (void)state;
    struct tx t;
    run_utf16(&t, "UTF-16LE", "UTF-16LE");
    assert_int_equal(t.diags.nerrors, 0);
    assert_string_equal(t.s.township_name, "示例乡");
    tx_done(&t);
}

/* A declaration naming another encoding than the BOM: the message says so. */
static void
expect_contradiction(const char *declared, const char *charset)
{
    struct tx t;
    run_utf16(&t, declared, charset);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 1, NULL);
    assert_non_null(strstr(d->message, declared));
    assert_non_null(strstr(d->message, "BOM 矛盾"));
    assert_int_equal(t.diags.nerrors, 1);
    tx_done(&t);
}

static void
rejects_utf16_bom_declared_otherwise(void **state)
{
    (void)state;
    expect_contradiction("UTF-8", "UTF-16LE");
    expect_contradiction("GB18030", "UTF-16LE");
    expect_contradiction("UTF-16LE", "UTF-16BE");
    expect_contradiction("UTF-16BE", "UTF-16LE");
}

static void
rejects_utf16_without_bom(void **state)
{
    (void)state;
    struct tx t;
    size_t len;
    char *doc = tx_edit("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    char *bytes = convert(doc, "UTF-16LE", &len);
    tx_run_bytes(&t, bytes, len);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 1, NULL);
    assert_non_null(strstr(d->message, "NUL"));
    assert_non_null(strstr(d->message, "BOM"));
    tx_done(&t);
    free(bytes);
    free(doc);
}

static void
rejects_utf16_declared_over_utf8_bytes(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    tx_run(&t, doc);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 1, NULL);
    assert_non_null(strstr(d->message, "没有 UTF-16 BOM"));
    tx_done(&t);
    free(doc);
    doc = tx_replace(tx_edit("encoding=\"UTF-8\"", "encoding=\"UTF-16\""), "<?xml",
                     "\xEF\xBB\xBF<?xml");
    tx_run(&t, doc);
    d = tx_expect(&t, "E_XML_ENCODING", 1, NULL);
    assert_non_null(strstr(d->message, "UTF-8 BOM"));
    tx_done(&t);
    free(doc);
}

/* The UTF-16LE example with the period's text made the one 2-byte unit
 * `unit` (line 8). */
static void
run_utf16_with_unit(struct tx *t, const char *unit)
{
    size_t len;
    char *doc = tx_edit("<period>2026-10</period>", "<period>\x01</period>");
    char *bytes = utf16_with_bom(doc, "UTF-16LE", &len);
    size_t k = 2;
    while (k + 1 < len && !(bytes[k] == 0x01 && bytes[k + 1] == 0x00))
        k += 2;
    assert_true(k + 1 < len);
    bytes[k] = unit[0];
    bytes[k + 1] = unit[1];
    tx_run_bytes(t, bytes, len);
    free(bytes);
    free(doc);
}

static void
rejects_undecodable_utf16(void **state)
{
    (void)state;
    struct tx t;
    /* a lone high surrogate (U+D800) in the period, line 8 */
    run_utf16_with_unit(&t, "\x00\xD8");
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 8, NULL);
    assert_non_null(strstr(d->message, "第 8 行"));
    assert_non_null(strstr(d->message, "UTF-16"));
    assert_int_equal(t.diags.nerrors, 1);
    tx_done(&t);
    /* a lone low surrogate (U+DC00) */
    run_utf16_with_unit(&t, "\x00\xDC");
    tx_expect(&t, "E_XML_ENCODING", 8, NULL);
    tx_done(&t);
    /* an odd number of bytes: the last unit cut in half */
    size_t len;
    char *bytes = utf16_example("UTF-16", "UTF-16LE", &len);
    tx_run_bytes(&t, bytes, len - 1);
    tx_expect(&t, "E_XML_ENCODING", 0, NULL);
    assert_int_equal(t.diags.nerrors, 1);
    tx_done(&t);
    free(bytes);
}

static void
rejects_nul_character_in_utf16(void **state)
{
    (void)state;
    struct tx t;
    run_utf16_with_unit(&t, "\x00\x00");
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 8, NULL);
    assert_non_null(strstr(d->message, "NUL"));
    tx_done(&t);
}

static void
rejects_utf32_bom(void **state)
{
    (void)state;
    struct tx t;
    size_t len;
    char *doc = tx_edit("encoding=\"UTF-8\"", "encoding=\"UTF-32\"");
    char *bytes = convert(doc, "UTF-32", &len); /* glibc writes a BOM */
    assert_true(len >= 4);
    tx_run_bytes(&t, bytes, len);
    const struct diag *d = tx_expect(&t, "E_XML_ENCODING", 1, NULL);
    assert_non_null(strstr(d->message, "UTF-32"));
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
        cmocka_unit_test(accepts_utf16le_bom_as_notepad_saves),
        cmocka_unit_test(accepts_utf16be_bom),
        cmocka_unit_test(accepts_utf16_bom_without_declaration),
        cmocka_unit_test(accepts_utf16le_declared_as_its_byte_order),
        cmocka_unit_test(rejects_utf16_bom_declared_otherwise),
        cmocka_unit_test(rejects_utf16_without_bom),
        cmocka_unit_test(rejects_utf16_declared_over_utf8_bytes),
        cmocka_unit_test(rejects_undecodable_utf16),
        cmocka_unit_test(rejects_nul_character_in_utf16),
        cmocka_unit_test(rejects_utf32_bom),
        cmocka_unit_test(rejects_other_declared_encoding),
        cmocka_unit_test(rejects_nul_byte),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    transform_cleanup();
    return rc;
}
