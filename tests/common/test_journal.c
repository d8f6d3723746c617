/* Unit tests of common/journal: lines and their checksums, names of any
 * bytes, a torn or altered line found and skipped, the tail read back when
 * appending, a group left open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../common/journal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dir {
    char path[256];
    char file[300];
};

static int
setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/tmp/bizenv-journal-XXXXXX");
    if (mkdtemp(d->path) == NULL)
        return -1;
    chmod(d->path, 0750);
    snprintf(d->file, sizeof(d->file), "%s/journal.log", d->path);
    *state = d;
    return 0;
}

static int
teardown(void **state)
{
    struct dir *d = *state;
    unlink(d->file);
    rmdir(d->path);
    free(d);
    return 0;
}

/* Appends the line seq/ev/g with one string field to b. */
static void
line(struct dbuf *b, long long seq, const char *ev, long long g, const char *name)
{
    struct journal_line l;
    struct bz_error e;
    journal_line_begin(&l, seq, ev, g);
    if (name != NULL)
        journal_add_str(&l, "name", name);
    assert_int_equal(journal_line_end(&l, b, &e), 0);
}

static void
write_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void
any_bytes_come_back_as_written(void **state)
{
    (void)state;
    struct dbuf b;
    struct journal_event ev;
    char why[160];
    const char *names[] = {"普通.xml", "a\"b\\c\nd\te\x01.xml", "\xff\xfe gbk \xc4\xe3.xml", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        dbuf_init(&b, 1 << 16);
        line(&b, 7, "file", 7, names[i]);
        assert_int_equal(b.data[b.len - 1], '\n');
        assert_int_equal(journal_parse_line(b.data, b.len - 1, &ev, why, sizeof(why)), 0);
        assert_int_equal(ev.seq, 7);
        assert_int_equal(ev.g, 7);
        assert_string_equal(ev.ev, "file");
        assert_string_equal(journal_get(&ev, "name"), names[i]);
        assert_null(journal_get(&ev, "nothing"));
        journal_event_free(&ev);
        dbuf_free(&b);
    }
}

static void
an_altered_or_torn_line_is_refused(void **state)
{
    (void)state;
    struct dbuf b;
    struct journal_event ev;
    char why[160];
    dbuf_init(&b, 1 << 16);
    line(&b, 3, "weights", 3, "x");
    b.data[b.len - 3] = 'y'; /* one byte changed */
    assert_int_equal(journal_parse_line(b.data, b.len - 1, &ev, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "校验和"));
    assert_int_equal(journal_parse_line(b.data, b.len / 2, &ev, why, sizeof(why)), -1);
    assert_int_equal(journal_parse_line("0123456789abcdef {}", 19, &ev, why, sizeof(why)), -1);
    dbuf_free(&b);
}

static void
reading_skips_damaged_lines_and_names_them(void **state)
{
    struct dir *d = *state;
    struct dbuf b;
    struct journal_file jf;
    struct bz_error e;
    dbuf_init(&b, 1 << 16);
    line(&b, 1, "open", 0, NULL);
    line(&b, 2, "file", 2, "a.xml");
    b.data[b.len - 5] ^= 1; /* line 2 altered */
    line(&b, 3, "commit", 2, NULL);
    line(&b, 3, "file", 4, "seq-not-above.xml"); /* line 4: seq 3 again */
    line(&b, 5, "file", 5, "b.xml");
    dbuf_adds(&b, "0123456789abcdef {\"seq\":6,\"ev\":\"fi"); /* torn, no newline */
    write_file(d->file, b.data, b.len);
    assert_int_equal(journal_read(d->file, 1 << 20, &jf, &e), 0);
    assert_int_equal(jf.n, 3);
    assert_string_equal(jf.events[2].ev, "file");
    assert_string_equal(journal_get(&jf.events[2], "name"), "b.xml");
    assert_int_equal(jf.ndamaged, 3);
    assert_int_equal(jf.damaged[0].line_no, 2);
    assert_int_equal(jf.damaged[1].line_no, 4);
    assert_int_equal(jf.damaged[2].line_no, 6);
    assert_true(jf.ends_torn);
    journal_file_free(&jf);
    dbuf_free(&b);
}

static void
appending_finds_the_last_line_and_an_open_group(void **state)
{
    struct dir *d = *state;
    struct dbuf b;
    struct journal j;
    struct bz_error e;
    dbuf_init(&b, 1 << 16);
    struct journal_line l;
    journal_line_begin(&l, 1, "open", 0);
    journal_add_str(&l, "id", "0123456789abcdef0123456789abcdef");
    assert_int_equal(journal_line_end(&l, &b, &e), 0);
    line(&b, 2, "file", 2, "a.xml");
    line(&b, 3, "commit", 2, NULL);
    line(&b, 4, "file", 4, "b.xml");
    line(&b, 5, "file", 4, "c.xml");
    size_t whole = b.len;
    dbuf_adds(&b, "0123456789abcdef {\"seq\":6,\"ev\":\"commit\",\"g\":4"); /* torn commit */
    write_file(d->file, b.data, b.len);
    assert_int_equal(journal_open_append(d->file, &j, &e), 0);
    assert_string_equal(j.id, "0123456789abcdef0123456789abcdef");
    assert_int_equal(j.last_seq, 5);
    assert_int_equal(j.open_group, 4); /* its commit line was torn: the database decides */
    assert_true(j.ends_torn);
    journal_close(&j);
    struct stat st;
    assert_int_equal(stat(d->file, &st), 0);
    assert_int_equal((size_t)st.st_size, b.len + 1); /* the torn line ended with a newline */

    write_file(d->file, b.data, whole);
    dbuf_reset(&b);
    line(&b, 6, "commit", 4, NULL);
    int fd = open(d->file, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    assert_int_equal(journal_open_append(d->file, &j, &e), 0);
    assert_int_equal(j.last_seq, 6);
    assert_int_equal(j.open_group, 0);
    assert_false(j.ends_torn);
    journal_close(&j);
    dbuf_free(&b);
}

static void
a_journal_whose_first_line_is_damaged_is_refused(void **state)
{
    struct dir *d = *state;
    struct journal j;
    struct bz_error e;
    write_file(d->file, "garbage\n", 8);
    assert_int_equal(journal_open_append(d->file, &j, &e), BZ_ECONFIG);
    assert_string_equal(e.code, "E_JOURNAL");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(any_bytes_come_back_as_written),
        cmocka_unit_test(an_altered_or_torn_line_is_refused),
        cmocka_unit_test_setup_teardown(reading_skips_damaged_lines_and_names_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(appending_finds_the_last_line_and_an_open_group, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_journal_whose_first_line_is_damaged_is_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
