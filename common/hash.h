/*
 * hash — SHA-256 of byte streams, as lowercase hex.
 *
 * A thin wrapper over nettle's sha256 so that the rest of bizenv names one
 * module (hash_*) rather than nettle directly, and always gets the same hex
 * form (64 lowercase digits plus NUL) that receipts, the database and
 * the attachment lists store. It hashes bytes it is given, or a file
 * through a descriptor it is given (hash_fd_hex); it opens nothing itself.
 * Random ids (the journal's, the
 * home's) take the same lowercase hex form.
 */
#ifndef BZ_HASH_H
#define BZ_HASH_H

#include "error.h"

#include <nettle/sha2.h>

#include <stddef.h>
#include <stdint.h>

#define HASH_HEX_LEN 64 /* a SHA-256 in hex, without the NUL */

struct hash_ctx {
    struct sha256_ctx sha; /* nettle state; owned by the caller's struct */
};

/* Starts a new digest. Cannot fail. */
void hash_init(struct hash_ctx *h);

/* Feeds n bytes (n may be 0, data may then be NULL). Cannot fail. */
void hash_update(struct hash_ctx *h, const void *data, size_t n);

/* Writes the digest as 64 lowercase hex digits plus NUL into hex, and
 * resets h for a new digest. Cannot fail. */
void hash_final_hex(struct hash_ctx *h, char hex[HASH_HEX_LEN + 1]);

/* One-shot: the SHA-256 of n bytes as lowercase hex. Cannot fail. */
void hash_sha256_hex(const void *data, size_t n, char hex[HASH_HEX_LEN + 1]);

/* The SHA-256 of fd's whole content, read from its start with pread (its
 * offset is left alone); *size receives its bytes. Returns 0, or -1 with
 * errno set when it could not be read. */
int hash_fd_hex(int fd, char hex[HASH_HEX_LEN + 1], int64_t *size);

/* nbytes random bytes (getrandom) as 2*nbytes lowercase hex digits plus
 * NUL into hex. Returns 0 or BZ_EIO (E_IO_READ) when the kernel gave none. */
int hash_random_hex(char *hex, size_t nbytes, struct bz_error *e);

#endif
