#include "tx.h"

static void
example_parses_without_errors(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_example();
    tx_run(&t, doc);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.diags.nerrors, 0);
    assert_int_equal(t.diags.nwarnings, 3);
    assert_int_equal(tx_count(&t, "W_RATE_MISMATCH"), 1);
    assert_int_equal(tx_count(&t, "W_APPROX_COUNT"), 2);
    tx_expect(&t, "W_RATE_MISMATCH", 19, "/submission/evaluation/@reportedRate");
    tx_expect(&t, "W_APPROX_COUNT", 14, "/submission/oneStop/consultations");
    tx_expect(&t, "W_APPROX_COUNT", 15, "/submission/oneStop/jobPostings");
    tx_done(&t);
    free(doc);
}

static void
example_is_normalized(void **state)
{
    (void)state;
    static const char *const codes[] = {"market",  "agri",    "forest",   "medins",
                                        "social",  "veteran", "planning", "land",
                                        "culture", "family",  "civil",    "onestop"};
    struct tx t;
    char *doc = tx_example();
    tx_run(&t, doc);
    const struct submission *s = &t.s;
    assert_string_equal(s->township_code, "539901101");
    assert_string_equal(s->township_name, "示例乡");
    assert_string_equal(s->township_canonical, "示例乡");
    assert_int_equal(s->year, 2026);
    assert_int_equal(s->month, 10);
    assert_int_equal(s->revision, 1);
    assert_string_equal(s->submitted_at, "2026-11-03T09:30:00+08:00");
    assert_string_equal(s->contact_name, "乡党政办");
    assert_string_equal(s->contact_phone, "0878-5550101");
    assert_int_equal(s->sites_total, 8);
    assert_int_equal(s->sites_with_window, 8);
    assert_int_equal(s->consultations.value, 120);
    assert_true(s->consultations.approx);
    assert_int_equal(s->consultations.line, 14);
    assert_int_equal(s->job_postings.value, 300);
    assert_true(s->job_postings.approx);
    assert_int_equal(s->recruitment_events.value, 4);
    assert_false(s->recruitment_events.approx);
    assert_int_equal(s->county_items, 142);
    assert_int_equal(s->handled, 31);
    assert_int_equal(s->evaluated, 30);
    assert_string_equal(s->reported_rate, "98");
    assert_true(s->reported_rate_value == 98.0);
    assert_int_equal(s->nwindows, 12);
    for (size_t i = 0; i < 12; i++)
        assert_string_equal(s->windows[i].catalog, codes[i]);
    assert_string_equal(s->windows[11].name, "惠企政策“一站式”服务窗口");
    assert_string_equal(s->windows[0].id, "W01");
    assert_int_equal(s->windows[0].line, 21);
    assert_int_equal(s->nleaders, 10);
    assert_string_equal(s->leaders[1].role, "principal");
    assert_string_equal(s->leaders[7].title, "副乡长（分管农业农村）");
    assert_int_equal(s->nwalks, 23);
    assert_string_equal(s->walks[5].leader, "L02");
    assert_string_equal(s->walks[5].window, "W05");
    assert_int_equal(s->walks[5].date, 20261013);
    assert_int_equal(s->walks[5].nproblems, 1);
    assert_string_equal(s->walks[5].problems[0], "P2026-031");
    assert_int_equal(s->nproblems, 7);
    assert_string_equal(s->problems[0].id, "P2026-031");
    assert_string_equal(s->problems[0].status, "rectified");
    assert_int_equal(s->problems[0].found, 20261013);
    assert_int_equal(s->problems[0].rectified, 20261020);
    assert_int_equal(s->problems[0].deadline, 0);
    assert_string_equal(s->problems[4].text, "退役军人窗口未开展“好差评”评价引导");
    assert_int_equal(s->merchants_visited, 36);
    assert_int_equal(s->warning_sessions, 9);
    assert_true(s->has_complaints);
    assert_int_equal(s->texts[SUBM_MECHANISM].n, 2);
    assert_int_equal(s->texts[SUBM_DIFFICULTY].n, 3);
    assert_int_equal(s->texts[SUBM_NEXT_STEP].n, 3);
    assert_int_equal(s->texts[SUBM_SUGGESTION].n, 0);
    tx_done(&t);
    free(doc);
}

static void
trims_unicode_space_and_keeps_inner_text(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("<leader id=\"L01\" role=\"principal\">党委书记</leader>",
                        "<leader id=\"L01\" role=\"principal\">\u3000 党委 书记\n\u3000</leader>");
    tx_run(&t, doc);
    assert_int_equal(t.diags.nerrors, 0);
    assert_string_equal(t.s.leaders[0].title, "党委 书记");
    tx_done(&t);
    free(doc);
}

static void
complaints_element_is_optional(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("<complaints received=\"0\" resolved=\"0\"/>", "");
    tx_run(&t, doc);
    assert_int_equal(t.diags.nerrors, 0);
    assert_false(t.s.has_complaints);
    tx_done(&t);
    free(doc);
}

static void
rejects_missing_required_element_with_schema_error(void **state)
{
    (void)state;
    char *doc = tx_edit("<countyItems>142</countyItems>", "");
    tx_expect_one(doc, "E_XML_SCHEMA", 19, "/submission/evaluation");
    free(doc);
}

static void
rejects_unknown_role_with_schema_error(void **state)
{
    (void)state;
    char *doc = tx_edit("role=\"deputy\">党委副书记", "role=\"boss\">党委副书记");
    tx_expect_one(doc, "E_XML_SCHEMA", 37, "/submission/leaders/leader[3]/@role");
    free(doc);
}

static void
rejects_wrong_namespace(void **state)
{
    (void)state;
    char *doc = tx_edit("urn:bizenv:submission:1", "urn:other");
    tx_expect_one(doc, "E_XML_SCHEMA", 6, "/submission");
    free(doc);
}

static void
ignores_schema_location_in_document(void **state)
{
    (void)state;
    struct tx t;
    char *doc =
        tx_edit("schemaVersion=\"1\"",
                "schemaVersion=\"1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                "xsi:schemaLocation=\"urn:bizenv:submission:1 http://127.0.0.1:1/evil.xsd\"");
    tx_run(&t, doc);
    assert_int_equal(t.diags.nerrors, 0);
    tx_done(&t);
    free(doc);
}

static void
rejects_malformed_xml_with_line(void **state)
{
    (void)state;
    char *doc = tx_edit("<period>2026-10</period>", "<period>2026-10</perod>");
    tx_expect_one(doc, "E_XML_SYNTAX", 8, "");
    free(doc);
}

static void
reports_every_error_in_one_pass(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("handled=\"31\" evaluated=\"30\"", "handled=\"31\" evaluated=\"32\"");
    doc = tx_replace(doc, "<walk leader=\"L01\"", "<walk leader=\"L99\"");
    doc = tx_replace(doc, "date=\"2026-10-10\"", "date=\"2026-11-10\"");
    doc = tx_replace(doc, "merchantsVisited=\"36\"", "merchantsVisited=\"+36\"");
    doc = tx_replace(doc, "<window id=\"W02\">", "<window id=\"W01\">");
    tx_run(&t, doc);
    assert_int_equal(t.rc, 0);
    tx_expect(&t, "E_EVAL_EXCEEDS", 19, "/submission/evaluation/@evaluated");
    tx_expect(&t, "E_REF_LEADER", 48, "/submission/walks/walk[2]/@leader");
    tx_expect(&t, "E_WALK_DATE", 50, "/submission/walks/walk[4]/@date");
    tx_expect(&t, "E_COUNT_FORMAT", 80, "/submission/engagement/@merchantsVisited");
    tx_expect(&t, "E_DUPLICATE_ID", 22, "/submission/windows/window[2]/@id");
    /* W02 is gone, so its three walks dangle */
    assert_int_equal(tx_count(&t, "E_REF_WINDOW"), 3);
    /* +36 is reported once, as E_COUNT_FORMAT, not again as E_XML_SCHEMA */
    assert_int_equal(tx_count(&t, "E_XML_SCHEMA"), 0);
    assert_int_equal(t.diags.nerrors, 8);
    /* sorted by line */
    for (size_t i = 1; i < t.diags.n; i++)
        assert_true(t.diags.items[i - 1].line <= t.diags.items[i].line);
    tx_done(&t);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_parses_without_errors),
        cmocka_unit_test(example_is_normalized),
        cmocka_unit_test(trims_unicode_space_and_keeps_inner_text),
        cmocka_unit_test(complaints_element_is_optional),
        cmocka_unit_test(rejects_missing_required_element_with_schema_error),
        cmocka_unit_test(rejects_unknown_role_with_schema_error),
        cmocka_unit_test(rejects_wrong_namespace),
        cmocka_unit_test(ignores_schema_location_in_document),
        cmocka_unit_test(rejects_malformed_xml_with_line),
        cmocka_unit_test(reports_every_error_in_one_pass),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    transform_cleanup();
    return rc;
}
