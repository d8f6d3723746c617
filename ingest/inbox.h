/*
 * inbox — taking files out of the inbox folder, archiving their bytes,
 * and putting each one where its outcome says (submission-format.md,
 * "Inbox hygiene").
 *
 * Names ending in .part or .tmp, or starting with '.', are still being
 * uploaded and are left alone. Every other entry is claimed by an atomic
 * rename into <inbox>/.bizenv/ (same folder tree, so rename(2) is atomic
 * and two runs never take the same file) before it is read. After the run
 * a claimed file is in exactly one place: gone from the inbox with its bytes
 * in the content-addressed archive (accepted, duplicate), in quarantine/
 * with its receipt (rejected), or back in the inbox (the run could not
 * finish it for a reason that is not the file's: it is taken again next
 * run). A run killed in between leaves the file in .bizenv/, and
 * inbox_recover puts it back in the inbox at the start of the next run.
 *
 * The caller must hold the run lock (one ingest at a time). This module
 * only touches files; it never prints.
 */
#ifndef BZ_INBOX_H
#define BZ_INBOX_H

#include "../common/error.h"
#include "../common/settings.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define INBOX_CLAIM_DIR ".bizenv"

/* Longest entry name taken from the inbox (longer ones are left for a person). */
#define INBOX_NAME_MAX 255

/* One entry of the listing. name and path are malloc'd to their length: a
 * run lists every entry up front, so a province's inbox costs a few MB. */
struct inbox_file {
    char *name;            /* name in the inbox, as uploaded */
    char *path;            /* where it is now (inbox, then the claim folder) */
    struct timespec mtime; /* modification time = receive time */
    int64_t size;          /* bytes (0 for non-regular entries) */
    int regular;           /* 1 for a regular file, 0 for a directory, FIFO, link... */
};

/* Moves every entry left in the claim folder by a killed run back into the
 * inbox (unless an entry of the same name is there: then it stays claimed
 * and is listed again by inbox_scan). Returns 0 or BZ_EIO. */
int inbox_recover(const char *inbox, struct bz_error *e);

/*
 * Lists the entries to take, in the order of submission-format.md
 * (modification time, then name), including those still in the claim folder.
 * *files is malloc'd (free with inbox_files_free), *n entries, at most `max`; entries past
 * `max` are left for the next run. Returns 0, BZ_ENOTFOUND when the inbox
 * folder does not exist, BZ_EIO, BZ_ENOMEM.
 */
int inbox_scan(const char *inbox, size_t max, struct inbox_file **files, size_t *n,
               struct bz_error *e);
/* Frees a listing from inbox_scan (NULL is fine). */
void inbox_files_free(struct inbox_file *files, size_t n);

/* Claims f by rename into the claim folder and updates f->path. Returns 0,
 * BZ_ENOTFOUND when the file vanished (someone else took it), BZ_EIO. */
int inbox_claim(const char *inbox, struct inbox_file *f, struct bz_error *e);

/*
 * Copies the claimed file's bytes into the archive as archive/ab/cd/<sha256>
 * (written to a temporary name, fsync'd, renamed; kept if already there)
 * and returns the SHA-256 and the archive path. Returns 0, BZ_EINPUT with
 * code E_FILE_NOT_REGULAR for a directory/FIFO/link (nothing to archive),
 * BZ_EIO (disk full, permissions) with e filled.
 */
int inbox_archive(const struct settings *s, const struct inbox_file *f, char sha256[65],
                  char *archive_path, size_t cap, struct bz_error *e);

/*
 * Deferred durability, for batches: inbox_archive_deferred and
 * inbox_write_receipt_deferred do the same without fsync (the receipt's
 * path is returned); the caller must inbox_sync_all the files written
 * before anything relies on those bytes being on disk — before the
 * database COMMIT that says they were accepted. An archive entry found
 * already present is checked against its SHA-256 and replaced when torn
 * (a deferred run that lost power before its sync).
 */
int inbox_archive_deferred(const struct settings *s, const struct inbox_file *f, char sha256[65],
                           char *archive_path, size_t cap, struct bz_error *e);
int inbox_write_receipt_deferred(const struct settings *s, const char *day, const char *name,
                                 size_t index, const char *text, size_t len, char path[BZ_PATH_MAX],
                                 struct bz_error *e);
/*
 * Makes the files of `list` (len bytes of NUL-terminated paths) and their
 * folders durable. On Linux with one syncfs(2) per filesystem they are on:
 * a batch of a few hundred files then costs one journal commit and one
 * disk cache flush, not one of each per file (each fsync of an ext4 file
 * flushes the disk cache, even when its data is already written).
 * Elsewhere with an fsync per file and per folder. Returns 0 or BZ_EIO
 * with e filled (E_IO_WRITE when the disk is full, else E_IO_READ).
 */
int inbox_sync_all(const char *list, size_t len, struct bz_error *e);

/* Accepted or duplicate: the bytes are archived, remove the claimed file. */
int inbox_done(const struct inbox_file *f, struct bz_error *e);

/*
 * Rejected: moves the claimed entry to quarantine/<day>/<name> (a numbered
 * suffix when the name is taken) and writes `receipt` beside it as
 * <name>.回执.txt. `day` is "YYYY-MM-DD". Returns 0 or BZ_EIO.
 */
int inbox_quarantine(const struct settings *s, struct inbox_file *f, const char *day,
                     const char *receipt, size_t receipt_len, struct bz_error *e);

/* Not finished for a reason that is not the file's: back into the inbox. */
int inbox_release(const char *inbox, struct inbox_file *f, struct bz_error *e);

/*
 * Writes one receipt to receipts/<day>/<name>[.<index>].回执.txt (index > 0
 * for the second and later submissions of a batch). Returns 0 or BZ_EIO.
 */
int inbox_write_receipt(const struct settings *s, const char *day, const char *name, size_t index,
                        const char *text, size_t len, struct bz_error *e);

/* Creates a folder and its parents (mode 0750). Returns 0 or BZ_EIO. */
int inbox_mkdirs(const char *path, struct bz_error *e);

#endif
