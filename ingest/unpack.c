/*
 * unpack.c — opening the inbox file, hashing it, deciding its kind from its
 * bytes, bare XML, and the two passes. The gzip and zip readers live in
 * unpack_gz.c and unpack_zip.c.
 */
#include "unpack.h"

#include "../common/hash.h"
#include "unpack_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How much of the file's beginning decides its kind. An XML file whose
 * first '<' comes after this much whitespace is not worth accepting. */
#define SNIFF_BYTES 4096

enum sniffed { SNIFF_XML, SNIFF_GZIP, SNIFF_ZIP, SNIFF_ZIP_EMPTY, SNIFF_OLE, SNIFF_UNKNOWN };

/* Diagnostic paths are entry names an attacker chose: the receipt shows
 * them without control characters and cut to a readable length. */
#define SHOWN_PATH_BYTES 320

void
unpack_reject(struct unpack_run *r, const char *code, const char *path, const char *fmt, ...)
{
    char msg[768];
    char shown[SHOWN_PATH_BYTES];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (path != NULL) {
        int cut = strlen(path) >= sizeof(shown);
        size_t n = bz_strlcpy_utf8(shown, path, cut ? sizeof(shown) - 3 : sizeof(shown));
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)shown[i] < 0x20 || shown[i] == 0x7F)
                shown[i] = '?';
        if (cut)
            memcpy(shown + n, "...", 4);
    }
    /* an entry that cannot be stored still counts, and oom makes the
     * list report errors: the file is rejected either way */
    diag_add(r->diags, code, 0, path != NULL ? shown : NULL, "%s", msg);
}

int
unpack_fail(struct unpack_run *r, enum bz_code code, const char *detail)
{
    if (r->status == 0) {
        const char *title = code == E_NOMEM     ? "读取文件时内存不足"
                            : code == E_TIMEOUT ? "读取文件超时"
                                                : "读取文件失败";
        r->status = bz_error_set(r->e, code, "%s", title);
        if (detail != NULL)
            bz_error_detail(r->e, "%s", detail);
        bz_error_at(r->e, r->path, 0);
    }
    r->halt = 1;
    return -1;
}

int
unpack_check_time(struct unpack_run *r)
{
    struct timespec now;

    if (r->halt)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > r->deadline.tv_sec ||
        (now.tv_sec == r->deadline.tv_sec && now.tv_nsec >= r->deadline.tv_nsec)) {
        char detail[96];
        snprintf(detail, sizeof(detail), "parse_timeout_s = %lld", r->s->parse_timeout_s);
        return unpack_fail(r, E_TIMEOUT, detail);
    }
    return 0;
}

static int
deliver(struct unpack_run *r, int workbook, const char *member, const unsigned char *data,
        size_t len, const struct subm_attachment *atts, size_t natts)
{
    struct unpack_doc doc;

    memset(&doc, 0, sizeof(doc));
    doc.workbook = workbook;
    doc.member = member;
    doc.data = data;
    doc.len = len;
    hash_sha256_hex(data, len, doc.sha256);
    doc.attachments = atts;
    doc.nattachments = natts;
    doc.index = r->ndocs;
    r->ndocs++;
    if (r->cb != NULL) {
        int rc = r->cb(&doc, r->ctx);
        if (rc < 0) {
            if (r->status == 0)
                r->status = rc;
            r->halt = 1;
            return -1;
        }
    }
    return 0;
}

int
unpack_deliver(struct unpack_run *r, const char *member, const unsigned char *data, size_t len,
               const struct subm_attachment *atts, size_t natts)
{
    return deliver(r, 0, member, data, len, atts, natts);
}

int
unpack_deliver_workbook(struct unpack_run *r, const char *member, const unsigned char *data,
                        size_t len, const struct subm_attachment *atts, size_t natts)
{
    return deliver(r, 1, member, data, len, atts, natts);
}

int
unpack_has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), m = strlen(ext);

    if (n <= m)
        return 0;
    for (size_t i = 0; i < m; i++) {
        char c = name[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != ext[i])
            return 0;
    }
    return 1;
}

/* The kind from the first bytes. UTF-16 BOMs count as XML so that the
 * transform stage rejects the encoding with a precise message. */
static enum sniffed
sniff(const unsigned char *b, size_t n)
{
    size_t i = 0;

    if (n >= 2 && b[0] == 0x1F && b[1] == 0x8B)
        return SNIFF_GZIP;
    if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0)
        return SNIFF_ZIP;
    if (n >= 4 && memcmp(b, "PK\x05\x06", 4) == 0)
        return SNIFF_ZIP_EMPTY;
    /* OLE2: an old Excel .xls or a WPS .et, named here only to say so */
    if (n >= 8 && memcmp(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        return SNIFF_OLE;
    if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return SNIFF_XML;
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i < n && b[i] == '<' ? SNIFF_XML : SNIFF_UNKNOWN;
}

static int
io_fail(struct unpack_run *r, int err)
{
    return unpack_fail(r, E_IO_READ, strerror(err));
}

/* Pass 1 for every kind: the whole file through SHA-256, keeping its head. */
static int
hash_file(struct unpack_run *r, struct unpack_result *res, unsigned char *head, size_t *nhead)
{
    struct hash_ctx h;
    unsigned char *buf = malloc(UNPACK_CHUNK);
    long long total = 0;

    if (buf == NULL)
        return unpack_fail(r, E_NOMEM, NULL);
    *nhead = 0;
    hash_init(&h);
    for (;;) {
        if (unpack_check_time(r) < 0)
            break;
        ssize_t n = read(r->fd, buf, UNPACK_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            io_fail(r, errno);
            break;
        }
        if (n == 0)
            break;
        if (*nhead < SNIFF_BYTES) {
            size_t take = SNIFF_BYTES - *nhead < (size_t)n ? SNIFF_BYTES - *nhead : (size_t)n;
            memcpy(head + *nhead, buf, take);
            *nhead += take;
        }
        hash_update(&h, buf, (size_t)n);
        total += n;
    }
    free(buf);
    if (r->status != 0)
        return -1;
    hash_final_hex(&h, res->file_sha256);
    /* a file that grew or shrank while hashed is not the one fstat saw;
     * the bytes hashed are the truth from here on */
    r->file_size = total;
    res->file_size = total;
    return 0;
}

static int
rewind_file(struct unpack_run *r)
{
    if (lseek(r->fd, 0, SEEK_SET) < 0)
        return io_fail(r, errno);
    return 0;
}

/* Pass 2 of a bare XML or workbook: the file's bytes are the document. */
static void
deliver_bare(struct unpack_run *r, int workbook)
{
    size_t len = (size_t)r->file_size, got = 0;
    unsigned char *doc = malloc(len);

    if (doc == NULL) {
        unpack_fail(r, E_NOMEM, NULL);
        return;
    }
    while (got < len) {
        if (unpack_check_time(r) < 0)
            goto out;
        ssize_t n = read(r->fd, doc + got, len - got > UNPACK_CHUNK ? UNPACK_CHUNK : len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            io_fail(r, errno);
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got != len) {
        unpack_fail(r, E_IO_READ, "file shrank while being read");
        goto out;
    }
    deliver(r, workbook, "", doc, len, NULL, 0);
out:
    free(doc);
}

/* Pass 1 after hashing: the file-level checks and the kind's own check. */
static void
check_pass(struct unpack_run *r, enum sniffed kind)
{
    const struct settings *s = r->s;

    if (r->file_size == 0) {
        unpack_reject(r, "E_FILE_EMPTY", NULL, "文件长度为 0");
        return;
    }
    if (r->file_size > s->max_file_bytes) {
        unpack_reject(r, "E_LIMIT_FILE_SIZE", NULL, "文件 %lld 字节，上限 %lld 字节", r->file_size,
                      s->max_file_bytes);
        return;
    }
    switch (kind) {
    case SNIFF_XML:
        r->kind = UNPACK_XML;
        if (r->file_size > s->max_xml_bytes) {
            unpack_reject(r, "E_LIMIT_ENTRY_SIZE", NULL, "XML 文件 %lld 字节，上限 %lld 字节",
                          r->file_size, s->max_xml_bytes);
            return;
        }
        r->ndocs = 1;
        return;
    case SNIFF_GZIP:
        r->kind = UNPACK_GZIP;
        if (rewind_file(r) == 0)
            unpack_gz_read(r);
        return;
    case SNIFF_ZIP:
        r->kind = UNPACK_PACKAGE;
        if (rewind_file(r) == 0)
            unpack_zip_read(r);
        if (r->kind == UNPACK_WORKBOOK && r->file_size > s->max_workbook_bytes)
            unpack_reject(r, "E_LIMIT_ENTRY_SIZE", NULL, "工作簿 %lld 字节，上限 %lld 字节",
                          r->file_size, s->max_workbook_bytes);
        return;
    case SNIFF_ZIP_EMPTY:
        r->kind = UNPACK_PACKAGE;
        unpack_reject(r, "E_ZIP_EMPTY", NULL, "压缩包中没有任何条目");
        return;
    case SNIFF_OLE:
        unpack_reject(r, "E_FILE_TYPE", NULL,
                      "这是旧版 Excel（.xls）或 WPS（.et）文件；请用县里下发的填报表，"
                      "在 Excel 或 WPS 中另存为 .xlsx 工作簿后报送");
        return;
    case SNIFF_UNKNOWN:
        break;
    }
    unpack_reject(r, "E_FILE_TYPE", NULL,
                  "文件内容不是 XML、gzip 或 zip（按内容判断，与文件名无关）");
}

static void
deliver_pass(struct unpack_run *r)
{
    if (rewind_file(r) < 0)
        return;
    switch (r->kind) {
    case UNPACK_XML:
        deliver_bare(r, 0);
        break;
    case UNPACK_WORKBOOK:
        deliver_bare(r, 1);
        break;
    case UNPACK_GZIP:
        unpack_gz_read(r);
        break;
    case UNPACK_PACKAGE:
    case UNPACK_BATCH:
        unpack_zip_read(r);
        break;
    }
}

/* Opens without following a symlink and without blocking on a FIFO, then
 * insists on a regular file. Returns the fd, or -1 with r set. */
static int
open_regular(struct unpack_run *r, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        int err = errno;
        if (err == ELOOP || err == ENXIO || err == EISDIR) {
            unpack_reject(r, "E_FILE_NOT_REGULAR", NULL, "不是普通文件（%s）", strerror(err));
            return -1;
        }
        if (err == ENOENT) {
            bz_error_set(r->e, E_NOINPUT, "找不到输入文件");
            bz_error_detail(r->e, "%s", strerror(err));
            bz_error_at(r->e, path, 0);
            r->status = BZ_ENOTFOUND;
            return -1;
        }
        io_fail(r, err);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        io_fail(r, errno);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        unpack_reject(r, "E_FILE_NOT_REGULAR", NULL, "不是普通文件（目录、管道、设备或链接）");
        close(fd);
        return -1;
    }
    r->file_size = st.st_size;
    return fd;
}

static void
run_init(struct unpack_run *r, const char *path, const struct settings *s, unpack_cb cb, void *ctx,
         struct unpack_result *res, struct diag_list *diags, struct bz_error *e)
{
    memset(res, 0, sizeof(*res));
    bz_error_clear(e);
    memset(r, 0, sizeof(*r));
    r->errors_before = diags->nerrors;
    r->path = path;
    r->s = s;
    r->cb = cb;
    r->ctx = ctx;
    r->diags = diags;
    r->e = e;
    r->fd = -1;
    r->pass = 1;
    clock_gettime(CLOCK_MONOTONIC, &r->deadline);
    r->deadline.tv_sec += (time_t)s->parse_timeout_s;
}

/* Both passes over r->fd, which is open. */
static void
read_passes(struct unpack_run *r, struct unpack_result *res, struct diag_list *scratch,
            size_t errors_before)
{
    unsigned char head[SNIFF_BYTES];
    size_t nhead = 0;
    struct diag_list *diags = r->diags;
    struct bz_error *e = r->e;

    if (hash_file(r, res, head, &nhead) < 0)
        return;
    check_pass(r, sniff(head, nhead));
    res->kind = r->kind;
    res->ndocs = r->ndocs;
    if (r->status != 0 || diags->nerrors > errors_before || diags->oom)
        return;

    /* Pass 2 re-runs every check while delivering. Anything it finds that
     * pass 1 did not means the file changed under us: an I/O failure, not
     * a rejection, since some documents may already have been delivered. */
    r->pass = 2;
    r->diags = scratch;
    r->ndocs = 0;
    r->total_out = 0;
    r->nentries = 0;
    deliver_pass(r);
    if (r->status == 0 && (diag_has_errors(scratch) || r->ndocs != res->ndocs)) {
        unpack_fail(r, E_IO_READ, "file changed between the check and the delivery");
        if (scratch->n > 0)
            bz_error_detail(e, "file changed between the check and the delivery (%s)",
                            scratch->items[0].code);
    }
    r->diags = diags;
}

static int
verdict(struct unpack_run *r, struct diag_list *diags, size_t errors_before)
{
    if (r->status != 0)
        return r->status;
    if (diags->nerrors > errors_before || diags->oom)
        return BZ_EINPUT;
    return 0;
}

/* Both passes when the file is `ready` (open and checked; if not, what
 * went wrong is already reported), then the verdict. */
static int
run_passes(struct unpack_run *r, struct unpack_result *res, int ready)
{
    struct diag_list scratch;
    diag_list_init(&scratch, 16);
    if (ready)
        read_passes(r, res, &scratch, r->errors_before);
    int rc = verdict(r, r->diags, r->errors_before);
    diag_list_free(&scratch);
    return rc;
}

int
unpack_file(const char *path, const struct settings *s, unpack_cb cb, void *ctx,
            struct unpack_result *res, struct diag_list *diags, struct bz_error *e)
{
    struct unpack_run r;
    run_init(&r, path, s, cb, ctx, res, diags, e);
    r.fd = open_regular(&r, path);
    int rc = run_passes(&r, res, r.fd >= 0);
    if (r.fd >= 0)
        close(r.fd);
    return rc;
}

int
unpack_open(const char *path, const struct settings *s, int *fd, struct diag_list *diags,
            struct bz_error *e)
{
    struct unpack_run r;
    struct unpack_result res;
    run_init(&r, path, s, NULL, NULL, &res, diags, e);
    *fd = open_regular(&r, path);
    return *fd >= 0 ? 0 : verdict(&r, diags, r.errors_before);
}

int
unpack_fd(int fd, const char *name, const struct settings *s, const struct timespec *deadline,
          unpack_cb cb, void *ctx, struct unpack_result *res, struct diag_list *diags,
          struct bz_error *e)
{
    struct unpack_run r;
    struct stat st;
    int ready = 0;
    run_init(&r, name, s, cb, ctx, res, diags, e);
    if (deadline != NULL)
        r.deadline = *deadline;
    r.fd = fd;
    if (fstat(fd, &st) < 0)
        io_fail(&r, errno);
    else if (!S_ISREG(st.st_mode))
        unpack_reject(&r, "E_FILE_NOT_REGULAR", NULL, "不是普通文件（目录、管道、设备或链接）");
    else
        ready = rewind_file(&r) == 0;
    return run_passes(&r, res, ready);
}
