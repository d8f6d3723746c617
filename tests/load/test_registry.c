/* Township registry: strict CSV, merge that never deletes, lookup. */
#include "support.h"

#include "../../load/loader.h"
#include "../../load/regcsv.h"

struct fixture {
    struct scratch db;
    char dir[64];
    char path[128];
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    scratch_create(&f->db);
    snprintf(f->dir, sizeof(f->dir), "/tmp/bizenv-reg-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/townships.csv", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    scratch_drop(&f->db);
    free(f);
    return 0;
}

static void
write_csv(struct fixture *f, const char *text)
{
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static struct loader_registry_stats
load_ok(struct fixture *f, const char *text)
{
    struct loader_registry_stats st;
    struct bz_error e;
    write_csv(f, text);
    bz_error_clear(&e);
    int rc = loader_registry_load(f->db.conn, f->path, &st, &e);
    if (rc != 0)
        fail_msg("loader_registry_load: %d [%s] %s", rc, e.code, e.message);
    return st;
}

static void
assert_stats(struct loader_registry_stats st, int added, int renamed, int inactivated,
             int reactivated, int unchanged)
{
    assert_int_equal(st.added, added);
    assert_int_equal(st.renamed, renamed);
    assert_int_equal(st.inactivated, inactivated);
    assert_int_equal(st.reactivated, reactivated);
    assert_int_equal(st.unchanged, unchanged);
}

static void
adds_renames_inactivates_and_reactivates_never_deleting(void **state)
{
    struct fixture *f = *state;
    PGconn *c = f->db.conn;

    assert_stats(load_ok(f, "code,name\n539901101,示例乡\n539901102,东山镇\n539901103,西河乡\n"), 3,
                 0, 0, 0, 0);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.township WHERE active"), 3);

    assert_stats(load_ok(f, "code,name\n539901101,示例乡\n539901102,东山新镇\n539901103,西河乡\n"),
                 0, 1, 0, 0, 2);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.township"
                                     " WHERE code = '539901102' AND name = '东山新镇'"),
                     1);

    assert_stats(load_ok(f, "code,name\n539901101,示例乡\n539901102,东山新镇\n"), 0, 0, 1, 0, 2);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.township"), 3);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.township"
                                     " WHERE code = '539901103' AND NOT active"),
                     1);

    /* loading the same file again: nothing changes, nothing inactivated again */
    assert_stats(load_ok(f, "code,name\n539901101,示例乡\n539901102,东山新镇\n"), 0, 0, 0, 0, 2);

    assert_stats(load_ok(f, "code,name\n539901101,示例乡\n539901102,东山新镇\n539901103,西河镇\n"
                            "539901104,南坪镇\n"),
                 1, 0, 0, 1, 2);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.township WHERE active"), 4);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.township"
                                     " WHERE code = '539901103' AND name = '西河镇'"),
                     1);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM staging.registry"), 0);
}

static void
reads_bom_crlf_and_rfc4180_quotes(void **state)
{
    struct fixture *f = *state;
    assert_stats(load_ok(f, "\xef\xbb\xbf"
                            "code,name\r\n539901101,\"示例乡, \"\"老街\"\"\"\r\n"
                            "\r\n539901102, 东山镇 \r\n"),
                 2, 0, 0, 0, 0);
    PGresult *r = PQexec(f->db.conn, "SELECT name FROM ref.township ORDER BY code");
    assert_int_equal(PQntuples(r), 2);
    assert_string_equal(PQgetvalue(r, 0, 0), "示例乡, \"老街\"");
    assert_string_equal(PQgetvalue(r, 1, 0), "东山镇");
    PQclear(r);
}

struct bad_case {
    const char *text;
    long line;
    const char *why; /* part of the message */
};

static void
rejects_bad_lines_naming_the_line_and_changes_nothing(void **state)
{
    struct fixture *f = *state;
    static const struct bad_case cases[] = {
        {"code,name\n539901101,示例乡\n53990110,短代码\n", 3, "9 位"},
        {"code,name\n539901101,示例乡\n５３９９０１１０２,全角\n", 3, "9 位"},
        {"code,name\n539901101,示例乡\n539901102,东山镇\n539901101,重复乡\n", 4, "与第 2 行重复"},
        {"name,code\n539901101,示例乡\n", 1, "表头"},
        {"code,name\n539901101,示例乡,多余\n", 2, "2 个字段"},
        {"code,name\n539901101\n", 2, "2 个字段"},
        {"code,name\n539901101,示例乡\n539901102,\"未闭合\n", 3, "引号未闭合"},
        {"code,name\n539901101,示\"例乡\n", 2, "引号"},
        {"code,name\n539901101,\xe7\xa4\xba\xff\n", 2, "UTF-8"},
        {"code,name\n539901101,   \n", 2, "名称为空"},
        {"code,name\n539901101,a\rb\n", 2, "回车"},
        {"code,name\n", 1, "没有任何乡镇"},
        {"", 1, "表头"},
    };
    struct bz_error e;
    struct loader_registry_stats st;

    load_ok(f, "code,name\n539901109,石门乡\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_csv(f, cases[i].text);
        bz_error_clear(&e);
        int rc = loader_registry_load(f->db.conn, f->path, &st, &e);
        if (rc != BZ_EINPUT || e.line != cases[i].line || strstr(e.message, cases[i].why) == NULL)
            fail_msg("case %zu: rc %d line %ld message %s", i, rc, e.line, e.message);
        assert_string_equal(e.code, "E_REGISTRY_FORMAT");
        char want[32];
        snprintf(want, sizeof(want), "第 %ld 行", cases[i].line);
        assert_non_null(strstr(e.message, want));
        assert_string_equal(e.file, f->path);
    }
    assert_int_equal(scratch_long(f->db.conn, "SELECT count(*) FROM ref.township WHERE active"), 1);
}

static void
missing_file_is_not_found(void **state)
{
    struct fixture *f = *state;
    struct bz_error e;
    struct loader_registry_stats st;
    bz_error_clear(&e);
    assert_int_equal(loader_registry_load(f->db.conn, "/nonexistent/townships.csv", &st, &e),
                     BZ_ENOTFOUND);
    assert_string_equal(e.code, "E_NOINPUT");
}

static void
lookup_knows_only_active_townships(void **state)
{
    struct fixture *f = *state;
    const char *name = NULL;

    load_ok(f, "code,name\n539901101,示例乡\n539901102,东山镇\n");
    load_ok(f, "code,name\n539901101,示例乡\n");
    assert_int_equal(loader_township_lookup("539901101", &name, f->db.conn), 1);
    assert_string_equal(name, "示例乡");
    assert_int_equal(loader_township_lookup("539901102", &name, f->db.conn), 0);
    assert_int_equal(loader_township_lookup("539901999", &name, f->db.conn), 0);
    assert_int_equal(loader_township_lookup("'; DROP TABLE ref.township;--", &name, f->db.conn), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(adds_renames_inactivates_and_reactivates_never_deleting),
        T(reads_bom_crlf_and_rfc4180_quotes),
        T(rejects_bad_lines_naming_the_line_and_changes_nothing),
        T(missing_file_is_not_found),
        T(lookup_knows_only_active_townships),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
