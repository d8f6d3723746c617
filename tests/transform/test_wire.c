/* The readers' wire form (transform/wire.h): what is written reads back
 * the same, and what a subverted reader could send instead is refused
 * without a crash, an allocation it did not earn, or a submission the
 * database would refuse. */
#include "tx.h"

#include "../../common/dbuf.h"
#include "../../transform/wire.h"

/* The example, parsed. */
static void
example(struct tx *t)
{
    char *doc = tx_example();
    tx_run(t, doc);
    free(doc);
    assert_int_equal(t->rc, 0);
    assert_false(diag_has_errors(&t->diags));
}

static void
encode(const struct tx *t, struct dbuf *b)
{
    dbuf_init(b, 1u << 24);
    assert_int_equal(wire_put_diags(b, &t->diags), 0);
    assert_int_equal(wire_put_submission(b, &t->s), 0);
}

/* Decodes diags and a submission from b; returns the first failure. */
static int
decode(const void *data, size_t len, int loadable)
{
    struct wire_in in;
    struct diag_list diags;
    struct submission s;
    wire_in_init(&in, data, len);
    diag_list_init(&diags, 200);
    submission_init(&s, wire_arena_limit(len));
    int rc = wire_get_diags(&in, &diags);
    if (rc == 0)
        rc = wire_get_submission(&in, &s, loadable);
    if (rc == 0 && in.left != 0)
        rc = BZ_EINPUT;
    diag_list_free(&diags);
    submission_free(&s);
    return rc;
}

static void
reads_back_what_was_written(void **state)
{
    (void)state;
    struct tx t;
    struct dbuf b;
    struct wire_in in;
    struct diag_list diags;
    struct submission s;
    example(&t);
    encode(&t, &b);
    wire_in_init(&in, b.data, b.len);
    diag_list_init(&diags, 200);
    submission_init(&s, wire_arena_limit(b.len));
    assert_int_equal(wire_get_diags(&in, &diags), 0);
    assert_int_equal(wire_get_submission(&in, &s, 1), 0);
    assert_int_equal(in.left, 0);
    assert_int_equal(diags.n, t.diags.n);
    assert_int_equal(diags.nwarnings, t.diags.nwarnings);
    for (size_t i = 0; i < diags.n; i++) {
        assert_string_equal(diags.items[i].code, t.diags.items[i].code);
        assert_string_equal(diags.items[i].path, t.diags.items[i].path);
        assert_string_equal(diags.items[i].message, t.diags.items[i].message);
        assert_int_equal(diags.items[i].line, t.diags.items[i].line);
        assert_int_equal(diags.items[i].severity, t.diags.items[i].severity);
    }
    assert_string_equal(s.township_code, t.s.township_code);
    assert_string_equal(s.township_name, t.s.township_name);
    assert_string_equal(s.submitted_at, t.s.submitted_at);
    assert_int_equal(s.year * 100 + s.month, t.s.year * 100 + t.s.month);
    assert_int_equal(s.handled, t.s.handled);
    assert_int_equal(s.consultations.approx, t.s.consultations.approx);
    assert_true(s.reported_rate_value == t.s.reported_rate_value);
    assert_int_equal(s.nwindows, t.s.nwindows);
    assert_int_equal(s.nwalks, t.s.nwalks);
    assert_int_equal(s.nproblems, t.s.nproblems);
    for (size_t i = 0; i < s.nwalks; i++) {
        assert_string_equal(s.walks[i].leader, t.s.walks[i].leader);
        assert_int_equal(s.walks[i].date, t.s.walks[i].date);
        assert_int_equal(s.walks[i].nproblems, t.s.walks[i].nproblems);
    }
    for (int k = 0; k < SUBM_TEXT_KINDS; k++)
        assert_int_equal(s.texts[k].n, t.s.texts[k].n);
    diag_list_free(&diags);
    submission_free(&s);
    dbuf_free(&b);
    tx_done(&t);
}

static void
refuses_every_truncation(void **state)
{
    (void)state;
    struct tx t;
    struct dbuf b;
    example(&t);
    encode(&t, &b);
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(decode(b.data, n, 0), BZ_EINPUT);
    dbuf_free(&b);
    tx_done(&t);
}

/* Every byte changed to a few values: decoded or refused, never a crash
 * (the ASan build runs this too). */
static void
survives_every_corrupted_byte(void **state)
{
    (void)state;
    static const unsigned char with[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};
    struct tx t;
    struct dbuf b;
    example(&t);
    encode(&t, &b);
    unsigned char *copy = malloc(b.len);
    assert_non_null(copy);
    size_t refused = 0;
    for (size_t i = 0; i < b.len; i++)
        for (size_t k = 0; k < sizeof(with); k++) {
            memcpy(copy, b.data, b.len);
            copy[i] = with[k];
            int rc = decode(copy, b.len, 1);
            assert_true(rc == 0 || rc == BZ_EINPUT);
            refused += rc != 0;
        }
    assert_true(refused > 0);
    free(copy);
    dbuf_free(&b);
    tx_done(&t);
}

static void
refuses_a_count_larger_than_its_bytes(void **state)
{
    (void)state;
    /* a diagnostics list of 4 billion entries in 8 bytes: refused before
     * anything is allocated for them */
    static const unsigned char huge[] = {0xFE, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
    struct wire_in in;
    struct diag_list diags;
    wire_in_init(&in, huge, sizeof(huge));
    diag_list_init(&diags, (size_t)-1);
    assert_int_equal(wire_get_diags(&in, &diags), BZ_EINPUT);
    assert_null(diags.items);
    diag_list_free(&diags);
}

/* The example with one change made after parsing, as a subverted reader
 * would send it: it must not reach the database. */
static void
refused_when_loadable(void (*change)(struct submission *s))
{
    struct tx t;
    struct dbuf b;
    example(&t);
    change(&t.s);
    encode(&t, &b);
    assert_int_equal(decode(b.data, b.len, 1), BZ_EINPUT);
    assert_int_equal(decode(b.data, b.len, 0), 0); /* fine for a rejected one's receipt */
    dbuf_free(&b);
    tx_done(&t);
}

static void
evaluated_above_handled(struct submission *s)
{
    s->evaluated = s->handled + 1;
}
static void
duplicate_window_id(struct submission *s)
{
    s->windows[1].id = s->windows[0].id;
}
static void
walk_names_unknown_leader(struct submission *s)
{
    s->walks[0].leader = "L99";
}
static void
unknown_catalog_code(struct submission *s)
{
    s->windows[0].catalog = "casino";
}
static void
invalid_date(struct submission *s)
{
    s->walks[0].date = 20260231;
}
static void
bad_submitted_at(struct submission *s)
{
    s->submitted_at = "yesterday";
}
static void
hour_24_past_midnight(struct submission *s)
{
    s->submitted_at = "2026-11-05T24:30:00+08:00"; /* only 24:00:00 is a time of hour 24 */
}
static void
fraction_past_postgres(struct submission *s)
{
    s->submitted_at = "2026-11-05T09:30:00.00000000000000000000000000000000000000001+08:00";
}
static void
rectified_without_date(struct submission *s)
{
    for (size_t i = 0; i < s->nproblems; i++)
        if (strcmp(s->problems[i].status, "rectified") == 0)
            s->problems[i].rectified = 0;
}
static void
count_out_of_range(struct submission *s)
{
    s->symposia = 1000000000;
}
static void
unknown_role(struct submission *s)
{
    s->leaders[0].role = "king";
}

static void
refuses_what_the_database_would(void **state)
{
    (void)state;
    refused_when_loadable(evaluated_above_handled);
    refused_when_loadable(duplicate_window_id);
    refused_when_loadable(walk_names_unknown_leader);
    refused_when_loadable(unknown_catalog_code);
    refused_when_loadable(invalid_date);
    refused_when_loadable(bad_submitted_at);
    refused_when_loadable(hour_24_past_midnight);
    refused_when_loadable(fraction_past_postgres);
    refused_when_loadable(rectified_without_date);
    refused_when_loadable(count_out_of_range);
    refused_when_loadable(unknown_role);
}

static void
refuses_invalid_utf8(void **state)
{
    (void)state;
    struct tx t;
    struct dbuf b;
    example(&t);
    t.s.contact_name = "\xE4\xB9"; /* half a character */
    encode(&t, &b);
    assert_int_equal(decode(b.data, b.len, 0), BZ_EINPUT);
    dbuf_free(&b);
    tx_done(&t);
    assert_false(wire_utf8_valid("\xC0\xAF", 2));     /* overlong '/' */
    assert_false(wire_utf8_valid("\xED\xA0\x80", 3)); /* a surrogate */
    assert_false(wire_utf8_valid("a\0b", 3));
    assert_true(wire_utf8_valid("乡镇", strlen("乡镇")));
}

static void
refuses_diagnostics_that_hide_an_error(void **state)
{
    (void)state;
    struct dbuf b;
    struct diag_list l, got;
    struct wire_in in;
    diag_list_init(&l, 10);
    diag_add(&l, "E_EVAL_EXCEEDS", 3, "/x", "m");
    l.nerrors = 0; /* listed, not counted: would make it loadable */
    dbuf_init(&b, 1 << 16);
    assert_int_equal(wire_put_diags(&b, &l), 0);
    wire_in_init(&in, b.data, b.len);
    diag_list_init(&got, 10);
    assert_int_equal(wire_get_diags(&in, &got), BZ_EINPUT);
    diag_list_free(&got);
    /* a code that is not the catalog's */
    dbuf_reset(&b);
    l.nerrors = 1;
    memcpy(l.items[0].code, "E_MADE_UP", 10);
    assert_int_equal(wire_put_diags(&b, &l), 0);
    wire_in_init(&in, b.data, b.len);
    diag_list_init(&got, 10);
    assert_int_equal(wire_get_diags(&in, &got), BZ_EINPUT);
    diag_list_free(&got);
    /* more entries than the list may keep */
    diag_list_init(&got, 2);
    dbuf_reset(&b);
    memcpy(l.items[0].code, "E_EVAL_EXCEEDS", 15);
    diag_add(&l, "E_SITES_WINDOW", 4, "/y", "n");
    diag_add(&l, "E_RATE_RANGE", 5, "/z", "o");
    assert_int_equal(wire_put_diags(&b, &l), 0);
    wire_in_init(&in, b.data, b.len);
    assert_int_equal(wire_get_diags(&in, &got), BZ_EINPUT);
    diag_list_free(&got);
    diag_list_free(&l);
    dbuf_free(&b);
}

static void
reads_back_a_rollup(void **state)
{
    (void)state;
    struct adx_doc d, got;
    struct adx_group g = {
        "539901101", "示例乡", 20261001, 1, {31, 30, 4, 3, 12, 10, 5, 5, 1, 1, 1}};
    struct dbuf b;
    struct wire_in in;
    memset(&d, 0, sizeof(d));
    memcpy(d.county, "539901", 7);
    memcpy(d.county_name, "示例县", strlen("示例县") + 1);
    memcpy(d.period, "2026-10", 8);
    memcpy(d.as_of, "2026-11-28", 11);
    memcpy(d.exported, "2026-11-28T02:30:00+08:00", 26);
    d.groups = &g;
    d.n = 1;
    dbuf_init(&b, 1 << 16);
    assert_int_equal(wire_put_adx(&b, &d), 0);
    memset(&got, 0, sizeof(got));
    wire_in_init(&in, b.data, b.len);
    assert_int_equal(wire_get_adx(&in, &got, 1), 0);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.groups[0].name, "示例乡");
    assert_int_equal(got.groups[0].v[10], 1);
    adx_doc_free(&got);
    /* walked above listed: refused for loading */
    g.v[5] = 13;
    dbuf_reset(&b);
    assert_int_equal(wire_put_adx(&b, &d), 0);
    memset(&got, 0, sizeof(got));
    wire_in_init(&in, b.data, b.len);
    assert_int_equal(wire_get_adx(&in, &got, 1), BZ_EINPUT);
    adx_doc_free(&got);
    /* the same township and period twice: facts.rollup_group keeps one */
    g.v[5] = 5;
    struct adx_group two[2] = {g, g};
    d.groups = two;
    d.n = 2;
    dbuf_reset(&b);
    assert_int_equal(wire_put_adx(&b, &d), 0);
    memset(&got, 0, sizeof(got));
    wire_in_init(&in, b.data, b.len);
    assert_int_equal(wire_get_adx(&in, &got, 1), BZ_EINPUT);
    adx_doc_free(&got);
    two[1].months = 3;
    two[1].v[8] = 3;
    dbuf_reset(&b);
    assert_int_equal(wire_put_adx(&b, &d), 0);
    memset(&got, 0, sizeof(got));
    wire_in_init(&in, b.data, b.len);
    assert_int_equal(wire_get_adx(&in, &got, 1), 0); /* its quarter is another key */
    adx_doc_free(&got);
    dbuf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_back_what_was_written),
        cmocka_unit_test(refuses_every_truncation),
        cmocka_unit_test(survives_every_corrupted_byte),
        cmocka_unit_test(refuses_a_count_larger_than_its_bytes),
        cmocka_unit_test(refuses_what_the_database_would),
        cmocka_unit_test(refuses_invalid_utf8),
        cmocka_unit_test(refuses_diagnostics_that_hide_an_error),
        cmocka_unit_test(reads_back_a_rollup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
