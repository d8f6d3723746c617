#include "encoding.h"

#include "../common/error.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ONLY_THESE "只接受 UTF-8、GB18030/GBK/GB2312，或以 BOM 开头的 UTF-16"

static long
line_at(const unsigned char *str, size_t off)
{
    long line = 1;
    for (size_t i = 0; i < off; i++)
        if (str[i] == '\n')
            line++;
    return line;
}

static int
refuse(struct encoding_result *r, long line, const char *msg)
{
    r->line = line;
    bz_strlcpy_utf8(r->message, msg, sizeof(r->message));
    return BZ_EINPUT;
}

static size_t
utf8_seq_len(const unsigned char *str, size_t n)
{
    unsigned c = str[0];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < k || str[1] < lo || str[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (str[i] < 0x80 || str[i] > 0xBF)
            return 0;
    return k;
}

/* Offset of the first byte that is not part of valid UTF-8 (no overlongs,
 * surrogates or code points above U+10FFFF), or len when all are valid. */
static size_t
encoding_utf8_invalid(const unsigned char *str, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t k = utf8_seq_len(str + i, len - i);
        if (k == 0)
            return i;
        i += k;
    }
    return len;
}

/* Copies the encoding name of the XML declaration at the start of str into
 * name (empty when there is no declaration or no encoding in it). */
static void
declared_encoding(const unsigned char *str, size_t len, char *name, size_t cap)
{
    const char *p = (const char *)str;
    size_t n = len < 512 ? len : 512;
    name[0] = '\0';
    if (n < 6 || memcmp(p, "<?xml", 5) != 0)
        return;
    const char *end = NULL;
    for (size_t i = 5; i + 1 < n && end == NULL; i++)
        if (p[i] == '?' && p[i + 1] == '>')
            end = p + i;
    if (end == NULL)
        return;
    const char *q = p + 5;
    while (q + 8 <= end && memcmp(q, "encoding", 8) != 0)
        q++;
    if (q + 8 > end)
        return;
    q += 8;
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n' || *q == '='))
        q++;
    if (q >= end || (*q != '"' && *q != '\''))
        return;
    char quote = *q++;
    size_t k = 0;
    /* only printable ASCII reaches the message; anything else is shown as '?' */
    for (; q < end && *q != quote && k + 1 < cap; q++)
        name[k++] = (*q > 0x20 && *q < 0x7F) ? *q : '?';
    name[k] = '\0';
}

static int
is_gb(const char *name)
{
    return strcasecmp(name, "GB18030") == 0 || strcasecmp(name, "GBK") == 0 ||
           strcasecmp(name, "GB2312") == 0;
}

static int
is_utf16(const char *name)
{
    return strncasecmp(name, "UTF-16", 6) == 0;
}

/* Whether data starts with a UTF-32 byte order mark (LE's starts like
 * UTF-16LE's). */
static int
utf32_bom(const unsigned char *data, size_t len)
{
    return len >= 4 &&
           (memcmp(data, "\xFF\xFE\0\0", 4) == 0 || memcmp(data, "\0\0\xFE\xFF", 4) == 0);
}

/* The UTF-16 byte order mark at the start of data: "UTF-16LE", "UTF-16BE",
 * or NULL for none. */
static const char *
utf16_bom(const unsigned char *data, size_t len)
{
    if (len >= 2 && data[0] == 0xFF && data[1] == 0xFE)
        return "UTF-16LE";
    if (len >= 2 && data[0] == 0xFE && data[1] == 0xFF)
        return "UTF-16BE";
    return NULL;
}

static int
transcode_gb(const unsigned char *data, size_t len, struct encoding_result *r)
{
    /* a GB18030 character of 2 bytes becomes at most 3 UTF-8 bytes, of 4 at most 4 */
    size_t cap = len + len / 2 + 16;
    r->owned = malloc(cap);
    if (r->owned == NULL)
        return BZ_ENOMEM;
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return refuse(r, 0, "无法转换 GB18030 编码（系统缺少 iconv 转换表）");
    char *in = (char *)data, *out = (char *)r->owned;
    size_t inleft = len, outleft = cap;
    int rc = 0;
    if (iconv(cd, &in, &inleft, &out, &outleft) == (size_t)-1) {
        char msg[128];
        long line = line_at(data, (size_t)(in - (char *)data));
        snprintf(msg, sizeof(msg), "第 %ld 行含有不是 GB18030/GBK/GB2312 编码的字节", line);
        rc = errno == E2BIG ? BZ_ENOMEM : refuse(r, line, msg);
    }
    iconv_close(cd);
    r->data = r->owned;
    r->len = cap - outleft;
    r->transcoded = 1;
    return rc;
}

/* UTF-16 after its BOM (charset: "UTF-16LE" or "UTF-16BE") to UTF-8, with
 * the rules of UTF-8 documents: no NUL, and a declaration, if any, naming
 * UTF-16 (or exactly charset) and nothing else. */
static int
transcode_utf16(const unsigned char *data, size_t len, const char *charset,
                struct encoding_result *r)
{
    char name[64], msg[512];
    /* a 2-byte unit becomes at most 3 UTF-8 bytes, a 4-byte pair 4 */
    size_t cap = len / 2 * 3 + 16;
    r->owned = malloc(cap);
    if (r->owned == NULL)
        return BZ_ENOMEM;
    iconv_t cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return refuse(r, 0, "无法转换 UTF-16 编码（系统缺少 iconv 转换表）");
    char *in = (char *)data, *out = (char *)r->owned;
    size_t inleft = len, outleft = cap;
    size_t bad = iconv(cd, &in, &inleft, &out, &outleft);
    int err = errno;
    iconv_close(cd);
    r->data = r->owned;
    r->len = cap - outleft;
    r->transcoded = 1;
    if (bad == (size_t)-1) {
        /* lines counted in what was converted: a UTF-16 newline is two bytes */
        long line = line_at(r->data, r->len);
        snprintf(msg, sizeof(msg), "第 %ld 行含有不是 UTF-16 编码的字节（文档以 %s BOM 开头）",
                 line, charset);
        return err == E2BIG ? BZ_ENOMEM : refuse(r, line, msg);
    }
    const unsigned char *nul = memchr(r->data, 0, r->len);
    if (nul != NULL) {
        long line = line_at(r->data, (size_t)(nul - r->data));
        snprintf(msg, sizeof(msg), "第 %ld 行含有 NUL 字符", line);
        return refuse(r, line, msg);
    }
    if (r->len >= 3 && memcmp(r->data, "\xEF\xBB\xBF", 3) == 0)
        return refuse(r, 1, "文档开头有两个 BOM");
    declared_encoding(r->data, r->len, name, sizeof(name));
    if (name[0] != '\0' && strcasecmp(name, "UTF-16") != 0 && strcasecmp(name, charset) != 0) {
        snprintf(msg, sizeof(msg), "声明的编码“%s”与文档开头的 %s BOM 矛盾；" ONLY_THESE, name,
                 charset);
        return refuse(r, 1, msg);
    }
    return 0;
}

static int
check_utf8(const unsigned char *data, size_t len, struct encoding_result *r)
{
    size_t bad = encoding_utf8_invalid(data, len);
    if (bad < len) {
        char msg[160];
        long line = line_at(data, bad);
        snprintf(msg, sizeof(msg), "第 %ld 行含有不是 UTF-8 编码的字节（文档声明或默认为 UTF-8）",
                 line);
        return refuse(r, line, msg);
    }
    r->data = data;
    r->len = len;
    return 0;
}

int
encoding_prepare(const unsigned char *data, size_t len, struct encoding_result *r)
{
    char name[64], msg[512];
    int bom = len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF;

    memset(r, 0, sizeof(*r));
    if (utf32_bom(data, len))
        return refuse(r, 1, "文档是 UTF-32 编码；" ONLY_THESE);
    const char *utf16 = utf16_bom(data, len);
    if (utf16 != NULL)
        return transcode_utf16(data + 2, len - 2, utf16, r);
    const unsigned char *nul = memchr(data, 0, len);
    if (nul != NULL) {
        long line = line_at(data, (size_t)(nul - data));
        snprintf(msg, sizeof(msg),
                 "第 %ld 行含有 NUL 字节（可能是没有 BOM 的 UTF-16）；" ONLY_THESE, line);
        return refuse(r, line, msg);
    }
    if (bom) {
        data += 3;
        len -= 3;
    }
    declared_encoding(data, len, name, sizeof(name));
    if (name[0] == '\0' || strcasecmp(name, "UTF-8") == 0)
        return check_utf8(data, len, r);
    if (is_gb(name) && !bom)
        return transcode_gb(data, len, r);
    if (is_utf16(name))
        snprintf(msg, sizeof(msg), "声明的编码“%s”，但文档开头%s；" ONLY_THESE, name,
                 bom ? "是 UTF-8 BOM" : "没有 UTF-16 BOM");
    else
        snprintf(msg, sizeof(msg), "声明的编码“%s”不受支持%s；" ONLY_THESE, name,
                 bom ? "（且与 UTF-8 BOM 矛盾）" : "");
    return refuse(r, 1, msg);
}

void
encoding_release(struct encoding_result *r)
{
    free(r->owned);
    r->owned = NULL;
}
