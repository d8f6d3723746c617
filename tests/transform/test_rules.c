/* One test per diagnostic code of submission-format.md: each edits the
 * example in one place and checks the code, the line and the path. */
#include "tx.h"

static void
check(const char *from, const char *to, const char *code, long line, const char *path)
{
    char *doc = tx_edit(from, to);
    tx_expect_one(doc, code, line, path);
    free(doc);
}

static void
rejects_schema_violation(void **state)
{
    (void)state;
    check("<contact name=\"乡党政办\" phone=\"0878-5550101\"/>", "<contact phone=\"1\"/>",
          "E_XML_SCHEMA", 11, "/submission/contact");
}

static void
rejects_count_with_sign(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("handled=\"31\"", "handled=\"+31\"");
    tx_run(&t, doc);
    tx_expect(&t, "E_COUNT_FORMAT", 19, "/submission/evaluation/@handled");
    assert_int_equal(tx_count(&t, "E_XML_SCHEMA"), 0);
    tx_done(&t);
    free(doc);
}

static void
rejects_count_with_full_width_digits(void **state)
{
    (void)state;
    check("<countyItems>142</countyItems>", "<countyItems>１４２</countyItems>", "E_COUNT_FORMAT",
          18, "/submission/countyItems");
}

static void
rejects_count_of_ten_digits(void **state)
{
    (void)state;
    check("symposia=\"1\"", "symposia=\"1234567890\"", "E_COUNT_FORMAT", 80,
          "/submission/engagement/@symposia");
}

static void
rejects_date_that_does_not_exist(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("date=\"2026-10-09\"", "date=\"2026-02-30\"");
    tx_run(&t, doc);
    tx_expect(&t, "E_DATE_INVALID", 48, "/submission/walks/walk[2]/@date");
    assert_int_equal(tx_count(&t, "E_XML_SCHEMA"), 0);
    assert_int_equal(tx_count(&t, "E_DATE_INVALID"), 1);
    tx_done(&t);
    free(doc);
}

static void
rejects_unknown_township(void **state)
{
    (void)state;
    check("code=\"539901101\"", "code=\"539901999\"", "E_TOWNSHIP_UNKNOWN", 7,
          "/submission/township/@code");
}

static void
rejects_period_after_current_month(void **state)
{
    (void)state;
    check("<period>2026-10</period>", "<period>2026-12</period>", "E_PERIOD_FUTURE", 8,
          "/submission/period");
}

static void
rejects_sites_with_window_above_total(void **state)
{
    (void)state;
    check("withWindow=\"8\"", "withWindow=\"9\"", "E_SITES_WINDOW", 13,
          "/submission/oneStop/sites/@withWindow");
}

static void
rejects_evaluated_above_handled(void **state)
{
    (void)state;
    char *doc = tx_edit("evaluated=\"30\"", "evaluated=\"32\"");
    struct tx t;
    tx_run(&t, doc);
    const struct diag *d = tx_expect(&t, "E_EVAL_EXCEEDS", 19, "/submission/evaluation/@evaluated");
    assert_string_equal(d->message, "评价件数 32 大于办件量 31");
    tx_done(&t);
    free(doc);
}

static void
rejects_rate_above_100(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("reportedRate=\"98\"", "reportedRate=\"100.5\"");
    tx_run(&t, doc);
    tx_expect(&t, "E_RATE_RANGE", 19, "/submission/evaluation/@reportedRate");
    assert_int_equal(tx_count(&t, "E_XML_SCHEMA"), 0);
    tx_done(&t);
    free(doc);
}

static void
rejects_resolved_above_received(void **state)
{
    (void)state;
    check("resolved=\"0\"", "resolved=\"1\"", "E_COMPLAINTS_RESOLVED", 82,
          "/submission/complaints/@resolved");
}

static void
rejects_duplicate_leader_id(void **state)
{
    (void)state;
    check("<leader id=\"L10\"", "<leader id=\"L09\"", "E_DUPLICATE_ID", 44,
          "/submission/leaders/leader[10]/@id");
}

static void
rejects_duplicate_problem_id(void **state)
{
    (void)state;
    check("<problem id=\"P2026-037\"", "<problem id=\"P2026-031\"", "E_DUPLICATE_ID", 78,
          "/submission/problems/problem[7]/@id");
}

static void
rejects_walk_with_unknown_leader(void **state)
{
    (void)state;
    check("<walk leader=\"L03\" window=\"W01\"", "<walk leader=\"L33\" window=\"W01\"",
          "E_REF_LEADER", 47, "/submission/walks/walk[1]/@leader");
}

static void
rejects_walk_with_unknown_window(void **state)
{
    (void)state;
    check("<walk leader=\"L01\" window=\"W01\"", "<walk leader=\"L01\" window=\"W13\"",
          "E_REF_WINDOW", 48, "/submission/walks/walk[2]/@window");
}

static void
rejects_walk_with_unknown_problem(void **state)
{
    (void)state;
    check("problems=\"P2026-036\"", "problems=\"P2026-036 P2026-099\"", "E_REF_PROBLEM", 54,
          "/submission/walks/walk[8]/@problems");
}

static void
rejects_walk_outside_period(void **state)
{
    (void)state;
    check("date=\"2026-10-08\"", "date=\"2026-09-30\"", "E_WALK_DATE", 47,
          "/submission/walks/walk[1]/@date");
}

static void
rejects_problem_found_after_period(void **state)
{
    (void)state;
    check("found=\"2026-10-13\" status=\"rectified\" rectified=\"2026-10-20\"",
          "found=\"2026-11-02\" status=\"open\"", "E_PROBLEM_FOUND_DATE", 72,
          "/submission/problems/problem[1]/@found");
}

static void
rejects_rectified_problem_without_date(void **state)
{
    (void)state;
    check(" rectified=\"2026-10-22\"", "", "E_PROBLEM_RECTIFIED_MISSING", 73,
          "/submission/problems/problem[2]");
}

static void
rejects_open_problem_with_rectified_date(void **state)
{
    (void)state;
    check("status=\"rectified\" rectified=\"2026-10-30\"",
          "status=\"rectifying\" rectified=\"2026-10-30\"", "E_PROBLEM_RECTIFIED_FORBIDDEN", 74,
          "/submission/problems/problem[3]/@rectified");
}

static void
rejects_rectified_before_found(void **state)
{
    (void)state;
    check("rectified=\"2026-10-24\"", "rectified=\"2026-10-16\"", "E_PROBLEM_RECTIFIED_DATE", 75,
          "/submission/problems/problem[4]/@rectified");
}

static void
rejects_rectified_after_period(void **state)
{
    (void)state;
    check("rectified=\"2026-10-31\"", "rectified=\"2026-11-01\"", "E_PROBLEM_RECTIFIED_DATE", 76,
          "/submission/problems/problem[5]/@rectified");
}

static void
warns_rate_mismatch(void **state)
{
    (void)state;
    check("reportedRate=\"98\"", "reportedRate=\"90\"", "W_RATE_MISMATCH", 19,
          "/submission/evaluation/@reportedRate");
}

static void
accepts_rate_within_one_point(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("reportedRate=\"98\"", "reportedRate=\"97.5\"");
    tx_run(&t, doc);
    assert_int_equal(tx_count(&t, "W_RATE_MISMATCH"), 0);
    assert_int_equal(t.diags.nerrors, 0);
    tx_done(&t);
    free(doc);
}

static void
warns_approx_count(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("<jobPostings approx=\"true\">", "<jobPostings>");
    tx_run(&t, doc);
    assert_int_equal(tx_count(&t, "W_APPROX_COUNT"), 1);
    tx_expect(&t, "W_APPROX_COUNT", 14, "/submission/oneStop/consultations");
    assert_false(t.s.job_postings.approx);
    tx_done(&t);
    free(doc);
}

static void
warns_unknown_window_and_maps_to_other(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("<window id=\"W11\">民政</window>", "<window id=\"W11\">便民服务</window>");
    tx_run(&t, doc);
    tx_expect(&t, "W_WINDOW_UNKNOWN", 31, "/submission/windows/window[11]");
    assert_int_equal(t.diags.nerrors, 0);
    assert_string_equal(t.s.windows[10].catalog, "other");
    assert_string_equal(t.s.windows[10].name, "便民服务");
    tx_done(&t);
    free(doc);
}

static void
warns_problem_open_past_deadline(void **state)
{
    (void)state;
    check("status=\"rectified\" rectified=\"2026-10-23\"",
          "status=\"open\" deadline=\"2026-10-25\"", "W_PROBLEM_OVERDUE", 78,
          "/submission/problems/problem[7]/@deadline");
}

static void
accepts_open_problem_before_deadline(void **state)
{
    (void)state;
    struct tx t;
    char *doc = tx_edit("status=\"rectified\" rectified=\"2026-10-23\"",
                        "status=\"open\" deadline=\"2026-11-15\"");
    tx_run(&t, doc);
    assert_int_equal(t.diags.nerrors, 0);
    assert_int_equal(tx_count(&t, "W_PROBLEM_OVERDUE"), 0);
    assert_int_equal(t.s.problems[6].deadline, 20261115);
    tx_done(&t);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rejects_schema_violation),
        cmocka_unit_test(rejects_count_with_sign),
        cmocka_unit_test(rejects_count_with_full_width_digits),
        cmocka_unit_test(rejects_count_of_ten_digits),
        cmocka_unit_test(rejects_date_that_does_not_exist),
        cmocka_unit_test(rejects_unknown_township),
        cmocka_unit_test(rejects_period_after_current_month),
        cmocka_unit_test(rejects_sites_with_window_above_total),
        cmocka_unit_test(rejects_evaluated_above_handled),
        cmocka_unit_test(rejects_rate_above_100),
        cmocka_unit_test(rejects_resolved_above_received),
        cmocka_unit_test(rejects_duplicate_leader_id),
        cmocka_unit_test(rejects_duplicate_problem_id),
        cmocka_unit_test(rejects_walk_with_unknown_leader),
        cmocka_unit_test(rejects_walk_with_unknown_window),
        cmocka_unit_test(rejects_walk_with_unknown_problem),
        cmocka_unit_test(rejects_walk_outside_period),
        cmocka_unit_test(rejects_problem_found_after_period),
        cmocka_unit_test(rejects_rectified_problem_without_date),
        cmocka_unit_test(rejects_open_problem_with_rectified_date),
        cmocka_unit_test(rejects_rectified_before_found),
        cmocka_unit_test(rejects_rectified_after_period),
        cmocka_unit_test(warns_rate_mismatch),
        cmocka_unit_test(accepts_rate_within_one_point),
        cmocka_unit_test(warns_approx_count),
        cmocka_unit_test(warns_unknown_window_and_maps_to_other),
        cmocka_unit_test(warns_problem_open_past_deadline),
        cmocka_unit_test(accepts_open_problem_before_deadline),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    transform_cleanup();
    return rc;
}
