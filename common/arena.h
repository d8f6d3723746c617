/*
 * arena — bump allocator for the strings and arrays of one submission.
 *
 * Everything a parsed submission owns lives in one arena and is freed at
 * once with arena_free, so the transform stage has a single cleanup path.
 * The arena has a hard byte limit given at creation: a hostile document
 * cannot make it grow past that (allocation then fails with NULL, which the
 * caller reports as E_XML_LIMIT).
 */
#ifndef BZ_ARENA_H
#define BZ_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* newest block first */
    size_t used;              /* bytes handed out plus block overhead */
    size_t limit;             /* hard cap on `used` */
    int over_limit;           /* set once an allocation failed because of `limit` */
};

/* Initialises an empty arena capped at `limit` bytes. Cannot fail. */
void arena_init(struct arena *a, size_t limit);

/* Frees every block; the arena is empty and reusable. */
void arena_free(struct arena *a);

/* Returns `n` bytes aligned for any type, or NULL on malloc failure or
 * when the limit would be exceeded (then a->over_limit is set). */
void *arena_alloc(struct arena *a, size_t n);

/* Copies `n` bytes of str plus a NUL into the arena; NULL as above. */
char *arena_strndup(struct arena *a, const char *str, size_t n);

/* arena_strndup(a, str, strlen(str)). */
char *arena_strdup(struct arena *a, const char *str);

#endif
