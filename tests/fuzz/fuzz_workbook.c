/*
 * fuzz_workbook — libFuzzer harness for the workbook reader
 * (workbook_transform: transform/xlsx.c's zip and parts, the cells to the
 * canonical document, transform_document, the diagnostics back at cells).
 *
 * The input is one .xlsx's bytes, as the ingest stage would hand them over.
 * The byte caps are smaller than the defaults (as in fuzz_unpack) so one
 * input cannot spend the fuzzer's time inflating a bomb; the registry
 * accepts the example's townships so inputs derived from the seeds reach
 * the rules. Every diagnostic is read to its end, so ASan sees an over-read
 * of a path or message. Test code only: built by `make fuzz` with clang-14.
 */
#include "../../transform/workbook.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct settings set;
static int ready;

static int
known(const char *code, const char **canonical, void *arg)
{
    (void)arg;
    *canonical = NULL;
    return strncmp(code, "5399011", 7) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bz_error e;
    char sha[65];

    if (!ready) {
        bz_error_clear(&e);
        if (transform_init(&e) != 0)
            abort();
        settings_defaults(&set, "/tmp");
        set.max_entry_bytes = 4 << 20;
        set.max_xml_bytes = 4 << 20;
        set.max_total_bytes = 16 << 20;
        set.ratio_min_bytes = 64 << 10;
        ready = 1;
    }
    struct transform_ctx ctx = {20261128, known, NULL};
    struct submission sub;
    struct diag_list diags;
    diag_list_init(&diags, (size_t)set.max_diagnostics);
    bz_error_clear(&e);
    submission_init(&sub, transform_arena_limit(size));
    int rc = workbook_transform(data, size, &set, &ctx, &sub, &diags, sha, &e);
    if (rc != 0 && rc != BZ_ENOMEM)
        abort(); /* only memory may stop a check; every input gets a verdict */
    size_t sum = strlen(sha);
    for (size_t i = 0; i < diags.n; i++)
        sum += strlen(diags.items[i].path) + strlen(diags.items[i].message);
    if (sum == 0)
        abort(); /* a SHA-256 is always there */
    submission_free(&sub);
    diag_list_free(&diags);
    return 0;
}
