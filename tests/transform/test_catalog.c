/* The window catalog table of submission-format.md, every row and variant,
 * and the matching rules (spaces, full-width, quotes, trailing 窗口). */
#include "tx.h"

struct row {
    const char *name;
    const char *code;
};

static const struct row rows[] = {
    {"市场监管", "market"},
    {"市场监督管理", "market"},
    {"农业农村", "agri"},
    {"农业", "agri"},
    {"林业和草原", "forest"},
    {"林草", "forest"},
    {"林业", "forest"},
    {"医保", "medins"},
    {"医疗保障", "medins"},
    {"社保", "social"},
    {"社会保障", "social"},
    {"人社", "social"},
    {"退役军人", "veteran"},
    {"退役军人服务", "veteran"},
    {"城镇规划", "planning"},
    {"规划建设", "planning"},
    {"村镇规划", "planning"},
    {"国土资源", "land"},
    {"自然资源", "land"},
    {"文化服务", "culture"},
    {"文化", "culture"},
    {"计生", "family"},
    {"卫生计生", "family"},
    {"计划生育", "family"},
    {"民政", "civil"},
    {"惠企政策\"一站式\"服务窗口", "onestop"},
    {"惠企政策“一站式”服务窗口", "onestop"},
    {"惠企政策一站式", "onestop"},
    {"一站式服务窗口", "onestop"},
    {"一站式", "onestop"},
    {"其他", "other"},
};

static void
maps_every_catalog_row_and_variant(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *code;
        assert_int_equal(transform_window_catalog_find(rows[i].name, &code), 1);
        assert_string_equal(code, rows[i].code);
    }
}

static void
ignores_trailing_window_word(void **state)
{
    (void)state;
    assert_string_equal(transform_window_catalog("市场监管窗口"), "market");
    assert_string_equal(transform_window_catalog("林草窗口"), "forest");
    assert_string_equal(transform_window_catalog("人社 窗口"), "social");
    assert_string_equal(transform_window_catalog("惠企政策一站式服务"), "onestop");
}

static void
ignores_surrounding_spaces(void **state)
{
    (void)state;
    assert_string_equal(transform_window_catalog("  民政 "), "civil");
    assert_string_equal(transform_window_catalog("\u3000医保\u3000"), "medins");
    assert_string_equal(transform_window_catalog("\t计生\n"), "family");
}

static void
ignores_quote_marks_of_every_kind(void **state)
{
    (void)state;
    static const char *const names[] = {
        "惠企政策'一站式'服务窗口",   "惠企政策‘一站式’服务窗口",   "惠企政策「一站式」服务窗口",
        "惠企政策『一站式』服务窗口", "惠企政策＂一站式＂服务窗口", "“一站式”",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_string_equal(transform_window_catalog(names[i]), "onestop");
}

static void
folds_full_width_ascii(void **state)
{
    (void)state;
    /* full-width quotes and space around a name */
    assert_string_equal(transform_window_catalog("＂医保＂"), "medins");
    assert_string_equal(transform_window_catalog("\u3000社保＂"), "social");
}

static void
maps_unknown_names_to_other(void **state)
{
    (void)state;
    const char *code;
    assert_int_equal(transform_window_catalog_find("便民服务", &code), 0);
    assert_string_equal(code, "other");
    assert_string_equal(transform_window_catalog(""), "other");
    assert_string_equal(transform_window_catalog("窗口"), "other");
    assert_string_equal(transform_window_catalog("市场 监管"), "other");
    assert_string_equal(transform_window_catalog(NULL), "other");
}

static void
keeps_submitted_name_verbatim(void **state)
{
    (void)state;
    struct tx t;
    char *doc =
        tx_edit("<window id=\"W05\">社保</window>", "<window id=\"W05\"> 「人社」窗口 </window>");
    tx_run(&t, doc);
    assert_int_equal(t.diags.nerrors, 0);
    assert_int_equal(tx_count(&t, "W_WINDOW_UNKNOWN"), 0);
    assert_string_equal(t.s.windows[4].name, "「人社」窗口");
    assert_string_equal(t.s.windows[4].catalog, "social");
    tx_done(&t);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maps_every_catalog_row_and_variant),
        cmocka_unit_test(ignores_trailing_window_word),
        cmocka_unit_test(ignores_surrounding_spaces),
        cmocka_unit_test(ignores_quote_marks_of_every_kind),
        cmocka_unit_test(folds_full_width_ascii),
        cmocka_unit_test(maps_unknown_names_to_other),
        cmocka_unit_test(keeps_submitted_name_verbatim),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    transform_cleanup();
    return rc;
}
