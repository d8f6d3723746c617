#include "codes.h"

#include <string.h>

struct code_row {
    const char *name;
    enum bz_status status;
    const char *title;
};

/* the class tokens of BZ_CODE_LIST */
#define INPUT BZ_EINPUT
#define WARNING BZ_OK
#define CONFLICT BZ_ECONFLICT
#define USAGE BZ_EUSAGE
#define NOTFOUND BZ_ENOTFOUND
#define DATABASE BZ_EDB
#define SCHEMA BZ_ESCHEMA
#define INTERNAL BZ_EFAIL
#define MEMORY BZ_ENOMEM
#define IO BZ_EIO
#define BUSY BZ_EBUSY
#define TIMEOUT BZ_ETIMEOUT
#define CONFIG BZ_ECONFIG
#define ROW(id, cls, title) {#id, cls, title},
static const struct code_row rows[BZ_NCODES] = {BZ_CODE_LIST(ROW)};
#undef ROW

static const struct {
    enum bz_status status;
    const char *name;
} classes[] = {
    {WARNING, "warning"}, {INPUT, "input"},        {CONFLICT, "conflict"},
    {USAGE, "usage"},     {NOTFOUND, "not-found"}, {DATABASE, "database"},
    {SCHEMA, "schema"},   {INTERNAL, "internal"},  {MEMORY, "memory"},
    {IO, "io"},           {BUSY, "busy"},          {TIMEOUT, "timeout"},
    {CONFIG, "config"},
};

const char *
codes_name(enum bz_code code)
{
    return (unsigned)code < BZ_NCODES ? rows[code].name : "E_INTERNAL";
}

const char *
codes_title_of(enum bz_code code)
{
    return (unsigned)code < BZ_NCODES ? rows[code].title : rows[E_INTERNAL].title;
}

enum bz_status
codes_status(enum bz_code code)
{
    return (unsigned)code < BZ_NCODES ? rows[code].status : BZ_EFAIL;
}

const char *
codes_class_name(enum bz_status status)
{
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (classes[i].status == status)
            return classes[i].name;
    return NULL;
}

static const struct code_row *
find(const char *name)
{
    for (size_t i = 0; i < BZ_NCODES; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

const char *
codes_title(const char *name)
{
    const struct code_row *r = find(name);
    return r ? r->title : NULL;
}

int
codes_is_warning(const char *name)
{
    const struct code_row *r = find(name);
    return r != NULL && r->status == BZ_OK;
}
