#include "tx.h"

static void
example_parses_without_errors(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_example();
    tx_run(&t, doc);
    tx_dump(&t);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.diags.nerrors, 0);
    assert_int_equal(t.diags.nwarnings, 3);
    assert_int_equal(tx_count(&t, "W_RATE_MISMATCH"), 1);
    assert_int_equal(tx_count(&t, "W_APPROX_COUNT"), 2);
    tx_done(&t);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_parses_without_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    transform_cleanup();
    return rc;
}
