#include "submission.h"

#include "../common/receipt.h"

#include <stdio.h>
#include <string.h>

void
submission_init(struct submission *s, size_t arena_limit)
{
    memset(s, 0, sizeof(*s));
    arena_init(&s->arena, arena_limit);
}

void
submission_free(struct submission *s)
{
    size_t limit = s->arena.limit;
    arena_free(&s->arena);
    submission_init(s, limit);
}

void
submission_receipt_identity(const struct submission *s, struct receipt *r, char period[16])
{
    r->township_code = s->township_code[0] ? s->township_code : NULL;
    r->township_name = s->township_canonical ? s->township_canonical : s->township_name;
    r->period = NULL;
    if (s->year > 0) {
        snprintf(period, 16, "%04u-%02u", (unsigned)s->year % 10000u, (unsigned)s->month % 100u);
        r->period = period;
    }
    r->revision = (long)s->revision;
}
