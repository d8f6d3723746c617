#include "esc.h"

#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p, or 0 when p does not
 * start one (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
static size_t
utf8_len(const unsigned char *p, unsigned long *cp)
{
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        *cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        *cp = p[0] & 0x0fu;
        lo = p[0] == 0xe0 ? 0xa0 : 0x80;
        hi = p[0] == 0xed ? 0x9f : 0xbf;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        *cp = p[0] & 0x07u;
        lo = p[0] == 0xf0 ? 0x90 : 0x80;
        hi = p[0] == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
            return 0; /* also stops at the NUL of a truncated sequence */
        *cp = (*cp << 6) | (p[i] & 0x3fu);
    }
    return n;
}

static int
shown_as_code_point(unsigned long cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x061c ||
           cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Looks at the character at p: returns its length in bytes and, when it
 * must be shown escaped, writes the replacement into rep (else rep = "").
 */
static size_t
esc_step(const unsigned char *p, char rep[16])
{
    unsigned long cp;
    size_t n = utf8_len(p, &cp);
    rep[0] = '\0';
    if (n == 0) {
        snprintf(rep, 16, "\\x%02x", p[0]);
        return 1;
    }
    if (cp < 0x20 || cp == 0x7f) {
        const char *named = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r" : NULL;
        if (named != NULL)
            snprintf(rep, 16, "%s", named);
        else
            snprintf(rep, 16, "\\x%02x", (unsigned)cp);
    } else if (shown_as_code_point(cp)) {
        snprintf(rep, 16, "<U+%04X>", (unsigned)cp); /* cp <= 0x10FFFF */
    }
    return n;
}

int
esc_dbuf(struct dbuf *b, const char *str)
{
    const unsigned char *p = (const unsigned char *)(str != NULL ? str : "");
    const unsigned char *run = p;
    int rc = 0;
    while (rc == 0 && *p != '\0') {
        char rep[16];
        size_t n = esc_step(p, rep);
        if (rep[0] == '\0') {
            p += n;
            continue;
        }
        rc = dbuf_add(b, run, (size_t)(p - run));
        if (rc == 0)
            rc = dbuf_adds(b, rep);
        p += n;
        run = p;
    }
    return rc == 0 ? dbuf_add(b, run, (size_t)(p - run)) : rc;
}

char *
esc_text(char *dst, size_t cap, const char *str)
{
    const unsigned char *p = (const unsigned char *)(str != NULL ? str : "");
    size_t len = 0;
    if (cap == 0)
        return dst;
    while (*p != '\0') {
        char rep[16];
        size_t n = esc_step(p, rep);
        const char *out = rep[0] != '\0' ? rep : (const char *)p;
        size_t out_len = rep[0] != '\0' ? strlen(rep) : n;
        if (len + out_len >= cap)
            break;
        memcpy(dst + len, out, out_len);
        len += out_len;
        p += n;
    }
    dst[len] = '\0';
    return dst;
}

const char *
esc_xml_ref(int c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\t':
        return "&#9;";
    case '\n':
        return "&#10;";
    case '\r':
        return "&#13;";
    default:
        return NULL;
    }
}
