/*
 * bizenv validate — offline check of township files, one receipt each.
 *
 * Reads each FILE through the same unpack and transform stages as ingest,
 * without a database: nothing is loaded, archived or moved. The township
 * registry check uses --registry FILE (default: the `registry` setting,
 * $BIZENV_HOME/townships.csv, when that file exists); without a registry it
 * is skipped and the receipt says so.
 */
#include "commands.h"

#include "../common/dbuf.h"
#include "../common/esc.h"
#include "../common/receipt.h"
#include "../ingest/unpack.h"
#include "../load/regcsv.h"
#include "../transform/transform.h"
#include "../transform/workbook.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

/* Receipts are short; 4 MB holds max_diagnostics lines of any length. */
#define RECEIPT_LIMIT (4u << 20)

struct validate_run {
    const struct settings *settings;
    struct transform_ctx tctx;
    int json;
    const char *file;
    int rejected; /* a submission of this run was rejected */
    struct bz_error err;
};

/* transform_ctx.township_known over the parsed registry file. */
static int
registry_lookup(const char *code, const char **name, void *arg)
{
    const struct regcsv *reg = arg;
    for (size_t i = 0; i < reg->n; i++) {
        if (strcmp(reg->rows[i].code, code) == 0) {
            *name = reg->rows[i].name;
            return 1;
        }
    }
    return 0;
}

/* Reads and parses the registry file. A missing default file is not an
 * error (the check is then skipped); a missing --registry file is. */
static int
load_registry(const char *path, int explicit_path, struct regcsv *reg, struct bz_error *e)
{
    int rc = regcsv_read(path, REGCSV_TOWNSHIPS, reg, e);
    if (rc == BZ_ENOTFOUND && !explicit_path) {
        bz_error_clear(e);
        return 0;
    }
    return rc;
}

static void
print_receipt(struct validate_run *v, const struct receipt *r)
{
    struct dbuf b;
    dbuf_init(&b, RECEIPT_LIMIT);
    int rc = v->json ? receipt_render_json(r, &b) : receipt_render_text(r, &b);
    if (rc == 0) {
        fputs(b.data, stdout);
        if (!v->json)
            fputc('\n', stdout);
    } else {
        char name[4 * BZ_PATH_MAX];
        fprintf(stderr, "bizenv: 错误 [E_NOMEM] 回执过长，无法显示（%s）\n",
                esc_text(name, sizeof(name), r->file));
    }
    dbuf_free(&b);
    fflush(stdout);
}

static int
on_document(const struct unpack_doc *doc, void *arg)
{
    struct validate_run *v = arg;
    struct submission sub;
    struct diag_list diags;
    char period[16];

    char sha256[65]; /* the document's identity: its bytes, or a workbook's content */

    submission_init(&sub, transform_arena_limit(doc->len));
    diag_list_init(&diags, (size_t)v->settings->max_diagnostics);
    memcpy(sha256, doc->sha256, sizeof(sha256));
    int rc = doc->workbook ? workbook_transform(doc->data, doc->len, v->settings, &v->tctx, &sub,
                                                &diags, sha256, &v->err)
                           : transform_document(doc->data, doc->len, v->settings, &v->tctx, &sub,
                                                &diags, &v->err);
    if (rc == 0) {
        struct receipt r = {0};
        r.file = v->file;
        r.member = doc->member;
        submission_receipt_identity(&sub, &r, period);
        r.sha256 = sha256;
        r.outcome = receipt_outcome_for(&diags, RECEIPT_ACCEPTED);
        r.note = v->tctx.township_known == NULL
                     ? "离线检查，未入库；未核对乡镇名录（未提供名录文件）"
                     : "离线检查，未入库";
        r.diags = &diags;
        if (r.outcome == RECEIPT_REJECTED)
            v->rejected = 1;
        print_receipt(v, &r);
    }
    diag_list_free(&diags);
    submission_free(&sub);
    return rc;
}

/* Prints the receipt of a file rejected before any submission was read. */
static void
print_file_rejection(struct validate_run *v, const struct unpack_result *res,
                     const struct diag_list *diags)
{
    struct receipt r = {0};
    r.file = v->file;
    r.sha256 = res->file_sha256[0] ? res->file_sha256 : NULL;
    r.outcome = RECEIPT_REJECTED;
    r.note = "文件未能读出任何报表";
    r.diags = diags;
    v->rejected = 1;
    print_receipt(v, &r);
}

/* Worst status first: I/O failure, missing input, rejected data. */
static int
worse(int a, int b)
{
    static const int order[] = {EX_IOERR, EX_OSERR, EX_SOFTWARE, EX_NOINPUT, EX_DATAERR, EX_OK};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (a == order[i] || b == order[i])
            return order[i];
    return a != EX_OK ? a : b;
}

static int
validate_one(struct validate_run *v, const char *path)
{
    struct unpack_result res;
    struct diag_list diags;
    struct stat st;

    if (lstat(path, &st) < 0 && errno == ENOENT) {
        struct bz_error e;
        bz_error_set(&e, E_NOINPUT, "找不到文件“%s”", path);
        return cli_report(&e);
    }
    v->file = path;
    v->rejected = 0;
    bz_error_clear(&v->err);
    memset(&res, 0, sizeof(res));
    diag_list_init(&diags, (size_t)v->settings->max_diagnostics);
    int rc = unpack_file(path, v->settings, on_document, v, &res, &diags, &v->err);
    int status = EX_OK;
    if (rc == BZ_EINPUT) {
        print_file_rejection(v, &res, &diags);
    } else if (rc == BZ_ETIMEOUT) {
        diag_add(&diags, "E_LIMIT_TIME", 0, NULL, "读取超过 %lld 秒上限",
                 v->settings->parse_timeout_s);
        print_file_rejection(v, &res, &diags);
    } else if (rc < 0) {
        status = cli_report(&v->err);
    }
    diag_list_free(&diags);
    if (status == EX_OK && v->rejected)
        status = cli_exit_status(BZ_EINPUT); /* a submission was rejected */
    return status;
}

int
cmd_validate(struct cli *cli, int argc, char **argv)
{
    struct validate_run v;
    const char *format = "text";
    struct bz_error e;

    memset(&v, 0, sizeof(v));
    v.settings = &cli->settings;
    const char *registry = NULL;
    struct regcsv reg = {0};
    if (cli_take_opt(&argc, argv, "--format", &format) < 0 ||
        cli_take_opt(&argc, argv, "--registry", &registry) < 0)
        return EX_USAGE;
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "bizenv validate: 错误 [E_USAGE] --format 只能是 text 或 json\n");
        return EX_USAGE;
    }
    v.json = strcmp(format, "json") == 0;
    int rc = cli_no_more_options(argc, argv, "validate");
    if (rc != 0)
        return rc;
    if (argc < 2) {
        fprintf(stderr,
                "用法：bizenv validate [--format text|json] [--registry 名录.csv] 文件...\n");
        return EX_USAGE;
    }
    v.tctx.today = cli_today();
    if (load_registry(registry ? registry : cli->settings.registry, registry != NULL, &reg, &e) < 0)
        return cli_report(&e);
    if (reg.n > 0) {
        v.tctx.township_known = registry_lookup;
        v.tctx.arg = &reg;
    }
    int status = EX_OK;
    if (transform_init(&e) < 0) {
        status = cli_report(&e);
        goto out;
    }
    for (int i = 1; i < argc; i++)
        status = worse(status, validate_one(&v, argv[i]));
    transform_cleanup();
out:
    regcsv_free(&reg);
    return status;
}
