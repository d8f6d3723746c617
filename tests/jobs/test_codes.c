/* The code catalog, its exit statuses, README.md's codes table and
 * `bizenv codes` say the same: every code has one class, the class one
 * exit status, and bz_error_set derives both from the code. The README
 * table is parsed here, so the documentation cannot drift from the code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../common/codes.h"
#include "../../common/error.h"
#include "../../jobs/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define README "README.md"

struct row {
    char class_name[32];
    int exit_status;
};

/* README's table: code -> class and exit status. */
static struct row readme[BZ_NCODES];
static int readme_seen[BZ_NCODES];

static int
code_index(const char *name)
{
    for (int i = 0; i < BZ_NCODES; i++)
        if (strcmp(codes_name((enum bz_code)i), name) == 0)
            return i;
    return -1;
}

/* A row "| class | exit | meaning | `E_A`, `E_B` |": records each code. */
static void
parse_row(char *line)
{
    char *cell[4];
    char *p = line + 1;
    for (int k = 0; k < 4; k++) {
        char *bar = strchr(p, '|');
        if (bar == NULL)
            fail_msg("README codes table: short row: %s", line);
        *bar = '\0';
        while (*p == ' ')
            p++;
        for (char *end = bar - 1; end >= p && *end == ' '; end--)
            *end = '\0';
        cell[k] = p;
        p = bar + 1;
    }
    int exit_status = atoi(cell[1]);
    for (char *q = strchr(cell[3], '`'); q != NULL; q = strchr(q, '`')) {
        char *end = strchr(q + 1, '`');
        assert_non_null(end);
        *end = '\0';
        int i = code_index(q + 1);
        if (i < 0)
            fail_msg("README lists %s, which is not in the catalog", q + 1);
        if (readme_seen[i]++)
            fail_msg("README lists %s twice", q + 1);
        snprintf(readme[i].class_name, sizeof(readme[i].class_name), "%s", cell[0]);
        readme[i].exit_status = exit_status;
        q = end + 1;
    }
}

static int
read_readme(void **state)
{
    (void)state;
    char line[8192];
    FILE *f = fopen(README, "r");
    if (f == NULL)
        fail_msg("%s not found: run from the source folder", README);
    int section = 0, table = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "## ", 3) == 0)
            section = strncmp(line, "## Error and warning codes", 26) == 0;
        if (!section)
            continue;
        if (strncmp(line, "| class | exit |", 16) == 0) {
            table = 1;
            continue;
        }
        if (table && strncmp(line, "|---", 4) == 0)
            continue;
        if (table && line[0] == '|')
            parse_row(line);
        else if (table)
            break;
    }
    fclose(f);
    assert_true(table);
    return 0;
}

static void
every_code_has_the_class_and_exit_status_readme_gives(void **state)
{
    (void)state;
    for (int i = 0; i < BZ_NCODES; i++) {
        enum bz_code code = (enum bz_code)i;
        enum bz_status status = codes_status(code);
        if (!readme_seen[i])
            fail_msg("%s is not in README's codes table", codes_name(code));
        const char *cls = codes_class_name(status);
        assert_non_null(cls);
        if (strcmp(cls, readme[i].class_name) != 0)
            fail_msg("%s: class %s, README says %s", codes_name(code), cls, readme[i].class_name);
        if (cli_exit_status(status) != readme[i].exit_status)
            fail_msg("%s: exit status %d, README says %d", codes_name(code),
                     cli_exit_status(status), readme[i].exit_status);
        assert_non_null(codes_title_of(code));
        assert_string_equal(codes_title(codes_name(code)), codes_title_of(code));
        assert_int_equal(codes_is_warning(codes_name(code)), status == BZ_OK);
    }
}

/* Raised anywhere, a code comes back with its class as the status, and a
 * command reporting it exits with README's status. */
static void
an_error_takes_its_status_from_its_code(void **state)
{
    (void)state;
    struct bz_error e;
    for (int i = 0; i < BZ_NCODES; i++) {
        enum bz_code code = (enum bz_code)i;
        if (codes_status(code) == BZ_OK)
            continue; /* a warning is never an error value */
        bz_error_clear(&e);
        int rc = bz_error_set(&e, code, "试验 %d", i);
        assert_int_equal(rc, codes_status(code));
        assert_int_equal(e.status, rc);
        assert_string_equal(e.code, codes_name(code));
        assert_int_equal(cli_exit_status(e.status), readme[i].exit_status);
    }
    /* a code changed at a stage boundary takes the new code's status */
    bz_error_set(&e, E_DB_QUERY, "语句失败");
    bz_error_detail(&e, "42P07: relation exists");
    assert_int_equal(bz_error_recode(&e, E_DB_MIGRATE), BZ_ESCHEMA);
    assert_string_equal(e.code, "E_DB_MIGRATE");
    assert_string_equal(e.detail, "42P07: relation exists");
    assert_int_equal(cli_exit_status(e.status), 70);
    /* the catalog's names are unique */
    for (int i = 0; i < BZ_NCODES; i++)
        for (int j = i + 1; j < BZ_NCODES; j++)
            assert_string_not_equal(codes_name((enum bz_code)i), codes_name((enum bz_code)j));
    assert_null(codes_title("E_NO_SUCH_CODE"));
}

/* `bizenv codes` lists every code once, with README's exit status. */
static void
bizenv_codes_prints_the_same(void **state)
{
    (void)state;
    const char *bin = getenv("BIZENV_BIN");
    if (bin == NULL || bin[0] == '\0')
        skip();
    char cmd[4096], line[1024];
    int printed[BZ_NCODES] = {0};
    snprintf(cmd, sizeof(cmd), "'%s' codes", bin);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int lines = 0;
    while (fgets(line, sizeof(line), p) != NULL) {
        char name[64];
        int exit_status;
        if (sscanf(line, "%63s %d", name, &exit_status) != 2)
            continue; /* the header */
        int i = code_index(name);
        if (i < 0)
            fail_msg("bizenv codes prints %s, not in the catalog", name);
        if (exit_status != readme[i].exit_status)
            fail_msg("bizenv codes: %s exits %d, README says %d", name, exit_status,
                     readme[i].exit_status);
        printed[i]++;
        lines++;
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(lines, BZ_NCODES);
    for (int i = 0; i < BZ_NCODES; i++)
        if (printed[i] != 1)
            fail_msg("bizenv codes prints %s %d times", codes_name((enum bz_code)i), printed[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_the_class_and_exit_status_readme_gives),
        cmocka_unit_test(an_error_takes_its_status_from_its_code),
        cmocka_unit_test(bizenv_codes_prints_the_same),
    };
    return cmocka_run_group_tests(tests, read_readme, NULL);
}
