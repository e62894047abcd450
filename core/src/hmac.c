/*
 * hmac.c -- HMAC-SHA256 with a precomputed key.
 *
 * A key is absorbed once: inner = SHA-256 state after (k0 ^ ipad), outer = after (k0 ^ opad),
 * kept both as H0..H7 and (x86-64) in the ABEF/CDGH order SHA-NI works in, so the short path
 * loads it with no shuffle. Each message starts from those states, so a shared key needs no
 * lock, and an email of up to 55 bytes costs exactly two compressions.
 *
 * The compression path (sha256.c) is chosen once from the CPU: SHA-NI or ARMv8 SHA-2, whose
 * short-email HMAC runs entirely in registers (no stack copy of any state), or OpenSSL's
 * block function. Longer messages take the general path below, whose stack copies of the
 * chaining state and of the inner hash are wiped before it returns. No allocation, cannot
 * fail. In the EVP build (PYLON_IDV_USE_EVP: OpenSSL without deprecated APIs) the OpenSSL
 * path is EVP_MD_CTX copies, one allocation per message; the SIMD paths stay as they are.
 */
#include <string.h>

#include "internal.h"

#include <openssl/crypto.h>

static void store_be32(unsigned char *p, uint32_t v)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);              /* one store: 16-byte loads forward from it */
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

#if defined(PYLON_IDV_USE_EVP)
static EVP_MD_CTX *absorb(const unsigned char pad[PI_BLOCK])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) return NULL;
    if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, pad, PI_BLOCK)) {
        EVP_MD_CTX_free(c);
        return NULL;
    }
    return c;
}
#endif

int pi_hmac_key_init(pi_hmac_key *k, const unsigned char k0[PI_BLOCK])
{
    unsigned char pad[PI_BLOCK];
    int path = pi_path, rc = PYLON_IDV_OK;
    size_t i;

#if defined(PI_HAVE_SHANI) && !defined(PYLON_IDV_USE_EVP)
    if (path == PI_PATH_SHANI) {           /* both blocks in registers, no pad buffer */
        pi_shani_key_init(k, k0);
        return PYLON_IDV_OK;
    }
#endif
    memset(k, 0, sizeof *k);
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)(k0[i] ^ 0x36);
    memcpy(k->inner, pi_sha256_iv, sizeof k->inner);
    pi_sha256_blocks(path, k->inner, pad, 1);
#if defined(PYLON_IDV_USE_EVP)
    if ((k->evp_inner = absorb(pad)) == NULL) rc = PYLON_IDV_ECRYPTO;
#endif
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)(k0[i] ^ 0x5c);
    memcpy(k->outer, pi_sha256_iv, sizeof k->outer);
    pi_sha256_blocks(path, k->outer, pad, 1);
#if defined(PYLON_IDV_USE_EVP)
    if ((k->evp_outer = absorb(pad)) == NULL) rc = PYLON_IDV_ECRYPTO;
#endif
#if defined(PI_HAVE_SHANI)
    pi_sha256_to_ni(k->inner_ni, k->inner);
    pi_sha256_to_ni(k->outer_ni, k->outer);
#endif
    PI_WIPE(pad, sizeof pad);
    if (rc != 0) pi_hmac_key_wipe(k);
    return rc;
}

void pi_hmac_key_wipe(pi_hmac_key *k)
{
#if defined(PYLON_IDV_USE_EVP)
    EVP_MD_CTX_free(k->evp_inner);         /* EVP_MD_CTX_free cleanses the digest state */
    EVP_MD_CTX_free(k->evp_outer);
#endif
    PI_WIPE(k, sizeof *k);
}

/* Whole blocks of a long message on a SHA-NI/ARMv8 path: OpenSSL's multi-block function, which
 * runs the same instructions (its SHA-NI loop measured ~5% faster than ours over 1 MiB), where
 * the build has it. The portable path keeps its own, so the tests check it on long input. */
#if !defined(PYLON_IDV_USE_EVP)
#  define PI_BULK_PATH(path) ((path) == PI_PATH_PORTABLE ? (path) : PI_PATH_OPENSSL)
#else
#  define PI_BULK_PATH(path) (path)
#endif

/* The general path: whole blocks straight from the caller's buffer, then the padded tail
 * (one or two blocks) and the outer block, built in one stack buffer that is wiped. */
static void blocks_hmac(int path, const pi_hmac_key *k, unsigned char tag[PI_TAG],
                        const unsigned char *m, size_t len)
{
    struct { uint32_t h[8]; unsigned char block[2 * PI_BLOCK]; } w;
    size_t full = len & ~(size_t)(PI_BLOCK - 1), tail = len - full, nblk, i;

    memcpy(w.h, k->inner, sizeof w.h);
    if (full) pi_sha256_blocks(PI_BULK_PATH(path), w.h, m, full / PI_BLOCK);
    /* 0x80, zeros and the bit length of ipad block + message */
    nblk = tail < PI_BLOCK - 8 ? 1 : 2;
    memset(w.block, 0, nblk * PI_BLOCK);
    if (tail) memcpy(w.block, m + full, tail);
    w.block[tail] = 0x80;
    store_be64(w.block + nblk * PI_BLOCK - 8, ((uint64_t)len + PI_BLOCK) << 3);
    pi_sha256_blocks(path, w.h, w.block, nblk);
    /* Outer: one block of inner hash, 0x80, zeros, and (64 + 32) * 8 bits. */
    for (i = 0; i < 8; i++) store_be32(w.block + 4 * i, w.h[i]);
    memset(w.block + PI_TAG, 0, PI_BLOCK - PI_TAG);
    w.block[PI_TAG] = 0x80;
    store_be64(w.block + PI_BLOCK - 8, (uint64_t)(PI_BLOCK + PI_TAG) << 3);
    memcpy(w.h, k->outer, sizeof w.h);
    pi_sha256_blocks(path, w.h, w.block, 1);
    for (i = 0; i < 8; i++) store_be32(tag + 4 * i, w.h[i]);
    PI_WIPE(&w, sizeof w);                 /* chaining state and inner hash */
}

#if defined(PYLON_IDV_USE_EVP)
static int evp_hmac(const pi_hmac_key *k, unsigned char tag[PI_TAG], const void *msg, size_t len)
{
    unsigned char ih[PI_TAG];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL
        && EVP_MD_CTX_copy_ex(c, k->evp_inner) && EVP_DigestUpdate(c, msg, len)
        && EVP_DigestFinal_ex(c, ih, NULL)
        && EVP_MD_CTX_copy_ex(c, k->evp_outer) && EVP_DigestUpdate(c, ih, PI_TAG)
        && EVP_DigestFinal_ex(c, tag, NULL);
    EVP_MD_CTX_free(c);
    OPENSSL_cleanse(ih, sizeof ih);
    if (!ok) { OPENSSL_cleanse(tag, PI_TAG); return PYLON_IDV_ECRYPTO; }
    return PYLON_IDV_OK;
}
#endif

int pi_hmac(const pi_hmac_key *k, unsigned char tag[PI_TAG], const void *msg, size_t len)
{
    const unsigned char *m = (const unsigned char *)msg;
    int path = pi_path;
#if defined(PI_HAVE_SHANI)
    if (path == PI_PATH_SHANI && len <= PI_SHORT_MAX) {
        pi_shani_hmac_tag(k, tag, m, len);
        return PYLON_IDV_OK;
    }
#endif
#if defined(PI_HAVE_ARMV8)
    if (path == PI_PATH_ARMV8 && len <= PI_SHORT_MAX) {
        pi_armv8_hmac_tag(k, tag, m, len);
        return PYLON_IDV_OK;
    }
#endif
#if defined(PYLON_IDV_USE_EVP)
    if (path == PI_PATH_OPENSSL) return evp_hmac(k, tag, msg, len);
#endif
    blocks_hmac(path, k, tag, m, len);
    return PYLON_IDV_OK;
}

int pi_hmac_hex(const pi_hmac_key *k, char hex[PYLON_IDV_HASH_HEX_SIZE],
                const void *msg, size_t len)
{
    unsigned char tag[PI_TAG];
    int rc;
#if defined(PI_HAVE_SHANI)
    if (pi_path == PI_PATH_SHANI && len <= PI_SHORT_MAX) {
        pi_shani_hmac_hex(k, hex, (const unsigned char *)msg, len);
        return PYLON_IDV_OK;
    }
#endif
#if defined(PI_HAVE_ARMV8)
    if (pi_path == PI_PATH_ARMV8 && len <= PI_SHORT_MAX) {
        pi_armv8_hmac_hex(k, hex, (const unsigned char *)msg, len);
        return PYLON_IDV_OK;
    }
#endif
    rc = pi_hmac(k, tag, msg, len);
    if (rc == 0) pi_hex_encode(hex, tag, PI_TAG);
    else hex[0] = '\0';
    PI_WIPE(tag, sizeof tag);              /* the tag's only copy is the caller's hex now */
    return rc;
}

int pi_hmac_equals(const pi_hmac_key *k, const void *msg, size_t len, const char hex[2 * PI_TAG])
{
    unsigned char tag[PI_TAG];
    int eq;
#if defined(PI_HAVE_SHANI)
    if (pi_path == PI_PATH_SHANI && len <= PI_SHORT_MAX)
        return pi_shani_hmac_equals(k, (const unsigned char *)msg, len, hex);
#endif
    eq = pi_hmac(k, tag, msg, len) == 0;
    eq &= pi_hex_equals(tag, PI_TAG, hex);
    PI_WIPE(tag, sizeof tag);              /* the expected tag: a valid hash for this email */
    return eq;
}
