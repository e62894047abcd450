/*
 * hmac.c -- HMAC-SHA256 with a precomputed key, on OpenSSL libcrypto.
 *
 * A key is absorbed once: inner = SHA-256 state after (k0 ^ ipad), outer = after (k0 ^ opad).
 * Each message copies those states on the stack, so a shared key needs no lock, and a
 * short email costs exactly two compressions.
 *
 * Fast path (default): SHA256_CTX and SHA256_Transform, which run OpenSSL's SHA-NI/AVX2 block
 * function directly, with the final padding built here. No allocation, cannot fail.
 * The stack copies (the chaining state, and the block that carries the inner hash into the
 * outer compression) are wiped before pi_hmac returns.
 * Fallback (PYLON_IDV_USE_EVP): EVP_MD_CTX copies, one allocation per message.
 */
#include <string.h>

#include "internal.h"

#include <openssl/crypto.h>

#if !defined(PYLON_IDV_USE_EVP)

static void store_be32(unsigned char *p, uint32_t v)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);              /* one store: SHA-NI's 16-byte loads forward */
    memcpy(p, &v, 4);
#else
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);  p[3] = (unsigned char)v;
#endif
}

static void store_be64(unsigned char *p, uint64_t v)
{
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}


int pi_hmac_key_init(pi_hmac_key *k, const unsigned char k0[PI_BLOCK])
{
    unsigned char pad[PI_BLOCK];
    size_t i;

    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)(k0[i] ^ 0x36);
    SHA256_Init(&k->inner);
    SHA256_Update(&k->inner, pad, PI_BLOCK);
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)(k0[i] ^ 0x5c);
    SHA256_Init(&k->outer);
    SHA256_Update(&k->outer, pad, PI_BLOCK);
    OPENSSL_cleanse(pad, sizeof pad);
    return PYLON_IDV_OK;
}

void pi_hmac_key_wipe(pi_hmac_key *k)
{
    OPENSSL_cleanse(k, sizeof *k);
}

/* The state words of c, big-endian, into out[32]. */
static void state_out(unsigned char out[PI_TAG], const SHA256_CTX *c)
{
    size_t i;
    for (i = 0; i < 8; i++) store_be32(out + 4 * i, c->h[i]);
}

int pi_hmac(const pi_hmac_key *k, unsigned char tag[PI_TAG], const void *msg, size_t len)
{
    SHA256_CTX c;
    unsigned char block[2 * PI_BLOCK];
    const unsigned char *m = (const unsigned char *)msg;
    size_t full = len & ~(size_t)(PI_BLOCK - 1), tail = len - full, nblk;

    /* Only the chaining state is copied: SHA256_Transform reads nothing else, and the
     * whole-block SHA256_Update below needs num == 0 (the length fields go unused). */
    memcpy(c.h, k->inner.h, sizeof c.h);
    c.Nl = c.Nh = 0;
    c.num = 0;
    /* Whole blocks straight from the caller's buffer. */
    if (full) SHA256_Update(&c, m, full);
    /* The last partial block with 0x80, zeros and the bit length of ipad block + message. */
    nblk = tail < PI_BLOCK - 8 ? 1 : 2;
    memset(block, 0, sizeof block);
    if (tail) memcpy(block, m + full, tail);
    block[tail] = 0x80;
    store_be64(block + nblk * PI_BLOCK - 8, ((uint64_t)len + PI_BLOCK) << 3);
    SHA256_Transform(&c, block);
    if (nblk == 2) SHA256_Transform(&c, block + PI_BLOCK);

    /* Outer: one block of inner hash, 0x80, zeros, and (64 + 32) * 8 bits. */
    state_out(block, &c);
    memset(block + PI_TAG, 0, PI_BLOCK - PI_TAG);
    block[PI_TAG] = 0x80;
    store_be64(block + PI_BLOCK - 8, (uint64_t)(PI_BLOCK + PI_TAG) << 3);
    memcpy(c.h, k->outer.h, sizeof c.h);
    SHA256_Transform(&c, block);
    state_out(tag, &c);
    /* block holds the inner hash (and c the tag, the last state copy): both wiped. */
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(&c, sizeof c);
    return PYLON_IDV_OK;
}

int pi_sha256_init(pi_sha256 *s) { SHA256_Init(&s->ctx); return PYLON_IDV_OK; }
int pi_sha256_update(pi_sha256 *s, const void *p, size_t n)
{
    SHA256_Update(&s->ctx, p, n);
    return PYLON_IDV_OK;
}
int pi_sha256_final(pi_sha256 *s, unsigned char out[PI_TAG])
{
    SHA256_Final(out, &s->ctx);
    OPENSSL_cleanse(&s->ctx, sizeof s->ctx);
    return PYLON_IDV_OK;
}

#else /* PYLON_IDV_USE_EVP */

static EVP_MD_CTX *absorb(const unsigned char k0[PI_BLOCK], unsigned char x)
{
    unsigned char pad[PI_BLOCK];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t i;
    int ok;

    if (!c) return NULL;
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)(k0[i] ^ x);
    ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, pad, PI_BLOCK);
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok) { EVP_MD_CTX_free(c); return NULL; }
    return c;
}

int pi_hmac_key_init(pi_hmac_key *k, const unsigned char k0[PI_BLOCK])
{
    k->inner = absorb(k0, 0x36);
    k->outer = absorb(k0, 0x5c);
    if (!k->inner || !k->outer) { pi_hmac_key_wipe(k); return PYLON_IDV_ECRYPTO; }
    return PYLON_IDV_OK;
}

void pi_hmac_key_wipe(pi_hmac_key *k)
{
    EVP_MD_CTX_free(k->inner);   /* EVP_MD_CTX_free cleanses the digest state */
    EVP_MD_CTX_free(k->outer);
    k->inner = k->outer = NULL;
}

int pi_hmac(const pi_hmac_key *k, unsigned char tag[PI_TAG], const void *msg, size_t len)
{
    unsigned char ih[PI_TAG];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL
        && EVP_MD_CTX_copy_ex(c, k->inner) && EVP_DigestUpdate(c, msg, len)
        && EVP_DigestFinal_ex(c, ih, NULL)
        && EVP_MD_CTX_copy_ex(c, k->outer) && EVP_DigestUpdate(c, ih, PI_TAG)
        && EVP_DigestFinal_ex(c, tag, NULL);
    EVP_MD_CTX_free(c);
    OPENSSL_cleanse(ih, sizeof ih);
    if (!ok) { OPENSSL_cleanse(tag, PI_TAG); return PYLON_IDV_ECRYPTO; }
    return PYLON_IDV_OK;
}

int pi_sha256_init(pi_sha256 *s)
{
    s->ctx = EVP_MD_CTX_new();
    if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(s->ctx); s->ctx = NULL;
        return PYLON_IDV_ECRYPTO;
    }
    return PYLON_IDV_OK;
}
int pi_sha256_update(pi_sha256 *s, const void *p, size_t n)
{
    return EVP_DigestUpdate(s->ctx, p, n) ? PYLON_IDV_OK : PYLON_IDV_ECRYPTO;
}
int pi_sha256_final(pi_sha256 *s, unsigned char out[PI_TAG])
{
    int ok = EVP_DigestFinal_ex(s->ctx, out, NULL);
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
    return ok ? PYLON_IDV_OK : PYLON_IDV_ECRYPTO;
}

#endif /* PYLON_IDV_USE_EVP */

int pi_k0_from_key(unsigned char k0[PI_BLOCK], const void *key, size_t len)
{
    pi_sha256 h;
    int rc;

    memset(k0, 0, PI_BLOCK);
    if (len <= PI_BLOCK) {
        if (len) memcpy(k0, key, len);
        return PYLON_IDV_OK;
    }
    rc = pi_sha256_init(&h);
    if (rc == 0) {
        int urc = pi_sha256_update(&h, key, len);
        rc = pi_sha256_final(&h, k0);        /* always: it releases the context */
        if (urc != 0) rc = urc;
    }
    if (rc != 0) OPENSSL_cleanse(k0, PI_BLOCK);
    return rc;
}
