#include "codes.h"

#include <string.h>

struct code_row {
    const char *code;
    enum bz_code_class cls;
    const char *title;
};

#define ERR BZ_CLASS_ERR
#define WARN BZ_CLASS_WARN
#define OP BZ_CLASS_OP
#define ROW(id, cls, title) {#id, cls, title},
static const struct code_row rows[] = {BZ_CODE_LIST(ROW)};
#undef ROW
#undef ERR
#undef WARN
#undef OP

static const struct code_row *
find(const char *code)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (strcmp(rows[i].code, code) == 0)
            return &rows[i];
    return NULL;
}

const char *
codes_title(const char *code)
{
    const struct code_row *r = find(code);
    return r ? r->title : NULL;
}

enum bz_code_class
codes_class(const char *code)
{
    const struct code_row *r = find(code);
    return r ? r->cls : BZ_CLASS_OP;
}

int
codes_count(void)
{
    return (int)(sizeof(rows) / sizeof(rows[0]));
}

const char *
codes_at(int i)
{
    return i >= 0 && i < codes_count() ? rows[i].code : NULL;
}
