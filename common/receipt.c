#include "receipt.h"

#include "codes.h"
#include "esc.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

const char *
receipt_outcome_name(enum receipt_outcome o)
{
    switch (o) {
    case RECEIPT_ACCEPTED:
        return "accepted";
    case RECEIPT_ACCEPTED_WITH_WARNINGS:
        return "accepted_with_warnings";
    case RECEIPT_DUPLICATE:
        return "duplicate";
    case RECEIPT_REJECTED:
        return "rejected";
    }
    return "rejected";
}

const char *
receipt_outcome_label(enum receipt_outcome o)
{
    switch (o) {
    case RECEIPT_ACCEPTED:
        return "接收";
    case RECEIPT_ACCEPTED_WITH_WARNINGS:
        return "接收（有警告）";
    case RECEIPT_DUPLICATE:
        return "重复报送（内容与已接收的相同，未作更改）";
    case RECEIPT_REJECTED:
        return "退回";
    }
    return "退回";
}

enum receipt_outcome
receipt_outcome_for(const struct diag_list *diags, enum receipt_outcome ok)
{
    if (diags != NULL && diag_has_errors(diags))
        return RECEIPT_REJECTED;
    if (ok == RECEIPT_ACCEPTED && diags != NULL && diags->nwarnings > 0)
        return RECEIPT_ACCEPTED_WITH_WARNINGS;
    return ok;
}

static int
render_diags(const struct diag_list *l, enum diag_severity sev, const char *label, size_t count,
             struct dbuf *b)
{
    int rc = 0;
    if (count == 0)
        return 0;
    rc = dbuf_printf(b, "%s %zu 项：\n", label, count);
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        const struct diag *d = &l->items[i];
        if (d->severity != sev)
            continue;
        rc = dbuf_printf(b, "  [%s] ", d->code);
        if (rc == 0 && d->line > 0)
            rc = dbuf_printf(b, "第 %ld 行 ", d->line);
        if (rc == 0 && d->path[0] != '\0')
            rc = esc_dbuf(b, d->path);
        if (rc == 0 && d->path[0] != '\0')
            rc = dbuf_adds(b, " ");
        const char *title = codes_title(d->code);
        if (rc == 0 && title != NULL)
            rc = dbuf_printf(b, "%s：", title);
        if (rc == 0)
            rc = esc_dbuf(b, d->message);
        if (rc == 0)
            rc = dbuf_adds(b, "\n");
    }
    return rc;
}

int
receipt_render_text(const struct receipt *r, struct dbuf *b)
{
    int rc = dbuf_adds(b, "回执（bizenv 营商环境月报）\n");
    if (rc == 0)
        rc = dbuf_adds(b, "文件：");
    if (rc == 0)
        rc = esc_dbuf(b, r->file);
    if (rc == 0 && r->member && *r->member)
        rc = dbuf_adds(b, " → ");
    if (rc == 0)
        rc = esc_dbuf(b, r->member);
    if (rc == 0)
        rc = dbuf_printf(b, "\n乡镇：%s ", r->township_code ? r->township_code : "（未知）");
    if (rc == 0)
        rc = esc_dbuf(b, r->township_name);
    if (rc == 0)
        rc = dbuf_adds(b, "\n");
    if (rc == 0)
        rc = dbuf_printf(b, "月份：%s\n", r->period ? r->period : "（未知）");
    if (rc == 0 && r->revision > 0)
        rc = dbuf_printf(b, "版本：%ld\n", r->revision);
    else if (rc == 0)
        rc = dbuf_adds(b, "版本：（未知）\n");
    if (rc == 0 && r->received_at)
        rc = dbuf_printf(b, "接收时间：%s\n", r->received_at);
    if (rc == 0 && r->sha256)
        rc = dbuf_printf(b, "SHA-256：%s\n", r->sha256);
    if (rc == 0)
        rc = dbuf_printf(b, "结果：%s\n", receipt_outcome_label(r->outcome));
    if (rc == 0 && r->note)
        rc = dbuf_adds(b, "说明：");
    if (rc == 0 && r->note)
        rc = esc_dbuf(b, r->note);
    if (rc == 0 && r->note)
        rc = dbuf_adds(b, "\n");
    if (r->diags != NULL) {
        if (rc == 0)
            rc = render_diags(r->diags, DIAG_ERROR, "错误", r->diags->nerrors, b);
        if (rc == 0)
            rc = render_diags(r->diags, DIAG_WARNING, "警告", r->diags->nwarnings, b);
        if (rc == 0 && r->diags->dropped > 0)
            rc = dbuf_printf(b, "（另有 %zu 项未列出）\n", r->diags->dropped);
    }
    return rc;
}

static int
json_field(struct dbuf *b, const char *name, const char *value, int comma)
{
    int rc = dbuf_printf(b, "%s\"%s\":", comma ? "," : "", name);
    if (rc == 0)
        rc = value ? dbuf_add_json(b, value) : dbuf_adds(b, "null");
    return rc;
}

static int
json_diags(const struct diag_list *l, enum diag_severity sev, const char *name, struct dbuf *b)
{
    int rc = dbuf_printf(b, ",\"%s\":[", name);
    int first = 1;
    for (size_t i = 0; l != NULL && rc == 0 && i < l->n; i++) {
        const struct diag *d = &l->items[i];
        if (d->severity != sev)
            continue;
        rc = dbuf_adds(b, first ? "{" : ",{");
        first = 0;
        if (rc == 0)
            rc = json_field(b, "code", d->code, 0);
        if (rc == 0)
            rc = dbuf_printf(b, ",\"line\":%ld", d->line);
        if (rc == 0)
            rc = json_field(b, "path", d->path, 1);
        if (rc == 0)
            rc = json_field(b, "title", codes_title(d->code), 1);
        if (rc == 0)
            rc = json_field(b, "message", d->message, 1);
        if (rc == 0)
            rc = dbuf_adds(b, "}");
    }
    return rc == 0 ? dbuf_adds(b, "]") : rc;
}

int
receipt_render_json(const struct receipt *r, struct dbuf *b)
{
    int rc = dbuf_adds(b, "{");
    if (rc == 0)
        rc = json_field(b, "file", r->file, 0);
    if (rc == 0)
        rc = json_field(b, "member", r->member ? r->member : "", 1);
    if (rc == 0)
        rc = json_field(b, "township_code", r->township_code, 1);
    if (rc == 0)
        rc = json_field(b, "township_name", r->township_name, 1);
    if (rc == 0)
        rc = json_field(b, "period", r->period, 1);
    if (rc == 0 && r->revision > 0)
        rc = dbuf_printf(b, ",\"revision\":%ld", r->revision);
    else if (rc == 0)
        rc = dbuf_adds(b, ",\"revision\":null");
    if (rc == 0)
        rc = json_field(b, "sha256", r->sha256, 1);
    if (rc == 0)
        rc = json_field(b, "received_at", r->received_at, 1);
    if (rc == 0)
        rc = json_field(b, "outcome", receipt_outcome_name(r->outcome), 1);
    if (rc == 0)
        rc = json_field(b, "outcome_label", receipt_outcome_label(r->outcome), 1);
    if (rc == 0)
        rc = json_field(b, "note", r->note, 1);
    if (rc == 0)
        rc = json_diags(r->diags, DIAG_ERROR, "errors", b);
    if (rc == 0)
        rc = json_diags(r->diags, DIAG_WARNING, "warnings", b);
    if (rc == 0)
        rc = dbuf_printf(b, ",\"unlisted\":%zu}\n", r->diags ? r->diags->dropped : (size_t)0);
    return rc;
}
