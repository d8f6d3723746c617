#include "wire.h"

#include "../common/codes.h"
#include "../common/error.h"
#include "fields.h"
#include "transform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_NULL 0xFFFFFFFFu

/* Fixed-size text of the structs (codes, hex digests) and what a
 * diagnostic's path and message can be (diag.c caps a message at 1 KB;
 * paths are element paths, cells or entry names shown cut). */
#define CODE_MAX 31
#define PATH_MAX_BYTES 4096
#define MESSAGE_MAX 1023
#define NAME_MAX_BYTES 8192

/* The least bytes one element of each list takes on the wire: a count is
 * believed only if that many bytes are left. */
#define MIN_DIAG (4 + 8 + 4 + 4)
#define MIN_ATTACHMENT (4 + 8 + 4 + 64)
#define MIN_WINDOW (3 * 4 + 8)
#define MIN_LEADER (3 * 4 + 8)
#define MIN_WALK (2 * 4 + 8 + 4 + 8)
#define MIN_PROBLEM (4 * 4 + 3 * 8 + 8)
#define MIN_STRING 4
#define MIN_GROUP (2 * 4 + 8 + 8 + 11 * 8)

void
wire_in_init(struct wire_in *in, const void *data, size_t len)
{
    in->p = data;
    in->left = len;
    in->bad = 0;
}

/* ---- writing ---- */

int
wire_put_u8(struct dbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    return dbuf_add(b, &c, 1);
}

int
wire_put_u32(struct dbuf *b, uint32_t v)
{
    unsigned char c[4];
    for (int i = 0; i < 4; i++)
        c[i] = (unsigned char)(v >> (8 * i));
    return dbuf_add(b, c, sizeof(c));
}

int
wire_put_i64(struct dbuf *b, int64_t v)
{
    unsigned char c[8];
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        c[i] = (unsigned char)(u >> (8 * i));
    return dbuf_add(b, c, sizeof(c));
}

int
wire_put_str(struct dbuf *b, const char *str)
{
    if (str == NULL)
        return wire_put_u32(b, WIRE_NULL);
    size_t n = strlen(str);
    if (n >= WIRE_NULL)
        return BZ_ELIMIT;
    int rc = wire_put_u32(b, (uint32_t)n);
    return rc ? rc : dbuf_add(b, str, n);
}

/* ---- reading ---- */

static const unsigned char *
take(struct wire_in *in, size_t n)
{
    if (in->bad || n > in->left) {
        in->bad = 1;
        return NULL;
    }
    const unsigned char *p = in->p;
    in->p += n;
    in->left -= n;
    return p;
}

unsigned
wire_get_u8(struct wire_in *in)
{
    const unsigned char *p = take(in, 1);
    return p ? p[0] : 0;
}

uint32_t
wire_get_u32(struct wire_in *in)
{
    const unsigned char *p = take(in, 4);
    uint32_t v = 0;
    for (int i = 0; p != NULL && i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

int64_t
wire_get_i64(struct wire_in *in)
{
    const unsigned char *p = take(in, 8);
    uint64_t v = 0;
    for (int i = 0; p != NULL && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

int
wire_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* The bytes of a string: NULL with *is_null for a NULL one. */
static const unsigned char *
str_bytes(struct wire_in *in, size_t max, int nullable, size_t *n, int *is_null)
{
    uint32_t len = wire_get_u32(in);
    *is_null = 0;
    *n = 0;
    if (in->bad)
        return NULL;
    if (len == WIRE_NULL) {
        if (!nullable)
            in->bad = 1;
        *is_null = 1;
        return NULL;
    }
    if (len > max) {
        in->bad = 1;
        return NULL;
    }
    const unsigned char *p = take(in, len);
    if (p != NULL && !wire_utf8_valid((const char *)p, len)) {
        in->bad = 1;
        return NULL;
    }
    *n = len;
    return p;
}

const char *
wire_get_str(struct wire_in *in, struct arena *a, size_t max, int nullable, int *oom)
{
    size_t n;
    int is_null;
    const unsigned char *p = str_bytes(in, max, nullable, &n, &is_null);
    if (p == NULL)
        return NULL;
    char *s = arena_strndup(a, (const char *)p, n);
    if (s == NULL) {
        /* the arena's cap is what the bytes may make: past it they lie */
        if (a->over_limit)
            in->bad = 1;
        else
            *oom = 1;
    }
    return s;
}

void
wire_get_strbuf(struct wire_in *in, char *buf, size_t cap)
{
    size_t n;
    int is_null;
    const unsigned char *p = str_bytes(in, cap - 1, 0, &n, &is_null);
    memcpy(buf, p ? (const char *)p : "", p ? n : 0);
    buf[p ? n : 0] = '\0';
}

/* A count believed only if the least bytes its elements need are left. */
static size_t
get_count(struct wire_in *in, size_t min_each, size_t max)
{
    uint32_t n = wire_get_u32(in);
    if (in->bad)
        return 0;
    if (n > max || (min_each > 0 && n > in->left / min_each)) {
        in->bad = 1;
        return 0;
    }
    return n;
}

static int
verdict(struct wire_in *in, int oom)
{
    if (oom)
        return BZ_ENOMEM;
    return in->bad ? BZ_EINPUT : 0;
}

static int
is_digits(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int
is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* ---- diagnostics ---- */

int
wire_put_diags(struct dbuf *b, const struct diag_list *l)
{
    int rc = wire_put_u32(b, (uint32_t)l->n);
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        const struct diag *d = &l->items[i];
        rc = wire_put_str(b, d->code);
        rc = rc ? rc : wire_put_i64(b, d->line);
        rc = rc ? rc : wire_put_str(b, d->path ? d->path : "");
        rc = rc ? rc : wire_put_str(b, d->message ? d->message : "");
    }
    rc = rc ? rc : wire_put_i64(b, (int64_t)l->dropped);
    rc = rc ? rc : wire_put_i64(b, (int64_t)l->nerrors);
    rc = rc ? rc : wire_put_i64(b, (int64_t)l->nwarnings);
    return rc ? rc : wire_put_u8(b, l->oom != 0);
}

static char *
dup_bytes(struct wire_in *in, size_t max, int *oom)
{
    size_t n;
    int is_null;
    const unsigned char *p = str_bytes(in, max, 0, &n, &is_null);
    if (p == NULL)
        return NULL;
    char *s = malloc(n + 1);
    if (s == NULL) {
        *oom = 1;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* One entry into l->items[l->n]; the severity follows from the code. */
static void
get_diag(struct wire_in *in, struct diag_list *l, size_t *nerr, size_t *nwarn, int *oom)
{
    struct diag *d = &l->items[l->n];
    char code[CODE_MAX + 1];
    wire_get_strbuf(in, code, sizeof(code));
    int64_t line = wire_get_i64(in);
    if (in->bad || codes_title(code) == NULL || line < 0 || line > INT32_MAX) {
        in->bad = 1;
        return;
    }
    char *path = dup_bytes(in, PATH_MAX_BYTES, oom);
    char *message = path ? dup_bytes(in, MESSAGE_MAX, oom) : NULL;
    if (message == NULL) {
        free(path);
        return;
    }
    memset(d, 0, sizeof(*d));
    memcpy(d->code, code, strlen(code) + 1);
    d->severity = codes_is_warning(code) ? DIAG_WARNING : DIAG_ERROR;
    d->line = (long)line;
    d->path = path;
    d->message = message;
    l->n++;
    if (d->severity == DIAG_WARNING)
        (*nwarn)++;
    else if (strcmp(code, "E_TOO_MANY_DIAGNOSTICS") != 0)
        (*nerr)++; /* the marker of a cut list is counted as no error of its own */
}

int
wire_get_diags(struct wire_in *in, struct diag_list *l)
{
    int oom = 0;
    size_t nerr = 0, nwarn = 0;
    size_t n = get_count(in, MIN_DIAG, l->limit);
    if (n > 0 && (l->items = calloc(n, sizeof(*l->items))) == NULL)
        return BZ_ENOMEM;
    l->cap = n;
    for (size_t i = 0; i < n && !in->bad && !oom; i++)
        get_diag(in, l, &nerr, &nwarn, &oom);
    int64_t dropped = wire_get_i64(in), nerrors = wire_get_i64(in), nwarnings = wire_get_i64(in);
    unsigned flag = wire_get_u8(in);
    /* the counts cover what is listed: an error listed is an error counted,
     * so a list cannot hide that its submission must not be loaded */
    if (dropped < 0 || nerrors < (int64_t)nerr || nwarnings < (int64_t)nwarn || flag > 1 ||
        nerrors > INT32_MAX || nwarnings > INT32_MAX || dropped > INT32_MAX)
        in->bad = 1;
    if (!in->bad) {
        l->dropped = (size_t)dropped;
        l->nerrors = (size_t)nerrors;
        l->nwarnings = (size_t)nwarnings;
        l->oom = (int)flag;
    }
    return verdict(in, oom);
}

/* ---- attachments ---- */

int
wire_put_attachments(struct dbuf *b, const struct subm_attachment *atts, size_t n)
{
    int rc = wire_put_u32(b, (uint32_t)n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = wire_put_str(b, atts[i].name);
        rc = rc ? rc : wire_put_i64(b, atts[i].size);
        rc = rc ? rc : wire_put_str(b, atts[i].sha256);
    }
    return rc;
}

int
wire_get_attachments(struct wire_in *in, struct arena *a, size_t max_n,
                     struct subm_attachment **atts, size_t *n)
{
    int oom = 0;
    *atts = NULL;
    *n = get_count(in, MIN_ATTACHMENT, max_n);
    if (*n > 0 && (*atts = arena_alloc(a, *n * sizeof(**atts))) == NULL) {
        if (a->over_limit)
            in->bad = 1;
        else
            oom = 1;
        *n = 0;
    }
    for (size_t i = 0; i < *n && !in->bad && !oom; i++) {
        struct subm_attachment *at = &(*atts)[i];
        at->name = wire_get_str(in, a, NAME_MAX_BYTES, 0, &oom);
        at->size = wire_get_i64(in);
        wire_get_strbuf(in, at->sha256, sizeof(at->sha256));
        if (!in->bad && !oom && (at->size < 0 || !is_hex64(at->sha256)))
            in->bad = 1;
    }
    return verdict(in, oom);
}

/* ---- submissions ---- */

size_t
wire_arena_limit(size_t len)
{
    /* an empty string is 4 bytes on the wire and 16 in the arena, with an
     * 8-byte pointer to it when it is a list item: 6x, and room for the
     * arena's partly used blocks */
    const size_t base = 64 * 1024;
    if (len > (SIZE_MAX - base) / 8)
        return SIZE_MAX;
    return 8 * len + base;
}

static int
put_count(struct dbuf *b, const struct subm_count *c)
{
    int rc = wire_put_i64(b, c->value);
    rc = rc ? rc : wire_put_u8(b, c->approx != 0);
    return rc ? rc : wire_put_i64(b, c->line);
}

static int
put_lists(struct dbuf *b, const struct submission *s)
{
    int rc = wire_put_u32(b, (uint32_t)s->nwindows);
    for (size_t i = 0; rc == 0 && i < s->nwindows; i++) {
        rc = wire_put_str(b, s->windows[i].id);
        rc = rc ? rc : wire_put_str(b, s->windows[i].name);
        rc = rc ? rc : wire_put_str(b, s->windows[i].catalog);
        rc = rc ? rc : wire_put_i64(b, s->windows[i].line);
    }
    rc = rc ? rc : wire_put_u32(b, (uint32_t)s->nleaders);
    for (size_t i = 0; rc == 0 && i < s->nleaders; i++) {
        rc = wire_put_str(b, s->leaders[i].id);
        rc = rc ? rc : wire_put_str(b, s->leaders[i].role);
        rc = rc ? rc : wire_put_str(b, s->leaders[i].title);
        rc = rc ? rc : wire_put_i64(b, s->leaders[i].line);
    }
    rc = rc ? rc : wire_put_u32(b, (uint32_t)s->nwalks);
    for (size_t i = 0; rc == 0 && i < s->nwalks; i++) {
        const struct subm_walk *w = &s->walks[i];
        rc = wire_put_str(b, w->leader);
        rc = rc ? rc : wire_put_str(b, w->window);
        rc = rc ? rc : wire_put_i64(b, w->date);
        rc = rc ? rc : wire_put_u32(b, (uint32_t)w->nproblems);
        for (size_t k = 0; rc == 0 && k < w->nproblems; k++)
            rc = wire_put_str(b, w->problems[k]);
        rc = rc ? rc : wire_put_i64(b, w->line);
    }
    rc = rc ? rc : wire_put_u32(b, (uint32_t)s->nproblems);
    for (size_t i = 0; rc == 0 && i < s->nproblems; i++) {
        const struct subm_problem *p = &s->problems[i];
        rc = wire_put_str(b, p->id);
        rc = rc ? rc : wire_put_str(b, p->source);
        rc = rc ? rc : wire_put_str(b, p->status);
        rc = rc ? rc : wire_put_i64(b, p->found);
        rc = rc ? rc : wire_put_i64(b, p->rectified);
        rc = rc ? rc : wire_put_i64(b, p->deadline);
        rc = rc ? rc : wire_put_str(b, p->text);
        rc = rc ? rc : wire_put_i64(b, p->line);
    }
    for (int k = 0; rc == 0 && k < SUBM_TEXT_KINDS; k++) {
        rc = wire_put_u32(b, (uint32_t)s->texts[k].n);
        for (size_t i = 0; rc == 0 && i < s->texts[k].n; i++)
            rc = wire_put_str(b, s->texts[k].items[i]);
    }
    return rc;
}

int
wire_put_submission(struct dbuf *b, const struct submission *s)
{
    uint64_t rate_bits;
    memcpy(&rate_bits, &s->reported_rate_value, sizeof(rate_bits));
    int rc = wire_put_str(b, s->township_code);
    rc = rc ? rc : wire_put_str(b, s->township_name);
    rc = rc ? rc : wire_put_str(b, s->township_canonical);
    rc = rc ? rc : wire_put_i64(b, s->year);
    rc = rc ? rc : wire_put_i64(b, s->month);
    rc = rc ? rc : wire_put_i64(b, s->revision);
    rc = rc ? rc : wire_put_str(b, s->submitted_at);
    rc = rc ? rc : wire_put_str(b, s->contact_name);
    rc = rc ? rc : wire_put_str(b, s->contact_phone);
    rc = rc ? rc : wire_put_i64(b, s->sites_total);
    rc = rc ? rc : wire_put_i64(b, s->sites_with_window);
    rc = rc ? rc : put_count(b, &s->consultations);
    rc = rc ? rc : put_count(b, &s->job_postings);
    rc = rc ? rc : put_count(b, &s->recruitment_events);
    rc = rc ? rc : wire_put_i64(b, s->county_items);
    rc = rc ? rc : wire_put_i64(b, s->handled);
    rc = rc ? rc : wire_put_i64(b, s->evaluated);
    rc = rc ? rc : wire_put_str(b, s->reported_rate);
    rc = rc ? rc : wire_put_i64(b, (int64_t)rate_bits);
    rc = rc ? rc : put_lists(b, s);
    rc = rc ? rc : wire_put_i64(b, s->symposia);
    rc = rc ? rc : wire_put_i64(b, s->merchants_visited);
    rc = rc ? rc : wire_put_i64(b, s->enterprises_visited);
    rc = rc ? rc : wire_put_i64(b, s->inspections);
    rc = rc ? rc : wire_put_i64(b, s->warning_sessions);
    rc = rc ? rc : wire_put_i64(b, s->violations);
    rc = rc ? rc : wire_put_u8(b, s->has_complaints != 0);
    rc = rc ? rc : wire_put_i64(b, s->complaints_received);
    return rc ? rc : wire_put_i64(b, s->complaints_resolved);
}

/* What decoding one submission shares. */
struct sub_in {
    struct wire_in *in;
    struct submission *s;
    int oom;
};

static const char *
sub_str(struct sub_in *d, int nullable)
{
    return wire_get_str(d->in, &d->s->arena, (size_t)-1 >> 1, nullable, &d->oom);
}

/* An array of n elements of `size` bytes in the arena. */
static void *
sub_array(struct sub_in *d, size_t n, size_t size)
{
    if (n == 0 || d->in->bad)
        return NULL;
    void *p = arena_alloc(&d->s->arena, n * size);
    if (p == NULL) {
        if (d->s->arena.over_limit)
            d->in->bad = 1;
        else
            d->oom = 1;
        return NULL;
    }
    memset(p, 0, n * size);
    return p;
}

static int
ok(const struct sub_in *d)
{
    return !d->in->bad && !d->oom;
}

static long
get_line(struct sub_in *d)
{
    int64_t v = wire_get_i64(d->in);
    if (v < 0 || v > INT32_MAX)
        d->in->bad = 1;
    return d->in->bad ? 0 : (long)v;
}

static void
get_count_field(struct sub_in *d, struct subm_count *c)
{
    c->value = wire_get_i64(d->in);
    unsigned approx = wire_get_u8(d->in);
    c->line = get_line(d);
    if (approx > 1)
        d->in->bad = 1;
    c->approx = (int)approx;
}

static int32_t
get_date(struct sub_in *d)
{
    int64_t v = wire_get_i64(d->in);
    if (v < 0 || v > 99991231)
        d->in->bad = 1;
    return d->in->bad ? 0 : (int32_t)v;
}

static void
get_windows(struct sub_in *d)
{
    struct submission *s = d->s;
    size_t n = get_count(d->in, MIN_WINDOW, SIZE_MAX);
    s->windows = sub_array(d, n, sizeof(*s->windows));
    for (size_t i = 0; s->windows != NULL && i < n && ok(d); i++, s->nwindows++) {
        s->windows[i].id = sub_str(d, 1);
        s->windows[i].name = sub_str(d, 1);
        s->windows[i].catalog = sub_str(d, 1);
        s->windows[i].line = get_line(d);
    }
}

static void
get_leaders(struct sub_in *d)
{
    struct submission *s = d->s;
    size_t n = get_count(d->in, MIN_LEADER, SIZE_MAX);
    s->leaders = sub_array(d, n, sizeof(*s->leaders));
    for (size_t i = 0; s->leaders != NULL && i < n && ok(d); i++, s->nleaders++) {
        s->leaders[i].id = sub_str(d, 1);
        s->leaders[i].role = sub_str(d, 1);
        s->leaders[i].title = sub_str(d, 1);
        s->leaders[i].line = get_line(d);
    }
}

static void
get_walks(struct sub_in *d)
{
    struct submission *s = d->s;
    size_t n = get_count(d->in, MIN_WALK, SIZE_MAX);
    s->walks = sub_array(d, n, sizeof(*s->walks));
    for (size_t i = 0; s->walks != NULL && i < n && ok(d); i++, s->nwalks++) {
        struct subm_walk *w = &s->walks[i];
        w->leader = sub_str(d, 1);
        w->window = sub_str(d, 1);
        w->date = get_date(d);
        size_t np = get_count(d->in, MIN_STRING, SIZE_MAX);
        w->problems = sub_array(d, np, sizeof(*w->problems));
        for (size_t k = 0; w->problems != NULL && k < np && ok(d); k++, w->nproblems++)
            w->problems[k] = sub_str(d, 0);
        w->line = get_line(d);
    }
}

static void
get_problems(struct sub_in *d)
{
    struct submission *s = d->s;
    size_t n = get_count(d->in, MIN_PROBLEM, SIZE_MAX);
    s->problems = sub_array(d, n, sizeof(*s->problems));
    for (size_t i = 0; s->problems != NULL && i < n && ok(d); i++, s->nproblems++) {
        struct subm_problem *p = &s->problems[i];
        p->id = sub_str(d, 1);
        p->source = sub_str(d, 1);
        p->status = sub_str(d, 1);
        p->found = get_date(d);
        p->rectified = get_date(d);
        p->deadline = get_date(d);
        p->text = sub_str(d, 1);
        p->line = get_line(d);
    }
}

static void
get_texts(struct sub_in *d)
{
    for (int k = 0; k < SUBM_TEXT_KINDS && ok(d); k++) {
        struct subm_text_list *t = &d->s->texts[k];
        size_t n = get_count(d->in, MIN_STRING, SIZE_MAX);
        t->items = sub_array(d, n, sizeof(*t->items));
        for (size_t i = 0; t->items != NULL && i < n && ok(d); i++, t->n++)
            t->items[i] = sub_str(d, 0);
    }
}

/* ---- the database's rules for a submission that will be loaded ---- */

static int
valid_date(int32_t ymd)
{
    int y = ymd / 10000, m = ymd / 100 % 100, day = ymd % 100;
    return y >= 1 && m >= 1 && m <= 12 && day >= 1 && day <= fields_days_in_month(y, m);
}

static int
in_set(const char *s, const char *const *set)
{
    for (; s != NULL && *set != NULL; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

static int
count_ok(int64_t v)
{
    return v >= 0 && v <= 999999999;
}

static int
two_digits(const char *s, int lo, int hi)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return 0;
    int v = (s[0] - '0') * 10 + (s[1] - '0');
    return v >= lo && v <= hi;
}

/* xs:dateTime with an offset, as timestamptz reads it:
 * YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm|-hh:mm). */
static int
valid_datetime(const char *s)
{
    size_t n = s ? strlen(s) : 0, i = 19;
    if (n < 20 || !is_digits((char[5]){s[0], s[1], s[2], s[3], '\0'}, 4, 4) || s[4] != '-' ||
        s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return 0;
    int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0');
    if (!two_digits(s + 5, 1, 12) || !two_digits(s + 8, 1, 31) ||
        (s[8] - '0') * 10 + (s[9] - '0') > fields_days_in_month(y, m) || y < 1 ||
        !two_digits(s + 11, 0, 24) || !two_digits(s + 14, 0, 59) || !two_digits(s + 17, 0, 60))
        return 0;
    int midnight24 = s[11] == '2' && s[12] == '4';
    if (midnight24 && (s[14] != '0' || s[15] != '0' || s[17] != '0' || s[18] != '0'))
        return 0; /* 24:00:00 is the only time of hour 24 */
    if (s[i] == '.') {
        size_t k = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            if (s[i++] != '0' && midnight24)
                return 0;
        if (i == k || i - k > 40) /* PostgreSQL reads no longer a field */
            return 0;
    }
    if (i + 1 == n && s[i] == 'Z')
        return 1;
    return i + 6 == n && (s[i] == '+' || s[i] == '-') && two_digits(s + i + 1, 0, 14) &&
           s[i + 3] == ':' && two_digits(s + i + 4, 0, 59);
}

/* [+]digits[.digits] between 0 and 100, the value matching the text. */
static int
valid_rate(const char *s, double v)
{
    size_t n = s ? strlen(s) : 0, i = 0, ndig = 0;
    int dot = 0;
    if (s == NULL)
        return 1;
    if (n > 0 && s[0] == '+')
        i++;
    for (; i < n; i++) {
        if (s[i] == '.' && !dot)
            dot = 1;
        else if (s[i] >= '0' && s[i] <= '9')
            ndig++;
        else if (!(s[i] == '-' && i == 0))
            return 0;
    }
    return ndig > 0 && ndig <= 64 && isfinite(v) && v >= 0 && v <= 100 &&
           fabs(strtod(s, NULL) - v) < 1e-9;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of one list, sorted, into ids (n entries); 0 when one is
 * missing or two are the same (the tables' primary keys). */
static int
sorted_ids(const char **ids, const void *first, size_t stride, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((ids[i] = *(const char *const *)((const char *)first + i * stride)) == NULL)
            return 0;
    if (n > 1)
        qsort(ids, n, sizeof(*ids), cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            return 0;
    return 1;
}

static int
names_one(const char *id, const char **sorted, size_t n)
{
    return id != NULL && n > 0 && bsearch(&id, sorted, n, sizeof(*sorted), cmp_str) != NULL;
}

/* Ids unique per list, and every walk naming a leader and a window of the
 * submission (facts.walk's foreign keys). */
static int
check_ids(const struct submission *s)
{
    const char **windows = malloc((s->nwindows + 1) * sizeof(*windows));
    const char **leaders = malloc((s->nleaders + 1) * sizeof(*leaders));
    const char **problems = malloc((s->nproblems + 1) * sizeof(*problems));
    int good = -1;
    if (windows == NULL || leaders == NULL || problems == NULL)
        goto out;
    good = sorted_ids(windows, s->windows ? &s->windows[0].id : NULL, sizeof(s->windows[0]),
                      s->nwindows) &&
           sorted_ids(leaders, s->leaders ? &s->leaders[0].id : NULL, sizeof(s->leaders[0]),
                      s->nleaders) &&
           sorted_ids(problems, s->problems ? &s->problems[0].id : NULL, sizeof(s->problems[0]),
                      s->nproblems);
    for (size_t i = 0; good && i < s->nwalks; i++)
        good = names_one(s->walks[i].leader, leaders, s->nleaders) &&
               names_one(s->walks[i].window, windows, s->nwindows);
out:
    free(windows);
    free(leaders);
    free(problems);
    return good;
}

static int
check_lists(const struct submission *s)
{
    static const char *const roles[] = {"principal", "deputy", NULL};
    static const char *const sources[] = {"walk", "supervision", "complaint", "other", NULL};
    static const char *const statuses[] = {"open", "rectifying", "rectified", NULL};
    for (size_t i = 0; i < s->nwindows; i++)
        if (s->windows[i].name == NULL || !transform_window_catalog_code(s->windows[i].catalog))
            return 0;
    for (size_t i = 0; i < s->nleaders; i++)
        if (!in_set(s->leaders[i].role, roles) || s->leaders[i].title == NULL)
            return 0;
    for (size_t i = 0; i < s->nwalks; i++)
        if (!valid_date(s->walks[i].date))
            return 0;
    for (size_t i = 0; i < s->nproblems; i++) {
        const struct subm_problem *p = &s->problems[i];
        int rectified = p->status != NULL && strcmp(p->status, "rectified") == 0;
        if (!in_set(p->source, sources) || !in_set(p->status, statuses) || p->text == NULL ||
            !valid_date(p->found) || (p->rectified != 0 && !valid_date(p->rectified)) ||
            (p->deadline != 0 && !valid_date(p->deadline)) || rectified != (p->rectified != 0))
            return 0;
    }
    return 1;
}

/* Returns 1 when the submission may be sent to the database, 0 when not,
 * -1 when there was no memory to check. */
static int
check_loadable(const struct submission *s)
{
    const int64_t counts[] = {s->sites_total,
                              s->sites_with_window,
                              s->consultations.value,
                              s->job_postings.value,
                              s->recruitment_events.value,
                              s->county_items,
                              s->handled,
                              s->evaluated,
                              s->symposia,
                              s->merchants_visited,
                              s->enterprises_visited,
                              s->inspections,
                              s->warning_sessions,
                              s->violations,
                              s->complaints_received,
                              s->complaints_resolved};
    if (!is_digits(s->township_code, 9, 9) || s->year < 1 || s->year > 9999 || s->month < 1 ||
        s->month > 12 || s->revision < 1 || s->revision > 999999999 ||
        !valid_datetime(s->submitted_at) || s->contact_name == NULL || s->township_name == NULL ||
        s->evaluated > s->handled || !valid_rate(s->reported_rate, s->reported_rate_value) ||
        s->has_complaints > 1)
        return 0;
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        if (!count_ok(counts[i]))
            return 0;
    if (!check_lists(s))
        return 0;
    return check_ids(s);
}

int
wire_get_submission(struct wire_in *in, struct submission *s, int loadable)
{
    struct sub_in d = {in, s, 0};
    uint64_t rate_bits;
    wire_get_strbuf(in, s->township_code, sizeof(s->township_code));
    s->township_name = sub_str(&d, 1);
    s->township_canonical = sub_str(&d, 1);
    int64_t year = wire_get_i64(in), month = wire_get_i64(in);
    if (year < 0 || year > 9999 || month < 0 || month > 12)
        in->bad = 1;
    s->year = (int)(in->bad ? 0 : year);
    s->month = (int)(in->bad ? 0 : month);
    s->revision = wire_get_i64(in);
    s->submitted_at = sub_str(&d, 1);
    s->contact_name = sub_str(&d, 1);
    s->contact_phone = sub_str(&d, 1);
    s->sites_total = wire_get_i64(in);
    s->sites_with_window = wire_get_i64(in);
    get_count_field(&d, &s->consultations);
    get_count_field(&d, &s->job_postings);
    get_count_field(&d, &s->recruitment_events);
    s->county_items = wire_get_i64(in);
    s->handled = wire_get_i64(in);
    s->evaluated = wire_get_i64(in);
    s->reported_rate = sub_str(&d, 1);
    rate_bits = (uint64_t)wire_get_i64(in);
    memcpy(&s->reported_rate_value, &rate_bits, sizeof(rate_bits));
    if (ok(&d))
        get_windows(&d);
    if (ok(&d))
        get_leaders(&d);
    if (ok(&d))
        get_walks(&d);
    if (ok(&d))
        get_problems(&d);
    if (ok(&d))
        get_texts(&d);
    s->symposia = wire_get_i64(in);
    s->merchants_visited = wire_get_i64(in);
    s->enterprises_visited = wire_get_i64(in);
    s->inspections = wire_get_i64(in);
    s->warning_sessions = wire_get_i64(in);
    s->violations = wire_get_i64(in);
    s->has_complaints = (int)wire_get_u8(in);
    s->complaints_received = wire_get_i64(in);
    s->complaints_resolved = wire_get_i64(in);
    if (s->revision < 0 || s->revision > INT32_MAX || s->has_complaints > 1)
        in->bad = 1;
    if (ok(&d) && loadable) {
        int good = check_loadable(s);
        if (good < 0)
            d.oom = 1;
        else if (!good)
            in->bad = 1;
    }
    return verdict(in, d.oom);
}

/* ---- ADX roll-ups ---- */

int
wire_put_adx(struct dbuf *b, const struct adx_doc *doc)
{
    int rc = wire_put_str(b, doc->county);
    rc = rc ? rc : wire_put_str(b, doc->county_name);
    rc = rc ? rc : wire_put_str(b, doc->period);
    rc = rc ? rc : wire_put_str(b, doc->as_of);
    rc = rc ? rc : wire_put_str(b, doc->exported);
    rc = rc ? rc : wire_put_u32(b, (uint32_t)doc->n);
    for (size_t i = 0; rc == 0 && i < doc->n; i++) {
        const struct adx_group *g = &doc->groups[i];
        rc = wire_put_str(b, g->township);
        rc = rc ? rc : wire_put_str(b, g->name);
        rc = rc ? rc : wire_put_i64(b, g->first_day);
        rc = rc ? rc : wire_put_i64(b, g->months);
        for (int k = 0; rc == 0 && k < ADX_NCOUNTS; k++)
            rc = wire_put_i64(b, g->v[k]);
    }
    return rc;
}

static int
printable_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s < 0x20 || *s > 0x7E)
            return 0;
    return 1;
}

/* What load.merge_rollup and facts.rollup_group require of a group. */
static int
group_loadable(const struct adx_group *g)
{
    static const int le[][2] = {{1, 0}, {3, 2}, {5, 4}, {7, 6}, {9, 8}, {10, 8}};
    if (!is_digits(g->township, 9, 9) || !valid_date(g->first_day) || g->first_day % 100 != 1 ||
        !(g->months == 1 || g->months == 3 || g->months == 6 || g->months == 12))
        return 0;
    for (int k = 0; k < ADX_NCOUNTS; k++)
        if (g->v[k] < 0 || (k >= 8 && g->v[k] > INT32_MAX))
            return 0;
    for (size_t k = 0; k < sizeof(le) / sizeof(le[0]); k++)
        if (g->v[le[k][0]] > g->v[le[k][1]])
            return 0;
    return 1;
}

static int
adx_loadable(const struct adx_doc *doc)
{
    int y = 0, m = 0, day = 0;
    if (!is_digits(doc->county, 6, 6) || !printable_ascii(doc->period) || doc->period[0] == '\0' ||
        strlen(doc->as_of) != 10 || doc->as_of[4] != '-' || doc->as_of[7] != '-' ||
        !valid_datetime(doc->exported))
        return 0;
    y = atoi(doc->as_of);
    m = atoi(doc->as_of + 5);
    day = atoi(doc->as_of + 8);
    if (!is_digits((char[5]){doc->as_of[0], doc->as_of[1], doc->as_of[2], doc->as_of[3], '\0'}, 4,
                   4) ||
        !two_digits(doc->as_of + 5, 1, 12) || !two_digits(doc->as_of + 8, 1, 31) ||
        !valid_date(y * 10000 + m * 100 + day))
        return 0;
    for (size_t i = 0; i < doc->n; i++)
        if (!group_loadable(&doc->groups[i]))
            return 0;
    int nomem;
    return adx_duplicate(doc, &nomem) == NULL && !nomem; /* one row per key */
}

int
wire_get_adx(struct wire_in *in, struct adx_doc *doc, int loadable)
{
    wire_get_strbuf(in, doc->county, sizeof(doc->county));
    wire_get_strbuf(in, doc->county_name, sizeof(doc->county_name));
    wire_get_strbuf(in, doc->period, sizeof(doc->period));
    wire_get_strbuf(in, doc->as_of, sizeof(doc->as_of));
    wire_get_strbuf(in, doc->exported, sizeof(doc->exported));
    size_t n = get_count(in, MIN_GROUP, ADX_MAX_GROUPS);
    if (n > 0 && !in->bad) {
        if ((doc->groups = calloc(n, sizeof(*doc->groups))) == NULL)
            return BZ_ENOMEM;
        doc->cap = n;
    }
    for (size_t i = 0; i < n && !in->bad; i++, doc->n++) {
        struct adx_group *g = &doc->groups[i];
        wire_get_strbuf(in, g->township, sizeof(g->township));
        wire_get_strbuf(in, g->name, sizeof(g->name));
        int64_t first = wire_get_i64(in), months = wire_get_i64(in);
        if (first < 0 || first > 99991231 || months < 0 || months > 12)
            in->bad = 1;
        g->first_day = (int)(in->bad ? 0 : first);
        g->months = (int)(in->bad ? 0 : months);
        for (int k = 0; k < ADX_NCOUNTS; k++)
            g->v[k] = wire_get_i64(in);
    }
    if (!in->bad && loadable && !adx_loadable(doc))
        in->bad = 1;
    return verdict(in, 0);
}
