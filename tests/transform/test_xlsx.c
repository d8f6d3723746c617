/* transform/xlsx: cells of small workbooks built here with libarchive's zip
 * writer, one property each: values and their types, number formats,
 * escapes and phonetic runs, the 1900 and 1904 date systems, and every
 * refusal (macros, DOCTYPEs, caps, external parts, broken structure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../transform/xlsx.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAIN_NS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define REL_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define PKG_NS "http://schemas.openxmlformats.org/package/2006/relationships"

struct part {
    const char *name;
    const char *data; /* NUL-terminated unless len is given */
    size_t len;
};

static unsigned char *
make_zip(const struct part *p, size_t n, size_t *len)
{
    size_t cap = 64u << 20;
    unsigned char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    assert_non_null(buf);
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        size_t sz = p[i].len ? p[i].len : strlen(p[i].data);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, p[i].name);
        archive_entry_set_size(e, (la_int64_t)sz);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, p[i].data, sz), (la_ssize_t)sz);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return buf;
}

static const char content_types[] =
    "<?xml version=\"1.0\"?><Types "
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/xl/workbook.xml\" "
    "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
    "</Types>";
static const char package_rels[] = "<Relationships xmlns=\"" PKG_NS "\"><Relationship Id=\"r1\" "
                                   "Type=\"" REL_NS "/officeDocument\" "
                                   "Target=\"xl/workbook.xml\"/></Relationships>";
static const char book_rels[] =
    "<Relationships xmlns=\"" PKG_NS "\">"
    "<Relationship Id=\"rId1\" Type=\"" REL_NS "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" REL_NS "/worksheet\" Target=\"/xl/worksheets/s2.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" REL_NS "/styles\" Target=\"styles.xml\"/>"
    "<Relationship Id=\"rId4\" Type=\"" REL_NS "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "</Relationships>";
static const char book[] = "<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\">"
                           "<workbookPr/><sheets>"
                           "<sheet name=\"表一\" sheetId=\"1\" r:id=\"rId1\"/>"
                           "<sheet name=\"藏\" sheetId=\"2\" state=\"hidden\" r:id=\"rId2\"/>"
                           "</sheets></workbook>";
static const char book1904[] = "<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\">"
                               "<workbookPr date1904=\"1\"/><sheets>"
                               "<sheet name=\"表一\" sheetId=\"1\" r:id=\"rId1\"/>"
                               "<sheet name=\"藏\" sheetId=\"2\" r:id=\"rId2\"/>"
                               "</sheets></workbook>";
/* xf 0 General, 1 date (14), 2 percent (9), 3 text (49), 4 custom date,
 * 5 scientific (custom, not a date), 6 a zh-CN date with quoted text */
static const char styles[] =
    "<styleSheet xmlns=\"" MAIN_NS "\"><numFmts count=\"3\">"
    "<numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\"/>"
    "<numFmt numFmtId=\"165\" formatCode=\"0.00E+00\"/>"
    "<numFmt numFmtId=\"166\" "
    "formatCode=\"[$-804]yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
    "</numFmts><cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs count=\"7\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"9\"/>"
    "<xf numFmtId=\"49\"/><xf numFmtId=\"164\"/><xf numFmtId=\"165\"/><xf numFmtId=\"166\"/>"
    "</cellXfs></styleSheet>";
static const char sst[] = "<sst xmlns=\"" MAIN_NS "\">"
                          "<si><t>窗口</t></si>"
                          "<si><t>东</t><rPh sb=\"0\" eb=\"1\"><t>dong</t></rPh></si>"
                          "<si><r><t>a</t></r><r><t xml:space=\"preserve\"> b</t></r></si>"
                          "<si><t>x_x000D_y_x005F_x0041_</t></si>"
                          "<si><t>bell_x0007_</t></si>"
                          "</sst>";
static const char hidden_sheet[] =
    "<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"1\">"
    "<c r=\"A1\" t=\"inlineStr\"><is><t>藏</t></is></c></row></sheetData></worksheet>";

static const char *
sheet_of(const char *rows)
{
    static char buf[1 << 16];
    snprintf(buf, sizeof(buf),
             "<worksheet xmlns=\"" MAIN_NS "\"><dimension ref=\"A1:H9\"/><sheetData>%s</sheetData>"
             "<hyperlinks><hyperlink ref=\"A1\" r:id=\"x\" xmlns:r=\"" REL_NS "\"/></hyperlinks>"
             "</worksheet>",
             rows);
    return buf;
}

struct run {
    struct xlsx_book book;
    struct diag_list diags;
    struct settings set;
    struct bz_error e;
    int rc;
};

static const struct xlsx_want want[] = {{"表一", 8}, {"藏", 2}, {"没有这张", 2}};

/* Reads a workbook made of the standard parts, `sheet` as 表一, plus extra
 * parts (which replace standard ones of the same name). */
static void
run_parts(struct run *r, const char *sheet, const struct part *extra, size_t nextra,
          void (*tune)(struct settings *))
{
    struct part p[16] = {
        {"[Content_Types].xml", content_types, 0},
        {"_rels/.rels", package_rels, 0},
        {"xl/workbook.xml", book, 0},
        {"xl/_rels/workbook.xml.rels", book_rels, 0},
        {"xl/styles.xml", styles, 0},
        {"xl/sharedStrings.xml", sst, 0},
        {"xl/worksheets/sheet1.xml", sheet, 0},
        {"xl/worksheets/s2.xml", hidden_sheet, 0},
    };
    size_t n = 8;
    for (size_t i = 0; i < nextra; i++) {
        size_t k = 0;
        while (k < n && strcmp(p[k].name, extra[i].name) != 0)
            k++;
        p[k] = extra[i];
        if (k == n)
            n++;
    }
    size_t len;
    unsigned char *zip = make_zip(p, n, &len);
    memset(r, 0, sizeof(*r));
    settings_defaults(&r->set, "/nonexistent");
    if (tune != NULL)
        tune(&r->set);
    diag_list_init(&r->diags, 50);
    r->rc = xlsx_read(zip, len, &r->set, want, 3, &r->book, &r->diags, &r->e);
    free(zip);
}

static void
done(struct run *r)
{
    xlsx_free(&r->book);
    diag_list_free(&r->diags);
}

static void
expect_code(struct run *r, const char *code)
{
    for (size_t i = 0; i < r->diags.n; i++)
        if (strcmp(r->diags.items[i].code, code) == 0) {
            assert_int_equal(r->rc, BZ_EINPUT);
            return;
        }
    for (size_t i = 0; i < r->diags.n; i++)
        print_message("# %s %s %s\n", r->diags.items[i].code, r->diags.items[i].path,
                      r->diags.items[i].message);
    fail_msg("expected %s (rc %d)", code, r->rc);
}

static const struct xlsx_cell *
at(struct run *r, uint32_t row, unsigned col)
{
    return xlsx_cell_at(&r->book.sheets[0], row, col);
}

static void
reads_values_of_every_type(void **state)
{
    (void)state;
    struct run r;
    run_parts(
        &r,
        sheet_of("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
                 "<c r=\"B1\" t=\"inlineStr\"><is><t>内嵌</t><rPh><t>x</t></rPh></is></c>"
                 "<c r=\"C1\"><v>31</v></c><c r=\"D1\" t=\"b\"><v>1</v></c>"
                 "<c r=\"E1\" t=\"str\"><f>A1&amp;\"\"</f><v>窗口</v></c>"
                 "<c r=\"F1\"><f>1/0</f></c><c r=\"G1\" t=\"e\"><v>#N/A</v></c>"
                 "<c r=\"H1\" t=\"s\"><v>99</v></c><c r=\"I1\"><v>5</v></c></row>"
                 "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c><c r=\"B2\" t=\"s\"><v>2</v></c>"
                 "<c r=\"C2\" t=\"s\"><v>3</v></c><c r=\"D2\" t=\"s\"><v>4</v></c>"
                 "<c r=\"E2\" s=\"1\"/><c><v>7</v></c></row>"),
        NULL, 0, NULL);
    assert_int_equal(r.rc, 0);
    assert_true(r.book.sheets[0].found);
    assert_false(r.book.sheets[0].hidden);
    assert_string_equal(at(&r, 1, 1)->text, "窗口");
    assert_int_equal(at(&r, 1, 2)->type, XLSX_STRING);
    assert_string_equal(at(&r, 1, 2)->text, "内嵌"); /* phonetic run left out */
    assert_int_equal(at(&r, 1, 3)->type, XLSX_NUMBER);
    assert_true(at(&r, 1, 3)->num == 31.0);
    assert_int_equal(at(&r, 1, 4)->type, XLSX_BOOL);
    assert_string_equal(at(&r, 1, 5)->text, "窗口"); /* a formula's cached value */
    assert_int_equal(at(&r, 1, 6)->type, XLSX_BAD);
    assert_string_equal(at(&r, 1, 6)->code, "E_WB_FORMULA");
    assert_string_equal(at(&r, 1, 7)->code, "E_WB_CELL");
    assert_string_equal(at(&r, 1, 8)->code, "E_WB_SHARED_STRING");
    assert_null(at(&r, 1, 9)); /* beyond the columns asked for */
    assert_string_equal(at(&r, 2, 1)->text, "东");
    assert_string_equal(at(&r, 2, 2)->text, "a b");
    assert_string_equal(at(&r, 2, 3)->text, "x\ry_x0041_");
    assert_string_equal(at(&r, 2, 4)->code, "E_WB_CELL"); /* _x0007_ is no XML character */
    assert_null(at(&r, 2, 5));                            /* formatted, blank */
    assert_true(at(&r, 2, 6)->num == 7.0);                /* no r: the next column */
    assert_true(r.book.sheets[1].found);
    assert_true(r.book.sheets[1].hidden);
    assert_false(r.book.sheets[2].found);
    assert_false(r.book.date1904);
    done(&r);
}

static void
classifies_number_formats(void **state)
{
    (void)state;
    struct run r;
    run_parts(
        &r,
        sheet_of("<row r=\"3\"><c r=\"A3\" s=\"0\"><v>1</v></c><c r=\"B3\" s=\"1\"><v>1</v></c>"
                 "<c r=\"C3\" s=\"2\"><v>1</v></c><c r=\"D3\" s=\"3\"><v>1</v></c>"
                 "<c r=\"E3\" s=\"4\"><v>1</v></c><c r=\"F3\" s=\"5\"><v>1</v></c>"
                 "<c r=\"G3\" s=\"6\"><v>1</v></c><c r=\"H3\" s=\"99\"><v>1</v></c></row>"),
        NULL, 0, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(at(&r, 3, 1)->fmt, XLSX_FMT_GENERAL);
    assert_int_equal(at(&r, 3, 2)->fmt, XLSX_FMT_DATE);
    assert_int_equal(at(&r, 3, 3)->fmt, XLSX_FMT_PERCENT);
    assert_int_equal(at(&r, 3, 4)->fmt, XLSX_FMT_TEXT);
    assert_int_equal(at(&r, 3, 5)->fmt, XLSX_FMT_DATE);
    assert_int_equal(at(&r, 3, 6)->fmt, XLSX_FMT_GENERAL);
    assert_int_equal(at(&r, 3, 7)->fmt, XLSX_FMT_DATE);
    assert_int_equal(at(&r, 3, 8)->fmt, XLSX_FMT_GENERAL); /* no such style */
    done(&r);
}

static void
reads_the_1904_flag(void **state)
{
    (void)state;
    struct run r;
    struct part p[] = {{"xl/workbook.xml", book1904, 0}};
    run_parts(&r, sheet_of(""), p, 1, NULL);
    assert_int_equal(r.rc, 0);
    assert_true(r.book.date1904);
    done(&r);
}

static void
converts_serial_dates(void **state)
{
    (void)state;
    int32_t ymd;
    int secs;
    assert_int_equal(xlsx_serial_date(1, 0, &ymd, &secs), 0);
    assert_int_equal(ymd, 19000101);
    assert_int_equal(xlsx_serial_date(59, 0, &ymd, &secs), 0);
    assert_int_equal(ymd, 19000228);
    assert_int_equal(xlsx_serial_date(60, 0, &ymd, &secs), -1); /* 1900-02-29 never was */
    assert_int_equal(xlsx_serial_date(61, 0, &ymd, &secs), 0);
    assert_int_equal(ymd, 19000301);
    assert_int_equal(xlsx_serial_date(0, 0, &ymd, &secs), -1);
    assert_int_equal(xlsx_serial_date(-1, 0, &ymd, &secs), -1);
    assert_int_equal(xlsx_serial_date(45939, 0, &ymd, &secs), 0);
    assert_int_equal(ymd, 20251009);
    assert_int_equal(xlsx_serial_date(46329 + 9.5 / 24, 0, &ymd, &secs), 0);
    assert_int_equal(ymd, 20261103);
    assert_int_equal(secs, 9 * 3600 + 30 * 60);
    assert_int_equal(xlsx_serial_date(46329.9999999, 0, &ymd, &secs), 0);
    assert_int_equal(ymd, 20261104); /* rounds to the next midnight */
    assert_int_equal(secs, 0);
    assert_int_equal(xlsx_serial_date(2958465, 0, &ymd, &secs), 0);
    assert_int_equal(ymd, 99991231);
    assert_int_equal(xlsx_serial_date(2958466, 0, &ymd, &secs), -1);
    assert_int_equal(xlsx_serial_date(0, 1, &ymd, &secs), 0);
    assert_int_equal(ymd, 19040101);
    assert_int_equal(xlsx_serial_date(45939 - 1462, 1, &ymd, &secs), 0);
    assert_int_equal(ymd, 20251009); /* the same day in the other system */
}

static void
refuses_a_vba_project(void **state)
{
    (void)state;
    struct run r;
    struct part p[] = {{"xl/vbaProject.bin", "\xd0\xcf\x11\xe0", 4}};
    run_parts(&r, sheet_of(""), p, 1, NULL);
    expect_code(&r, "E_WB_MACRO");
    done(&r);
}

static void
refuses_a_macro_content_type(void **state)
{
    (void)state;
    struct run r;
    struct part p[] = {{"[Content_Types].xml",
                        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
                        "content-types\"><Override PartName=\"/xl/workbook.xml\" "
                        "ContentType=\"application/vnd.ms-excel.sheet.macroEnabled.main+xml\"/>"
                        "</Types>",
                        0}};
    run_parts(&r, sheet_of(""), p, 1, NULL);
    expect_code(&r, "E_WB_MACRO");
    done(&r);
}

static void
refuses_a_doctype_in_any_part(void **state)
{
    (void)state;
    struct run r;
    struct part p[] = {{"docProps/core.xml",
                        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a "
                        "SYSTEM \"file:///etc/passwd\">]><x>&a;</x>",
                        0}};
    run_parts(&r, sheet_of(""), p, 1, NULL);
    expect_code(&r, "E_XML_DOCTYPE");
    done(&r);
    /* UTF-16, where a byte search for ASCII would not see it */
    static const char u16[] = "<\0!\0D\0O\0C\0T\0Y\0P\0E\0 \0x\0>\0";
    struct part q[] = {{"customXml/item1.xml", u16, sizeof(u16) - 1}};
    run_parts(&r, sheet_of(""), q, 1, NULL);
    expect_code(&r, "E_XML_DOCTYPE");
    done(&r);
}

static void
refuses_an_entity_in_a_sheet(void **state)
{
    (void)state;
    struct run r;
    run_parts(&r,
              "<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row><c t=\"inlineStr\"><is><t>&lol;"
              "</t></is></c></row></sheetData></worksheet>",
              NULL, 0, NULL);
    expect_code(&r, "E_XML_DOCTYPE");
    done(&r);
}

static void
small_rows(struct settings *s)
{
    s->max_sheet_rows = 100;
}

static void
small_cells(struct settings *s)
{
    s->max_sheet_cells = 100;
}

static void
small_strings(struct settings *s)
{
    s->max_shared_strings = 3;
}

static void
caps_rows_cells_strings_and_dimensions(void **state)
{
    (void)state;
    struct run r;
    run_parts(&r, sheet_of("<row r=\"101\"><c r=\"A101\"><v>1</v></c></row>"), NULL, 0, small_rows);
    expect_code(&r, "E_WB_LIMIT");
    done(&r);
    char rows[1 << 14] = "";
    for (int i = 1; i <= 60; i++) {
        size_t k = strlen(rows);
        snprintf(rows + k, sizeof(rows) - k, "<row r=\"%d\"><c><v>1</v></c><c><v>2</v></c></row>",
                 i);
    }
    run_parts(&r, sheet_of(rows), NULL, 0, small_cells);
    expect_code(&r, "E_WB_LIMIT");
    done(&r);
    run_parts(&r, sheet_of(""), NULL, 0, small_strings);
    expect_code(&r, "E_WB_LIMIT");
    done(&r);
    run_parts(&r,
              "<worksheet xmlns=\"" MAIN_NS "\"><dimension ref=\"A1:XFD1048576\"/>"
              "<sheetData/></worksheet>",
              NULL, 0, NULL);
    expect_code(&r, "E_WB_LIMIT");
    done(&r);
    run_parts(&r, sheet_of("<row r=\"2\"><c r=\"ZZZZ2\"><v>1</v></c></row>"), NULL, 0, NULL);
    expect_code(&r, "E_WB_CELL");
    done(&r);
}

static void
never_follows_an_external_sheet(void **state)
{
    (void)state;
    struct run r;
    struct part p[] = {
        {"xl/_rels/workbook.xml.rels",
         "<Relationships xmlns=\"" PKG_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_NS
         "/worksheet\" Target=\"file:///etc/passwd\" TargetMode=\"External\"/></Relationships>",
         0}};
    run_parts(&r, sheet_of(""), p, 1, NULL);
    expect_code(&r, "E_WB_STRUCTURE");
    done(&r);
    struct part q[] = {{"xl/_rels/workbook.xml.rels",
                        "<Relationships xmlns=\"" PKG_NS
                        "\"><Relationship Id=\"rId1\" Type=\"" REL_NS
                        "/worksheet\" Target=\"../../../etc/passwd\"/></Relationships>",
                        0}};
    run_parts(&r, sheet_of(""), q, 1, NULL);
    expect_code(&r, "E_WB_STRUCTURE");
    done(&r);
}

static void
refuses_what_is_no_xlsx(void **state)
{
    (void)state;
    struct run r;
    struct part p[] = {{"_rels/.rels",
                        "<Relationships xmlns=\"" PKG_NS "\"><Relationship Id=\"r1\" "
                        "Type=\"" REL_NS "/officeDocument\" "
                        "Target=\"xl/workbook.bin\"/></Relationships>",
                        0}};
    run_parts(&r, sheet_of(""), p, 1, NULL);
    expect_code(&r, "E_WB_FORMAT");
    done(&r);
    struct part q[] = {{"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row>", 0}};
    run_parts(&r, NULL, q, 1, NULL);
    expect_code(&r, "E_XML_SYNTAX");
    done(&r);
}

static void
applies_the_zip_checks(void **state)
{
    (void)state;
    struct run r;
    struct part p[] = {{"../evil.xml", "<x/>", 0}};
    run_parts(&r, sheet_of(""), p, 1, NULL);
    expect_code(&r, "E_ZIP_ENTRY_NAME");
    done(&r);
    struct part d[] = {{"XL/Styles.xml", styles, 0}};
    run_parts(&r, sheet_of(""), d, 1, NULL);
    expect_code(&r, "E_ZIP_DUPLICATE_NAME");
    done(&r);
    size_t big = 40u << 20;
    char *zeros = calloc(1, big);
    assert_non_null(zeros);
    struct part b[] = {{"xl/media/zeros.bin", zeros, big}};
    run_parts(&r, sheet_of(""), b, 1, NULL);
    expect_code(&r, "E_LIMIT_RATIO");
    done(&r);
    free(zeros);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_values_of_every_type),
        cmocka_unit_test(classifies_number_formats),
        cmocka_unit_test(reads_the_1904_flag),
        cmocka_unit_test(converts_serial_dates),
        cmocka_unit_test(refuses_a_vba_project),
        cmocka_unit_test(refuses_a_macro_content_type),
        cmocka_unit_test(refuses_a_doctype_in_any_part),
        cmocka_unit_test(refuses_an_entity_in_a_sheet),
        cmocka_unit_test(caps_rows_cells_strings_and_dimensions),
        cmocka_unit_test(never_follows_an_external_sheet),
        cmocka_unit_test(refuses_what_is_no_xlsx),
        cmocka_unit_test(applies_the_zip_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
