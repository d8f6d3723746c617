#include "csvout.h"

#include <string.h>

const struct csvout_col csvout_cols[] = {
    {"排名", RK_COMPOSITE_RANK, -1},
    {"乡镇", RK_NAME, -1},
    {"服务率", RK_SERVICE, RK_SERVICE_D1},
    {"整改完成率", RK_COMPLETION, RK_COMPLETION_D1},
    {"走流程覆盖率", RK_COVERAGE, RK_COVERAGE_D1},
    {"综合得分", RK_COMPOSITE, -1},
    {"报送状态", RK_STATUS, -1},
    {"较上期", RK_MOVEMENT, -1},
    {"综合得分较上期", RK_COMPOSITE_CHANGE, RK_COMPOSITE_CHANGE_D},
    {"乡镇代码", RK_CODE, -1},
    {"缺报月份", RK_MISSING, -1},
    {"服务率排名", RK_SERVICE_RANK, -1},
    {"整改完成率排名", RK_COMPLETION_RANK, -1},
    {"走流程覆盖率排名", RK_COVERAGE_RANK, -1},
};
const int csvout_ncols = (int)(sizeof(csvout_cols) / sizeof(csvout_cols[0]));

/* A signed decimal number ("-0.50", "+1.23"): what a spreadsheet reads as
 * that number, never as a formula, so it keeps its sign unescaped. */
static int
plain_number(const char *s)
{
    const char *p = s + (*s == '+' || *s == '-');
    size_t n = strspn(p, "0123456789");
    if (n == 0)
        return 0;
    p += n;
    if (*p == '.') {
        n = strspn(p + 1, "0123456789");
        if (n == 0)
            return 0;
        p += 1 + n;
    }
    return *p == '\0';
}

int
csvout_field(struct dbuf *out, const char *str)
{
    int rc = 0;
    if (str == NULL || *str == '\0')
        return 0;
    int formula = strchr("=+-@\t\r", *str) != NULL && !plain_number(str);
    int quote = strpbrk(str, ",\"\r\n") != NULL;
    if (quote)
        rc = dbuf_adds(out, "\"");
    if (rc == 0 && formula)
        rc = dbuf_adds(out, "'");
    for (const char *p = str; rc == 0 && *p != '\0';) {
        const char *q = strchr(p, '"');
        size_t n = q != NULL ? (size_t)(q - p) + 1 : strlen(p);
        rc = dbuf_add(out, p, n);
        if (rc == 0 && q != NULL && quote)
            rc = dbuf_adds(out, "\"");
        p += n;
    }
    if (rc == 0 && quote)
        rc = dbuf_adds(out, "\"");
    return rc;
}

int
csvout_render(const struct export_data *d, struct dbuf *out)
{
    int rc = dbuf_adds(out, "\xEF\xBB\xBF");
    for (int c = 0; rc == 0 && c < csvout_ncols; c++) {
        if (c > 0)
            rc = dbuf_adds(out, ",");
        if (rc == 0)
            rc = csvout_field(out, csvout_cols[c].title);
    }
    if (rc == 0)
        rc = dbuf_adds(out, "\r\n");
    for (int r = 0; rc == 0 && r < PQntuples(d->ranking); r++) {
        for (int c = 0; rc == 0 && c < csvout_ncols; c++) {
            int col = csvout_cols[c].display >= 0 ? csvout_cols[c].display : csvout_cols[c].col;
            if (c > 0)
                rc = dbuf_adds(out, ",");
            if (rc == 0)
                rc = csvout_field(out, export_data_cell(d->ranking, r, col));
        }
        if (rc == 0)
            rc = dbuf_adds(out, "\r\n");
    }
    return rc;
}
