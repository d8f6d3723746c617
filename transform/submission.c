#include "submission.h"

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
