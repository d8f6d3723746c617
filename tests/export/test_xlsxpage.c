/*
 * xlsxpage: the display width that sizes columns and decides a title's
 * lines, and the cut that keeps a truncated title valid UTF-8.
 */
#include "../../export/xlsxpage.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

static void
expect_cut(const char *in, const char *want)
{
    char buf[64];
    strcpy(buf, in);
    xlsxpage_utf8_cut(buf);
    assert_string_equal(buf, want);
}

static void
a_cut_character_is_dropped_whole(void **state)
{
    (void)state;
    expect_cut("ab\xE4\xB8", "ab");   /* 中 cut after two of three bytes */
    expect_cut("ab\xE4", "ab");       /* after one */
    expect_cut("a\xF0\x9F\x98", "a"); /* a four-byte sequence cut */
    expect_cut("\xC3", "");           /* a two-byte sequence cut */
}

static void
whole_text_is_kept(void **state)
{
    (void)state;
    expect_cut("ab中", "ab中");
    expect_cut("乡镇：城关镇", "乡镇：城关镇");
    expect_cut("a\xF0\x9F\x98\x80", "a\xF0\x9F\x98\x80");
    expect_cut("abc", "abc");
    expect_cut("", "");
}

static void
chinese_counts_two(void **state)
{
    (void)state;
    assert_int_equal(xlsxpage_text_width("城关镇"), 6);
    assert_int_equal(xlsxpage_text_width("96.8%"), 5);
    assert_int_equal(xlsxpage_text_width("↑12"), 4); /* U+2191: wide, as CJK fonts draw it */
    assert_int_equal(xlsxpage_text_width(""), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_cut_character_is_dropped_whole),
        cmocka_unit_test(whole_text_is_kept),
        cmocka_unit_test(chinese_counts_two),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
