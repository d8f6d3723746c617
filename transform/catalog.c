/*
 * catalog — the county-wide window catalog (submission-format.md, "Window
 * catalog") and the matching rules that map a township's window name to it.
 * Implements transform_window_catalog of transform.h.
 */
#include "doc.h"
#include "transform.h"

#include <string.h>

struct catalog_row {
    const char *code;
    const char *names[5]; /* the catalog name, then the usual variants; NULL-ended */
};

static const struct catalog_row catalog[] = {
    {"market", {"市场监管", "市场监督管理", NULL}},
    {"agri", {"农业农村", "农业", NULL}},
    {"forest", {"林业和草原", "林草", "林业", NULL}},
    {"medins", {"医保", "医疗保障", NULL}},
    {"social", {"社保", "社会保障", "人社", NULL}},
    {"veteran", {"退役军人", "退役军人服务", NULL}},
    {"planning", {"城镇规划", "规划建设", "村镇规划", NULL}},
    {"land", {"国土资源", "自然资源", NULL}},
    {"culture", {"文化服务", "文化", NULL}},
    {"family", {"计生", "卫生计生", "计划生育", NULL}},
    {"civil", {"民政", NULL}},
    {"onestop", {"惠企政策\"一站式\"服务窗口", "惠企政策一站式", "一站式服务窗口", "一站式", NULL}},
    {"other", {"其他", NULL}},
};

/* Longest name worth comparing: every catalog name is far shorter, so a
 * longer one is "other" whatever it holds. */
#define CATALOG_KEY_MAX 256

static int
is_quote(uint32_t cp)
{
    return cp == '"' || cp == '\'' || cp == 0x201C || cp == 0x201D || cp == 0x2018 ||
           cp == 0x2019 || cp == 0x300C || cp == 0x300D || cp == 0x300E || cp == 0x300F;
}

static size_t
put_utf8(char *out, size_t at, uint32_t cp)
{
    if (cp < 0x80) {
        out[at++] = (char)cp;
    } else if (cp < 0x800) {
        out[at++] = (char)(0xC0 | (cp >> 6));
        out[at++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[at++] = (char)(0xE0 | (cp >> 12));
        out[at++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[at++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[at++] = (char)(0xF0 | (cp >> 18));
        out[at++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[at++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[at++] = (char)(0x80 | (cp & 0x3F));
    }
    return at;
}

/* Folds full-width ASCII to ASCII and drops quote marks; white space
 * becomes one ASCII space so that the ends can be trimmed. Returns -1 when
 * the key does not fit. */
static int
fold(const char *str, char *out, size_t cap)
{
    size_t n = strlen(str), at = 0, len;
    for (size_t i = 0; i < n; i += len) {
        uint32_t cp = doc_utf8_next(str + i, n - i, &len);
        if (cp >= 0xFF01 && cp <= 0xFF5E)
            cp -= 0xFEE0;
        if (doc_is_space(cp))
            cp = ' ';
        if (is_quote(cp))
            continue;
        if (at + 5 > cap)
            return -1;
        at = put_utf8(out, at, cp);
    }
    out[at] = '\0';
    return 0;
}

static void
trim_spaces(char *str)
{
    size_t n = strlen(str), start = 0;
    while (n > 0 && str[n - 1] == ' ')
        n--;
    while (start < n && str[start] == ' ')
        start++;
    memmove(str, str + start, n - start);
    str[n - start] = '\0';
}

/* The comparison key: folded, trimmed, without a trailing 窗口. */
static int
catalog_key(const char *name, char *out, size_t cap)
{
    static const char suffix[] = "窗口";
    if (fold(name, out, cap) < 0)
        return -1;
    trim_spaces(out);
    size_t n = strlen(out), k = sizeof(suffix) - 1;
    if (n > k && memcmp(out + n - k, suffix, k) == 0) {
        out[n - k] = '\0';
        trim_spaces(out);
    }
    return 0;
}

int
transform_window_catalog_find(const char *name, const char **code)
{
    char key[CATALOG_KEY_MAX], cand[CATALOG_KEY_MAX];

    *code = "other";
    if (name == NULL || catalog_key(name, key, sizeof(key)) < 0 || key[0] == '\0')
        return 0;
    for (size_t r = 0; r < sizeof(catalog) / sizeof(catalog[0]); r++)
        for (const char *const *v = catalog[r].names; *v != NULL; v++)
            if (catalog_key(*v, cand, sizeof(cand)) == 0 && strcmp(key, cand) == 0) {
                *code = catalog[r].code;
                return 1;
            }
    return 0;
}

const char *
transform_window_catalog(const char *name)
{
    const char *code;
    transform_window_catalog_find(name, &code);
    return code;
}
