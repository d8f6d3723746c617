/*
 * inbox — taking files out of the inbox folder, archiving their bytes,
 * and putting each one where its outcome says (submission-format.md,
 * "Inbox hygiene").
 *
 * The inbox is writable by every township's upload account, so nothing in
 * it is trusted but the names of its entries. Names ending in .part or
 * .tmp, or starting with '.', are still being uploaded and are left alone
 * (an entry named .bizenv too, whatever it is). Every other entry is
 * claimed by an atomic rename into <home>/claim/, a folder bizenv made and
 * checked (common/fsdir.h) on the inbox's filesystem, before it is read.
 * After the run a claimed entry is in exactly one place: gone, its bytes in
 * the content-addressed archive (accepted, duplicate); in quarantine/ with
 * its receipt (rejected); or back in the inbox (the run could not finish it
 * for a reason that is not the file's: it is taken again next run). A run
 * killed in between leaves it in claim/, and inbox_recover puts it back
 * in the inbox at the start of the next run.
 *
 * Every file is opened, made, moved and removed relative to the folder
 * descriptors of struct inbox_dirs (openat, O_NOFOLLOW, O_EXCL), never
 * through a path an uploader could change. The bytes read from the inbox
 * are read once, into the archive copy; the caller reads that copy, so
 * what is loaded is what the archive holds under its SHA-256.
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

/* The claim folder, under the home. */
#define INBOX_CLAIM_DIR "claim"

/* Longest entry name taken from the inbox (longer ones are left for a person). */
#define INBOX_NAME_MAX 255

/* Longest name of a receipt or quarantine file bizenv makes: NAME_MAX. An
 * inbox name too long to fit with its suffixes is cut and marked with a
 * hash of the whole name. */
#define INBOX_OUT_NAME_MAX 255

/* What quarantine keeps of a file rejected for its size: its first bytes,
 * enough for a person to see what it was. */
#define INBOX_HEAD_BYTES 65536

/* The folders of one run, open and checked. -1 = not open. */
struct inbox_dirs {
    int inbox;          /* the upload folder: only the names of its entries are read */
    int claim;          /* <home>/claim: entries being processed */
    int archive;        /* archive/: ab/cd/<sha256> below it */
    int quarantine;     /* quarantine/ */
    int receipts;       /* receipts/ */
    int quarantine_day; /* quarantine/<day>/, opened on first use */
    int receipts_day;   /* receipts/<day>/, opened on first use */
    int also_sync;      /* another descriptor made durable by inbox_sync with the batch's
                           files (the journal's, jobs/record.h); -1 none; not owned */
    char day[16];       /* "YYYY-MM-DD" of the run */
    const struct settings *s;
    const char *inbox_path; /* for messages */
};

/* One entry of the listing. name is malloc'd to its length: a run lists
 * every entry up front, so a province's inbox costs a few MB. */
struct inbox_file {
    char *name;            /* name in the inbox, as uploaded */
    int claimed;           /* 1 once it is in claim/ */
    int cut;               /* rejected for its size: quarantine keeps only its head */
    struct timespec mtime; /* modification time = receive time */
    int64_t size;          /* bytes (0 for non-regular entries); once archived, bytes copied */
    int regular;           /* 1 for a regular file, 0 for a directory, FIFO, link... */
};

/*
 * Opens and checks the run's folders: the inbox (must exist), claim/ under
 * the home (made when missing), archive/, quarantine/, receipts/ (made when
 * missing). Every folder but the inbox must be owned by the user bizenv
 * runs as and writable by no one else (E_HOME_UNSAFE); claim/ must be on
 * the inbox's filesystem, and no folder of bizenv's may be the inbox or lie
 * inside it (E_CONFIG, naming both paths). `day` is "YYYY-MM-DD". Returns
 * 0, BZ_ENOTFOUND (no inbox folder), BZ_ECONFIG, BZ_EIO; on failure nothing
 * is left open. Close with inbox_close.
 */
int inbox_open(const struct settings *s, const char *inbox, const char *day, struct inbox_dirs *d,
               struct bz_error *e);
/* Closes what inbox_open opened (safe on a zeroed or failed struct). */
void inbox_close(struct inbox_dirs *d);

/* Moves every entry left in the claim folder by a killed run back into the
 * inbox (unless an entry of the same name is there: then it stays claimed
 * and is listed again by inbox_scan). Returns 0 or BZ_EIO. */
int inbox_recover(struct inbox_dirs *d, struct bz_error *e);

/*
 * Lists the entries to take, in the order of submission-format.md
 * (modification time, then name), including those still in the claim folder:
 * of the entries after `after` in that order (every entry when NULL), the
 * first `max`. A run takes the inbox window by window, each listing after
 * the last entry of the one before, so that what it holds stays `max`
 * entries however many the inbox has. *files is malloc'd (free with
 * inbox_files_free), *n entries; *seen (when not NULL) counts every entry
 * after `after`, listed or not. Returns 0, BZ_EIO, BZ_ENOMEM.
 */
int inbox_scan(struct inbox_dirs *d, const struct inbox_file *after, size_t max,
               struct inbox_file **files, size_t *n, size_t *seen, struct bz_error *e);
/* Frees a listing from inbox_scan (NULL is fine). */
void inbox_files_free(struct inbox_file *files, size_t n);

/*
 * Claims f by rename into the claim folder. Returns 0, BZ_ENOTFOUND when
 * the entry vanished (someone else took it), BZ_EBUSY when it cannot be
 * taken now and stays in the inbox (an entry of that name is still
 * claimed; a folder of another user, which only its owner may move),
 * BZ_ECONFIG when the inbox and claim/ are on different mounts, BZ_EIO.
 */
int inbox_claim(struct inbox_dirs *d, struct inbox_file *f, struct bz_error *e);

/*
 * Copies the claimed file's bytes into the archive as archive/ab/cd/<sha256>
 * (a new temporary file, renamed; an intact entry already there is kept)
 * and returns the SHA-256, the archive path (for the record) and in *copy
 * a read-only descriptor of bizenv's own copy, at offset 0, which the
 * caller reads (or hands to a reader process) and closes: the inbox file
 * is read this once. The copy stops at
 * max_file_bytes and at `deadline` (CLOCK_MONOTONIC). With `durable` the
 * copy and its folder are fsynced; otherwise the caller must inbox_sync
 * before anything relies on the bytes being on disk (before the COMMIT
 * that says they were accepted); an entry found already present is checked
 * against its SHA-256 and replaced when torn (a run that lost power before
 * its sync). Sets f->size to the bytes copied.
 * Returns 0; BZ_EINPUT with e->code E_FILE_NOT_REGULAR (a directory, FIFO,
 * symlink or hard link: nothing archived), E_LIMIT_FILE_SIZE (f->cut set)
 * or E_LIMIT_TIME (nothing archived, *copy -1); BZ_EIO (disk full,
 * permissions) or BZ_ENOMEM with e filled.
 */
int inbox_archive(struct inbox_dirs *d, struct inbox_file *f, const struct timespec *deadline,
                  int durable, char sha256[65], char *archive_path, size_t cap, int *copy,
                  struct bz_error *e);

/*
 * Makes everything written without fsync in the archive, receipts and
 * quarantine durable: on Linux one syncfs(2) per filesystem they are on
 * (a batch of a few hundred files then costs one journal commit and one
 * disk cache flush, not one of each per file); elsewhere the deferred
 * writes were fsynced one by one already. Returns 0 or BZ_EIO with e
 * filled (E_IO_WRITE when the disk is full, else E_IO_READ).
 */
int inbox_sync(struct inbox_dirs *d, struct bz_error *e);

/* Accepted or duplicate: the bytes are archived, remove the claimed file. */
int inbox_done(struct inbox_dirs *d, const struct inbox_file *f, struct bz_error *e);

/*
 * Rejected: moves the claimed entry to quarantine/<day>/<name> and writes
 * `receipt` beside it as <name>.回执.txt. <name> fits NAME_MAX (a long name
 * is cut on a character boundary and marked with a hash of it) and never
 * replaces what is there (a suffix ~2, ~3, ... is added). For a file cut
 * for its size (f->cut) only its first INBOX_HEAD_BYTES are kept. Returns
 * 0 or BZ_EIO.
 */
int inbox_quarantine(struct inbox_dirs *d, struct inbox_file *f, const char *receipt,
                     size_t receipt_len, struct bz_error *e);

/* Not finished for a reason that is not the file's: back into the inbox
 * (left claimed when a new upload took its name; recovered next run). */
int inbox_release(struct inbox_dirs *d, struct inbox_file *f, struct bz_error *e);

/* Room for the name of a receipt file, NUL included. */
#define INBOX_RECEIPT_NAME (INBOX_OUT_NAME_MAX + 1)

/*
 * Writes one receipt to receipts/<day>/<name>[.<index>].回执.txt (index > 0
 * for the second and later submissions of a batch), never replacing one
 * there: two files of the same name on one day get two receipts (the
 * second ~2, ...). The name fits NAME_MAX as for inbox_quarantine. Without
 * `durable` the caller must inbox_sync. The file name made is returned in
 * `written` (inside receipts/<day>/). Returns 0 or BZ_EIO.
 */
int inbox_write_receipt(struct inbox_dirs *d, const char *name, size_t index, const char *text,
                        size_t len, int durable, char written[INBOX_RECEIPT_NAME],
                        struct bz_error *e);

/* Removes a receipt written by inbox_write_receipt (its batch was rolled
 * back; the rerun writes it again). */
void inbox_remove_receipt(struct inbox_dirs *d, const char *written);

/* Creates a folder and its parents (parents 0755, the folder 0750).
 * Returns 0 or BZ_EIO. */
int inbox_mkdirs(const char *path, struct bz_error *e);

#endif
