#include "submission.h"

#include "../common/receipt.h"

#include <stdio.h>
#include <string.h>

void
submission_init(struct submission *sub, size_t arena_limit)
{
    memset(sub, 0, sizeof(*sub));
    arena_init(&sub->arena, arena_limit);
}

void
submission_free(struct submission *sub)
{
    size_t limit = sub->arena.limit;
    arena_free(&sub->arena);
    submission_init(sub, limit);
}

void
submission_receipt_identity(const struct submission *sub, struct receipt *r, char period[16])
{
    r->township_code = sub->township_code[0] ? sub->township_code : NULL;
    r->township_name = sub->township_canonical ? sub->township_canonical : sub->township_name;
    r->period = NULL;
    if (sub->year > 0) {
        snprintf(period, 16, "%04u-%02u", (unsigned)sub->year % 10000u,
                 (unsigned)sub->month % 100u);
        r->period = period;
    }
    r->revision = (long)sub->revision;
}
