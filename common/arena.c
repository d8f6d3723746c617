#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 16 KB blocks: a typical submission (a few hundred strings) fits in one
 * or two, and a large one does not make thousands of mallocs. */
#define ARENA_BLOCK_MIN 16384

struct arena_block {
    struct arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t off;  /* bytes used */
    alignas(max_align_t) unsigned char data[];
};

void
arena_init(struct arena *a, size_t limit)
{
    a->head = NULL;
    a->used = 0;
    a->limit = limit;
    a->over_limit = 0;
}

void
arena_free(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena_init(a, a->limit);
}

void *
arena_alloc(struct arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    size_t need = (n + align - 1) & ~(align - 1);

    if (need < n)
        return NULL;
    struct arena_block *b = a->head;
    if (b == NULL || b->size - b->off < need) {
        size_t size = need > ARENA_BLOCK_MIN ? need : ARENA_BLOCK_MIN;
        if (size > SIZE_MAX - sizeof(*b) || a->used + size + sizeof(*b) > a->limit) {
            a->over_limit = 1;
            return NULL;
        }
        b = malloc(sizeof(*b) + size);
        if (b == NULL)
            return NULL;
        b->next = a->head;
        b->size = size;
        b->off = 0;
        a->head = b;
        a->used += size + sizeof(*b);
    }
    void *p = b->data + b->off;
    b->off += need;
    return p;
}

char *
arena_strndup(struct arena *a, const char *str, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, str, n);
    p[n] = '\0';
    return p;
}

char *
arena_strdup(struct arena *a, const char *str)
{
    return arena_strndup(a, str, strlen(str));
}
