/*
 * xlsxpage: the display width that sizes columns and decides a title's
 * lines.
 */
#include "../../export/xlsxpage.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

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
        cmocka_unit_test(chinese_counts_two),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
