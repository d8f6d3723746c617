/*
 * tx — helpers shared by the transform tests: the normative example as
 * text, in-memory edits of it, one call of transform_document, and checks
 * on the diagnostics. Included by each tests/transform/test_*.c.
 */
#ifndef BZ_TESTS_TX_H
#define BZ_TESTS_TX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../transform/transform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TX_EXAMPLE "tests/data/539901101-2026-10.xml"
#define TX_TODAY 20261115 /* the example is for 2026-10, sent in November */

struct tx {
    struct submission s;
    struct diag_list diags;
    struct settings set;
    int rc;
    struct bz_error e;
};

/* The example's bytes, NUL-terminated; the caller frees. */
static inline char *
tx_example(void)
{
    FILE *f = fopen(TX_EXAMPLE, "rb");
    if (f == NULL)
        f = fopen("../../" TX_EXAMPLE, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* A copy of src with the first `from` replaced by `to` (which must occur);
 * frees src. */
static inline char *
tx_replace(char *src, const char *from, const char *to)
{
    char *at = strstr(src, from);
    if (at == NULL)
        fail_msg("text to replace not found: %s", from);
    size_t head = (size_t)(at - src), nf = strlen(from), nt = strlen(to);
    size_t tail = strlen(at + nf);
    char *out = malloc(head + nt + tail + 1);
    assert_non_null(out);
    memcpy(out, src, head);
    memcpy(out + head, to, nt);
    memcpy(out + head + nt, at + nf, tail + 1);
    free(src);
    return out;
}

/* The example with one edit. */
static inline char *
tx_edit(const char *from, const char *to)
{
    return tx_replace(tx_example(), from, to);
}

/* Registry stub: only the example's township is known. */
static inline int
tx_registry(const char *code, const char **name, void *arg)
{
    (void)arg;
    if (strcmp(code, "539901101") != 0)
        return 0;
    *name = "示例乡";
    return 1;
}

static inline void
tx_run_bytes(struct tx *t, const void *data, size_t len)
{
    struct transform_ctx ctx = {TX_TODAY, tx_registry, NULL};
    memset(t, 0, sizeof(*t));
    settings_defaults(&t->set, "/nonexistent");
    submission_init(&t->s, transform_arena_limit(len));
    diag_list_init(&t->diags, (size_t)t->set.max_diagnostics);
    t->rc = transform_document(data, len, &t->set, &ctx, &t->s, &t->diags, &t->e);
}

static inline void
tx_run(struct tx *t, const char *doc)
{
    tx_run_bytes(t, doc, strlen(doc));
}

static inline void
tx_done(struct tx *t)
{
    submission_free(&t->s);
    diag_list_free(&t->diags);
}

static inline size_t
tx_count(const struct tx *t, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < t->diags.n; i++)
        n += strcmp(t->diags.items[i].code, code) == 0;
    return n;
}

static inline void
tx_dump(const struct tx *t)
{
    for (size_t i = 0; i < t->diags.n; i++)
        print_message("# %s line %ld %s: %s\n", t->diags.items[i].code, t->diags.items[i].line,
                      t->diags.items[i].path, t->diags.items[i].message);
}

/* Asserts that a diagnostic with code, line and path exists (line 0 and
 * path NULL match anything); returns it. */
static inline const struct diag *
tx_expect(const struct tx *t, const char *code, long line, const char *path)
{
    for (size_t i = 0; i < t->diags.n; i++) {
        const struct diag *d = &t->diags.items[i];
        if (strcmp(d->code, code) == 0 && (line == 0 || d->line == line) &&
            (path == NULL || strcmp(d->path, path) == 0))
            return d;
    }
    tx_dump(t);
    fail_msg("no %s at line %ld path %s", code, line, path ? path : "(any)");
    return NULL;
}

/* One document, one expected diagnostic: code at line/path; and when it is
 * an error, the document is rejected. */
static inline void
tx_expect_one(const char *doc, const char *code, long line, const char *path)
{
    struct tx t;
    tx_run(&t, doc);
    assert_int_equal(t.rc, 0);
    tx_expect(&t, code, line, path);
    if (code[0] == 'E')
        assert_true(diag_has_errors(&t.diags));
    tx_done(&t);
}

#endif
