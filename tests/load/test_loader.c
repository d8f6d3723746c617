/* Loader: the revision rules of submission-format.md, verbatim text, and
 * nothing half-loaded, one submission per batch (tests/load/support.h);
 * tests/e2e load whole nights of them. */
#include "support.h"

#include "../../common/diag.h"
#include "../../load/loader.h"

#include <pthread.h>

#define FILE_SHA "f000000000000000000000000000000000000000000000000000000000000001"
#define TOWNSHIP "539901101"

static int
setup(void **state)
{
    struct scratch *s = calloc(1, sizeof(*s));
    struct bz_error e;
    scratch_create(s);
    scratch_exec(s->conn, "INSERT INTO ref.township (code, name) VALUES"
                          " ('539901101', '示例乡'), ('539901102', '东山镇')");
    scratch_exec(s->conn, "INSERT INTO ref.township (code, name, active) VALUES"
                          " ('539901199', '已撤并乡', false)");
    bz_error_clear(&e);
    const struct test_file file = {FILE_SHA, "539901101-2026-09.zip", "archive/f0/" FILE_SHA, 1234,
                                   1790000000};
    assert_int_equal(test_store(s->conn, &file, NULL, &e), 0);
    *state = s;
    return 0;
}

static int
teardown(void **state)
{
    struct scratch *s = *state;
    scratch_drop(s);
    free(s);
    return 0;
}

static const struct rows_origin meta = {FILE_SHA, 1790000000, "pkg.zip/539901101.xml"};

/* Loads and expects success (rc 0); returns the outcome (warnings freed). */
static struct loader_outcome
load_ok(PGconn *c, struct submission *sub, const struct diag_list *warnings)
{
    struct loader_outcome o;
    struct bz_error e;
    bz_error_clear(&e);
    int rc = test_load(c, sub, warnings, &meta, &o, &e);
    if (rc != 0)
        fail_msg("test_load: %d [%s] %s (%s)", rc, e.code, e.message, e.detail);
    return o;
}

static long
submissions(PGconn *c)
{
    return scratch_long(c, "SELECT count(*) FROM facts.submission");
}

static long
staged(PGconn *c)
{
    /* only headers are staged; child rows go straight into facts (sql/load/merge.sql) */
    return scratch_long(c, "SELECT count(*) FROM staging.submission");
}

static void
accepts_new_submission_with_all_rows(void **state)
{
    struct scratch *s = *state;
    struct submission sub;
    struct diag_list w;

    fill_submission(&sub, TOWNSHIP, 2026, 10, 1, 'a');
    diag_list_init(&w, 16);
    diag_add(&w, "W_APPROX_COUNT", 9, "/submission/oneStop/consultations", "咨询人数为约数");
    struct loader_outcome o = load_ok(s->conn, &sub, &w);
    assert_int_equal(o.result, LOADER_ACCEPTED);
    assert_true(o.submission_id > 0);
    assert_int_equal(o.current_revision, 1);
    assert_int_equal(o.warnings.n, 0);
    diag_list_free(&o.warnings);

    assert_int_equal(submissions(s->conn), 1);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.window"), 2);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.leader"), 2);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.walk"
                                           " WHERE problem_ids = '{P1}'"),
                     1);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.problem"
                                           " WHERE status = 'open' AND found = '2026-10-03'"),
                     1);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.text_item"), 1);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.warning"
                                           " WHERE code = 'W_APPROX_COUNT' AND line = 9"),
                     1);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.submission"
                                           " WHERE period = '2026-10-01' AND consultations_approx"
                                           " AND reported_rate = 98 AND complaints_received IS NULL"
                                           " AND member = 'pkg.zip/539901101.xml'"),
                     1);
    assert_int_equal(staged(s->conn), 0);
    diag_list_free(&w);
    submission_free(&sub);
}

static void
same_document_again_is_duplicate_and_changes_nothing(void **state)
{
    struct scratch *s = *state;
    struct submission sub;

    fill_submission(&sub, TOWNSHIP, 2026, 10, 1, 'a');
    struct loader_outcome first = load_ok(s->conn, &sub, NULL);
    long windows = scratch_long(s->conn, "SELECT count(*) FROM facts.window");
    struct loader_outcome again = load_ok(s->conn, &sub, NULL);
    assert_int_equal(again.result, LOADER_DUPLICATE);
    assert_int_equal(again.submission_id, first.submission_id);
    assert_int_equal(again.current_revision, 1);
    assert_int_equal(submissions(s->conn), 1);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.window"), windows);
    assert_int_equal(staged(s->conn), 0);
    diag_list_free(&first.warnings);
    diag_list_free(&again.warnings);
    submission_free(&sub);
}

static void
higher_revision_supersedes_and_keeps_the_earlier(void **state)
{
    struct scratch *s = *state;
    struct submission r1, r2;

    fill_submission(&r1, TOWNSHIP, 2026, 10, 1, 'a');
    fill_submission(&r2, TOWNSHIP, 2026, 10, 2, 'b');
    r2.handled = 40;
    struct loader_outcome o1 = load_ok(s->conn, &r1, NULL);
    struct loader_outcome o2 = load_ok(s->conn, &r2, NULL);
    assert_int_equal(o2.result, LOADER_ACCEPTED);
    assert_int_equal(o2.current_revision, 2);
    assert_true(o2.submission_id != o1.submission_id);
    assert_int_equal(submissions(s->conn), 2);
    /* the current revision is the highest: it carries revision 2's figures */
    assert_int_equal(scratch_long(s->conn, "SELECT handled FROM facts.submission"
                                           " ORDER BY revision DESC LIMIT 1"),
                     40);
    /* the earlier document again is still a duplicate, not stale */
    struct loader_outcome o3 = load_ok(s->conn, &r1, NULL);
    assert_int_equal(o3.result, LOADER_DUPLICATE);
    assert_int_equal(o3.submission_id, o1.submission_id);
    assert_int_equal(o3.current_revision, 2);
    diag_list_free(&o1.warnings);
    diag_list_free(&o2.warnings);
    diag_list_free(&o3.warnings);
    submission_free(&r1);
    submission_free(&r2);
}

static void
same_revision_with_other_bytes_is_conflict_and_stores_nothing(void **state)
{
    struct scratch *s = *state;
    struct submission a, b;
    char msg[256];

    fill_submission(&a, TOWNSHIP, 2026, 10, 1, 'a');
    fill_submission(&b, TOWNSHIP, 2026, 10, 1, 'b');
    struct loader_outcome oa = load_ok(s->conn, &a, NULL);
    struct loader_outcome ob = load_ok(s->conn, &b, NULL);
    assert_int_equal(ob.result, LOADER_CONFLICT);
    assert_int_equal(ob.current_revision, 1);
    assert_int_equal(ob.submission_id, 0);
    assert_int_equal(submissions(s->conn), 1);
    assert_int_equal(staged(s->conn), 0);
    loader_result_message(&ob, b.revision, msg, sizeof(msg));
    assert_non_null(strstr(msg, "请以版本号 2 重新报送"));
    diag_list_free(&oa.warnings);
    diag_list_free(&ob.warnings);
    submission_free(&a);
    submission_free(&b);
}

static void
lower_revision_than_current_is_stale(void **state)
{
    struct scratch *s = *state;
    struct submission r3, r2;

    fill_submission(&r3, TOWNSHIP, 2026, 10, 3, 'c');
    fill_submission(&r2, TOWNSHIP, 2026, 10, 2, 'b');
    struct loader_outcome o3 = load_ok(s->conn, &r3, NULL);
    struct loader_outcome o2 = load_ok(s->conn, &r2, NULL);
    assert_int_equal(o2.result, LOADER_STALE);
    assert_int_equal(o2.current_revision, 3);
    assert_int_equal(submissions(s->conn), 1);
    assert_int_equal(scratch_long(s->conn, "SELECT revision FROM facts.submission"), 3);
    diag_list_free(&o3.warnings);
    diag_list_free(&o2.warnings);
    submission_free(&r3);
    submission_free(&r2);
}

static void
unknown_or_inactive_township_is_refused(void **state)
{
    struct scratch *s = *state;
    struct submission u, i;

    fill_submission(&u, "539901888", 2026, 10, 1, 'a');
    fill_submission(&i, "539901199", 2026, 10, 1, 'b');
    struct loader_outcome ou = load_ok(s->conn, &u, NULL);
    struct loader_outcome oi = load_ok(s->conn, &i, NULL);
    assert_int_equal(ou.result, LOADER_UNKNOWN_TOWNSHIP);
    assert_int_equal(oi.result, LOADER_UNKNOWN_TOWNSHIP);
    assert_int_equal(submissions(s->conn), 0);
    assert_int_equal(staged(s->conn), 0);
    diag_list_free(&ou.warnings);
    diag_list_free(&oi.warnings);
    submission_free(&u);
    submission_free(&i);
}

/* Text that breaks naive COPY or SQL building: every byte must survive. */
static const char *const nasty[] = {
    "back\\slash \\N \\t tab\there",
    "line\nbreak\r\ncrlf",
    "quote ' double \" '); DROP TABLE facts.submission;--",
    "emoji 😀🏯 全角＂引号＂ {braces,comma} \"\\\"",
};

static void
free_text_is_stored_byte_for_byte(void **state)
{
    struct scratch *s = *state;
    struct submission sub;
    const size_t n = sizeof(nasty) / sizeof(nasty[0]);

    fill_submission(&sub, TOWNSHIP, 2026, 10, 1, 'a');
    const char **items = arena_alloc(&sub.arena, n * sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = nasty[i];
    sub.texts[SUBM_SUGGESTION].items = items;
    sub.texts[SUBM_SUGGESTION].n = n;
    sub.problems[0].text = nasty[2];
    sub.problems[0].id = nasty[3];
    sub.walks[0].problems[0] = nasty[3];
    sub.windows[1].name = nasty[1];
    sub.contact_phone = nasty[0];
    struct loader_outcome o = load_ok(s->conn, &sub, NULL);
    assert_int_equal(o.result, LOADER_ACCEPTED);

    PGresult *r = PQexec(s->conn, "SELECT body FROM facts.text_item WHERE kind = 'suggestion'"
                                  " ORDER BY ord");
    assert_int_equal(PQntuples(r), (int)n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(PQgetlength(r, (int)i, 0), (int)strlen(nasty[i]));
        assert_memory_equal(PQgetvalue(r, (int)i, 0), nasty[i], strlen(nasty[i]));
    }
    PQclear(r);
    r = PQexec(s->conn,
               "SELECT p.description, p.problem_id, w.problem_ids[1],"
               " array_length(w.problem_ids, 1), win.name, sub.contact_phone"
               " FROM facts.problem p, facts.walk w, facts.window win, facts.submission sub"
               " WHERE win.window_id = 'W02'");
    assert_int_equal(PQntuples(r), 1);
    assert_string_equal(PQgetvalue(r, 0, 0), nasty[2]);
    assert_string_equal(PQgetvalue(r, 0, 1), nasty[3]);
    assert_string_equal(PQgetvalue(r, 0, 2), nasty[3]);
    assert_string_equal(PQgetvalue(r, 0, 3), "1");
    assert_string_equal(PQgetvalue(r, 0, 4), nasty[1]);
    assert_string_equal(PQgetvalue(r, 0, 5), nasty[0]);
    PQclear(r);
    diag_list_free(&o.warnings);
    submission_free(&sub);
}

static void
failing_copy_leaves_no_rows_and_connection_usable(void **state)
{
    struct scratch *s = *state;
    struct submission bad, good;
    struct loader_outcome o;
    struct bz_error e;

    fill_submission(&bad, TOWNSHIP, 2026, 10, 1, 'a');
    bad.leaders[1].role = "boss"; /* staging CHECK: the COPY itself fails */
    bz_error_clear(&e);
    assert_int_equal(test_load(s->conn, &bad, NULL, &meta, &o, &e), BZ_EDB);
    assert_string_equal(e.code, "E_DB_QUERY");
    assert_non_null(strstr(e.detail, "23514"));
    assert_int_equal(o.warnings.n, 0);
    assert_int_equal(submissions(s->conn), 0);
    assert_int_equal(staged(s->conn), 0);
    assert_int_equal(PQtransactionStatus(s->conn), PQTRANS_IDLE);

    fill_submission(&good, TOWNSHIP, 2026, 10, 1, 'b');
    struct loader_outcome ok = load_ok(s->conn, &good, NULL);
    assert_int_equal(ok.result, LOADER_ACCEPTED);
    assert_int_equal(submissions(s->conn), 1);
    diag_list_free(&ok.warnings);
    submission_free(&bad);
    submission_free(&good);
}

static void
failing_merge_leaves_no_rows(void **state)
{
    struct scratch *s = *state;
    struct submission bad;
    struct loader_outcome o;
    struct bz_error e;

    fill_submission(&bad, TOWNSHIP, 2026, 10, 1, 'a');
    bad.evaluated = bad.handled + 1; /* passes staging, violates facts' CHECK */
    bz_error_clear(&e);
    assert_int_equal(test_load(s->conn, &bad, NULL, &meta, &o, &e), BZ_EDB);
    assert_int_equal(submissions(s->conn), 0);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.window"), 0);
    assert_int_equal(staged(s->conn), 0);
    submission_free(&bad);
}

/* September: P1 open, P2 rectified, P3 rectifying; revision 2 of September
 * also lists P5 rectified after revision 1 had it open. October lists only
 * P3 and a new P4: P1 is the one that disappeared while still open. */
static void
warns_when_open_problem_disappears_from_next_month(void **state)
{
    struct scratch *s = *state;
    struct submission sep1, sep2, oct;

    fill_submission(&sep1, TOWNSHIP, 2026, 9, 1, 'a');
    sep1.problems = arena_alloc(&sep1.arena, 2 * sizeof(*sep1.problems));
    sep1.nproblems = 2;
    sep1.problems[0] = (struct subm_problem){"P1", "walk", "open", 20260903, 0, 0, "甲", 1};
    sep1.problems[1] = (struct subm_problem){"P5", "other", "open", 20260905, 0, 0, "戊", 2};

    fill_submission(&sep2, TOWNSHIP, 2026, 9, 2, 'b');
    sep2.problems = arena_alloc(&sep2.arena, 4 * sizeof(*sep2.problems));
    sep2.nproblems = 4;
    sep2.problems[0] = (struct subm_problem){"P1", "walk", "open", 20260903, 0, 0, "甲", 1};
    sep2.problems[1] =
        (struct subm_problem){"P2", "supervision", "rectified", 20260904, 20260920, 0, "乙", 2};
    sep2.problems[2] =
        (struct subm_problem){"P3", "complaint", "rectifying", 20260910, 0, 0, "丙", 3};
    sep2.problems[3] =
        (struct subm_problem){"P5", "other", "rectified", 20260905, 20260925, 0, "戊", 4};

    fill_submission(&oct, TOWNSHIP, 2026, 10, 1, 'c');
    oct.problems = arena_alloc(&oct.arena, 2 * sizeof(*oct.problems));
    oct.nproblems = 2;
    oct.problems[0] =
        (struct subm_problem){"P3", "complaint", "rectified", 20260910, 20261008, 0, "丙", 1};
    oct.problems[1] = (struct subm_problem){"P4", "walk", "open", 20261003, 0, 0, "丁", 2};
    oct.walks[0].problems[0] = "P4";

    struct loader_outcome o1 = load_ok(s->conn, &sep1, NULL);
    struct loader_outcome o2 = load_ok(s->conn, &sep2, NULL);
    assert_int_equal(o2.warnings.n, 0);
    struct loader_outcome o3 = load_ok(s->conn, &oct, NULL);
    assert_int_equal(o3.result, LOADER_ACCEPTED);
    assert_int_equal(o3.warnings.n, 1);
    assert_string_equal(o3.warnings.items[0].code, "W_PROBLEM_DISAPPEARED");
    assert_int_equal(o3.warnings.items[0].severity, DIAG_WARNING);
    assert_non_null(strstr(o3.warnings.items[0].message, "“P1”"));
    assert_non_null(strstr(o3.warnings.items[0].message, "2026-09"));
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM facts.warning w"
                                           " JOIN facts.submission s ON s.id = w.submission_id"
                                           " WHERE s.period = '2026-10-01'"
                                           " AND w.code = 'W_PROBLEM_DISAPPEARED'"),
                     1);
    diag_list_free(&o1.warnings);
    diag_list_free(&o2.warnings);
    diag_list_free(&o3.warnings);
    submission_free(&sep1);
    submission_free(&sep2);
    submission_free(&oct);
}

static void
records_raw_file_once_and_stores_receipts(void **state)
{
    struct scratch *s = *state;
    struct bz_error e;
    struct diag_list d;

    bz_error_clear(&e);
    const struct test_file again = {FILE_SHA, "again.zip", "archive/x", 1234, 1790000100};
    assert_int_equal(test_store(s->conn, &again, NULL, &e), 0);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM raw.file"), 1);
    assert_int_equal(scratch_long(s->conn, "SELECT count(*) FROM raw.file"
                                           " WHERE original_name = '539901101-2026-09.zip'"),
                     1);

    diag_list_init(&d, 8);
    diag_add(&d, "W_RATE_MISMATCH", 3, "/submission/evaluation", "相差 1.2 个百分点");
    diag_add(&d, "W_APPROX_COUNT", 4, NULL, "约数");
    diag_add(&d, "W_RATE_MISMATCH", 5, NULL, "again");
    struct rows_receipt r = {FILE_SHA,
                             "a.xml",
                             TOWNSHIP,
                             2026,
                             10,
                             2,
                             "accepted_with_warnings",
                             &d,
                             "回执：已接收 '\\",
                             "{\"outcome\":\"accepted_with_warnings\"}",
                             NULL};
    assert_int_equal(test_store(s->conn, NULL, &r, &e), 0);
    struct rows_receipt rej = {FILE_SHA, NULL, NULL, 0, 0, 0, "rejected", NULL, "拒收", NULL, NULL};
    assert_int_equal(test_store(s->conn, NULL, &rej, &e), 0);
    PGresult *res =
        PQexec(s->conn, "SELECT codes::text, period, revision, body, body_json->>'outcome'"
                        " FROM raw.receipt ORDER BY id");
    assert_int_equal(PQntuples(res), 2);
    assert_string_equal(PQgetvalue(res, 0, 0), "{W_RATE_MISMATCH,W_APPROX_COUNT}");
    assert_string_equal(PQgetvalue(res, 0, 1), "2026-10-01");
    assert_string_equal(PQgetvalue(res, 0, 2), "2");
    assert_string_equal(PQgetvalue(res, 0, 3), "回执：已接收 '\\");
    assert_string_equal(PQgetvalue(res, 0, 4), "accepted_with_warnings");
    assert_true(PQgetisnull(res, 1, 1));
    assert_string_equal(PQgetvalue(res, 1, 0), "{}");
    PQclear(res);
    diag_list_free(&d);
}

struct racer {
    const char *conninfo;
    struct submission *sub;
    int rc;
    struct loader_outcome o;
    struct bz_error e;
};

static void *
race(void *arg)
{
    struct racer *r = arg;
    PGconn *c = PQconnectdb(r->conninfo);
    bz_error_clear(&r->e);
    r->rc = PQstatus(c) == CONNECTION_OK ? test_load(c, r->sub, NULL, &meta, &r->o, &r->e) : -100;
    PQfinish(c);
    return NULL;
}

/* Two different documents with the same revision at the same moment: the
 * advisory lock makes one win and the other see it (never two revision 1). */
static void
concurrent_loads_of_same_month_are_serialized(void **state)
{
    struct scratch *s = *state;
    enum { N = 6 };
    struct submission subs[N];
    struct racer r[N];
    pthread_t t[N];
    int accepted = 0, conflicts = 0;

    for (int i = 0; i < N; i++) {
        fill_submission(&subs[i], TOWNSHIP, 2026, 10, 1, (char)('a' + i));
        r[i] = (struct racer){.conninfo = s->conninfo, .sub = &subs[i], .rc = -1};
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        if (r[i].rc != 0)
            fail_msg("racer %d: [%s] %s (%s)", i, r[i].e.code, r[i].e.message, r[i].e.detail);
        accepted += r[i].o.result == LOADER_ACCEPTED;
        conflicts += r[i].o.result == LOADER_CONFLICT;
        diag_list_free(&r[i].o.warnings);
        submission_free(&subs[i]);
    }
    assert_int_equal(accepted, 1);
    assert_int_equal(conflicts, N - 1);
    assert_int_equal(submissions(s->conn), 1);
    assert_int_equal(staged(s->conn), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(accepts_new_submission_with_all_rows),
        T(same_document_again_is_duplicate_and_changes_nothing),
        T(higher_revision_supersedes_and_keeps_the_earlier),
        T(same_revision_with_other_bytes_is_conflict_and_stores_nothing),
        T(lower_revision_than_current_is_stale),
        T(unknown_or_inactive_township_is_refused),
        T(free_text_is_stored_byte_for_byte),
        T(failing_copy_leaves_no_rows_and_connection_usable),
        T(failing_merge_leaves_no_rows),
        T(warns_when_open_problem_disappears_from_next_month),
        T(records_raw_file_once_and_stores_receipts),
        T(concurrent_loads_of_same_month_are_serialized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
