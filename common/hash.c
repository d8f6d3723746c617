#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

void
hash_init(struct hash_ctx *h)
{
    sha256_init(&h->sha);
}

void
hash_update(struct hash_ctx *h, const void *data, size_t n)
{
    if (n > 0)
        sha256_update(&h->sha, n, (const uint8_t *)data);
}

void
hash_final_hex(struct hash_ctx *h, char hex[HASH_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_SIZE];

    /* sha256_digest also re-initialises the context */
    sha256_digest(&h->sha, sizeof(d), d);
    for (size_t i = 0; i < sizeof(d); i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 0x0F];
    }
    hex[HASH_HEX_LEN] = '\0';
}

void
hash_sha256_hex(const void *data, size_t n, char hex[HASH_HEX_LEN + 1])
{
    struct hash_ctx h;

    hash_init(&h);
    hash_update(&h, data, n);
    hash_final_hex(&h, hex);
}

int
hash_random_hex(char *hex, size_t nbytes, struct bz_error *e)
{
    static const char digit[] = "0123456789abcdef";
    unsigned char raw[64];
    if (nbytes > sizeof(raw))
        return bz_error_set(e, E_INTERNAL, "随机编号过长（%zu 字节）", nbytes);
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            bz_error_set(e, E_IO_READ, "读取随机数“getrandom”失败");
            return bz_error_detail(e, "%s", strerror(err));
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < nbytes; i++) {
        hex[2 * i] = digit[raw[i] >> 4];
        hex[2 * i + 1] = digit[raw[i] & 15];
    }
    hex[2 * nbytes] = '\0';
    return 0;
}

/* Read size of hash_fd_hex: a few pages at a time, from the heap. */
#define FD_CHUNK 65536

int
hash_fd_hex(int fd, char hex[HASH_HEX_LEN + 1], int64_t *size)
{
    unsigned char *buf = malloc(FD_CHUNK);
    struct hash_ctx h;
    int64_t total = 0;
    if (buf == NULL)
        return -1;
    hash_init(&h);
    for (;;) {
        ssize_t r = pread(fd, buf, FD_CHUNK, (off_t)total);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            errno = err;
            return -1;
        }
        if (r == 0)
            break;
        hash_update(&h, buf, (size_t)r);
        total += r;
    }
    free(buf);
    hash_final_hex(&h, hex);
    *size = total;
    return 0;
}
