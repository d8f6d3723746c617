#include "xlsxpage.h"

#include "../common/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Excel column width is in widths of '0'; a CJK character takes about two. */
#define WIDTH_PAD 2
#define PAPER_A4 9

void
xlsxpage_init(struct xlsxpage *p, lxw_workbook *wb, const struct export_data *d, const char *trace)
{
    memset(p, 0, sizeof(*p));
    p->wb = wb;
    p->d = d;
    for (int i = 0; i < XF_COUNT; i++)
        p->f[i] = workbook_add_format(wb);
    format_set_bold(p->f[XF_TITLE]);
    format_set_font_size(p->f[XF_TITLE], 14);
    format_set_align(p->f[XF_TITLE], LXW_ALIGN_CENTER);
    format_set_align(p->f[XF_TITLE], LXW_ALIGN_VERTICAL_CENTER);
    format_set_text_wrap(p->f[XF_TITLE]);
    format_set_bold(p->f[XF_HEAD]);
    format_set_bg_color(p->f[XF_HEAD], 0xD9E1F2);
    format_set_border(p->f[XF_HEAD], LXW_BORDER_THIN);
    format_set_align(p->f[XF_HEAD], LXW_ALIGN_CENTER);
    format_set_text_wrap(p->f[XF_HEAD]);
    format_set_num_format(p->f[XF_PCT], "0.0%");
    format_set_num_format(p->f[XF_SCORE], "0.00");
    format_set_num_format(p->f[XF_INT], "0");
    format_set_num_format(p->f[XF_DELTA], "+0.00;-0.00;0.00");
    format_set_num_format(p->f[XF_DELTA_C], "+0.00;-0.00;0.00");
    format_set_align(p->f[XF_DELTA_C], LXW_ALIGN_CENTER);
    format_set_align(p->f[XF_CENTER], LXW_ALIGN_CENTER);
    format_set_text_wrap(p->f[XF_WRAP]);
    format_set_align(p->f[XF_WRAP], LXW_ALIGN_VERTICAL_TOP);
    format_set_bg_color(p->f[XF_LATE], 0xFFEB9C); /* 缺报: amber */
    format_set_font_color(p->f[XF_LATE], 0x9C5700);
    format_set_bg_color(p->f[XF_NONE], 0xFFC7CE); /* 未报送: red */
    format_set_font_color(p->f[XF_NONE], 0x9C0006);
    format_set_bold(p->f[XF_SECTION]);
    format_set_font_size(p->f[XF_SECTION], 12);
    format_set_font_color(p->f[XF_NOTE], 0x595959);
    format_set_text_wrap(p->f[XF_NOTE]);
    format_set_align(p->f[XF_NOTE], LXW_ALIGN_VERTICAL_TOP);

    /* the file's name says county, period and as-of; the codes are digits
     * and dashes, so nothing in it is a header/footer control (&) */
    int n = snprintf(p->footer, sizeof(p->footer), "&L%s_%s_%s&C第 &P 页 共 &N 页", d->county_code,
                     d->period, d->as_of);
    if (trace != NULL && trace[0] != '\0' && n > 0 && (size_t)n < sizeof(p->footer))
        snprintf(p->footer + n, sizeof(p->footer) - (size_t)n, "&R校验码 %.8s", trace);
}

static void
page_setup(struct xlsxpage *p, lxw_worksheet *ws, int one_page)
{
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, PAPER_A4);
    worksheet_set_margins(ws, 0.4, 0.4, 0.5, 0.6);
    worksheet_center_horizontally(ws);
    worksheet_fit_to_pages(ws, 1, one_page ? 1 : 0);
    worksheet_set_footer(ws, p->footer);
}

void
xlsxpage_sheet(struct xlsxpage *p, lxw_worksheet *ws, const char *what, int ncols, int width,
               int repeat, int last_row)
{
    char title[512];
    const struct export_data *d = p->d;
    int n = snprintf(title, sizeof(title), "%s营商环境评价%s　%s（截至 %s）", d->county_name, what,
                     d->period_name, d->as_of);
    /* the title's 14 points against the cells' 11 */
    int two_lines = n > 0 && xlsxpage_text_width(title) * 14 / 11 > width;
    if (two_lines)
        snprintf(title, sizeof(title), "%s营商环境评价%s\n%s（截至 %s）", d->county_name, what,
                 d->period_name, d->as_of);
    bz_utf8_cut(title);
    if (ncols > 1)
        worksheet_merge_range(ws, 0, 0, 0, (lxw_col_t)(ncols - 1), title, p->f[XF_TITLE]);
    else
        worksheet_write_string(ws, 0, 0, title, p->f[XF_TITLE]);
    worksheet_set_row(ws, 0, two_lines ? 44 : 26, NULL);
    page_setup(p, ws, last_row <= XLSXPAGE_ONE_PAGE_ROWS);
    if (repeat > 0)
        worksheet_repeat_rows(ws, 0, (lxw_row_t)(repeat - 1));
}

void
xlsxpage_chart_sheet(struct xlsxpage *p, const char *name, lxw_chart *chart)
{
    lxw_chartsheet *cs = workbook_add_chartsheet(p->wb, name);
    chartsheet_set_chart(cs, chart);
    chartsheet_set_landscape(cs);
    chartsheet_set_paper(cs, PAPER_A4);
    chartsheet_set_margins(cs, 0.4, 0.4, 0.5, 0.6);
    chartsheet_set_footer(cs, p->footer);
}

void
xlsxpage_chart_title(const struct xlsxpage *p, lxw_chart *chart, const char *what)
{
    char title[512];
    snprintf(title, sizeof(title), "%s%s　%s（截至 %s）", p->d->county_name, what,
             p->d->period_name, p->d->as_of);
    bz_utf8_cut(title);
    chart_title_set_name(chart, title);
    lxw_chart_font font = {0};
    font.size = 13;
    font.bold = 1;
    chart_title_set_name_font(chart, &font);
}

int
xlsxpage_text_width(const char *s)
{
    int w = 0;
    for (const unsigned char *q = (const unsigned char *)s; *q != '\0'; q++) {
        if ((*q & 0xC0) == 0x80)
            continue;
        w += *q >= 0xE1 ? 2 : 1; /* U+1000 and up: CJK, fullwidth forms */
    }
    return w;
}

void
xlsxpage_fit(int *width, const char *s)
{
    int w = s != NULL ? xlsxpage_text_width(s) : 0;
    if (w > *width)
        *width = w;
}

int
xlsxpage_widths(lxw_worksheet *ws, const int *width, int n, int max)
{
    int sum = 0;
    for (int c = 0; c < n; c++) {
        int w = width[c] + WIDTH_PAD;
        w = w > max ? max : w;
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w, NULL);
        sum += w;
    }
    return sum;
}

void
xlsxpage_number(lxw_worksheet *ws, int row, int col, const char *v, lxw_format *f)
{
    if (v != NULL)
        worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, strtod(v, NULL), f);
}

void
xlsxpage_text(lxw_worksheet *ws, int row, int col, const char *v, lxw_format *f)
{
    if (v != NULL)
        worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, v, f);
}
