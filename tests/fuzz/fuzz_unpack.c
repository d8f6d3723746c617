/*
 * fuzz_unpack — libFuzzer harness for the archive reader (ingest/unpack*.c).
 *
 * Each input is written to a file in a private temporary folder and read
 * with unpack_file, with the default limits except smaller byte caps (so
 * one input cannot spend the fuzzer's time inflating 512 MB). Every
 * delivered document is read to its end, so ASan sees an over-read of a
 * document buffer. Test code only: built by `make fuzz` with clang-14.
 */
#include "../../ingest/unpack.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[96];
static struct settings set;

static int
touch_doc(const struct unpack_doc *doc, void *ctx)
{
    unsigned *sum = ctx;
    for (size_t i = 0; i < doc->len; i++)
        *sum += doc->data[i];
    for (size_t i = 0; i < doc->nattachments; i++)
        *sum += (unsigned)strlen(doc->attachments[i].name);
    *sum += (unsigned)strlen(doc->member);
    return 0;
}

static void
cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/bz-fuzz-XXXXXX");
        if (mkdtemp(dir) == NULL)
            abort();
        snprintf(path, sizeof(path), "%s/in", dir);
        atexit(cleanup);
        settings_defaults(&set, dir);
        set.max_entry_bytes = 4 << 20;
        set.max_xml_bytes = 4 << 20;
        set.max_total_bytes = 16 << 20;
        set.ratio_min_bytes = 64 << 10;
        set.parse_timeout_s = 20;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();

    struct unpack_result res;
    struct diag_list diags;
    struct bz_error e;
    unsigned sum = 0;
    diag_list_init(&diags, 200);
    bz_error_clear(&e);
    int rc = unpack_file(path, &set, touch_doc, &sum, &res, &diags, &e);
    /* the contract: a verdict with its reasons, or an operational failure */
    if (rc == BZ_EINPUT && !diag_has_errors(&diags) && !diags.oom)
        abort();
    if (rc == 0 && diag_has_errors(&diags))
        abort();
    diag_list_free(&diags);
    return 0;
}
