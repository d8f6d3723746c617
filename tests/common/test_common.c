/* Unit tests of common/: the code catalog, settings, bounded buffers,
 * the diagnostics list and receipt rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../common/codes.h"
#include "../../common/dbuf.h"
#include "../../common/esc.h"
#include "../../common/fsdir.h"
#include "../../common/diag.h"
#include "../../common/error.h"
#include "../../common/receipt.h"
#include "../../common/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The whole catalog against README's table: tests/jobs/test_codes. */
static void
codes_are_found_by_name(void **state)
{
    (void)state;
    assert_true(codes_is_warning("W_RATE_MISMATCH"));
    assert_false(codes_is_warning("E_EVAL_EXCEEDS"));
    assert_int_equal(codes_status(E_EVAL_EXCEEDS), BZ_EINPUT);
    assert_string_equal(codes_title("E_EVAL_EXCEEDS"), codes_title_of(E_EVAL_EXCEEDS));
    assert_false(codes_is_warning("W_NO_SUCH_CODE"));
    assert_null(codes_title("E_NO_SUCH_CODE"));
}

static void
settings_parse_sizes_and_reject_out_of_range(void **state)
{
    (void)state;
    struct settings s;
    struct bz_error e;
    settings_defaults(&s, "/srv/bizenv");
    assert_int_equal(s.max_xml_bytes, 16LL << 20);
    assert_int_equal(settings_set(&s, "max_xml_bytes", "2M", &e), 0);
    assert_int_equal(s.max_xml_bytes, 2LL << 20);
    assert_int_equal(settings_set(&s, "max_nesting", "2", &e), BZ_ECONFIG);
    assert_string_equal(e.code, "E_CONFIG");
    assert_int_equal(settings_set(&s, "max_ratio", "12x", &e), BZ_ECONFIG);
    assert_int_equal(settings_set(&s, "no_such_setting", "1", &e), BZ_ECONFIG);
    settings_resolve(&s);
    assert_string_equal(s.inbox, "/srv/bizenv/inbox");
}

static void
settings_file_names_the_bad_line(void **state)
{
    (void)state;
    char path[] = "/tmp/bizenv-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "# comment\nmax_entries = 10\n\nmax_ratio 5\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
    close(fd);
    struct settings s;
    struct bz_error e;
    settings_defaults(&s, "/h");
    assert_int_equal(settings_load_file(&s, path, 0, &e), BZ_ECONFIG);
    assert_int_equal(e.line, 4);
    assert_int_equal(s.max_entries, 10);
    unlink(path);
    assert_int_equal(settings_load_file(&s, path, 1, &e), 0);
}

/* Writes text to a fresh temporary config file; the caller unlinks it. */
static void
write_conf(char *path, const char *text, size_t len)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void
settings_file_keeps_hash_inside_values_and_reads_quotes(void **state)
{
    (void)state;
    char path[] = "/tmp/bizenv-conf-XXXXXX";
    const char text[] = "county_name = 甲#1县   # the county\n"
                        "db=host=/tmp password=pa#ss\n"
                        "  # an indented comment = not a setting\n"
                        "county_code = \"539901\"  # quoted\n"
                        "syslog_ident = \"a #b \\\"c\\\" \\\\\"\n"
                        "max_entries = 12# not a comment: no blank before it\n";
    write_conf(path, text, sizeof(text) - 1);
    struct settings s;
    struct bz_error e;
    settings_defaults(&s, "/h");
    assert_int_equal(settings_load_file(&s, path, 0, &e), BZ_ECONFIG);
    assert_int_equal(e.line, 6);
    assert_string_equal(s.county_name, "甲#1县");
    assert_string_equal(s.db, "host=/tmp password=pa#ss");
    assert_string_equal(s.county_code, "539901");
    assert_string_equal(s.syslog_ident, "a #b \"c\" \\");
    unlink(path);

    const char unterminated[] = "county_name = \"甲县\n";
    char path2[] = "/tmp/bizenv-conf-XXXXXX";
    write_conf(path2, unterminated, sizeof(unterminated) - 1);
    assert_int_equal(settings_load_file(&s, path2, 0, &e), BZ_ECONFIG);
    assert_int_equal(e.line, 1);
    assert_non_null(strstr(e.message, "引号未闭合"));
    unlink(path2);
}

/* A comment line of 3,000 bytes whose tail, past byte 2,047, reads like a
 * setting: it stays a comment. A setting line past the limit is refused
 * as a whole. */
static void
settings_file_reads_long_comments_whole_and_refuses_long_lines(void **state)
{
    (void)state;
    char text[8192];
    size_t n = 0;
    text[n++] = '#';
    text[n++] = ' ';
    while (n < 2047)
        text[n++] = 'x';
    n += (size_t)snprintf(text + n, sizeof(text) - n, "max_entries = 7");
    while (n < 2999)
        text[n++] = ' ';
    text[n++] = '\n';
    n += (size_t)snprintf(text + n, sizeof(text) - n, "max_ratio = 9\n");
    char path[] = "/tmp/bizenv-conf-XXXXXX";
    write_conf(path, text, n);
    struct settings s;
    struct bz_error e;
    settings_defaults(&s, "/h");
    assert_int_equal(settings_load_file(&s, path, 0, &e), 0);
    assert_int_equal(s.max_entries, 2000);
    assert_int_equal(s.max_ratio, 9);
    unlink(path);

    n = (size_t)snprintf(text, sizeof(text), "max_ratio = 8\ncounty_name = ");
    while (n < 5000)
        text[n++] = 'y';
    text[n++] = '\n';
    char path2[] = "/tmp/bizenv-conf-XXXXXX";
    write_conf(path2, text, n);
    settings_defaults(&s, "/h");
    assert_int_equal(settings_load_file(&s, path2, 0, &e), BZ_ECONFIG);
    assert_string_equal(e.code, "E_CONFIG");
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.message, "过长"));
    assert_string_equal(s.county_name, "");
    unlink(path2);
}

/* What `bizenv config` prints for s, in a malloc'd string. */
static char *
printed(const struct settings *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    settings_print(s, f);
    fclose(f);
    return text;
}

static void
settings_print_masks_passwords_and_quotes_values(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"host=db.example password=s3cr#t dbname=biz", "host=db.example password=*** dbname=biz"},
        {"password = 'a b\\'c' user=u", "password = *** user=u"},
        {"postgresql://bz:s3cret@db.example:5432/biz?sslmode=require",
         "postgresql://bz:***@db.example:5432/biz?sslmode=require"},
        {"postgres://db.example/biz?user=bz&password=s3cret",
         "postgres://db.example/biz?user=bz&password=***"},
        {"host=x password='unterminated", "***"},
    };
    struct settings s;
    struct bz_error e;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        settings_defaults(&s, "/h");
        assert_int_equal(settings_set(&s, "db", cases[i][0], &e), 0);
        char *out = printed(&s);
        assert_null(strstr(out, "s3cr"));
        assert_null(strstr(out, "a b"));
        assert_non_null(strstr(out, cases[i][1]));
        free(out);
    }
    settings_defaults(&s, "/h");
    assert_int_equal(settings_set(&s, "county_name", " 甲 #1 \"县\"", &e), 0);
    char *out = printed(&s);
    assert_non_null(strstr(out, "county_name            = \" 甲 #1 \\\"县\\\"\" "));
    free(out);
}

static void
dbuf_stops_at_its_limit(void **state)
{
    (void)state;
    struct dbuf b;
    dbuf_init(&b, 8);
    assert_int_equal(dbuf_adds(&b, "12345"), 0);
    assert_int_equal(dbuf_adds(&b, "6789"), BZ_ELIMIT);
    assert_string_equal(b.data, "12345");
    assert_int_equal(dbuf_printf(&b, "%d", 678), 0);
    assert_string_equal(b.data, "12345678");
    dbuf_free(&b);
}

static void
json_strings_are_escaped(void **state)
{
    (void)state;
    struct dbuf b;
    dbuf_init(&b, 1024);
    assert_int_equal(dbuf_add_json(&b, "a\"b\\c\n\t\x01 乡\xe2\x80\xa8"), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\u000a\\u0009\\u0001 乡\\u2028\"");
    dbuf_free(&b);
}

static void
esc_shows_what_could_forge_or_reorder_a_line(void **state)
{
    (void)state;
    /* newline, ESC, C1 NEL, U+2028, U+202E (bidi), a stray byte, an
     * overlong '/', a truncated sequence; Chinese and '\' kept */
    const char in[] = "a\nb\x1b[2J\xc2\x85\xe2\x80\xa8\xe2\x80\xae乡\\ \xff\xc0\xaf\xe4\xb9";
    const char want[] = "a\\nb\\x1b[2J<U+0085><U+2028><U+202E>乡\\ \\xff\\xc0\\xaf\\xe4\\xb9";
    struct dbuf b;
    dbuf_init(&b, 1024);
    assert_int_equal(esc_dbuf(&b, in), 0);
    assert_string_equal(b.data, want);
    dbuf_free(&b);
    char out[4 * sizeof(in)];
    assert_string_equal(esc_text(out, sizeof(out), in), want);
    /* a short buffer drops whole escapes, never half of one */
    assert_string_equal(esc_text(out, 4, "ab\ncd"), "ab");
    assert_string_equal(esc_text(out, 5, "ab\ncd"), "ab\\n");
    assert_string_equal(esc_text(out, 4, "乡镇"), "乡");
}

static void
diag_list_keeps_a_marker_past_its_limit(void **state)
{
    (void)state;
    struct diag_list l;
    diag_list_init(&l, 4);
    for (int i = 0; i < 10; i++)
        diag_add(&l, "E_EVAL_EXCEEDS", i + 1, "/submission/evaluation", "n=%d", i);
    diag_add(&l, "W_APPROX_COUNT", 3, NULL, "approx");
    assert_int_equal(l.n, 4);
    assert_int_equal(l.nerrors, 10);
    assert_int_equal(l.nwarnings, 1);
    assert_string_equal(l.items[3].code, "E_TOO_MANY_DIAGNOSTICS");
    assert_true(l.dropped > 0);
    assert_true(diag_has_errors(&l));
    diag_list_free(&l);
}

static void
receipt_lists_errors_with_line_and_path(void **state)
{
    (void)state;
    struct diag_list l;
    struct dbuf b;
    diag_list_init(&l, 10);
    dbuf_init(&b, 1 << 16);
    diag_add(&l, "E_EVAL_EXCEEDS", 19, "/submission/evaluation/@evaluated",
             "评价件数 32 大于办件量 31");
    diag_add(&l, "W_APPROX_COUNT", 14, "/submission/oneStop/consultations", "约数");
    struct receipt r = {0};
    r.file = "x.xml";
    r.township_code = "539901101";
    r.township_name = "示例乡";
    r.period = "2026-10";
    r.revision = 1;
    r.outcome = receipt_outcome_for(&l, RECEIPT_ACCEPTED);
    r.diags = &l;
    assert_int_equal(r.outcome, RECEIPT_REJECTED);
    assert_int_equal(receipt_render_text(&r, &b), 0);
    assert_non_null(strstr(b.data, "结果：退回"));
    assert_non_null(strstr(b.data, "[E_EVAL_EXCEEDS] 第 19 行 /submission/evaluation/@evaluated"));
    assert_non_null(strstr(b.data, "警告 1 项"));
    dbuf_reset(&b);
    assert_int_equal(receipt_render_json(&r, &b), 0);
    assert_non_null(strstr(b.data, "\"outcome\":\"rejected\""));
    assert_non_null(strstr(b.data, "\"code\":\"E_EVAL_EXCEEDS\",\"line\":19"));
    assert_int_equal(b.data[b.len - 1], '\n');
    dbuf_free(&b);
    diag_list_free(&l);
}

static void
expect_cut(const char *in, const char *want)
{
    char buf[64];
    strcpy(buf, in);
    bz_utf8_cut(buf);
    assert_string_equal(buf, want);
}

static void
utf8_cut_drops_a_cut_character_whole(void **state)
{
    (void)state;
    expect_cut("ab\xE4\xB8", "ab");   /* 中 cut after two of three bytes */
    expect_cut("ab\xE4", "ab");       /* after one */
    expect_cut("a\xF0\x9F\x98", "a"); /* a four-byte sequence cut */
    expect_cut("\xC3", "");           /* a two-byte sequence cut */
}

static void
utf8_cut_keeps_whole_text(void **state)
{
    (void)state;
    expect_cut("ab中", "ab中");
    expect_cut("乡镇：城关镇", "乡镇：城关镇");
    expect_cut("a\xF0\x9F\x98\x80", "a\xF0\x9F\x98\x80");
    expect_cut("abc", "abc");
    expect_cut("", "");
}

static void
fsdir_split_gives_folder_and_name(void **state)
{
    (void)state;
    char dir[16];
    assert_string_equal(fsdir_split("/srv/bizenv/journal", dir, sizeof(dir)), "journal");
    assert_string_equal(dir, "/srv/bizenv");
    assert_string_equal(fsdir_split("/journal", dir, sizeof(dir)), "journal");
    assert_string_equal(dir, "/");
    assert_string_equal(fsdir_split("journal", dir, sizeof(dir)), "journal");
    assert_string_equal(dir, ".");
    assert_string_equal(fsdir_split("a/b/", dir, sizeof(dir)), "");
    assert_string_equal(dir, "a/b");
    /* a folder longer than dir is cut, never overrun */
    assert_string_equal(fsdir_split("/a/very/long/folder/name/x", dir, sizeof(dir)), "x");
    assert_string_equal(dir, "/a/very/long/fo");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes_are_found_by_name),
        cmocka_unit_test(utf8_cut_drops_a_cut_character_whole),
        cmocka_unit_test(utf8_cut_keeps_whole_text),
        cmocka_unit_test(settings_parse_sizes_and_reject_out_of_range),
        cmocka_unit_test(settings_file_names_the_bad_line),
        cmocka_unit_test(settings_file_keeps_hash_inside_values_and_reads_quotes),
        cmocka_unit_test(settings_file_reads_long_comments_whole_and_refuses_long_lines),
        cmocka_unit_test(settings_print_masks_passwords_and_quotes_values),
        cmocka_unit_test(dbuf_stops_at_its_limit),
        cmocka_unit_test(fsdir_split_gives_folder_and_name),
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(esc_shows_what_could_forge_or_reorder_a_line),
        cmocka_unit_test(diag_list_keeps_a_marker_past_its_limit),
        cmocka_unit_test(receipt_lists_errors_with_line_and_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
