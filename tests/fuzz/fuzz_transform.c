/*
 * fuzz_transform — libFuzzer harness for the submission parser and rules
 * (transform_document: encoding, libxml2 reader, XSD, rules).
 *
 * The input is one document's bytes, as the ingest stage would hand them
 * over. The registry lookup accepts the example's townships, so inputs
 * derived from the seeds reach the rules. Test code only: built by
 * `make fuzz` with clang-14.
 */
#include "../../transform/transform.h"

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

    if (!ready) {
        bz_error_clear(&e);
        if (transform_init(&e) != 0)
            abort();
        settings_defaults(&set, "/tmp");
        ready = 1;
    }
    struct transform_ctx ctx = {20261128, known, NULL};
    struct submission sub;
    struct diag_list diags;
    diag_list_init(&diags, (size_t)set.max_diagnostics);
    bz_error_clear(&e);
    submission_init(&sub, transform_arena_limit(size));
    int rc = transform_document(data, size, &set, &ctx, &sub, &diags, &e);
    if (rc != 0 && rc != BZ_ENOMEM)
        abort(); /* only memory may stop a check; every input gets a verdict */
    submission_free(&sub);
    diag_list_free(&diags);
    return 0;
}
