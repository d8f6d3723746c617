#include "hash.h"

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
