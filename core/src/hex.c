/*
 * hex.c -- hex codec and secret parsing, without branches or table lookups on secret data.
 *
 * Digits are decoded with arithmetic on the character (after libsodium's codecs.c); the only
 * branches are on public facts, passed through PI_DECLASSIFY: which leading/trailing bytes are
 * whitespace, whether the secret is well formed, and on the error path where it is not.
 */
#include <string.h>

#include "internal.h"

#include <openssl/crypto.h>

void pi_hex_encode(char *out, const unsigned char *in, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned hi = in[i] >> 4, lo = in[i] & 0xfu;
        out[2 * i]     = (char)((87u + hi + (((hi - 10u) >> 8) & ~38u)) & 0xffu);
        out[2 * i + 1] = (char)((87u + lo + (((lo - 10u) >> 8) & ~38u)) & 0xffu);
    }
    out[2 * n] = '\0';
}

/* Value of one hex digit; *ok gets 0xff when c is a hex digit, else 0. */
static inline unsigned hex_digit(unsigned char c, unsigned *ok)
{
    unsigned num = c ^ 48u;
    unsigned num_ok = ((num - 10u) >> 8) & 0xffu;           /* 0xff if '0'..'9' */
    unsigned alpha = ((c & ~32u) - 55u) & 0xffu;
    unsigned alpha_ok = (((alpha - 10u) ^ (alpha - 16u)) >> 8) & 0xffu;  /* 'A'..'F' */
    *ok = num_ok | alpha_ok;
    return (num_ok & num) | (alpha_ok & alpha);
}

int pi_hex_decode(unsigned char *out, const char *in, size_t n)
{
    unsigned valid = 0xffu, ok;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned hi = hex_digit((unsigned char)in[2 * i], &ok);
        valid &= ok;
        hi = (hi << 4) | hex_digit((unsigned char)in[2 * i + 1], &ok);
        valid &= ok;
        out[i] = (unsigned char)hi;
    }
    return (int)(valid & 1u);
}

int pi_tag_decode(unsigned char tag[PI_TAG], const char *hex, size_t n)
{
    if (hex == NULL || n != 2 * PI_TAG) return 0;   /* the length is public */
    return pi_hex_decode(tag, hex, PI_TAG);
}

static inline unsigned is_space(unsigned char c)     /* 1 for ' ', \t, \n, \r */
{
    unsigned x = (unsigned)(((c ^ 0x20u) - 1u) >> 8)
               | (unsigned)(((c ^ 0x09u) - 1u) >> 8)
               | (unsigned)(((c ^ 0x0au) - 1u) >> 8)
               | (unsigned)(((c ^ 0x0du) - 1u) >> 8);
    return x & 1u;
}

/* Find [lo, hi) of s without surrounding whitespace, then check the digits. On success *lo and
 * *hi bound an even number (>= 2) of hex digits. */
static int parse(const char *s, size_t n, size_t *lo, size_t *hi, size_t *position)
{
    size_t a = 0, b = n, i;
    unsigned valid = 0xffu, ok, w;

    if (position) *position = 0;
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
    if (a == b) return PYLON_IDV_ESECRET_EMPTY;
    for (i = a; i < b; i++) {
        (void)hex_digit((unsigned char)s[i], &ok);
        valid &= ok;
    }
    PI_DECLASSIFY(&valid, sizeof valid);
    if (!valid) {                     /* error path: the secret is unusable anyway */
        for (i = a; i < b; i++) {
            (void)hex_digit((unsigned char)s[i], &ok);
            PI_DECLASSIFY(&ok, sizeof ok);
            if (!ok) break;
        }
        if (position) *position = i;
        return PYLON_IDV_ESECRET_CHAR;
    }
    if ((b - a) & 1u) {
        if (position) *position = b;
        return PYLON_IDV_ESECRET_ODD;
    }
    *lo = a;
    *hi = b;
    return PYLON_IDV_OK;
}

int pi_secret_check(const char *s, size_t n, size_t *position)
{
    size_t lo, hi;
    if (s == NULL && n != 0) return PYLON_IDV_EINVAL;
    return parse(s, n, &lo, &hi, position);
}

int pi_secret_to_k0(unsigned char k0[PI_BLOCK], const char *s, size_t n, size_t *position)
{
    size_t lo = 0, hi = 0, nbytes;
    int rc;

    memset(k0, 0, PI_BLOCK);
    if (s == NULL && n != 0) return PYLON_IDV_EINVAL;
    rc = parse(s, n, &lo, &hi, position);
    if (rc != 0) return rc;
    nbytes = (hi - lo) / 2;
    if (nbytes <= PI_BLOCK) {
        (void)pi_hex_decode(k0, s + lo, nbytes);
        return PYLON_IDV_OK;
    }
    {   /* A key longer than a block is hashed first (RFC 2104); decode it in chunks. */
        unsigned char chunk[PI_BLOCK];
        pi_sha256 h;
        size_t done = 0;
        int urc = 0;

        rc = pi_sha256_init(&h);
        if (rc != 0) return rc;
        while (done < nbytes && urc == 0) {
            size_t k = nbytes - done < PI_BLOCK ? nbytes - done : PI_BLOCK;
            (void)pi_hex_decode(chunk, s + lo + 2 * done, k);
            urc = pi_sha256_update(&h, chunk, k);
            done += k;
        }
        rc = pi_sha256_final(&h, k0);
        OPENSSL_cleanse(chunk, sizeof chunk);
        if (urc != 0) rc = urc;
        if (rc != 0) OPENSSL_cleanse(k0, PI_BLOCK);
        return rc;
    }
}
