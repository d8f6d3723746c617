/*
 * sandbox_filter.c — what a worker gives up before it reads a byte of an
 * inbox file: every descriptor but its socket, most rlimits, and every
 * system call but the few that reading needs (a seccomp-bpf filter built
 * by hand, as OpenSSH's sandbox-seccomp-filter.c builds its own: bizenv
 * does not depend on libseccomp).
 *
 * The list was taken from strace of workers reading the demo inbox, the
 * spec's examples, gzip, zip packages, batches, workbooks and ADX
 * roll-ups, in the release and the ASan build (see README, "The reader
 * sandbox"). glibc's malloc needs brk, mmap, munmap, mremap, madvise and
 * mprotect; libarchive reads its file with read, lseek and fstat; zlib and
 * libxml2 need nothing but memory once initialised (sandbox_filter_warm
 * does what they would do lazily and could not do under the filter: load
 * the iconv modules, read the time zone).
 */
#define _GNU_SOURCE
#include "sandbox_int.h"

#include <errno.h>

#if SANDBOX_BUILT

#include <fcntl.h>
#include <iconv.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif
#if SANDBOX_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SANDBOX_HAVE_VALGRIND 1
#endif
#endif

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

int
sandbox_under_valgrind(void)
{
#ifdef SANDBOX_HAVE_VALGRIND
    return RUNNING_ON_VALGRIND != 0;
#else
    return 0;
#endif
}

/* ---- descriptors ---- */

int
sandbox_filter_fds(int sock)
{
    /* 0-2 must be open, so that the job's descriptor lands on 4 */
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || (null != fd && (dup2(null, fd) < 0 || close(null) < 0)))
            return -1;
    }
    if (sock != SANDBOX_FD_SOCK) {
        if (dup2(sock, SANDBOX_FD_SOCK) < 0)
            return -1;
        close(sock);
    }
    /* nothing inherited survives: not the database's socket, not a folder */
#ifdef SYS_close_range
    int closed = syscall(SYS_close_range, SANDBOX_FD_SOCK + 1, ~0U, 0) == 0;
#else
    int closed = 0;
#endif
    if (!closed) {
        struct rlimit rl;
        long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                       ? (long)rl.rlim_cur
                       : 65536;
        for (long fd = SANDBOX_FD_SOCK + 1; fd < max; fd++)
            close((int)fd);
    }
    /* and what close_range said is checked: the next descriptor made is 4 */
    int probe = dup(SANDBOX_FD_SOCK);
    if (probe != SANDBOX_FD_FILE)
        return -1;
    close(probe);
    return 0;
}

/* ---- warming up ---- */

static int
cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int
sandbox_filter_warm(void)
{
    /* glibc's qsort asks the kernel for the memory size (sysinfo) the
     * first time it sorts more than 1 KB, and keeps the answer */
    int sortme[512];
    for (int i = 0; i < 512; i++)
        sortme[i] = 512 - i;
    qsort(sortme, 512, sizeof(sortme[0]), cmp_int);

    /* glibc loads an iconv module on the first iconv_open of its charset
     * and unloads it when the last descriptor on it closes: one held for
     * the worker's life keeps each one transform/encoding.c and
     * libarchive's GB18030 names need loaded (never closed on purpose;
     * kept where valgrind sees them, so it does not call them lost) */
    static const char *const charsets[] = {"GB18030", "UTF-16LE", "UTF-16BE", "UTF-16"};
    static iconv_t volatile pinned[sizeof(charsets) / sizeof(charsets[0])];
    for (size_t i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++) {
        iconv_t cd = pinned[i] = iconv_open("UTF-8", charsets[i]);
        /* a module missing would fail the same way later (the document is
         * refused with E_XML_ENCODING); no memory now means none later */
        if (cd == (iconv_t)-1 && errno == ENOMEM)
            return ENOMEM;
    }
    /* TZ is set once in main: the zone file is read now, not by the first
     * mktime of a zip entry's date */
    tzset();
    time_t t = 0;
    struct tm tm;
    localtime_r(&t, &tm);
#if SANDBOX_ASAN
    /* the sanitizer reads /proc/self/maps and sets up its symbolizer now,
     * for a report it may have to write later */
    __sanitizer_sandbox_on_notify(NULL);
#endif
    return 0;
}

/* ---- rlimits ---- */

static void
set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && hard > rl.rlim_max)
        hard = rl.rlim_max;
    rl.rlim_cur = soft < hard ? soft : hard;
    rl.rlim_max = hard;
    setrlimit(resource, &rl);
}

#if !SANDBOX_ASAN
/* Bytes of address space mapped now (libraries, the parent's heap): the
 * memory cap is on top of it. */
static long long
mapped_now(void)
{
    long long pages = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lld", &pages) != 1)
        pages = 0;
    fclose(f);
    return pages * sysconf(_SC_PAGESIZE);
}
#endif

void
sandbox_filter_limits(const struct settings *s)
{
    /* CPU for two files' worth of parse_timeout_s: the parent replaces a
     * worker that has used half (sandbox.c), so each file may use the
     * whole budget; SIGXCPU past it, SIGKILL a second later */
    rlim_t cpu = (rlim_t)(2 * s->parse_timeout_s + 1);
    set_limit(RLIMIT_CPU, cpu, cpu + 1);
    set_limit(RLIMIT_CORE, 0, 0); /* a crash leaves no image of the file's bytes */
    int vg = sandbox_under_valgrind();
#if !SANDBOX_ASAN
    /* ASan maps terabytes of shadow memory and must be able to write its
     * report to a stderr that is a file; the release build has neither */
    if (s->max_memory_bytes > 0 && !vg) {
        rlim_t as = (rlim_t)(mapped_now() + s->max_memory_bytes);
        set_limit(RLIMIT_AS, as, as);
    }
    if (!vg) {                    /* valgrind writes its report to a file */
        signal(SIGXFSZ, SIG_IGN); /* a write to a file fails instead */
        set_limit(RLIMIT_FSIZE, 0, 0);
    }
#endif
    if (!vg)
        set_limit(RLIMIT_NOFILE, SANDBOX_FD_FILE + 1, SANDBOX_FD_FILE + 1);
}

/* ---- the filter ---- */

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* The call, whatever its arguments. */
#define SC_ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), ALLOW
/* The call refused with errno `err` instead of killing the process. */
#define SC_ERRNO(nr, err)                                                                          \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                                               \
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((err)&SECCOMP_RET_DATA))
/* The call when argument `arg` (its low 32 bits: a descriptor) is `val`. */
#define SC_ALLOW_ARG(nr, arg, val)                                                                 \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4),                                               \
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg)),                                           \
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (val), 0, 1), ALLOW, LOAD_NR
/* The call when argument `arg` has none of the bits of `mask`. */
#define SC_ALLOW_NOT_BITS(nr, arg, mask)                                                           \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4),                                               \
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg)),                                           \
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (mask), 1, 0), ALLOW, LOAD_NR
/* The call when argument a1 is v1 and argument a2 is v2. */
#define SC_ALLOW_ARGS(nr, a1, v1, a2, v2)                                                          \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 6),                                               \
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(a1)),                                            \
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v1), 0, 3),                                           \
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(a2)),                                            \
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v2), 0, 1), ALLOW, LOAD_NR

static const struct sock_filter program[] = {
    /* another architecture's (or ABI's) numbers mean other calls */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    LOAD_NR,
    /* the job: its socket and its file, read only; answers and stderr */
    SC_ALLOW_ARG(__NR_read, 0, SANDBOX_FD_FILE),
    SC_ALLOW_ARG(__NR_read, 0, SANDBOX_FD_SOCK),
    SC_ALLOW_ARG(__NR_recvmsg, 0, SANDBOX_FD_SOCK),
    SC_ALLOW_ARG(__NR_write, 0, SANDBOX_FD_SOCK),
    SC_ALLOW_ARG(__NR_sendto, 0, SANDBOX_FD_SOCK), /* send(): a socketpair goes nowhere else */
    SC_ALLOW_ARG(__NR_write, 0, STDERR_FILENO),
    SC_ALLOW_ARG(__NR_lseek, 0, SANDBOX_FD_FILE),
#ifdef __NR_fstat
    SC_ALLOW_ARG(__NR_fstat, 0, SANDBOX_FD_FILE),
#endif
    SC_ALLOW_ARGS(__NR_newfstatat, 0, SANDBOX_FD_FILE, 3, AT_EMPTY_PATH),
    SC_ALLOW(__NR_close),
    /* memory, never executable */
    SC_ALLOW(__NR_brk),
    SC_ALLOW_NOT_BITS(__NR_mmap, 2, PROT_EXEC),
    SC_ALLOW_NOT_BITS(__NR_mprotect, 2, PROT_EXEC),
    SC_ALLOW(__NR_munmap),
    SC_ALLOW(__NR_mremap),
    SC_ALLOW(__NR_madvise),
    /* time, and what the CPU budget is reported with */
    SC_ALLOW(__NR_clock_gettime),
#ifdef __NR_gettimeofday
    SC_ALLOW(__NR_gettimeofday),
#endif
    SC_ALLOW_ARG(__NR_getrusage, 0, RUSAGE_SELF),
    /* locks and the end */
    SC_ALLOW(__NR_futex),
    SC_ALLOW(__NR_rt_sigreturn),
    SC_ALLOW(__NR_restart_syscall),
    SC_ALLOW(__NR_exit),
    SC_ALLOW(__NR_exit_group),
#if SANDBOX_ASAN
    /* what the sanitizer itself does when it reports (test builds only) */
    SC_ALLOW(__NR_getpid),
    SC_ALLOW(__NR_gettid),
    SC_ALLOW(__NR_sched_yield),
    SC_ALLOW(__NR_sigaltstack),
    SC_ALLOW(__NR_rt_sigaction),
    SC_ALLOW(__NR_rt_sigprocmask),
    SC_ALLOW_ARG(__NR_prctl, 0, PR_GET_DUMPABLE),
#ifdef __NR_readlink
    SC_ALLOW(__NR_readlink),
#endif
    SC_ALLOW(__NR_readlinkat),
    SC_ALLOW_ARGS(__NR_ioctl, 0, STDERR_FILENO, 1, TCGETS), /* isatty: colours or not */
/* it reads /proc/self/cmdline and maps for its report: refused, not
 * killed, so that the report is written (without them) */
#ifdef __NR_open
    SC_ERRNO(__NR_open, EPERM),
#endif
    SC_ERRNO(__NR_openat, EPERM),
#endif
    /* opening, sockets, exec, fork, ptrace, everything else */
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};

int
sandbox_filter_install(void)
{
    struct sock_fprog prog = {(unsigned short)(sizeof(program) / sizeof(program[0])),
                              (struct sock_filter *)program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
        return errno;
    return 0;
}

#else /* no sandbox in this build */

int
sandbox_under_valgrind(void)
{
    return 0;
}

int
sandbox_filter_fds(int sock)
{
    (void)sock;
    return -1;
}

int
sandbox_filter_warm(void)
{
    return 0;
}

void
sandbox_filter_limits(const struct settings *s)
{
    (void)s;
}

int
sandbox_filter_install(void)
{
    return ENOSYS;
}

#endif
