/*
 * sandbox.c — the parent's side of the readers: the pool, one file's job
 * and its retry, and decoding what a worker sends as the untrusted input
 * it is. Also the reading of one document, which a worker and the
 * in-process path share.
 */
#define _GNU_SOURCE
#include "sandbox_int.h"

#include "../transform/wire.h"
#include "../transform/workbook.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A worker past its deadline by this much (or a quarter of
 * parse_timeout_s, if more) is stuck where it cannot check the clock. */
#define GRACE_S 2

struct sandbox_job;

struct slot {
    pid_t pid;                /* 0: no worker in this slot */
    int sock;                 /* the parent's end of its socket */
    unsigned ctx_sent;        /* the context generation it has */
    struct sandbox_job *busy; /* the job it reads; NULL when idle */
};

/* One file handed to the readers, until it is collected. */
struct sandbox_job {
    int fd;                   /* the caller's; open until the job is collected */
    char *name;               /* owned */
    struct timespec deadline; /* of the current attempt */
    int attempt;              /* 1, then 2 after a lost reader */
    struct slot *w;           /* the reader that has it; NULL: not sent yet */
};

struct sandbox {
    const struct settings *s;
    int on;        /* workers read; 0: in-process */
    pid_t spawner; /* 0 when none */
    int ctl;       /* its control socket */
    struct slot slots[SANDBOX_WORKERS_MAX];
    size_t nslots;               /* the pool's size */
    struct dbuf frame;           /* one frame received */
    struct dbuf request;         /* the context, as sent */
    unsigned ctx_gen;            /* bumped by sandbox_context */
    struct sandbox_registry reg; /* for the in-process path */
    struct transform_ctx tctx;
};

/* A document received and decoded, waiting for its file's verdict. */
struct held {
    struct sandbox_doc doc;
    struct arena arena; /* member, attachments */
    struct submission sub;
    struct adx_doc adx;
    struct diag_list diags;
};

struct received {
    struct held **docs;
    size_t n, cap;
    size_t bytes; /* wire bytes of the documents */
};

/* ---- shared with the workers ---- */

void
sandbox_header(unsigned char out[SANDBOX_HEADER], uint32_t type, uint32_t len)
{
    for (int i = 0; i < 4; i++) {
        out[i] = (unsigned char)(type >> (8 * i));
        out[4 + i] = (unsigned char)(len >> (8 * i));
    }
}

int
sandbox_send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
sandbox_recv_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The settings unpack and transform read, in the order they travel. */
static const size_t reading_limits[] = {
    offsetof(struct settings, max_file_bytes),     offsetof(struct settings, max_entry_bytes),
    offsetof(struct settings, max_xml_bytes),      offsetof(struct settings, max_total_bytes),
    offsetof(struct settings, max_entries),        offsetof(struct settings, max_ratio),
    offsetof(struct settings, ratio_min_bytes),    offsetof(struct settings, max_nesting),
    offsetof(struct settings, max_name_bytes),     offsetof(struct settings, max_xml_depth),
    offsetof(struct settings, max_text_bytes),     offsetof(struct settings, max_elements),
    offsetof(struct settings, max_diagnostics),    offsetof(struct settings, parse_timeout_s),
    offsetof(struct settings, max_workbook_bytes), offsetof(struct settings, max_sheet_rows),
    offsetof(struct settings, max_sheet_cells),    offsetof(struct settings, max_shared_strings),
};
#define NLIMITS (sizeof(reading_limits) / sizeof(reading_limits[0]))

int
sandbox_put_limits(struct dbuf *b, const struct settings *s)
{
    int rc = wire_put_u32(b, (uint32_t)NLIMITS);
    for (size_t i = 0; rc == 0 && i < NLIMITS; i++) {
        long long v;
        memcpy(&v, (const char *)s + reading_limits[i], sizeof(v));
        rc = wire_put_i64(b, v);
    }
    return rc;
}

int
sandbox_get_limits(struct wire_in *in, struct settings *s)
{
    long long v[NLIMITS];
    if (wire_get_u32(in) != NLIMITS)
        in->bad = 1;
    for (size_t i = 0; i < NLIMITS; i++)
        if ((v[i] = wire_get_i64(in)) < 0)
            in->bad = 1;
    if (in->bad)
        return -1;
    for (size_t i = 0; i < NLIMITS; i++)
        memcpy((char *)s + reading_limits[i], &v[i], sizeof(v[i]));
    return 0;
}

size_t
sandbox_frame_limit(const struct settings *s)
{
    /* the submission of the largest document (transform_arena_limit of
     * max_xml_bytes bounds everything it holds), its diagnostics at 6 KB
     * each, its package's attachments, and the frame's own fields */
    long long doc =
        s->max_xml_bytes > s->max_workbook_bytes ? s->max_xml_bytes : s->max_workbook_bytes;
    long long n = 4 * doc + (64LL << 10) + s->max_diagnostics * 6144LL +
                  s->max_entries * (2 * s->max_name_bytes + 128) + (64LL << 10);
    return n > (1LL << 31) ? (size_t)1 << 31 : (size_t)n;
}

size_t
sandbox_reply_limit(const struct settings *s)
{
    /* every document of a file comes out of at most max_total_bytes */
    long long n = s->max_total_bytes + (long long)sandbox_frame_limit(s);
    return n > (1LL << 32) ? (size_t)1 << 32 : (size_t)n;
}

static int
registry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct sandbox_registry_row *)a)->code,
                  ((const struct sandbox_registry_row *)b)->code);
}

void
sandbox_registry_free(struct sandbox_registry *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->rows[i].name);
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

int
sandbox_registry_set(struct sandbox_registry *r, const struct sandbox_township *t, size_t n,
                     int none)
{
    sandbox_registry_free(r);
    r->none = none;
    if (n == 0)
        return 0;
    if ((r->rows = calloc(n, sizeof(*r->rows))) == NULL)
        return BZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (t[i].code == NULL || strlen(t[i].code) >= sizeof(r->rows[0].code))
            continue; /* never a valid code: it can match nothing anyway */
        if ((r->rows[r->n].name = strdup(t[i].name ? t[i].name : "")) == NULL) {
            sandbox_registry_free(r);
            return BZ_ENOMEM;
        }
        memcpy(r->rows[r->n].code, t[i].code, strlen(t[i].code) + 1);
        r->n++;
    }
    if (r->n > 1)
        qsort(r->rows, r->n, sizeof(*r->rows), registry_cmp);
    return 0;
}

int
sandbox_registry_lookup(const char *code, const char **name, void *arg)
{
    const struct sandbox_registry *r = arg;
    struct sandbox_registry_row key;
    if (r == NULL || code == NULL || strlen(code) >= sizeof(key.code) || r->n == 0)
        return 0;
    memcpy(key.code, code, strlen(code) + 1);
    const struct sandbox_registry_row *hit =
        bsearch(&key, r->rows, r->n, sizeof(*r->rows), registry_cmp);
    if (hit == NULL)
        return 0;
    if (name != NULL)
        *name = hit->name;
    return 1;
}

int
sandbox_read_doc(const struct unpack_doc *u, const struct settings *s,
                 const struct transform_ctx *tctx, struct sandbox_doc *doc, struct submission *sub,
                 struct adx_doc *adx, struct diag_list *diags, struct bz_error *e)
{
    memset(doc, 0, sizeof(*doc));
    memset(adx, 0, sizeof(*adx));
    submission_init(sub, transform_arena_limit(u->len));
    diag_list_init(diags, (size_t)s->max_diagnostics);
    doc->member = u->member;
    doc->index = u->index;
    doc->workbook = u->workbook;
    doc->attachments = u->attachments;
    doc->nattachments = u->nattachments;
    doc->sub = sub;
    doc->adx = adx;
    doc->diags = diags;
    memcpy(doc->sha256, u->sha256, sizeof(doc->sha256));
    if (!u->workbook && adx_detect(u->data, u->len)) {
        doc->rollup = 1;
        return adx_parse(u->data, u->len, adx, diags, e);
    }
    if (u->workbook)
        return workbook_transform(u->data, u->len, s, tctx, sub, diags, doc->sha256, e);
    return transform_document(u->data, u->len, s, tctx, sub, diags, e);
}

void
sandbox_doc_clear(struct submission *sub, struct adx_doc *adx, struct diag_list *diags)
{
    submission_free(sub);
    adx_doc_free(adx);
    diag_list_free(diags);
}

/* ---- the pool ---- */

const char *
sandbox_describe(void)
{
#if SANDBOX_BUILT
    return "读取沙箱：开启（收件文件在独立的读取进程中解包和解析：seccomp 过滤，"
           "无数据库连接，无可写目录；本进程只解码其结果）";
#elif defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
    return "读取沙箱：关闭（本程序以 SANDBOX=0 构建，收件文件在本进程中解析，仅供调试）";
#else
    return "读取沙箱：关闭（本平台没有 seccomp 过滤，收件文件在本进程中解析）";
#endif
}

static size_t
pool_size(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= SANDBOX_WORKERS_MAX ? SANDBOX_WORKERS_MAX : 1;
}

/* Ends the worker in the slot (killed when `kill_it`) and returns how it
 * ended (a wait status, -1 when unknown). */
static int
slot_end(struct sandbox *sb, struct slot *w, int kill_it)
{
    int status = -1;
    if (w->pid <= 0)
        return -1;
    /* A reader has nothing to flush, so it is killed, not waited for: one
     * that ignored its closed socket (subverted, asleep) would hold the
     * night. Under valgrind an idle one ends by itself, for its leak report. */
    if (kill_it || !sandbox_under_valgrind())
        kill(w->pid, SIGKILL);
    close(w->sock);
    status = sandbox_reap(sb->ctl, w->pid);
    if (w->busy != NULL)
        w->busy->w = NULL;
    w->pid = 0;
    w->sock = -1;
    w->ctx_sent = 0;
    w->busy = NULL;
    return status;
}

/* Reads exactly len bytes before `until` (CLOCK_MONOTONIC). Returns 0,
 * -1 at the end or an error, -2 past the time. */
static int
recv_until(int fd, void *buf, size_t len, const struct timespec *until)
{
    char *p = buf;
    while (len > 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ms = (long long)(until->tv_sec - now.tv_sec) * 1000 +
                       (until->tv_nsec - now.tv_nsec) / 1000000;
        /* past the time, what was sent in time is still read: a second
         * file's answer may wait while the first one's is loaded */
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, ms <= 0 ? 0 : ms > 60000 ? 60000 : (int)ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return -1;
        if (pr == 0 && ms <= 0)
            return -2;
        if (pr == 0)
            continue;
        ssize_t n = read(fd, p, len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Starts a worker in the slot and waits for its hello. */
static int
slot_start(struct sandbox *sb, struct slot *w, struct bz_error *e)
{
    unsigned char hello[SANDBOX_HEADER + 5];
    struct timespec until;
    pid_t pid = sandbox_spawn(sb->ctl, &w->sock);
    if (pid < 0) {
        bz_error_set(e, E_INTERNAL, "无法启动读取进程");
        return bz_error_detail(e, "fork: %s", strerror(errno));
    }
    w->pid = pid;
    w->ctx_sent = 0;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 30;
    if (recv_until(w->sock, hello, sizeof(hello), &until) < 0 || le32(hello) != SB_HELLO ||
        le32(hello + 4) != 5) {
        slot_end(sb, w, 1);
        return bz_error_set(e, E_INTERNAL, "读取进程启动失败");
    }
    uint32_t err = le32(hello + SANDBOX_HEADER);
    if (err == ENOMEM) {
        slot_end(sb, w, 1);
        return bz_error_set(e, E_NOMEM, "内存不足，无法启动读取进程");
    }
    if (err != 0) {
        slot_end(sb, w, 1);
        bz_error_set(e, E_INTERNAL, "无法为读取进程建立沙箱");
        return bz_error_detail(e, "seccomp: %s", strerror((int)err));
    }
    return 0;
}

int
sandbox_start(const struct settings *s, struct sandbox **out, struct bz_error *e)
{
    struct sandbox *sb = calloc(1, sizeof(*sb));
    *out = NULL;
    if (sb == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法启动读取进程");
    sb->s = s;
    sb->ctl = -1;
    sb->reg.none = 1;
    sb->ctx_gen = 1;
    dbuf_init(&sb->frame, sandbox_frame_limit(s));
    dbuf_init(&sb->request, SANDBOX_REQUEST_MAX);
    for (size_t i = 0; i < SANDBOX_WORKERS_MAX; i++)
        sb->slots[i].sock = -1;
    *out = sb;
    if (!SANDBOX_BUILT)
        return 0;
    sb->on = 1;
    sb->nslots = pool_size();
    /* the schemas compiled once, before any fork: every worker shares them */
    int rc = transform_init(e);
    if (rc < 0)
        return rc;
    sb->spawner = sandbox_spawner_start(s, &sb->ctl);
    if (sb->spawner < 0) {
        sb->spawner = 0;
        bz_error_set(e, E_INTERNAL, "无法启动读取进程");
        return bz_error_detail(e, "fork: %s", strerror(errno));
    }
    /* one worker now: a kernel that refuses the filter is known at once */
    return slot_start(sb, &sb->slots[0], e);
}

void
sandbox_stop(struct sandbox *sb)
{
    if (sb == NULL)
        return;
    /* an idle reader ends when its socket closes; a busy one (its job
     * dropped) is killed rather than waited for */
    for (size_t i = 0; i < SANDBOX_WORKERS_MAX; i++)
        slot_end(sb, &sb->slots[i], sb->slots[i].busy != NULL);
    if (sb->ctl >= 0)
        close(sb->ctl);
    if (sb->spawner > 0) {
        int st;
        while (waitpid(sb->spawner, &st, 0) < 0 && errno == EINTR)
            ;
    }
    dbuf_free(&sb->frame);
    dbuf_free(&sb->request);
    sandbox_registry_free(&sb->reg);
    free(sb);
}

int
sandbox_context(struct sandbox *sb, int today, const struct sandbox_township *t, size_t n,
                int no_registry, struct bz_error *e)
{
    int rc = sandbox_registry_set(&sb->reg, t, n, no_registry);
    /* what the workers may answer follows the limits they now read with */
    sb->frame.limit = sandbox_frame_limit(sb->s);
    sb->tctx.today = today;
    sb->tctx.township_known = no_registry ? NULL : sandbox_registry_lookup;
    sb->tctx.arg = &sb->reg;
    if (rc == 0 && sb->on) {
        unsigned char h[SANDBOX_HEADER] = {0};
        dbuf_reset(&sb->request);
        rc = dbuf_add(&sb->request, h, sizeof(h));
        rc = rc ? rc : wire_put_i64(&sb->request, today);
        rc = rc ? rc : sandbox_put_limits(&sb->request, sb->s);
        rc = rc ? rc : wire_put_u8(&sb->request, no_registry != 0);
        rc = rc ? rc : wire_put_u32(&sb->request, (uint32_t)sb->reg.n);
        for (size_t i = 0; rc == 0 && i < sb->reg.n; i++) {
            rc = wire_put_str(&sb->request, sb->reg.rows[i].code);
            rc = rc ? rc : wire_put_str(&sb->request, sb->reg.rows[i].name);
        }
        if (rc == 0)
            sandbox_header((unsigned char *)sb->request.data, SB_CONTEXT,
                           (uint32_t)(sb->request.len - SANDBOX_HEADER));
        sb->ctx_gen++;
    }
    if (rc < 0)
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取乡镇名录");
    return 0;
}

/* ---- in-process ---- */

struct inproc {
    struct sandbox *sb;
    sandbox_cb cb;
    void *ctx;
    struct bz_error *e;
};

static int
inproc_document(const struct unpack_doc *u, void *arg)
{
    struct inproc *ip = arg;
    struct sandbox_doc doc;
    struct submission sub;
    struct adx_doc adx;
    struct diag_list diags;
    int rc = sandbox_read_doc(u, ip->sb->s, &ip->sb->tctx, &doc, &sub, &adx, &diags, ip->e);
    if (rc == 0)
        rc = ip->cb(&doc, ip->ctx);
    sandbox_doc_clear(&sub, &adx, &diags);
    return rc;
}

/* ---- one job in a worker ---- */

static void
held_free(struct held *h)
{
    if (h == NULL)
        return;
    sandbox_doc_clear(&h->sub, &h->adx, &h->diags);
    arena_free(&h->arena);
    free(h);
}

static void
received_free(struct received *r)
{
    for (size_t i = 0; i < r->n; i++)
        held_free(r->docs[i]);
    free(r->docs);
    memset(r, 0, sizeof(*r));
}

/* An SB_DOC payload into a held document. Returns 0, BZ_EINPUT
 * (malformed) or BZ_ENOMEM. */
static int
decode_doc(const struct settings *s, const unsigned char *p, size_t len, struct held **out)
{
    struct wire_in in;
    int oom = 0;
    struct held *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return BZ_ENOMEM;
    *out = h;
    wire_in_init(&in, p, len);
    arena_init(&h->arena, wire_arena_limit(len));
    submission_init(&h->sub, wire_arena_limit(len));
    diag_list_init(&h->diags, (size_t)s->max_diagnostics);
    h->doc.sub = &h->sub;
    h->doc.adx = &h->adx;
    h->doc.diags = &h->diags;
    h->doc.member = wire_get_str(&in, &h->arena, 2 * (size_t)s->max_name_bytes + 1, 0, &oom);
    int64_t index = wire_get_i64(&in);
    unsigned workbook = wire_get_u8(&in);
    wire_get_strbuf(&in, h->doc.sha256, sizeof(h->doc.sha256));
    if (in.bad || oom)
        return oom ? BZ_ENOMEM : BZ_EINPUT;
    if (index < 0 || index > s->max_entries || workbook > 1 || strlen(h->doc.sha256) != 64)
        return BZ_EINPUT;
    h->doc.index = (size_t)index;
    h->doc.workbook = (int)workbook;
    struct subm_attachment *atts;
    int rc =
        wire_get_attachments(&in, &h->arena, (size_t)s->max_entries, &atts, &h->doc.nattachments);
    h->doc.attachments = atts;
    unsigned rollup = rc == 0 ? wire_get_u8(&in) : 0;
    if (rc == 0 && rollup > 1)
        rc = BZ_EINPUT;
    h->doc.rollup = (int)rollup;
    if (rc == 0)
        rc = wire_get_diags(&in, &h->diags);
    int loadable = rc == 0 && !diag_has_errors(&h->diags);
    if (rc == 0)
        rc = rollup ? wire_get_adx(&in, &h->adx, loadable)
                    : wire_get_submission(&in, &h->sub, loadable);
    if (rc == 0 && in.left != 0)
        rc = BZ_EINPUT; /* bytes the writer never writes */
    return rc;
}

/* The code named by `name`, whose class must be `status`; -1 if none. */
static int
code_of(const char *name, int status)
{
    for (int c = 0; c < BZ_NCODES; c++)
        if (strcmp(codes_name((enum bz_code)c), name) == 0)
            return (int)codes_status((enum bz_code)c) == status ? c : -1;
    return -1;
}

/* An SB_END payload: the verdict, as unpack_fd would have returned it.
 * Returns the verdict's status, or 1 when the payload is malformed. */
static int
decode_end(const unsigned char *p, size_t len, const char *name, const struct received *got,
           struct sandbox_result *res, struct diag_list *diags, struct bz_error *e, int64_t *cpu_ms)
{
    struct wire_in in;
    char code[32], message[sizeof(e->message)], detail[sizeof(e->detail)], sha[65];
    wire_in_init(&in, p, len);
    int64_t status = wire_get_i64(&in);
    wire_get_strbuf(&in, code, sizeof(code));
    wire_get_strbuf(&in, message, sizeof(message));
    wire_get_strbuf(&in, detail, sizeof(detail));
    unsigned kind = wire_get_u8(&in);
    int64_t ndocs = wire_get_i64(&in), size = wire_get_i64(&in);
    wire_get_strbuf(&in, sha, sizeof(sha));
    struct diag_list file_diags;
    diag_list_init(&file_diags, diags->limit);
    int rc = in.bad ? BZ_EINPUT : wire_get_diags(&in, &file_diags);
    *cpu_ms = wire_get_i64(&in);
    if (rc == BZ_ENOMEM) {
        diag_list_free(&file_diags);
        return BZ_ENOMEM;
    }
    int known = status == 0 || status == BZ_EINPUT || status == BZ_ETIMEOUT ||
                status == BZ_ENOMEM || status == BZ_EIO || status == BZ_EFAIL;
    int c = status < 0 && status != BZ_EINPUT ? code_of(code, (int)status) : 0;
    if (rc < 0 || in.bad || in.left != 0 || !known || c < 0 || kind > UNPACK_WORKBOOK ||
        ndocs < 0 || size < 0 || (sha[0] != '\0' && strlen(sha) != 64) ||
        (status == 0 && ((size_t)ndocs != got->n || diag_has_errors(&file_diags))) ||
        (status == BZ_EINPUT && (!diag_has_errors(&file_diags) || got->n != 0))) {
        diag_list_free(&file_diags);
        return 1;
    }
    res->unpack.kind = (enum unpack_kind)kind;
    res->unpack.ndocs = (size_t)ndocs;
    res->unpack.file_size = size;
    memcpy(res->unpack.file_sha256, sha, sizeof(sha));
    if (diag_list_append(diags, &file_diags) < 0)
        return BZ_ENOMEM;
    if (status < 0 && status != BZ_EINPUT) {
        bz_error_set(e, (enum bz_code)c, "%s", message);
        if (detail[0] != '\0')
            bz_error_detail(e, "%s", detail);
        bz_error_at(e, name, 0);
        res->reader_nomem = status == BZ_ENOMEM;
    }
    return (int)status;
}

static int
send_request(int sock, const void *data, size_t len, int fd)
{
    if (fd < 0)
        return sandbox_send_all(sock, data, len);
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {(void *)data, len};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    memset(cbuf, 0, sizeof(cbuf));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    return (size_t)n < len ? sandbox_send_all(sock, (const char *)data + n, len - (size_t)n) : 0;
}

/* Sends the context if the worker lacks it, then the job. */
static int
send_job(struct sandbox *sb, struct slot *w, int fd, const char *name,
         const struct timespec *deadline, int attempt)
{
    struct dbuf job;
    unsigned char h[SANDBOX_HEADER] = {0};
    if (w->ctx_sent != sb->ctx_gen && sb->request.len > 0) {
        if (sandbox_send_all(w->sock, sb->request.data, sb->request.len) < 0)
            return -1;
        w->ctx_sent = sb->ctx_gen;
    }
    dbuf_init(&job, SANDBOX_REQUEST_MAX);
    int rc = dbuf_add(&job, h, sizeof(h));
    rc = rc ? rc : wire_put_u8(&job, (unsigned)attempt);
    rc = rc ? rc : wire_put_i64(&job, (int64_t)deadline->tv_sec);
    rc = rc ? rc : wire_put_i64(&job, (int64_t)deadline->tv_nsec);
    rc = rc ? rc : wire_put_str(&job, name);
    if (rc == 0) {
        sandbox_header((unsigned char *)job.data, SB_JOB, (uint32_t)(job.len - SANDBOX_HEADER));
        rc = send_request(w->sock, job.data, job.len, fd);
    }
    dbuf_free(&job);
    return rc < 0 ? -1 : 0;
}

enum collected { COLLECT_END, COLLECT_LOST };

/* Waits for the worker's frames up to its verdict. Returns COLLECT_END
 * with *status (the verdict, or BZ_ENOMEM when this process ran out),
 * or COLLECT_LOST with `why` saying what went wrong. */
static enum collected
collect(struct sandbox *sb, struct slot *w, const char *name, const struct timespec *deadline,
        struct received *got, struct sandbox_result *res, struct diag_list *diags,
        struct bz_error *e, int *status, const char **why)
{
    const struct settings *s = sb->s;
    struct timespec until = *deadline, now;
    long long grace = s->parse_timeout_s / 4 > GRACE_S ? s->parse_timeout_s / 4 : GRACE_S;
    until.tv_sec += (time_t)grace;
    /* a job handed out while the file before it was loaded may have
     * finished long ago and be waiting to finish sending: it gets the
     * grace from now (its own deadline it checks itself) */
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec + grace > until.tv_sec) {
        until = now;
        until.tv_sec += (time_t)grace;
    }
    for (;;) {
        unsigned char h[SANDBOX_HEADER];
        int r = recv_until(w->sock, h, sizeof(h), &until);
        if (r < 0) {
            *why = r == -2 ? "超时未完成" : NULL;
            return COLLECT_LOST;
        }
        uint32_t type = le32(h), len = le32(h + 4);
        *why = "返回了无法识别的结果";
        if (len > sb->frame.limit || (type == SB_DOC && got->bytes + len > sandbox_reply_limit(s)))
            return COLLECT_LOST;
        dbuf_reset(&sb->frame);
        {
            while (sb->frame.len < len) {
                unsigned char chunk[65536];
                size_t want =
                    len - sb->frame.len < sizeof(chunk) ? len - sb->frame.len : sizeof(chunk);
                r = recv_until(w->sock, chunk, want, &until);
                if (r < 0) {
                    *why = r == -2 ? "超时未完成" : NULL;
                    return COLLECT_LOST;
                }
                if (dbuf_add(&sb->frame, chunk, want) < 0) {
                    *status = bz_error_set(e, E_NOMEM, "内存不足，无法接收读取结果（%s）", name);
                    slot_end(sb, w, 1); /* its unread frames are no next file's */
                    return COLLECT_END;
                }
            }
        }
        const unsigned char *p = (const unsigned char *)sb->frame.data;
        if (type == SB_DOC) {
            struct held *hd = NULL;
            if (got->n == got->cap) {
                size_t cap = got->cap ? 2 * got->cap : 8;
                struct held **docs = realloc(got->docs, cap * sizeof(*docs));
                if (docs == NULL) {
                    *status = bz_error_set(e, E_NOMEM, "内存不足，无法接收读取结果（%s）", name);
                    slot_end(sb, w, 1); /* its unread frames are no next file's */
                    return COLLECT_END;
                }
                got->docs = docs;
                got->cap = cap;
            }
            int rc = decode_doc(s, p, len, &hd);
            if (rc == BZ_ENOMEM) {
                held_free(hd);
                *status = bz_error_set(e, E_NOMEM, "内存不足，无法接收读取结果（%s）", name);
                slot_end(sb, w, 1); /* its unread frames are no next file's */
                return COLLECT_END;
            }
            if (rc < 0 || hd->doc.index != got->n) {
                held_free(hd);
                return COLLECT_LOST;
            }
            got->docs[got->n++] = hd;
            got->bytes += len;
        } else if (type == SB_END) {
            int64_t cpu_ms = 0;
            int st = decode_end(p, len, name, got, res, diags, e, &cpu_ms);
            if (st == BZ_ENOMEM && !res->reader_nomem) {
                *status = bz_error_set(e, E_NOMEM, "内存不足，无法接收读取结果（%s）", name);
                slot_end(sb, w, 1); /* its unread frames are no next file's */
                return COLLECT_END;
            }
            if (st > 0)
                return COLLECT_LOST;
            *status = st;
            /* a worker that used half its CPU budget makes way for a fresh
             * one, so the next file has all of parse_timeout_s */
            if (cpu_ms > s->parse_timeout_s * 1000)
                slot_end(sb, w, 0);
            return COLLECT_END;
        } else if (type == SB_NOMEM && len == 0) {
            bz_error_set(e, E_NOMEM, "读取进程内存不足（%s）", name);
            bz_error_detail(e, "libxml2");
            res->reader_nomem = 1;
            *status = BZ_ENOMEM;
            slot_end(sb, w, 1);
            return COLLECT_END;
        } else {
            return COLLECT_LOST;
        }
    }
}

/* How a lost worker ended, for the receipt (after it was reaped): what the
 * parent saw (`why`, NULL when it just ended), then how it ended. */
static void
describe_end(int wstatus, const char *why, char *buf, size_t cap)
{
    char how[96] = "";
    if (wstatus != -1 && WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        snprintf(how, sizeof(how), "被信号 %d（%s）终止", sig,
                 sig == SIGSYS    ? "越权的系统调用"
                 : sig == SIGSEGV ? "非法内存访问"
                 : sig == SIGKILL ? "强制终止"
                 : sig == SIGXCPU ? "超过 CPU 时间上限"
                                  : "其他");
    } else if (wstatus != -1 && WIFEXITED(wstatus)) {
        snprintf(how, sizeof(how), "自行退出，退出码 %d", WEXITSTATUS(wstatus));
    }
    if (why == NULL)
        snprintf(buf, cap, "%s", how[0] ? how : "异常终止");
    else
        snprintf(buf, cap, "%s%s%s", why, how[0] ? "，" : "", how);
}

/* A reader for the next job: an idle one, else a new one in a free slot
 * (a reader that could not start, for lack of memory at that moment,
 * gets a second go). NULL with e clear when every slot is busy; NULL with
 * e set when none could be started. */
static struct slot *
idle_slot(struct sandbox *sb, struct bz_error *e)
{
    for (size_t i = 0; i < sb->nslots; i++)
        if (sb->slots[i].pid > 0 && sb->slots[i].busy == NULL)
            return &sb->slots[i];
    for (size_t i = 0; i < sb->nslots; i++) {
        struct slot *w = &sb->slots[i];
        if (w->pid > 0)
            continue;
        if (slot_start(sb, w, e) < 0 && slot_start(sb, w, e) < 0)
            return NULL;
        bz_error_clear(e);
        return w;
    }
    return NULL;
}

/* Gives the job to an idle reader, if there is one. Returns 0 (sent, or
 * left for later), or the failure to start a reader. */
static int
dispatch(struct sandbox *sb, struct sandbox_job *job, struct bz_error *e)
{
    struct slot *w = idle_slot(sb, e);
    if (w == NULL)
        return e->status;
    w->busy = job;
    job->w = w;
    /* a reader that cannot take it is lost like one that died reading:
     * its collection meets the end of its socket */
    if (send_job(sb, w, job->fd, job->name, &job->deadline, job->attempt) < 0)
        kill(w->pid, SIGKILL);
    return 0;
}

static int
deliver(struct received *got, sandbox_cb cb, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < got->n; i++)
        rc = cb(&got->docs[i]->doc, ctx);
    return rc;
}

static void
job_free(struct sandbox_job *job)
{
    if (job == NULL)
        return;
    free(job->name);
    free(job);
}

int
sandbox_submit(struct sandbox *sb, int fd, const char *name, const struct timespec *deadline,
               struct sandbox_job **out, struct bz_error *e)
{
    struct sandbox_job *job = calloc(1, sizeof(*job));
    *out = NULL;
    if (job == NULL || (job->name = strdup(name)) == NULL) {
        free(job);
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取“%s”", name);
    }
    job->fd = fd;
    job->attempt = 1;
    if (deadline != NULL) {
        job->deadline = *deadline;
    } else {
        clock_gettime(CLOCK_MONOTONIC, &job->deadline);
        job->deadline.tv_sec += (time_t)sb->s->parse_timeout_s;
    }
    *out = job;
    /* every reader busy: it is sent when the job before it is collected */
    if (sb->on && dispatch(sb, job, e) < 0 && e->status != 0) {
        *out = NULL;
        job_free(job);
        return e->status;
    }
    return 0;
}

void
sandbox_cancel(struct sandbox *sb, struct sandbox_job *job)
{
    if (job != NULL && job->w != NULL)
        slot_end(sb, job->w, 1); /* it was reading what nobody will collect */
    job_free(job);
}

/* The job's answer from its reader, read again once by a fresh reader
 * when the first is lost. */
static int
collect_job(struct sandbox *sb, struct sandbox_job *job, sandbox_cb cb, void *ctx,
            struct sandbox_result *res, struct diag_list *diags, struct bz_error *e)
{
    char lost[2][160];
    for (;;) {
        struct received got = {0};
        const char *why = NULL;
        int status = 0;
        if (job->w == NULL && dispatch(sb, job, e) < 0)
            return e->status;
        if (job->w == NULL) /* every reader busy: the caller broke the order */
            return bz_error_set(e, E_INTERNAL, "读取进程都在忙（%s）", job->name);
        struct slot *w = job->w;
        enum collected c =
            collect(sb, w, job->name, &job->deadline, &got, res, diags, e, &status, &why);
        if (c == COLLECT_END) {
            if (w->busy == job)
                w->busy = NULL;
            job->w = NULL;
            if (status == 0)
                status = deliver(&got, cb, ctx);
            received_free(&got);
            return status;
        }
        received_free(&got);
        describe_end(slot_end(sb, w, 1), why, lost[job->attempt - 1], sizeof(lost[0]));
        res->lost++;
        if (job->attempt == 2) {
            diag_add(diags, "E_READER_CRASH", 0, NULL,
                     "文件两次使读取程序异常终止（第一次：%s；第二次：%s），"
                     "可能已损坏或被恶意构造；请检查后重新报送",
                     lost[0], lost[1]);
            return BZ_EINPUT;
        }
        /* the second reading gets the whole time again */
        job->attempt = 2;
        clock_gettime(CLOCK_MONOTONIC, &job->deadline);
        job->deadline.tv_sec += (time_t)sb->s->parse_timeout_s;
    }
}

int
sandbox_collect(struct sandbox *sb, struct sandbox_job *job, sandbox_cb cb, void *ctx,
                struct sandbox_result *res, struct diag_list *diags, struct bz_error *e)
{
    int rc;
    memset(res, 0, sizeof(*res));
    bz_error_clear(e);
    if (!sb->on) {
        struct inproc ip = {sb, cb, ctx, e};
        rc = unpack_fd(job->fd, job->name, sb->s, &job->deadline, inproc_document, &ip,
                       &res->unpack, diags, e);
    } else {
        rc = collect_job(sb, job, cb, ctx, res, diags, e);
    }
    job_free(job);
    return rc;
}

int
sandbox_read(struct sandbox *sb, int fd, const char *name, const struct timespec *deadline,
             sandbox_cb cb, void *ctx, struct sandbox_result *res, struct diag_list *diags,
             struct bz_error *e)
{
    struct sandbox_job *job;
    memset(res, 0, sizeof(*res));
    int rc = sandbox_submit(sb, fd, name, deadline, &job, e);
    return rc < 0 ? rc : sandbox_collect(sb, job, cb, ctx, res, diags, e);
}
