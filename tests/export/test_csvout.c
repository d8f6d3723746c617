/*
 * csvout_field: RFC 4180 quoting and neutralisation of spreadsheet formulas.
 */
#include "../../common/dbuf.h"
#include "../../export/csvout.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

static void
expect_field(const char *in, const char *want)
{
    struct dbuf b;
    dbuf_init(&b, 4096);
    assert_int_equal(csvout_field(&b, in), 0);
    assert_string_equal(b.data ? b.data : "", want);
    dbuf_free(&b);
}

static void
plain_text_is_unchanged(void **state)
{
    (void)state;
    expect_field("示例乡", "示例乡");
    expect_field("96.8%", "96.8%");
    expect_field(NULL, "");
    expect_field("", "");
}

static void
formula_starters_get_an_apostrophe(void **state)
{
    (void)state;
    expect_field("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
    expect_field("=1+2", "'=1+2");
    expect_field("+1+1", "'+1+1");
    expect_field("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0");
    expect_field("-2.5e3", "'-2.5e3");
    expect_field("-.5", "'-.5");
    expect_field("-", "'-");
    expect_field("+", "'+");
    expect_field("1.", "1.");
    expect_field("@SUM(A1)", "'@SUM(A1)");
    expect_field("\tx", "'\tx");
    expect_field("\rx", "\"'\rx\"");
    expect_field("a=b", "a=b");
}

/* The change of a composite ("-0.50", "+1.23") is a number a spreadsheet
 * reads as one, never a formula: its sign stays. */
static void
signed_numbers_keep_their_sign(void **state)
{
    (void)state;
    expect_field("-0.50", "-0.50");
    expect_field("+1.23", "+1.23");
    expect_field("-1", "-1");
    expect_field("+12", "+12");
    expect_field("-1.", "'-1.");
    expect_field("+1.2.3", "'+1.2.3");
}

static void
quotes_commas_and_newlines_are_quoted(void **state)
{
    (void)state;
    expect_field("西河乡,\"新\"", "\"西河乡,\"\"新\"\"\"");
    expect_field("一\n二", "\"一\n二\"");
    expect_field("\"", "\"\"\"\"");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_is_unchanged),
        cmocka_unit_test(formula_starters_get_an_apostrophe),
        cmocka_unit_test(signed_numbers_keep_their_sign),
        cmocka_unit_test(quotes_commas_and_newlines_are_quoted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
