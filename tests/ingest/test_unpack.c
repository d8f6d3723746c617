/*
 * Tests for ingest/unpack and common/hash.
 *
 * The hostile and valid transport files come from tests/corpus/make_corpus.py,
 * run into a fresh temporary folder (the repo root is the working directory).
 * Its manifest names the outcome of every file; the direct tests below pin
 * what the manifest cannot say (decoded names, attachment hashes, member
 * names, order, non-regular files, limits lowered, timeout, callback).
 */
#include "../../common/hash.h"
#include "../../ingest/unpack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SHA-256 of the PDF-like attachment the corpus writes (PDF in make_corpus.py). */
#define PDF_SHA256 "1f083e4c45a307fa66b819133bfcb2a75acf00a907fe849d1aaddf5fab982595"
#define PDF_SIZE 40

static char corpus[256];

#define MAX_SEEN 8

/* What the callback saw: copies, since the doc is valid only during the call. */
struct seen {
    size_t calls;
    int fail_at; /* return -42 on this call (1-based), 0 = never */
    char member[MAX_SEEN][128];
    size_t index[MAX_SEEN];
    size_t len[MAX_SEEN];
    char sha[MAX_SEEN][65];
    size_t natt[MAX_SEEN];
    char att_name[MAX_SEEN][128];
    int64_t att_size[MAX_SEEN];
    char att_sha[MAX_SEEN][65];
    int workbook[MAX_SEEN];
};

static int
record(const struct unpack_doc *doc, void *ctx)
{
    struct seen *s = ctx;
    size_t i = s->calls++;

    if (i < MAX_SEEN) {
        snprintf(s->member[i], sizeof(s->member[i]), "%s", doc->member);
        s->index[i] = doc->index;
        s->len[i] = doc->len;
        memcpy(s->sha[i], doc->sha256, sizeof(s->sha[i]));
        s->natt[i] = doc->nattachments;
        s->workbook[i] = doc->workbook;
        if (doc->nattachments > 0) {
            snprintf(s->att_name[i], sizeof(s->att_name[i]), "%s", doc->attachments[0].name);
            s->att_size[i] = doc->attachments[0].size;
            memcpy(s->att_sha[i], doc->attachments[0].sha256, sizeof(s->att_sha[i]));
        }
    }
    if (s->fail_at > 0 && (size_t)s->fail_at == s->calls)
        return -42;
    return 0;
}

struct outcome {
    int rc;
    struct unpack_result res;
    struct diag_list diags;
    struct bz_error e;
    struct seen seen;
};

static void
run_path(const char *path, const struct settings *s, struct outcome *o)
{
    memset(&o->seen, 0, sizeof(o->seen));
    diag_list_init(&o->diags, 200);
    o->rc = unpack_file(path, s, record, &o->seen, &o->res, &o->diags, &o->e);
}

static void
run_file(const char *name, const struct settings *s, struct outcome *o)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", corpus, name);
    run_path(path, s, o);
}

static const char *
first_code(const struct outcome *o)
{
    return o->diags.n > 0 ? o->diags.items[0].code : "(none)";
}

static size_t
count_code(const struct outcome *o, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < o->diags.n; i++)
        n += strcmp(o->diags.items[i].code, code) == 0;
    return n;
}

static void
defaults(struct settings *s)
{
    settings_defaults(s, "/tmp");
}

static int
make_corpus(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(corpus, sizeof(corpus), "/tmp/bizenv-unpack-XXXXXX");
    if (mkdtemp(corpus) == NULL)
        return -1;
    snprintf(cmd, sizeof(cmd), "python3 tests/corpus/make_corpus.py %s", corpus);
    return system(cmd) == 0 ? 0 : -1;
}

static int
remove_corpus(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", corpus);
    return system(cmd) == 0 ? 0 : -1;
}

/* A zip of (name, bytes, length) triples written to corpus/name; returns
 * its bytes (the caller frees) and length. */
struct entry {
    const char *name;
    const void *data;
    size_t len;
};

static unsigned char *
write_zip(const char *file, const struct entry *e, size_t n, size_t *len)
{
    size_t cap = 1u << 20;
    unsigned char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    char path[512];
    assert_non_null(buf);
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ent = archive_entry_new();
        archive_entry_set_pathname(ent, e[i].name);
        archive_entry_set_size(ent, (la_int64_t)e[i].len);
        archive_entry_set_filetype(ent, AE_IFREG);
        archive_entry_set_perm(ent, 0644);
        assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, e[i].data, e[i].len), (la_ssize_t)e[i].len);
        archive_entry_free(ent);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    snprintf(path, sizeof(path), "%s/%s", corpus, file);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

/* The bytes of a small Office zip: unpack looks at names only. */
static unsigned char *
workbook_zip(const char *file, size_t *len)
{
    static const char ct[] = "<Types/>", wb[] = "<workbook/>";
    static unsigned char image[4096]; /* incompressible, so the zip is over 4 KB */
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof(image); i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        image[i] = (unsigned char)x;
    }
    const struct entry e[] = {{"[Content_Types].xml", ct, sizeof(ct) - 1},
                              {"xl/workbook.xml", wb, sizeof(wb) - 1},
                              {"xl/media/image1.png", image, sizeof(image)}};
    return write_zip(file, e, 3, len);
}

static void
reads_a_bare_workbook_as_one_document(void **state)
{
    struct settings s;
    struct outcome o;
    size_t len;
    char sha[65];
    (void)state;
    defaults(&s);
    unsigned char *wb = workbook_zip("bare.xlsx", &len);
    hash_sha256_hex(wb, len, sha);
    run_file("bare.xlsx", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.res.kind, UNPACK_WORKBOOK);
    assert_int_equal(o.seen.calls, 1);
    assert_true(o.seen.workbook[0]);
    assert_string_equal(o.seen.member[0], "");
    assert_int_equal(o.seen.len[0], len); /* the whole zip is the document */
    assert_string_equal(o.seen.sha[0], sha);
    diag_list_free(&o.diags);
    s.max_workbook_bytes = 1024;
    run_file("bare.xlsx", &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_LIMIT_ENTRY_SIZE");
    assert_int_equal(o.seen.calls, 0);
    diag_list_free(&o.diags);
    free(wb);
}

static void
reads_workbooks_in_packages_and_batches(void **state)
{
    struct settings s;
    struct outcome o;
    size_t wlen, plen, blen;
    static const char xml[] = "<submission/>";
    (void)state;
    defaults(&s);
    unsigned char *wb = workbook_zip("w.xlsx", &wlen);
    const struct entry pkg[] = {{"report.xlsx", wb, wlen}, {"attachments/a.pdf", "%PDF", 4}};
    unsigned char *p = write_zip("pkg_wb.zip", pkg, 2, &plen);
    run_file("pkg_wb.zip", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.res.kind, UNPACK_PACKAGE);
    assert_int_equal(o.seen.calls, 1);
    assert_true(o.seen.workbook[0]);
    assert_string_equal(o.seen.member[0], "report.xlsx");
    assert_int_equal(o.seen.len[0], wlen);
    assert_int_equal(o.seen.natt[0], 1);
    diag_list_free(&o.diags);
    const struct entry batch[] = {
        {"a.zip", p, plen}, {"b.xlsx", wb, wlen}, {"c.xml", xml, sizeof(xml) - 1}};
    unsigned char *b = write_zip("batch_wb.zip", batch, 3, &blen);
    run_file("batch_wb.zip", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.res.kind, UNPACK_BATCH);
    assert_int_equal(o.seen.calls, 3);
    assert_string_equal(o.seen.member[0], "a.zip/report.xlsx");
    assert_true(o.seen.workbook[0]);
    assert_string_equal(o.seen.member[1], "b.xlsx");
    assert_true(o.seen.workbook[1]);
    assert_string_equal(o.seen.member[2], "c.xml");
    assert_false(o.seen.workbook[2]);
    diag_list_free(&o.diags);
    /* a package with a workbook and an XML has two documents */
    const struct entry two[] = {
        {"a.xlsx", wb, wlen}, {"a.xml", xml, sizeof(xml) - 1}, {"attachments/x.pdf", "%PDF", 4}};
    free(write_zip("pkg_two.zip", two, 3, &blen));
    run_file("pkg_two.zip", &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_ZIP_MANY_XML");
    diag_list_free(&o.diags);
    free(wb);
    free(p);
    free(b);
}

static void
names_an_old_excel_file(void **state)
{
    struct settings s;
    struct outcome o;
    char path[512];
    (void)state;
    defaults(&s);
    snprintf(path, sizeof(path), "%s/old.xls", corpus);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    static const char ole[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest of an OLE2 file";
    fwrite(ole, 1, sizeof(ole) - 1, f);
    fclose(f);
    run_path(path, &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_FILE_TYPE");
    assert_non_null(strstr(o.diags.items[0].message, ".xls"));
    diag_list_free(&o.diags);
}

/* Every manifest line: the exact first diagnostic, or success with the
 * document count; a rejected file never reaches the callback. */
static void
corpus_outcomes_match_manifest(void **state)
{
    char path[512], line[512];
    struct settings s;
    size_t lines = 0, bad = 0;

    (void)state;
    defaults(&s);
    snprintf(path, sizeof(path), "%s/manifest.tsv", corpus);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        char *want = tab + 1;
        want[strcspn(want, "\r\n")] = '\0';
        struct outcome o;
        run_file(line, &s, &o);
        lines++;
        int ok;
        if (strncmp(want, "ok:", 3) == 0) {
            size_t n = (size_t)strtoul(want + 3, NULL, 10);
            ok = o.rc == 0 && o.res.ndocs == n && o.seen.calls == n && o.diags.n == 0;
        } else {
            ok = o.rc == BZ_EINPUT && strcmp(first_code(&o), want) == 0 && o.seen.calls == 0;
        }
        if (!ok) {
            bad++;
            print_error("%s: want %s, got rc=%d first=%s ndocs=%zu calls=%zu e=%s %s\n", line, want,
                        o.rc, first_code(&o), o.res.ndocs, o.seen.calls, o.e.code, o.e.detail);
        }
        assert_int_equal(strlen(o.res.file_sha256), 64);
        diag_list_free(&o.diags);
    }
    fclose(f);
    assert_true(lines >= 60);
    assert_int_equal(bad, 0);
}

static void
package_lists_attachment_with_size_and_sha256(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    run_file("pkg_ok.zip", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.res.kind, UNPACK_PACKAGE);
    assert_int_equal(o.seen.calls, 1);
    assert_string_equal(o.seen.member[0], "report.xml");
    assert_int_equal(o.seen.natt[0], 1); /* the attachments/ folder is not listed */
    assert_string_equal(o.seen.att_name[0], "attachments/report.pdf");
    assert_int_equal(o.seen.att_size[0], PDF_SIZE);
    assert_string_equal(o.seen.att_sha[0], PDF_SHA256);
    diag_list_free(&o.diags);
}

static void
decodes_gbk_name_without_utf8_flag(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    run_file("pkg_gbk_names.zip", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.seen.natt[0], 1);
    assert_string_equal(o.seen.att_name[0], "附件/报告.pdf");
    assert_string_equal(o.seen.att_sha[0], PDF_SHA256);
    diag_list_free(&o.diags);

    run_file("pkg_utf8_names.zip", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.seen.att_name[0], "附件/照片.pdf");
    diag_list_free(&o.diags);
}

static void
batch_delivers_members_in_archive_order(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    run_file("batch_ok.zip", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.res.kind, UNPACK_BATCH);
    assert_int_equal(o.res.ndocs, 3);
    assert_int_equal(o.seen.calls, 3);
    assert_string_equal(o.seen.member[0], "a.zip/report.xml");
    assert_string_equal(o.seen.member[1], "b.zip/report.xml");
    assert_string_equal(o.seen.member[2], "c.xml");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(o.seen.index[i], i);
    assert_string_equal(o.seen.att_name[0], "attachments/report.pdf");
    assert_string_equal(o.seen.att_sha[1], PDF_SHA256);
    assert_int_equal(o.seen.natt[2], 0);
    /* the same document bytes everywhere: the same hash */
    assert_string_equal(o.seen.sha[0], o.seen.sha[2]);
    diag_list_free(&o.diags);

    run_file("batch_two_xml.zip", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.res.kind, UNPACK_BATCH);
    assert_string_equal(o.seen.member[0], "x.xml");
    assert_string_equal(o.seen.member[1], "y.xml");
    diag_list_free(&o.diags);
}

static void
bare_and_gzip_documents_have_empty_member_and_their_hash(void **state)
{
    struct settings s;
    struct outcome o, g;

    (void)state;
    defaults(&s);
    run_file("bare.xml", &s, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.res.kind, UNPACK_XML);
    assert_string_equal(o.seen.member[0], "");
    /* a bare XML's document hash is the file hash */
    assert_string_equal(o.seen.sha[0], o.res.file_sha256);
    run_file("doc.xml.gz", &s, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.res.kind, UNPACK_GZIP);
    assert_string_equal(g.seen.member[0], "");
    assert_int_equal(g.seen.len[0], o.seen.len[0]);
    assert_string_equal(g.seen.sha[0], o.seen.sha[0]);
    assert_string_not_equal(g.res.file_sha256, o.res.file_sha256);
    diag_list_free(&o.diags);
    diag_list_free(&g.diags);
}

static void
reports_every_bad_name(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    run_file("many_bad_names.zip", &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_int_equal(count_code(&o, "E_ZIP_ENTRY_NAME"), 3);
    assert_string_equal(o.diags.items[0].path, "../a.pdf");
    assert_int_equal(o.diags.items[0].line, 0);
    assert_string_equal(o.diags.items[1].path, "/b.pdf");
    /* the control character is not passed on to the receipt */
    assert_string_equal(o.diags.items[2].path, "attachments/c?.pdf");
    assert_int_equal(o.seen.calls, 0);
    diag_list_free(&o.diags);

    run_file("nested_bad_name.zip", &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(o.diags.items[0].path, "a.zip/../evil.pdf");
    diag_list_free(&o.diags);
}

static void
rejects_non_regular_files(void **state)
{
    struct settings s;
    struct outcome o;
    char path[512], target[512];

    (void)state;
    defaults(&s);
    run_path(corpus, &s, &o); /* a directory */
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_FILE_NOT_REGULAR");
    diag_list_free(&o.diags);

    snprintf(path, sizeof(path), "%s/fifo", corpus);
    assert_int_equal(mkfifo(path, 0600), 0);
    run_path(path, &s, &o); /* must not block waiting for a writer */
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_FILE_NOT_REGULAR");
    assert_int_equal(o.seen.calls, 0);
    diag_list_free(&o.diags);
    unlink(path);

    snprintf(path, sizeof(path), "%s/link.xml", corpus);
    snprintf(target, sizeof(target), "%s/bare.xml", corpus);
    assert_int_equal(symlink(target, path), 0);
    run_path(path, &s, &o); /* a symlink to a sound file */
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_FILE_NOT_REGULAR");
    assert_int_equal(o.seen.calls, 0);
    diag_list_free(&o.diags);
    unlink(path);

    snprintf(path, sizeof(path), "%s/missing.xml", corpus);
    run_path(path, &s, &o);
    assert_int_equal(o.rc, BZ_ENOTFOUND);
    assert_string_equal(o.e.code, "E_NOINPUT");
    diag_list_free(&o.diags);
}

static void
enforces_lowered_size_limits(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    s.max_xml_bytes = 1024;
    run_file("doc_8k.xml.gz", &s, &o); /* low ratio: only the size cap stops it */
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_LIMIT_ENTRY_SIZE");
    diag_list_free(&o.diags);

    defaults(&s);
    s.max_file_bytes = 50;
    run_file("bare.xml", &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_string_equal(first_code(&o), "E_LIMIT_FILE_SIZE");
    assert_int_equal(o.res.file_size, 103);
    diag_list_free(&o.diags);

    defaults(&s);
    s.max_entries = 2;
    run_file("pkg_ok.zip", &s, &o);
    assert_string_equal(first_code(&o), "E_LIMIT_ENTRIES");
    diag_list_free(&o.diags);

    defaults(&s);
    s.max_nesting = 0;
    run_file("batch_ok.zip", &s, &o);
    assert_string_equal(first_code(&o), "E_LIMIT_NESTING");
    diag_list_free(&o.diags);
}

/* Without the ratio check, the byte caps alone stop the overlapping bomb. */
static void
overlap_bomb_stopped_by_byte_caps(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    s.max_ratio = 1000000;
    s.max_total_bytes = 32LL << 20;
    run_file("bomb_overlap.zip", &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    assert_int_equal(count_code(&o, "E_LIMIT_TOTAL_SIZE"), 1);
    assert_int_equal(count_code(&o, "E_LIMIT_RATIO"), 0);
    diag_list_free(&o.diags);

    defaults(&s);
    s.max_ratio = 1000000;
    s.max_entry_bytes = 1LL << 20;
    run_file("bomb_overlap.zip", &s, &o);
    assert_int_equal(o.rc, BZ_EINPUT);
    /* the declared 4 MB is refused before a byte is inflated */
    assert_string_equal(first_code(&o), "E_LIMIT_ENTRY_SIZE");
    diag_list_free(&o.diags);
}

static void
times_out_on_slow_file(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    s.max_ratio = 1000000;
    s.max_total_bytes = 1LL << 40;
    s.parse_timeout_s = 1;
    run_file("bomb_overlap_big.zip", &s, &o);
    assert_int_equal(o.rc, BZ_ETIMEOUT);
    assert_string_equal(o.e.code, "E_TIMEOUT");
    assert_int_equal(o.seen.calls, 0);
    assert_int_equal(strlen(o.res.file_sha256), 64);
    diag_list_free(&o.diags);
}

static void
callback_failure_stops_and_is_returned(void **state)
{
    struct settings s;
    struct outcome o;

    (void)state;
    defaults(&s);
    memset(&o.seen, 0, sizeof(o.seen));
    o.seen.fail_at = 1;
    diag_list_init(&o.diags, 200);
    char path[512];
    snprintf(path, sizeof(path), "%s/batch_ok.zip", corpus);
    o.rc = unpack_file(path, &s, record, &o.seen, &o.res, &o.diags, &o.e);
    assert_int_equal(o.rc, -42);
    assert_int_equal(o.seen.calls, 1);
    diag_list_free(&o.diags);
}

static void
hash_matches_known_vectors(void **state)
{
    char hex[HASH_HEX_LEN + 1];
    struct hash_ctx h;

    (void)state;
    hash_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_sha256_hex(NULL, 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_init(&h);
    hash_update(&h, "a", 1);
    hash_update(&h, "bc", 2);
    hash_final_hex(&h, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* final resets: the context is ready for a new digest */
    hash_final_hex(&h, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_matches_known_vectors),
        cmocka_unit_test(corpus_outcomes_match_manifest),
        cmocka_unit_test(package_lists_attachment_with_size_and_sha256),
        cmocka_unit_test(decodes_gbk_name_without_utf8_flag),
        cmocka_unit_test(batch_delivers_members_in_archive_order),
        cmocka_unit_test(bare_and_gzip_documents_have_empty_member_and_their_hash),
        cmocka_unit_test(reports_every_bad_name),
        cmocka_unit_test(rejects_non_regular_files),
        cmocka_unit_test(enforces_lowered_size_limits),
        cmocka_unit_test(overlap_bomb_stopped_by_byte_caps),
        cmocka_unit_test(times_out_on_slow_file),
        cmocka_unit_test(callback_failure_stops_and_is_returned),
        cmocka_unit_test(reads_a_bare_workbook_as_one_document),
        cmocka_unit_test(reads_workbooks_in_packages_and_batches),
        cmocka_unit_test(names_an_old_excel_file),
    };
    return cmocka_run_group_tests(tests, make_corpus, remove_corpus);
}
