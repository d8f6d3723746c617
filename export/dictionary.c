#include "dictionary.h"

#include "../common/buildinfo.h"
#include "../common/esc.h"
#include "../load/db.h"

#include <stdio.h>
#include <string.h>

/* ---- what is read ---- */

static const char sql_begin[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

static const char sql_header[] =
    "SELECT coalesce((SELECT lpad(max(version)::text, 3, '0') FROM meta.migration), '')"
    " AS schema_version, current_database() AS database";

/* Every column of every view of report, views by name (the dictionary's
 * own last), columns in order. */
static const char sql_views[] =
    "SELECT c.relname AS view, coalesce(obj_description(c.oid, 'pg_class'), '') AS view_comment,"
    " a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS column_type,"
    " coalesce(col_description(c.oid, a.attnum), '') AS column_comment"
    " FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
    "  AND NOT a.attisdropped"
    " WHERE n.nspname = 'report' AND c.relkind IN ('v', 'm')"
    " ORDER BY c.relname IN ('rule', 'example', 'result_column'), c.relname, a.attnum";

/* Every function of report: those an analyst may call first, the ones
 * most used at their head, then by name. */
static const char sql_functions[] =
    "SELECT p.oid::regprocedure::text AS signature,"
    " pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result,"
    " coalesce(obj_description(p.oid, 'pg_proc'), '') AS comment,"
    " has_function_privilege('bizenv_analyst', p.oid, 'EXECUTE') AS for_analysts,"
    " p.proname AS name"
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = 'report' AND p.prokind = 'f'"
    " ORDER BY for_analysts DESC, array_position(ARRAY['ranking', 'county_summary',"
    " 'township_figures', 'stored_ranking', 'today']::name[], p.proname) NULLS LAST,"
    " p.proname, signature";

/* The columns a function returns: its composite type's (with their
 * comments), or its OUT/TABLE parameters (with report.result_column). */
static const char sql_result_columns[] =
    "WITH f AS ("
    " SELECT p.oid::regprocedure::text AS signature, p.prorettype, p.proargmodes,"
    "  p.proargnames, p.proallargtypes"
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = 'report' AND p.prokind = 'f')"
    " SELECT f.signature, a.attnum::int AS ord, a.attname::text AS column_name,"
    "  format_type(a.atttypid, a.atttypmod) AS column_type,"
    "  coalesce(col_description(t.typrelid, a.attnum), '') AS meaning"
    " FROM f JOIN pg_catalog.pg_type t ON t.oid = f.prorettype AND t.typtype = 'c'"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0"
    "  AND NOT a.attisdropped"
    " WHERE f.proargmodes IS NULL"
    " UNION ALL"
    " SELECT f.signature, o.ord::int, o.name, format_type(o.typ, NULL), coalesce(rc.meaning, '')"
    " FROM f CROSS JOIN LATERAL unnest(f.proargmodes, f.proargnames, f.proallargtypes)"
    "  WITH ORDINALITY AS o(mode, name, typ, ord)"
    " LEFT JOIN report.result_column rc ON rc.function = f.signature AND rc.column_name = o.name"
    " WHERE o.mode IN ('o', 't', 'b')"
    " ORDER BY 1, 2";

static const char sql_rules[] = "SELECT topic, rule FROM report.rule ORDER BY ord";
static const char sql_examples[] = "SELECT ord, title, query FROM report.example ORDER BY ord";

/* ---- the two writers ---- */

/* One format: each call appends one element to b; text is plain and the
 * writer escapes it. Returns 0 or the dbuf error. */
struct writer {
    int (*start)(struct dbuf *b, const char *title);
    int (*heading)(struct dbuf *b, int level, const char *text);
    int (*para)(struct dbuf *b, const char *text);
    int (*items)(struct dbuf *b); /* a list of labelled items: items, item..., items_end */
    int (*item)(struct dbuf *b, const char *label, const char *text);
    int (*items_end)(struct dbuf *b);
    int (*table)(struct dbuf *b); /* a table of 列 | 类型 | 含义 */
    int (*row)(struct dbuf *b, const char *column, const char *type, const char *meaning);
    int (*table_end)(struct dbuf *b);
    int (*code)(struct dbuf *b, const char *sql);
    int (*end)(struct dbuf *b);
};

/* Markdown: text is escaped where a character would start markup; table
 * cells and list items stay on one line. */
static int
md_text(struct dbuf *b, const char *s, int one_line)
{
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t' || *p < 0x20 || *p == 0x7f)
            rc = dbuf_adds(b, one_line || *p != '\n' ? " " : "\n");
        else if (strchr("\\`*<>|", *p) != NULL)
            rc = dbuf_printf(b, "\\%c", *p);
        else
            rc = dbuf_add(b, p, 1);
    }
    return rc;
}

static int
md_start(struct dbuf *b, const char *title)
{
    int rc = dbuf_adds(b, "# ");
    return rc ? rc : (rc = md_text(b, title, 1)) ? rc : dbuf_adds(b, "\n\n");
}

static int
md_heading(struct dbuf *b, int level, const char *text)
{
    int rc = dbuf_printf(b, "%.*s ", level, "######");
    return rc ? rc : (rc = md_text(b, text, 1)) ? rc : dbuf_adds(b, "\n\n");
}

static int
md_para(struct dbuf *b, const char *text)
{
    int rc = md_text(b, text, 0);
    return rc ? rc : dbuf_adds(b, "\n\n");
}

static int
md_items(struct dbuf *b)
{
    (void)b;
    return 0;
}

static int
md_item(struct dbuf *b, const char *label, const char *text)
{
    int rc = dbuf_adds(b, "- **");
    if (rc == 0)
        rc = md_text(b, label, 1);
    if (rc == 0)
        rc = dbuf_adds(b, "**：");
    if (rc == 0)
        rc = md_text(b, text, 1);
    return rc ? rc : dbuf_adds(b, "\n");
}

static int
md_items_end(struct dbuf *b)
{
    return dbuf_adds(b, "\n");
}

static int
md_table(struct dbuf *b)
{
    return dbuf_adds(b, "| 列 | 类型 | 含义 |\n|---|---|---|\n");
}

static int
md_row(struct dbuf *b, const char *column, const char *type, const char *meaning)
{
    int rc = dbuf_adds(b, "| `");
    if (rc == 0)
        rc = md_text(b, column, 1);
    if (rc == 0)
        rc = dbuf_adds(b, "` | ");
    if (rc == 0)
        rc = md_text(b, type, 1);
    if (rc == 0)
        rc = dbuf_adds(b, " | ");
    if (rc == 0)
        rc = md_text(b, meaning[0] != '\0' ? meaning : "（无说明）", 1);
    return rc ? rc : dbuf_adds(b, " |\n");
}

static int
md_table_end(struct dbuf *b)
{
    return dbuf_adds(b, "\n");
}

/* A fence longer than any run of backticks in the text. */
static int
md_code(struct dbuf *b, const char *sql)
{
    size_t longest = 0, run = 0;
    for (const char *p = sql; *p != '\0'; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    char fence[16];
    size_t n = longest < 3 ? 3 : longest + 1;
    if (n >= sizeof(fence))
        n = sizeof(fence) - 1;
    memset(fence, '`', n);
    fence[n] = '\0';
    return dbuf_printf(b, "%ssql\n%s\n%s\n\n", fence, sql, fence);
}

static int
md_end(struct dbuf *b)
{
    (void)b;
    return 0;
}

static const struct writer markdown = {md_start,     md_heading,   md_para,  md_items,
                                       md_item,      md_items_end, md_table, md_row,
                                       md_table_end, md_code,      md_end};

/* HTML: one page, no scripts, no outside resources. */
static int
html_text(struct dbuf *b, const char *s)
{
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p != '\0'; p++) {
        if (*p == '\n')
            rc = dbuf_add(b, p, 1);
        else if (*p < 0x20 || *p == 0x7f)
            rc = dbuf_adds(b, " ");
        else if (esc_xml_ref(*p) != NULL)
            rc = dbuf_adds(b, esc_xml_ref(*p));
        else
            rc = dbuf_add(b, p, 1);
    }
    return rc;
}

static int
html_start(struct dbuf *b, const char *title)
{
    int rc =
        dbuf_adds(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<title>");
    if (rc == 0)
        rc = html_text(b, title);
    if (rc == 0)
        rc =
            dbuf_adds(b, "</title>\n<style>\n"
                         "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
                         "line-height:1.5}\n"
                         "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
                         "th,td{border:1px solid #bbb;padding:0.2em 0.5em;text-align:left;"
                         "vertical-align:top}\n"
                         "th{background:#eee}code,pre{background:#f5f5f5}\n"
                         "pre{padding:0.6em;overflow-x:auto}\n"
                         "</style>\n</head>\n<body>\n<h1>");
    if (rc == 0)
        rc = html_text(b, title);
    return rc ? rc : dbuf_adds(b, "</h1>\n");
}

static int
html_heading(struct dbuf *b, int level, const char *text)
{
    int rc = dbuf_printf(b, "<h%d>", level);
    return rc ? rc : (rc = html_text(b, text)) ? rc : dbuf_printf(b, "</h%d>\n", level);
}

static int
html_para(struct dbuf *b, const char *text)
{
    int rc = dbuf_adds(b, "<p>");
    return rc ? rc : (rc = html_text(b, text)) ? rc : dbuf_adds(b, "</p>\n");
}

static int
html_items(struct dbuf *b)
{
    return dbuf_adds(b, "<ul>\n");
}

static int
html_item(struct dbuf *b, const char *label, const char *text)
{
    int rc = dbuf_adds(b, "<li><b>");
    if (rc == 0)
        rc = html_text(b, label);
    if (rc == 0)
        rc = dbuf_adds(b, "</b>：");
    if (rc == 0)
        rc = html_text(b, text);
    return rc ? rc : dbuf_adds(b, "</li>\n");
}

static int
html_items_end(struct dbuf *b)
{
    return dbuf_adds(b, "</ul>\n");
}

static int
html_table(struct dbuf *b)
{
    return dbuf_adds(b, "<table>\n<tr><th>列</th><th>类型</th><th>含义</th></tr>\n");
}

static int
html_row(struct dbuf *b, const char *column, const char *type, const char *meaning)
{
    int rc = dbuf_adds(b, "<tr><td><code>");
    if (rc == 0)
        rc = html_text(b, column);
    if (rc == 0)
        rc = dbuf_adds(b, "</code></td><td>");
    if (rc == 0)
        rc = html_text(b, type);
    if (rc == 0)
        rc = dbuf_adds(b, "</td><td>");
    if (rc == 0)
        rc = html_text(b, meaning[0] != '\0' ? meaning : "（无说明）");
    return rc ? rc : dbuf_adds(b, "</td></tr>\n");
}

static int
html_table_end(struct dbuf *b)
{
    return dbuf_adds(b, "</table>\n");
}

static int
html_code(struct dbuf *b, const char *sql)
{
    int rc = dbuf_adds(b, "<pre><code class=\"language-sql\">");
    return rc ? rc : (rc = html_text(b, sql)) ? rc : dbuf_adds(b, "</code></pre>\n");
}

static int
html_end(struct dbuf *b)
{
    return dbuf_adds(b, "</body>\n</html>\n");
}

static const struct writer html = {html_start,     html_heading,   html_para,  html_items,
                                   html_item,      html_items_end, html_table, html_row,
                                   html_table_end, html_code,      html_end};

/* ---- the document ---- */

/* The results the document is made of; each NULL until read. */
struct content {
    PGresult *header, *views, *functions, *columns, *rules, *examples;
};

static void
content_free(struct content *c)
{
    PQclear(c->header);
    PQclear(c->views);
    PQclear(c->functions);
    PQclear(c->columns);
    PQclear(c->rules);
    PQclear(c->examples);
}

static int
query(PGconn *conn, const char *sql, const char *what, PGresult **out, struct bz_error *e)
{
    *out = PQexec(conn, sql);
    if (PQresultStatus(*out) == PGRES_TUPLES_OK)
        return 0;
    return db_error(e, conn, *out, what);
}

static int
read_content(PGconn *conn, struct content *c, struct bz_error *e)
{
    PGresult *res = PQexec(conn, sql_begin);
    int rc =
        PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : db_error(e, conn, res, "开始读取数据字典");
    PQclear(res);
    if (rc == 0)
        rc = query(conn, sql_header, "读取数据库结构版本", &c->header, e);
    if (rc == 0)
        rc = query(conn, sql_views, "读取 report 的视图", &c->views, e);
    if (rc == 0)
        rc = query(conn, sql_functions, "读取 report 的函数", &c->functions, e);
    if (rc == 0)
        rc = query(conn, sql_result_columns, "读取 report 函数的结果列", &c->columns, e);
    if (rc == 0)
        rc = query(conn, sql_rules, "读取计算规则（report.rule）", &c->rules, e);
    if (rc == 0)
        rc = query(conn, sql_examples, "读取示例查询（report.example）", &c->examples, e);
    res = PQexec(conn, "COMMIT");
    PQclear(res);
    return rc;
}

/* A field by column name. */
static const char *
field(const PGresult *r, int row, const char *name)
{
    return PQgetvalue(r, row, PQfnumber(r, name));
}

static const char intro[] =
    "本字典由数据库自身的注释生成：report 架构中分析人员可读的全部视图和函数，各列的类型与含义，"
    "排名数字背后的规则，以及常用的示例查询（每条都经测试实际运行）。分析人员账号只读，"
    "看不到联系人姓名和电话，也看不到 facts、raw、staging 等内部数据。";

static const char connect_text[] =
    "用县里发的账号和 CA 证书（存为 bizenv-ca.crt）经 TLS 连接，务必校验服务器证书"
    "（sslmode=verify-full）；时间按本县时区显示。";

/* What every client needs; JDBC and psycopg take libpq's sslmode. */
static const char connect_code[] =
    "-- psql（汉字账号名须以 UTF-8 传给服务器；Windows 上不便时可改用拼音账号名）\n"
    "-- psql \"host=服务器地址 port=5432 dbname=bizenv user=账号 "
    "sslmode=verify-full sslrootcert=bizenv-ca.crt\"\n"
    "-- Python：psycopg.connect(host=..., dbname='bizenv', user=..., "
    "sslmode='verify-full', sslrootcert='bizenv-ca.crt')\n"
    "-- DBeaver/JDBC：ssl=true&sslmode=verify-full&sslrootcert=bizenv-ca.crt\n"
    "SELECT * FROM report.ranking('2026-10');";

static int
write_intro(const struct writer *w, const struct content *c, struct dbuf *b)
{
    char line[512];
    snprintf(line, sizeof(line), "数据库 %s，结构版本 %s；bizenv %s 生成。",
             field(c->header, 0, "database"), field(c->header, 0, "schema_version"),
             buildinfo_label());
    int rc = w->start(b, "bizenv 数据字典（report 架构）");
    if (rc == 0)
        rc = w->para(b, intro);
    if (rc == 0)
        rc = w->para(b, line);
    if (rc == 0)
        rc = w->heading(b, 2, "连接");
    if (rc == 0)
        rc = w->para(b, connect_text);
    if (rc == 0)
        rc = w->code(b, connect_code);
    if (rc == 0)
        rc = w->heading(b, 2, "计算规则（简述）");
    if (rc == 0 && PQntuples(c->rules) > 0)
        rc = w->items(b);
    for (int i = 0; rc == 0 && i < PQntuples(c->rules); i++)
        rc = w->item(b, field(c->rules, i, "topic"), field(c->rules, i, "rule"));
    if (rc == 0 && PQntuples(c->rules) > 0)
        rc = w->items_end(b);
    return rc;
}

static int
write_views(const struct writer *w, const struct content *c, struct dbuf *b)
{
    char title[256];
    int rc = w->heading(b, 2, "视图");
    const char *open = NULL;
    for (int i = 0; rc == 0 && i < PQntuples(c->views); i++) {
        const char *view = field(c->views, i, "view");
        if (open == NULL || strcmp(open, view) != 0) {
            if (open != NULL)
                rc = w->table_end(b);
            snprintf(title, sizeof(title), "report.%s", view);
            if (rc == 0)
                rc = w->heading(b, 3, title);
            const char *comment = field(c->views, i, "view_comment");
            if (rc == 0 && comment[0] != '\0')
                rc = w->para(b, comment);
            if (rc == 0)
                rc = w->table(b);
            open = view;
        }
        if (rc == 0)
            rc = w->row(b, field(c->views, i, "column_name"), field(c->views, i, "column_type"),
                        field(c->views, i, "column_comment"));
    }
    if (rc == 0 && open != NULL)
        rc = w->table_end(b);
    return rc;
}

/* The result columns of one function (rows of c->columns for signature). */
static int
write_result_columns(const struct writer *w, const struct content *c, const char *signature,
                     struct dbuf *b)
{
    int rc = 0, shown = 0;
    for (int i = 0; rc == 0 && i < PQntuples(c->columns); i++) {
        if (strcmp(field(c->columns, i, "signature"), signature) != 0)
            continue;
        if (!shown++)
            rc = w->table(b);
        if (rc == 0)
            rc = w->row(b, field(c->columns, i, "column_name"), field(c->columns, i, "column_type"),
                        field(c->columns, i, "meaning"));
    }
    return rc == 0 && shown ? w->table_end(b) : rc;
}

static int
write_functions(const struct writer *w, const struct content *c, struct dbuf *b)
{
    char title[1024], returns[1024];
    int rc = w->heading(b, 2, "函数"), internal = 0;
    if (rc == 0)
        rc = w->para(
            b,
            "调用方式：SELECT * FROM report.函数名(参数)。as_of（截至日期）省略时为本县的今天。");
    for (int i = 0; rc == 0 && i < PQntuples(c->functions); i++) {
        const char *signature = field(c->functions, i, "signature");
        const char *result = field(c->functions, i, "result");
        if (strcmp(field(c->functions, i, "for_analysts"), "t") != 0) {
            if (!internal++) {
                rc = w->heading(b, 3, "仅供 bizenv 内部使用的函数（分析人员不能调用）");
                if (rc == 0)
                    rc = w->items(b);
                if (rc < 0)
                    break;
            }
            snprintf(title, sizeof(title), "report.%s(%s)", field(c->functions, i, "name"),
                     field(c->functions, i, "arguments"));
            rc = w->item(b, title, field(c->functions, i, "comment"));
            continue;
        }
        snprintf(title, sizeof(title), "report.%s(%s)", field(c->functions, i, "name"),
                 field(c->functions, i, "arguments"));
        rc = w->heading(b, 3, title);
        const char *comment = field(c->functions, i, "comment");
        if (rc == 0 && comment[0] != '\0')
            rc = w->para(b, comment);
        snprintf(returns, sizeof(returns), "返回：%s",
                 strncmp(result, "TABLE(", 6) == 0 ? "表（各列如下）" : result);
        if (rc == 0)
            rc = w->para(b, returns);
        if (rc == 0)
            rc = write_result_columns(w, c, signature, b);
    }
    if (rc == 0 && internal)
        rc = w->items_end(b);
    return rc;
}

static int
write_examples(const struct writer *w, const struct content *c, struct dbuf *b)
{
    char title[512];
    int rc = w->heading(b, 2, "示例查询");
    if (rc == 0)
        rc = w->para(b, "在 psql 中可直接运行；期间、乡镇代码和日期换成要查的。"
                        "同样的查询也在视图 report.example 中。");
    for (int i = 0; rc == 0 && i < PQntuples(c->examples); i++) {
        snprintf(title, sizeof(title), "%s. %s", field(c->examples, i, "ord"),
                 field(c->examples, i, "title"));
        rc = w->heading(b, 3, title);
        if (rc == 0)
            rc = w->code(b, field(c->examples, i, "query"));
    }
    return rc;
}

int
dictionary_write(PGconn *conn, enum dictionary_format format, struct dbuf *out, struct bz_error *e)
{
    const struct writer *w = format == DICTIONARY_HTML ? &html : &markdown;
    struct content c;
    memset(&c, 0, sizeof(c));
    int rc = read_content(conn, &c, e);
    if (rc == 0 && PQntuples(c.header) != 1)
        rc = bz_error_set(e, E_DB_QUERY, "读取数据库结构版本失败");
    if (rc == 0) {
        int wr = write_intro(w, &c, out);
        if (wr == 0)
            wr = write_views(w, &c, out);
        if (wr == 0)
            wr = write_functions(w, &c, out);
        if (wr == 0)
            wr = write_examples(w, &c, out);
        if (wr == 0)
            wr = w->end(out);
        if (wr == BZ_ENOMEM)
            rc = bz_error_set(e, E_NOMEM, "内存不足，无法生成数据字典");
        else if (wr < 0)
            rc = bz_error_set(e, E_EXPORT, "数据字典超过 %u MB 上限", (unsigned)(out->limit >> 20));
    }
    content_free(&c);
    return rc;
}
