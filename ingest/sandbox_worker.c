/*
 * sandbox_worker.c — the spawner and the workers.
 *
 * The spawner is forked by sandbox_start before the run connects to the
 * database; it holds nothing but its control socket (the password of the
 * `db` setting and the environment's values wiped), and forks a worker
 * whenever the parent asks, also long after the parent connected: a
 * worker is never a copy of a process that held a connection. It waits
 * for the workers that end, so the parent can learn how one died.
 *
 * A worker makes itself powerless (sandbox_filter.c), says hello, then
 * reads files one at a time until its socket closes.
 */
#define _GNU_SOURCE
#include "sandbox_int.h"

#include "../transform/wire.h"

#if SANDBOX_BUILT

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What the spawner and the parent say to each other (SOCK_SEQPACKET: one
 * message each; the same binary on both ends). */
struct spawn_msg {
    int op; /* 'S' spawn, 'R' reap */
    int pid;
};
struct spawn_reply {
    int pid;    /* the worker, or -1 */
    int err;    /* errno when pid is -1 */
    int status; /* 'R': the wait status, -1 when unknown */
};

/* ---- test hooks (only in a build with BIZENV_TEST_HOOKS) ---- */

#ifdef BIZENV_TEST_HOOKS
/*
 * BIZENV_TEST_READER=what:pattern[,what:pattern...] makes a worker fail on
 * purpose when the name of the file it is given (its last component)
 * matches the fnmatch pattern: `null` dereferences NULL, `exit` calls
 * exit(1), `open` opens /etc/passwd, `hang` loops forever, `garbage`
 * answers a malformed frame, `nomem` answers as if libxml2 ran out of
 * memory. `what1` (null1, ...) does it only on a file's first attempt.
 */
enum hook_what { HOOK_NULL, HOOK_EXIT, HOOK_OPEN, HOOK_HANG, HOOK_GARBAGE, HOOK_NOMEM };

static const char *const hook_names[] = {"null", "exit", "open", "hang", "garbage", "nomem"};

static struct hook_rule {
    enum hook_what what;
    int first_only;
    char pattern[128];
} hooks[8];
static size_t nhooks;

static void
hooks_read(void)
{
    const char *v = getenv("BIZENV_TEST_READER");
    while (v != NULL && *v != '\0' && nhooks < sizeof(hooks) / sizeof(hooks[0])) {
        const char *colon = strchr(v, ':'), *end = strchr(v, ',');
        if (end == NULL)
            end = v + strlen(v);
        if (colon == NULL || colon > end)
            break;
        struct hook_rule *h = &hooks[nhooks];
        size_t wn = (size_t)(colon - v), pn = (size_t)(end - colon - 1);
        h->first_only = wn > 1 && v[wn - 1] == '1';
        for (size_t k = 0; k < sizeof(hook_names) / sizeof(hook_names[0]); k++)
            if (strlen(hook_names[k]) == wn - (size_t)h->first_only &&
                strncmp(v, hook_names[k], wn - (size_t)h->first_only) == 0 &&
                pn < sizeof(h->pattern)) {
                h->what = (enum hook_what)k;
                memcpy(h->pattern, colon + 1, pn);
                h->pattern[pn] = '\0';
                nhooks++;
            }
        v = *end ? end + 1 : end;
    }
}

static void
hooks_fire(const char *name, int attempt)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (size_t i = 0; i < nhooks; i++) {
        const struct hook_rule *h = &hooks[i];
        if (fnmatch(h->pattern, base, 0) != 0 || (h->first_only && attempt > 1))
            continue;
        switch (h->what) {
        case HOOK_NULL: {
            volatile int *volatile p = NULL;
            *p = 1;
            break;
        }
        case HOOK_EXIT:
            exit(1);
        case HOOK_OPEN: {
            /* the filter kills the process here; unfiltered (valgrind)
             * the file is merely opened and closed. The ASan build's filter
             * answers open with EPERM (its report reads /proc): then the
             * same through openat2, which every filter kills */
            int fd = open("/etc/passwd", O_RDONLY);
#ifdef SYS_openat2
            if (fd < 0 && errno == EPERM) {
                struct {
                    uint64_t flags, mode, resolve;
                } how = {O_RDONLY, 0, 0};
                fd = (int)syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, sizeof(how));
            }
#endif
            if (fd >= 0)
                close(fd);
            break;
        }
        case HOOK_HANG:
            for (;;) {
                volatile unsigned spin = 0;
                while (spin < 1000000u)
                    spin++;
            }
        case HOOK_GARBAGE: {
            unsigned char frame[SANDBOX_HEADER + 4] = {0};
            sandbox_header(frame, SB_DOC, 4);
            memset(frame + SANDBOX_HEADER, 0xFF, 4);
            if (sandbox_send_all(SANDBOX_FD_SOCK, frame, sizeof(frame)) < 0)
                _exit(0);
            break;
        }
        case HOOK_NOMEM: {
            unsigned char frame[SANDBOX_HEADER];
            sandbox_header(frame, SB_NOMEM, 0);
            (void)sandbox_send_all(SANDBOX_FD_SOCK, frame, sizeof(frame));
            _exit(0);
        }
        }
    }
}
#else
static void
hooks_read(void)
{
}

static void
hooks_fire(const char *name, int attempt)
{
    (void)name;
    (void)attempt;
}
#endif

/* ---- the worker ---- */

struct worker {
    const struct settings *s; /* &set */
    struct settings set;      /* the spawner's, with the limits of the last context */
    struct sandbox_registry reg;
    struct transform_ctx tctx;
    struct dbuf out;     /* the frame being built */
    struct bz_error err; /* of the current document */
    char name[4096];     /* the current file's name */
};

/* libxml2 could not get memory (transform_set_oom_hook): the parent is
 * told, and the worker ends without unwinding through libxml2. */
static void
worker_oom(void)
{
    unsigned char frame[SANDBOX_HEADER];
    sandbox_header(frame, SB_NOMEM, 0);
    (void)sandbox_send_all(SANDBOX_FD_SOCK, frame, sizeof(frame));
    _exit(0);
}

/* A library that calls exit() in a worker (libarchive does when some of
 * its allocations fail) would run the parent's atexit handlers and
 * library destructors there: a worker's copy of the parent's state must
 * not act (one closes a descriptor number that is now the socket, others
 * make calls the filter kills). Registered last, this runs first and ends
 * the worker at once; the parent sees it exit and reads the file again. */
static void
exit_at_once(void)
{
    _exit(1);
}

/* Starts a frame in w->out; its length is filled by send_frame. */
static int
begin_frame(struct worker *w, uint32_t type)
{
    unsigned char h[SANDBOX_HEADER];
    dbuf_reset(&w->out);
    sandbox_header(h, type, 0);
    return dbuf_add(&w->out, h, sizeof(h));
}

/* Sends the frame; a parent that is gone ends the worker. */
static void
send_frame(struct worker *w)
{
    unsigned char *h = (unsigned char *)w->out.data;
    uint32_t type =
        (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    sandbox_header(h, type, (uint32_t)(w->out.len - SANDBOX_HEADER));
    if (sandbox_send_all(SANDBOX_FD_SOCK, w->out.data, w->out.len) < 0)
        _exit(0);
}

static int
put_doc(struct dbuf *b, const struct sandbox_doc *d)
{
    int rc = wire_put_str(b, d->member);
    rc = rc ? rc : wire_put_i64(b, (int64_t)d->index);
    rc = rc ? rc : wire_put_u8(b, d->workbook != 0);
    rc = rc ? rc : wire_put_str(b, d->sha256);
    rc = rc ? rc : wire_put_attachments(b, d->attachments, d->nattachments);
    rc = rc ? rc : wire_put_u8(b, d->rollup != 0);
    rc = rc ? rc : wire_put_diags(b, d->diags);
    if (rc == 0)
        rc = d->rollup ? wire_put_adx(b, d->adx) : wire_put_submission(b, d->sub);
    return rc;
}

/* unpack's callback in a worker: the document read, and sent. */
static int
on_document(const struct unpack_doc *u, void *arg)
{
    struct worker *w = arg;
    struct sandbox_doc doc;
    struct submission sub;
    struct adx_doc adx;
    struct diag_list diags;
    int rc = sandbox_read_doc(u, w->s, &w->tctx, &doc, &sub, &adx, &diags, &w->err);
    if (rc == 0)
        rc = begin_frame(w, SB_DOC);
    if (rc == 0)
        rc = put_doc(&w->out, &doc);
    if (rc == BZ_ENOMEM)
        rc = bz_error_set(&w->err, E_NOMEM, "读取进程内存不足（%s）", w->name);
    else if (rc == BZ_ELIMIT)
        rc = bz_error_set(&w->err, E_INTERNAL, "读取结果超过上限（%s）", w->name);
    if (rc == 0)
        send_frame(w);
    sandbox_doc_clear(&sub, &adx, &diags);
    return rc;
}

static int
put_end(struct dbuf *b, int status, const struct bz_error *e, const struct unpack_result *ur,
        const struct diag_list *diags)
{
    struct rusage ru;
    int64_t cpu_ms = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu_ms = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    int rc = wire_put_i64(b, status);
    rc = rc ? rc : wire_put_str(b, e->code);
    rc = rc ? rc : wire_put_str(b, e->message);
    rc = rc ? rc : wire_put_str(b, e->detail);
    rc = rc ? rc : wire_put_u8(b, (unsigned)ur->kind);
    rc = rc ? rc : wire_put_i64(b, (int64_t)ur->ndocs);
    rc = rc ? rc : wire_put_i64(b, ur->file_size);
    rc = rc ? rc : wire_put_str(b, ur->file_sha256);
    rc = rc ? rc : wire_put_diags(b, diags);
    return rc ? rc : wire_put_i64(b, cpu_ms);
}

/* One job: the file on SANDBOX_FD_FILE read, its documents and verdict
 * sent. */
static void
run_job(struct worker *w, const unsigned char *p, size_t len)
{
    struct wire_in in;
    struct unpack_result ur;
    struct diag_list diags;
    wire_in_init(&in, p, len);
    int attempt = (int)wire_get_u8(&in);
    struct timespec deadline;
    deadline.tv_sec = (time_t)wire_get_i64(&in);
    deadline.tv_nsec = (long)wire_get_i64(&in);
    wire_get_strbuf(&in, w->name, sizeof(w->name));
    bz_error_clear(&w->err);
    memset(&ur, 0, sizeof(ur));
    diag_list_init(&diags, (size_t)w->s->max_diagnostics);
    int rc;
    if (in.bad) {
        rc = bz_error_set(&w->err, E_INTERNAL, "读取进程收到的任务无法识别");
    } else {
        hooks_fire(w->name, attempt);
        rc = unpack_fd(SANDBOX_FD_FILE, w->name, w->s, &deadline, on_document, w, &ur, &diags,
                       &w->err);
    }
    close(SANDBOX_FD_FILE);
    if (begin_frame(w, SB_END) < 0 || put_end(&w->out, rc, &w->err, &ur, &diags) < 0) {
        /* the verdict alone, without the file's reasons */
        diag_list_free(&diags);
        bz_error_set(&w->err, E_NOMEM, "读取进程内存不足（%s）", w->name);
        if (begin_frame(w, SB_END) < 0 || put_end(&w->out, BZ_ENOMEM, &w->err, &ur, &diags) < 0)
            worker_oom();
    }
    send_frame(w);
    diag_list_free(&diags);
}

static void
set_context(struct worker *w, const unsigned char *p, size_t len)
{
    struct wire_in in;
    struct arena a;
    int oom = 0;
    wire_in_init(&in, p, len);
    arena_init(&a, 2 * len + (64u << 10)); /* strings, and the arena's first block */
    int64_t today = wire_get_i64(&in);
    if (sandbox_get_limits(&in, &w->set) == 0)
        w->out.limit = sandbox_frame_limit(&w->set);
    int none = (int)wire_get_u8(&in);
    uint32_t n = wire_get_u32(&in);
    struct sandbox_township *t = n && n <= len / 8 ? calloc(n, sizeof(*t)) : NULL;
    for (uint32_t i = 0; t != NULL && i < n && !in.bad && !oom; i++) {
        t[i].code = wire_get_str(&in, &a, 15, 0, &oom);
        t[i].name = wire_get_str(&in, &a, len, 0, &oom);
    }
    if (in.bad || oom || (n > 0 && t == NULL) || sandbox_registry_set(&w->reg, t, n, none) < 0)
        worker_oom(); /* the parent's own request: only memory can fail it */
    free(t);
    arena_free(&a);
    w->tctx.today = (int32_t)today;
    w->tctx.township_known = w->reg.none ? NULL : sandbox_registry_lookup;
    w->tctx.arg = &w->reg;
}

/* Reads one request; its descriptor, if one came, into *fd. Returns the
 * type, 0 at the end. */
static uint32_t
next_request(struct dbuf *req, int *fd)
{
    unsigned char h[SANDBOX_HEADER];
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {h, sizeof(h)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    *fd = -1;
    ssize_t n;
    do
        n = recvmsg(SANDBOX_FD_SOCK, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof(int));
    if ((size_t)n < sizeof(h) &&
        sandbox_recv_all(SANDBOX_FD_SOCK, h + n, sizeof(h) - (size_t)n) < 0)
        return 0;
    uint32_t type =
        (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    uint32_t len =
        (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
    dbuf_reset(req);
    if (len > SANDBOX_REQUEST_MAX)
        return 0;
    while (req->len < len) {
        unsigned char chunk[16384];
        size_t want = len - req->len < sizeof(chunk) ? len - req->len : sizeof(chunk);
        if (sandbox_recv_all(SANDBOX_FD_SOCK, chunk, want) < 0 || dbuf_add(req, chunk, want) < 0)
            return 0;
    }
    return type;
}

static void
serve(struct worker *w)
{
    struct dbuf req;
    int fd;
    dbuf_init(&req, SANDBOX_REQUEST_MAX);
    for (;;) {
        uint32_t type = next_request(&req, &fd);
        if (type == SB_CONTEXT) {
            set_context(w, (const unsigned char *)req.data, req.len);
        } else if (type == SB_JOB && fd == SANDBOX_FD_FILE) {
            run_job(w, (const unsigned char *)req.data, req.len);
        } else {
            if (fd >= 0)
                close(fd);
            break; /* the end, or what the parent would never send */
        }
    }
    dbuf_free(&req);
}

static void
say_hello(int err, int filtered)
{
    unsigned char frame[SANDBOX_HEADER + 5];
    sandbox_header(frame, SB_HELLO, 5);
    for (int i = 0; i < 4; i++)
        frame[SANDBOX_HEADER + i] = (unsigned char)((unsigned)err >> (8 * i));
    frame[SANDBOX_HEADER + 4] = (unsigned char)filtered;
    if (sandbox_send_all(SANDBOX_FD_SOCK, frame, sizeof(frame)) < 0)
        _exit(0);
}

static void
worker_main(int sock, pid_t spawner, const struct settings *s)
{
    struct worker w;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != spawner)
        _exit(0);
    signal(SIGPIPE, SIG_IGN);
    int err = sandbox_filter_fds(sock) < 0 ? EBADF : 0;
    int filtered = 0;
    memset(&w, 0, sizeof(w));
    w.set = *s;
    w.s = &w.set;
    w.reg.none = 1;
    dbuf_init(&w.out, sandbox_frame_limit(s));
    transform_set_oom_hook(worker_oom);
    if (atexit(exit_at_once) != 0)
        err = ENOMEM;
    if (err == 0) {
        prctl(PR_SET_DUMPABLE, 0);
        err = sandbox_filter_warm();
    }
    if (err == 0) {
        sandbox_filter_limits(s);
        if (!sandbox_under_valgrind()) {
            err = sandbox_filter_install();
            filtered = err == 0;
        }
    }
    say_hello(err, filtered);
    if (err == 0)
        serve(&w);
    dbuf_free(&w.out);
    sandbox_registry_free(&w.reg);
    /* _exit: the parent's stdio buffers and atexit handlers are not ours
     * (and LeakSanitizer's check could not run under the filter) */
    _exit(0);
}

/* ---- the spawner ---- */

/* What a worker could show a township in a receipt must not hold what
 * the parent knows: the database password, the environment's values. */
static void
wipe_secrets(const struct settings *s)
{
    /* the spawner's own copy of the settings: writing it is safe */
    memset((char *)s->db, 0, sizeof(s->db));
    for (char **env = environ; env != NULL && *env != NULL; env++) {
        char *eq = strchr(*env, '=');
        /* TZ stays: mktime reads it again on every call */
        if (eq != NULL && strncmp(*env, "TZ=", 3) != 0)
            memset(eq + 1, 0, strlen(eq + 1));
    }
}

static void
spawn_one(int ctl, const struct settings *s)
{
    struct spawn_reply r = {-1, 0, -1};
    int sv[2];
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&r, sizeof(r)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    memset(cbuf, 0, sizeof(cbuf));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        r.err = errno;
    } else {
        pid_t me = getpid(), pid = fork();
        if (pid == 0) {
            close(ctl);
            close(sv[0]);
            worker_main(sv[1], me, s);
        }
        close(sv[1]);
        r.pid = (int)pid;
        r.err = pid < 0 ? errno : 0;
        if (pid > 0) {
            msg.msg_control = cbuf;
            msg.msg_controllen = sizeof(cbuf);
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &sv[0], sizeof(int));
        }
    }
    if (sendmsg(ctl, &msg, MSG_NOSIGNAL) < 0)
        _exit(0);
    if (r.pid > 0)
        close(sv[0]);
}

static void
spawner_main(int ctl, pid_t parent, const struct settings *s)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    hooks_read();
    wipe_secrets(s);
    if (sandbox_filter_fds(ctl) < 0)
        _exit(1);
    ctl = SANDBOX_FD_SOCK;
    for (;;) {
        struct spawn_msg m;
        ssize_t n = recv(ctl, &m, sizeof(m), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(m))
            break;
        if (m.op == 'S') {
            spawn_one(ctl, s);
        } else if (m.op == 'R') {
            struct spawn_reply r = {m.pid, 0, -1};
            int st;
            pid_t got;
            do
                got = waitpid(m.pid, &st, 0);
            while (got < 0 && errno == EINTR);
            if (got == m.pid)
                r.status = st;
            if (send(ctl, &r, sizeof(r), MSG_NOSIGNAL) < 0)
                break;
        }
    }
    /* the parent closed its end: the workers' sockets are closed too, so
     * they end on their own (under valgrind, with their leak check) */
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    _exit(0);
}

pid_t
sandbox_spawner_start(const struct settings *s, int *ctl)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    pid_t parent = getpid();
    /* nothing buffered is written twice by a child */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        spawner_main(sv[1], parent, s);
    }
    int err = errno;
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        errno = err;
        return -1;
    }
    *ctl = sv[0];
    return pid;
}

pid_t
sandbox_spawn(int ctl, int *sock)
{
    struct spawn_msg m = {'S', 0};
    struct spawn_reply r;
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&r, sizeof(r)};
    struct msghdr msg;
    *sock = -1;
    if (send(ctl, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
        return -1;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    ssize_t n;
    do
        n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(r))
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(sock, CMSG_DATA(c), sizeof(int));
    if (r.pid <= 0 || *sock < 0) {
        if (*sock >= 0)
            close(*sock);
        *sock = -1;
        errno = r.err ? r.err : EAGAIN;
        return -1;
    }
    return (pid_t)r.pid;
}

int
sandbox_reap(int ctl, pid_t pid)
{
    struct spawn_msg m = {'R', (int)pid};
    struct spawn_reply r;
    if (send(ctl, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
        return -1;
    ssize_t n;
    do
        n = recv(ctl, &r, sizeof(r), 0);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(r) ? r.status : -1;
}

#else /* no sandbox in this build */

pid_t
sandbox_spawner_start(const struct settings *s, int *ctl)
{
    (void)s;
    *ctl = -1;
    return -1;
}

pid_t
sandbox_spawn(int ctl, int *sock)
{
    (void)ctl;
    *sock = -1;
    return -1;
}

int
sandbox_reap(int ctl, pid_t pid)
{
    (void)ctl;
    (void)pid;
    return -1;
}

#endif
