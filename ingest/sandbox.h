/*
 * sandbox — reading untrusted files in small processes with almost no
 * rights.
 *
 * unpack.h and transform.h run on bytes any township (or anyone who can
 * write the inbox) chose, inside libarchive, zlib and libxml2. Here they
 * run in reader processes ("workers"): a pool of at most two, forked once
 * per run by a spawner process that is itself forked before the run
 * connects to the database, so no worker ever held a connection, a
 * password or a writable folder. A worker gets one file at a time, as a
 * read-only descriptor the parent opened (SCM_RIGHTS over its socket), and
 * before it reads a byte of it has
 *   - no descriptors but stdin/stdout/stderr, its socket and the file;
 *   - a seccomp-bpf filter (Linux, x86_64 and aarch64) allowing only
 *     reading its socket and the file, writing its socket and stderr,
 *     memory, the clock, and exit: opening a file, a socket, exec, fork,
 *     ptrace, anything else kills the process;
 *   - rlimits: address space (max_memory_bytes), CPU (parse_timeout_s),
 *     file size 0, no new descriptors, no core file.
 * It sends back the documents it read (transform/wire.h), which the
 * parent decodes as untrusted input. Only the parent touches the database,
 * the archive, receipts and the inbox.
 *
 * A worker that dies (a signal, exit, the filter), answers nonsense or
 * runs past its time is killed and replaced, and the file is read once
 * more by a fresh one; a file that fails a worker twice is rejected with
 * E_READER_CRASH. A worker that runs out of memory answers E_NOMEM like
 * the in-process reader (the caller gives the file back to the inbox).
 * Nothing of a file is delivered until its worker has finished it, so a
 * file is never half-read.
 *
 * Without the sandbox (built with SANDBOX=0, or not Linux, or an
 * architecture without a filter) the same calls read in-process, as before
 * it existed. This module never prints and never touches the database.
 */
#ifndef BZ_SANDBOX_H
#define BZ_SANDBOX_H

#include "../common/diag.h"
#include "../common/error.h"
#include "../common/settings.h"
#include "../transform/adx.h"
#include "../transform/submission.h"
#include "unpack.h"

#include <stddef.h>
#include <time.h>

/* Workers of a pool: one file at a time each; two is what the two cores
 * the pipeline runs on can use. */
#define SANDBOX_WORKERS_MAX 2

struct sandbox;

/* One township of the registry the readers check codes against. */
struct sandbox_township {
    const char *code;
    const char *name;
};

/* One document as read and checked, handed to the caller's callback.
 * Everything is owned by the sandbox and valid during the callback only,
 * except what the callback takes (below). */
struct sandbox_doc {
    const char *member; /* where it was in the file ("" for the file itself) */
    size_t index;       /* 0-based position in the file */
    int workbook;       /* read from an .xlsx workbook: paths are cells */
    char sha256[65];    /* its identity: of its bytes, or a workbook's canonical document */
    const struct subm_attachment *attachments; /* the package's other entries */
    size_t nattachments;
    int rollup;              /* 1: a county's ADX roll-up (adx), 0: a submission (sub) */
    struct submission *sub;  /* as transform made it; usable only when diags has no error */
    struct adx_doc *adx;     /* as adx_parse made it; likewise */
    struct diag_list *diags; /* the callback may move the entries out (and re-init it) */
};

/* Called once per document, in the file's order, after the whole file was
 * read. A negative return stops the delivery and is returned unchanged. */
typedef int (*sandbox_cb)(struct sandbox_doc *doc, void *ctx);

struct sandbox_result {
    struct unpack_result unpack; /* kind, documents, size and SHA-256 of the file */
    int reader_nomem;            /* BZ_ENOMEM came from a worker: this process can go on */
    int lost;                    /* workers lost on this file (a second one rejects it) */
};

/*
 * Starts the pool for a run reading with settings s (which must outlive
 * it): the spawner and up to SANDBOX_WORKERS_MAX workers (fewer on one
 * core), each with its filter in place before this returns. Call before
 * connecting to the database. With the sandbox off this only allocates.
 * Returns 0 with *out (free with sandbox_stop), or BZ_ENOMEM / BZ_EFAIL
 * (E_INTERNAL: a worker could not be started or sandboxed) with e filled.
 */
int sandbox_start(const struct settings *s, struct sandbox **out, struct bz_error *e);

/*
 * What the readers check submissions against: today (yyyymmdd, for the
 * period rule) and the registry's active townships (n entries; copied).
 * With no_registry the registry check is skipped (offline validation
 * without a registry). Sent to each worker before its next file. Returns
 * 0 or BZ_ENOMEM.
 */
int sandbox_context(struct sandbox *sb, int today, const struct sandbox_township *t, size_t n,
                    int no_registry, struct bz_error *e);

/*
 * Reads the file open on fd (read from offset 0, never closed; `name` for
 * messages and receipts; `deadline` CLOCK_MONOTONIC, NULL = parse_timeout_s
 * from now) and calls cb for each document. Returns as unpack_fd:
 *   0          every document was passed to cb;
 *   BZ_EINPUT  the file is rejected: diags says why (a transport code, or
 *              E_READER_CRASH when it failed two workers); cb never called;
 *   BZ_ETIMEOUT  parse_timeout_s was hit (cb never called in a worker);
 *   BZ_ENOMEM  out of memory: res->reader_nomem says whether a worker ran
 *              out (its file may go back to the inbox and the run go on)
 *              or this process did;
 *   BZ_EIO / BZ_EFAIL with e filled; a negative value returned by cb.
 * res is filled as far as known.
 */
int sandbox_read(struct sandbox *sb, int fd, const char *name, const struct timespec *deadline,
                 sandbox_cb cb, void *ctx, struct sandbox_result *res, struct diag_list *diags,
                 struct bz_error *e);

/*
 * The same in two steps, so that a worker reads the next file while this
 * process loads the one before: sandbox_submit hands the file to an idle
 * worker (or keeps it until one is free) and returns at once, with *job
 * (NULL on failure: BZ_ENOMEM, or BZ_EFAIL when no worker could be
 * started). fd stays the caller's and must stay open until the job is
 * collected. sandbox_collect waits for its answer and returns as
 * sandbox_read; it frees the job. Jobs are collected in the order they
 * were submitted, at most SANDBOX_WORKERS_MAX of them outstanding.
 * sandbox_cancel drops a job not to be collected (its worker is killed).
 */
struct sandbox_job;
int sandbox_submit(struct sandbox *sb, int fd, const char *name, const struct timespec *deadline,
                   struct sandbox_job **job, struct bz_error *e);
int sandbox_collect(struct sandbox *sb, struct sandbox_job *job, sandbox_cb cb, void *ctx,
                    struct sandbox_result *res, struct diag_list *diags, struct bz_error *e);
void sandbox_cancel(struct sandbox *sb, struct sandbox_job *job);

/* Ends the workers and the spawner and frees sb (NULL is fine). */
void sandbox_stop(struct sandbox *sb);

/* A line saying whether this build reads in a sandbox and how
 * (`bizenv config`), in Chinese. Cannot fail. */
const char *sandbox_describe(void);

#endif
