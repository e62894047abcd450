/*
 * key.c -- a secret as the contract reads it, and the HMAC block key it gives: trimming, the
 * checks (EMPTY, the first bad character, ODD) and the one derivation of k0, for hex secrets
 * and raw keys alike. No branch on secret data: the only branches are on public facts, passed
 * through PI_DECLASSIFY (which leading/trailing bytes are whitespace, whether the secret is
 * well formed), and on the error path where it is not.
 */
#include <string.h>

#include "internal.h"

#include <openssl/crypto.h>

static inline unsigned is_space(unsigned char c)     /* 1 for ' ', \t, \n, \r */
{
    unsigned x = (unsigned)(((c ^ 0x20u) - 1u) >> 8)
               | (unsigned)(((c ^ 0x09u) - 1u) >> 8)
               | (unsigned)(((c ^ 0x0au) - 1u) >> 8)
               | (unsigned)(((c ^ 0x0du) - 1u) >> 8);
    return x & 1u;
}

/* [*lo, *hi): s without its surrounding ASCII whitespace. The whitespace is public. */
void pi_secret_trim(const char *s, size_t n, size_t *lo, size_t *hi)
{
    size_t a = 0, b = n;
    unsigned w;
    while (a < b) {
        w = is_space((unsigned char)s[a]);
        PI_DECLASSIFY(&w, sizeof w);
        if (!w) break;
        a++;
    }
    while (b > a) {
        w = is_space((unsigned char)s[b - 1]);
        PI_DECLASSIFY(&w, sizeof w);
        if (!w) break;
        b--;
    }
    *lo = a;
    *hi = b;
}

/* The status of the digits s[a, b) (not empty), and the position for the caller. Reached
 * only for secrets known to be bad (or for pylon_idv_secret_check): it reveals which
 * characters are hex digits, a public fact about a malformed secret. */
static int scan(const char *s, size_t a, size_t b, size_t *position)
{
    size_t i;
    unsigned ok;
    for (i = a; i < b; i++) {
        ok = pi_hex_valid((unsigned char)s[i]);
        PI_DECLASSIFY(&ok, sizeof ok);
        if (!ok) {
            if (position) *position = i;
            return PYLON_IDV_ESECRET_CHAR;
        }
    }
    if ((b - a) & 1u) {
        if (position) *position = b;
        return PYLON_IDV_ESECRET_ODD;
    }
    return PYLON_IDV_OK;
}

int pi_secret_check(const char *s, size_t n, size_t *position)
{
    size_t lo, hi;
    if (position) *position = 0;
    if (s == NULL && n != 0) return PYLON_IDV_EINVAL;
    pi_secret_trim(s, n, &lo, &hi);
    if (lo == hi) return PYLON_IDV_ESECRET_EMPTY;
    return scan(s, lo, hi, position);
}

/* The HMAC block key k0 of a key given as bytes (hex == 0: p[0..n)) or as the even number of
 * hex digits p[0..2n) (hex == 1): the key zero padded, or, longer than a block, its SHA-256
 * (RFC 2104), hashed as it is decoded, a block at a time. Returns 1 if every digit was valid
 * (always, for bytes), 0 if not, <0 on an OpenSSL error. The one derivation of a key. */
static int derive_k0(unsigned char k0[PI_BLOCK], const char *p, size_t n, int hex)
{
    unsigned char chunk[PI_BLOCK];
    size_t done = 0;
    pi_sha256 h;
    int valid = 1, urc = 0, rc;

    if (n <= PI_BLOCK) {
        /* the key, zero padded: the whole block cleared first (a constant size, so four
         * inlined stores, where the pad's variable size was a call to memset) */
        memset(k0, 0, PI_BLOCK);
        if (hex) return pi_hex_decode(k0, p, n);
        if (n) memcpy(k0, p, n);
        return 1;
    }
    memset(k0, 0, PI_BLOCK);
    rc = pi_sha256_init(&h);
    if (rc != 0) return rc;
    while (done < n && urc == 0) {
        size_t k = n - done < PI_BLOCK ? n - done : PI_BLOCK;
        if (hex) {
            valid &= pi_hex_decode(chunk, p + 2 * done, k);
            urc = pi_sha256_update(&h, chunk, k);
        } else {
            urc = pi_sha256_update(&h, p + done, k);
        }
        done += k;
    }
    rc = pi_sha256_final(&h, k0);          /* always: it releases the context */
    OPENSSL_cleanse(chunk, sizeof chunk);
    if (urc != 0) rc = urc;
    return rc != 0 ? rc : valid;
}

int pi_k0_from_key(unsigned char k0[PI_BLOCK], const void *key, size_t len)
{
    int rc = derive_k0(k0, (const char *)key, len, 0);
    if (rc < 0) OPENSSL_cleanse(k0, PI_BLOCK);
    return rc < 0 ? rc : PYLON_IDV_OK;
}

int pi_secret_to_k0(unsigned char k0[PI_BLOCK], const char *s, size_t n, size_t *position)
{
    size_t lo, hi;
    int valid;

    if (position) *position = 0;
    if (s == NULL && n != 0) return PYLON_IDV_EINVAL;
    pi_secret_trim(s, n, &lo, &hi);
    if (lo == hi) return PYLON_IDV_ESECRET_EMPTY;
    if ((hi - lo) & 1u) return scan(s, lo, hi, position);     /* CHAR wins over ODD */
    /* One branch-free pass decodes and validates; only its verdict is declassified. */
    valid = derive_k0(k0, s + lo, (hi - lo) / 2, 1);
    if (valid < 0) { OPENSSL_cleanse(k0, PI_BLOCK); return valid; }
    PI_DECLASSIFY(&valid, sizeof valid);
    if (valid) return PYLON_IDV_OK;
    OPENSSL_cleanse(k0, PI_BLOCK);
    return scan(s, lo, hi, position);
}
