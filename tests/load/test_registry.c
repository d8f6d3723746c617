/* Registries: one strict CSV parser for townships and counties, merges
 * that never delete, the copy of the active townships. */
#include "support.h"

#include "../../load/regcsv.h"
#include "../../load/registry.h"

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

/* Reads the file as `bizenv registry load` does, then merges it. */
static int
load_file(struct fixture *f, enum regcsv_kind kind, struct registry_stats *stats,
          struct bz_error *e)
{
    struct regcsv reg;
    bz_error_clear(e);
    int rc = regcsv_read(f->path, kind, &reg, e);
    if (rc == 0) {
        assert_int_equal(reg.kind, kind);
        rc = kind == REGCSV_TOWNSHIPS ? registry_load_townships(f->db.conn, &reg, stats, e)
                                      : registry_load_counties(f->db.conn, &reg, stats, e);
    }
    regcsv_free(&reg);
    return rc;
}

static struct registry_stats
load_ok(struct fixture *f, const char *text)
{
    struct registry_stats stats;
    struct bz_error e;
    write_csv(f, text);
    int rc = load_file(f, REGCSV_TOWNSHIPS, &stats, &e);
    if (rc != 0)
        fail_msg("registry load: %d [%s] %s", rc, e.code, e.message);
    return stats;
}

static void
assert_stats(struct registry_stats st, int added, int renamed, int inactivated, int reactivated,
             int unchanged)
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
    struct registry_stats st;

    load_ok(f, "code,name\n539901109,石门乡\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_csv(f, cases[i].text);
        int rc = load_file(f, REGCSV_TOWNSHIPS, &st, &e);
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
    (void)state;
    struct bz_error e;
    struct regcsv reg;
    bz_error_clear(&e);
    assert_int_equal(regcsv_read("/nonexistent/townships.csv", REGCSV_TOWNSHIPS, &reg, &e),
                     BZ_ENOTFOUND);
    assert_string_equal(e.code, "E_NOINPUT");
    assert_null(reg.rows);
    assert_null(reg.data);
}

/* The bytes a registry load saves as its copy are the bytes it parsed. */
static void
keeps_the_bytes_it_read(void **state)
{
    struct fixture *f = *state;
    struct bz_error e;
    struct regcsv reg;
    const char text[] = "\xef\xbb\xbf"
                        "code,name\r\n539901101,示例乡\r\n";
    write_csv(f, text);
    bz_error_clear(&e);
    assert_int_equal(regcsv_read(f->path, REGCSV_TOWNSHIPS, &reg, &e), 0);
    assert_int_equal(reg.len, sizeof(text) - 1);
    assert_memory_equal(reg.data, text, sizeof(text) - 1);
    assert_int_equal(reg.n, 1);
    regcsv_free(&reg);

    /* past REGCSV_MAX_BYTES: refused without parsing */
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    fputs("code,name\n", fp);
    for (long i = 0; i < REGCSV_MAX_BYTES / 16 + 1; i++)
        fputs("539901101,示例乡\n", fp);
    fclose(fp);
    assert_int_equal(regcsv_read(f->path, REGCSV_TOWNSHIPS, &reg, &e), BZ_EINPUT);
    assert_string_equal(e.code, "E_REGISTRY_FORMAT");
    assert_non_null(strstr(e.message, "上限"));
}

/* A prefecture's counties: the same parser with 6-digit codes, merged
 * into ref.county, never deleted. */
static void
counties_go_through_the_same_parser(void **state)
{
    struct fixture *f = *state;
    struct bz_error e;
    struct registry_stats st;
    PGconn *c = f->db.conn;

    write_csv(f, "code,name\r\n539901,甲县\r\n539902,乙县\r\n539903,\"丙县, 新\"\r\n");
    assert_int_equal(load_file(f, REGCSV_COUNTIES, &st, &e), 0);
    assert_int_equal(st.added, 3);
    PGresult *r = PQexec(c, "SELECT string_agg(name, '|' ORDER BY code) FROM ref.county");
    assert_string_equal(PQgetvalue(r, 0, 0), "甲县|乙县|丙县, 新");
    PQclear(r);
    write_csv(f, "code,name\n539901,甲县\n539902,乙新县\n");
    assert_int_equal(load_file(f, REGCSV_COUNTIES, &st, &e), 0);
    assert_int_equal(st.added, 0);
    assert_int_equal(st.renamed, 1);
    assert_int_equal(st.inactivated, 1);
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.county"), 3);

    static const struct bad_case cases[] = {
        {"code,name\n539901101,示例乡\n", 2, "县代码必须是 6 位"},
        {"code,name\n539901,甲县\n539901,又一个甲县\n", 3, "县代码 539901 与第 2 行重复"},
        {"code,name\n539901,甲县,多余\n", 2, "2 个字段"},
        {"code,name\n", 1, "没有任何县"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_csv(f, cases[i].text);
        int rc = load_file(f, REGCSV_COUNTIES, &st, &e);
        if (rc != BZ_EINPUT || e.line != cases[i].line || strstr(e.message, cases[i].why) == NULL)
            fail_msg("case %zu: rc %d line %ld message %s", i, rc, e.line, e.message);
        assert_non_null(strstr(e.message, "县名录第"));
    }
    assert_int_equal(scratch_long(c, "SELECT count(*) FROM ref.county WHERE active"), 2);
}

static void
lookup_knows_only_active_townships(void **state)
{
    struct fixture *f = *state;
    const char *name = NULL;

    struct registry_townships *t = NULL;
    struct bz_error e;

    load_ok(f, "code,name\n539901101,示例乡\n539901102,东山镇\n");
    load_ok(f, "code,name\n539901101,示例乡\n");
    bz_error_clear(&e);
    assert_int_equal(registry_townships_read(f->db.conn, &t, &e), 0);
    assert_int_equal(registry_townships_lookup("539901101", &name, t), 1);
    assert_string_equal(name, "示例乡");
    assert_int_equal(registry_townships_lookup("539901102", &name, t), 0);
    assert_int_equal(registry_townships_lookup("539901999", &name, t), 0);
    assert_int_equal(registry_townships_lookup("'; DROP TABLE ref.township;--", &name, t), 0);
    registry_townships_free(t);
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
        T(keeps_the_bytes_it_read),
        T(counties_go_through_the_same_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
