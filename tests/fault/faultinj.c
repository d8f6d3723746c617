/*
 * faultinj — an LD_PRELOAD shim that makes one system or library call fail,
 * so the tests can prove bizenv ends every such fault in a clean error (the
 * way SQLite tests itself with a failing malloc). Test code only: it is
 * built by `make fault-build` into build/<variant>/tests/fault/faultinj.so
 * and never linked into bizenv.
 *
 * Environment (all optional; nothing set = nothing fails):
 *   BZ_FAULT_MALLOC=N        the Nth malloc/calloc/realloc/posix_memalign/
 *                            aligned_alloc of the run returns NULL (ENOMEM);
 *                            with BZ_FAULT_MALLOC_STICKY=1 every later one
 *                            of that process too. The reader processes
 *                            (ingest/sandbox.h) are forked and count on from
 *                            their parent's count: the first process of the
 *                            run to get to N fails, once, and the others go
 *                            on (a reader read again after it failed does
 *                            not meet the same failure)
 *   BZ_FAULT_COUNT=FILE      at exit, write the number of allocations made
 *                            (to find how many N a loop must try): the
 *                            most any process of the run reached, since
 *                            the reader processes (ingest/sandbox.h) are
 *                            forked and count on from their parent's count
 *   BZ_FAULT_WRITE_DIR=DIR   write() to a file opened under DIR fails with
 *   BZ_FAULT_WRITE_AFTER=B   ENOSPC once B bytes were written there in total
 *                            (a full disk where tmpfs cannot be mounted)
 *   BZ_FAULT_RENAME=N        the Nth rename()/renameat()/renameat2() whose
 *                            source or destination
 *   BZ_FAULT_RENAME_MATCH=S  contains S (any when unset) fails with
 *   BZ_FAULT_ERRNO=E         errno E (default EIO; numeric)
 *   BZ_FAULT_REWRITE=NAME    the first time a file whose name ends in NAME
 *   BZ_FAULT_REWRITE_WITH=F  is read to its end, its bytes are replaced by
 *                            those of file F through a second descriptor,
 *                            as an uploader who kept it open would
 *   BZ_FAULT_GROW=NAME       before each read() of a file whose name ends in
 *   BZ_FAULT_GROW_MAX=B      NAME, 64 KB of spaces are appended to it, until
 *                            it has grown by B bytes (an upload still going on)
 *   BZ_FAULT_LOG=FILE        a line is appended to FILE for each rewrite and
 *                            growth (so a test knows the fault happened)
 *
 * The allocator is glibc's own (__libc_malloc and friends), so the shim
 * needs no dlsym for it and works under valgrind, which replaces those.
 * Counting starts at the first call, before main.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static long alloc_n;        /* allocations so far */
/* shared with the processes forked from this one */
static struct shared {
    long max;   /* the most allocations a process made (BZ_FAULT_COUNT) */
    int failed; /* the Nth has failed in one of them */
} *shared;
static int failed_here; /* the Nth failed in this process (BZ_FAULT_MALLOC_STICKY) */
static long alloc_fail = -2; /* -2: not read yet, -1: never */
static int alloc_sticky;

static long
env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* getenv does not allocate, so this is safe inside malloc. */
static int
alloc_should_fail(void)
{
    if (alloc_fail == -2) {
        alloc_fail = env_long("BZ_FAULT_MALLOC", -1);
        alloc_sticky = env_long("BZ_FAULT_MALLOC_STICKY", 0) != 0;
    }
    alloc_n++;
    if (shared != NULL) {
        /* a forked reader ends with _exit and, under its seccomp filter,
         * could not write the file: the count goes into a shared page */
        long seen = __atomic_load_n(&shared->max, __ATOMIC_RELAXED);
        while (alloc_n > seen && !__atomic_compare_exchange_n(&shared->max, &seen, alloc_n, 0,
                                                              __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
    }
    if (alloc_fail > 0 && alloc_n == alloc_fail)
        failed_here = shared == NULL || __atomic_exchange_n(&shared->failed, 1, __ATOMIC_RELAXED) == 0;
    else if (!(failed_here && alloc_sticky && alloc_n > alloc_fail))
        return 0;
    if (!failed_here)
        return 0;
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t n) { return alloc_should_fail() ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { return alloc_should_fail() ? NULL : __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { return alloc_should_fail() ? NULL : __libc_realloc(p, n); }
void *aligned_alloc(size_t al, size_t n) { return alloc_should_fail() ? NULL : __libc_memalign(al, n); }
void *memalign(size_t al, size_t n) { return alloc_should_fail() ? NULL : __libc_memalign(al, n); }
int
posix_memalign(void **out, size_t al, size_t n)
{
    if (alloc_should_fail())
        return ENOMEM;
    void *p = __libc_memalign(al, n);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

/* ---- disk: write() under a folder fails with ENOSPC past a byte budget ---- */

#define MAX_FD 4096
static unsigned char watched[MAX_FD];    /* fd was opened under BZ_FAULT_WRITE_DIR */
static unsigned char rewrite_fd[MAX_FD]; /* fd names the BZ_FAULT_REWRITE file */
static unsigned char grow_fd[MAX_FD];    /* fd names the BZ_FAULT_GROW file */
static long long written;

static void *
real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static int
name_ends(const char *path, const char *env)
{
    const char *want = getenv(env);
    size_t n = strlen(path), m = want ? strlen(want) : 0;
    return m > 0 && n >= m && strcmp(path + n - m, want) == 0;
}

static void
watch(int fd, const char *path, int dirfd)
{
    const char *dir = getenv("BZ_FAULT_WRITE_DIR");
    if (fd < 0 || fd >= MAX_FD)
        return;
    rewrite_fd[fd] = name_ends(path, "BZ_FAULT_REWRITE");
    grow_fd[fd] = name_ends(path, "BZ_FAULT_GROW");
    watched[fd] = 0;
    if (dir == NULL || *dir == '\0')
        return;
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        /* relative to a folder descriptor: that folder's path */
        char link[64], full[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = readlink(link, full, sizeof full - 1);
        if (n <= 0)
            return;
        full[n] = '\0';
        size_t d = strlen(dir);
        watched[fd] = strncmp(full, dir, d) == 0 && (full[d] == '/' || full[d] == '\0');
        return;
    }
    if (path[0] == '/' || dirfd == AT_FDCWD) {
        char cwd[4096];
        const char *full = path;
        if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL) {
            size_t n = strlen(cwd);
            if (strncmp(cwd, dir, strlen(dir)) == 0 && (n == strlen(dir) || cwd[strlen(dir)] == '/'))
                watched[fd] = 1;
            return;
        }
        size_t d = strlen(dir);
        watched[fd] = strncmp(full, dir, d) == 0 && (full[d] == '/' || full[d] == '\0');
    }
}

int
open(const char *path, int flags, ...)
{
    static int (*f)(const char *, int, ...);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (f == NULL)
        f = (int (*)(const char *, int, ...))real("open");
    int fd = f(path, flags, mode);
    watch(fd, path, AT_FDCWD);
    return fd;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
    static int (*f)(int, const char *, int, ...);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (f == NULL)
        f = (int (*)(int, const char *, int, ...))real("openat");
    int fd = f(dirfd, path, flags, mode);
    watch(fd, path, dirfd);
    return fd;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
    static ssize_t (*f)(int, const void *, size_t);
    if (f == NULL)
        f = (ssize_t(*)(int, const void *, size_t))real("write");
    if (fd >= 0 && fd < MAX_FD && watched[fd]) {
        long long budget = env_long("BZ_FAULT_WRITE_AFTER", 0);
        if (written >= budget) {
            errno = ENOSPC;
            return -1;
        }
        if ((long long)n > budget - written)
            n = (size_t)(budget - written);
        written += (long long)n;
    }
    return f(fd, buf, n);
}

/* ---- read: the file changes under the reader ---- */

/* A second descriptor on the file behind fd, as another process has. */
static void
log_fault(const char *what)
{
    const char *path = getenv("BZ_FAULT_LOG");
    if (path == NULL || *path == '\0')
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0)
        return;
    if (write(fd, what, strlen(what)) < 0)
        what = NULL;
    close(fd);
}

static int
reopen(int fd, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open(path, flags | O_CLOEXEC);
}

static void
rewrite_now(int fd)
{
    static int done;
    const char *with = getenv("BZ_FAULT_REWRITE_WITH");
    char buf[65536];
    if (done || with == NULL)
        return;
    done = 1;
    int src = open(with, O_RDONLY | O_CLOEXEC), dst = reopen(fd, O_WRONLY);
    ssize_t n;
    off_t off = 0;
    while (src >= 0 && dst >= 0 && (n = read(src, buf, sizeof buf)) > 0) {
        if (pwrite(dst, buf, (size_t)n, off) != n)
            break;
        off += n;
    }
    int done_ok = src >= 0 && dst >= 0 && off > 0 && ftruncate(dst, off) == 0;
    if (src >= 0)
        close(src);
    if (dst >= 0)
        close(dst);
    if (done_ok)
        log_fault("rewritten\n");
}

static void
grow_now(int fd)
{
    static long long grown;
    static char spaces[65536];
    long long max = env_long("BZ_FAULT_GROW_MAX", 0);
    if (grown >= max)
        return;
    int dst = reopen(fd, O_WRONLY | O_APPEND);
    if (dst < 0)
        return;
    memset(spaces, ' ', sizeof spaces);
    if (write(dst, spaces, sizeof spaces) > 0) {
        grown += (long long)sizeof spaces;
        log_fault("grown\n");
    }
    close(dst);
}

ssize_t
read(int fd, void *buf, size_t n)
{
    static ssize_t (*f)(int, void *, size_t);
    if (f == NULL)
        f = (ssize_t(*)(int, void *, size_t))real("read");
    int tracked = fd >= 0 && fd < MAX_FD;
    if (tracked && grow_fd[fd])
        grow_now(fd);
    ssize_t r = f(fd, buf, n);
    if (tracked && rewrite_fd[fd] && r == 0)
        rewrite_now(fd);
    return r;
}

/* ---- rename: the Nth matching one fails ---- */

/* 1 when this rename is the one to fail (renames of every kind count). */
static int
rename_fails(const char *from, const char *to)
{
    static long seen;
    long nth = env_long("BZ_FAULT_RENAME", 0);
    const char *match = getenv("BZ_FAULT_RENAME_MATCH");
    if (nth > 0 && (match == NULL || *match == '\0' || strstr(from, match) || strstr(to, match))) {
        if (++seen == nth) {
            errno = (int)env_long("BZ_FAULT_ERRNO", EIO);
            return 1;
        }
    }
    return 0;
}

int
rename(const char *from, const char *to)
{
    static int (*f)(const char *, const char *);
    if (f == NULL)
        f = (int (*)(const char *, const char *))real("rename");
    return rename_fails(from, to) ? -1 : f(from, to);
}

int
renameat(int fromdir, const char *from, int todir, const char *to)
{
    static int (*f)(int, const char *, int, const char *);
    if (f == NULL)
        f = (int (*)(int, const char *, int, const char *))real("renameat");
    return rename_fails(from, to) ? -1 : f(fromdir, from, todir, to);
}

int
renameat2(int fromdir, const char *from, int todir, const char *to, unsigned flags)
{
    static int (*f)(int, const char *, int, const char *, unsigned);
    if (f == NULL)
        f = (int (*)(int, const char *, int, const char *, unsigned))real("renameat2");
    return rename_fails(from, to) ? -1 : f(fromdir, from, todir, to, flags);
}

__attribute__((constructor)) static void
share_count(void)
{
    if (getenv("BZ_FAULT_COUNT") == NULL && getenv("BZ_FAULT_MALLOC") == NULL)
        return;
    void *p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        shared = p;
}

/* Writes the allocation count at exit (raw calls: stdio would allocate). */
__attribute__((destructor)) static void
report_count(void)
{
    const char *path = getenv("BZ_FAULT_COUNT");
    if (path == NULL || *path == '\0')
        return;
    char buf[32];
    long most = shared != NULL && shared->max > alloc_n ? shared->max : alloc_n;
    int n = snprintf(buf, sizeof buf, "%ld\n", most);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, buf, (size_t)n) < 0)
            n = 0;
        close(fd);
    }
}
