/*
 * ref.h -- the fuzz targets' reference model: the README's input rules written the
 * obvious way (branches everywhere, no cleverness), and OpenSSL's one-shot HMAC() as the
 * oracle. The library must agree with it on every input.
 */
#ifndef PYLON_IDV_FUZZ_REF_H
#define PYLON_IDV_FUZZ_REF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pylon_idv.h"

/* A failed property: say which, then abort so libFuzzer saves the input. */
#define REQUIRE(c) do { if (!(c)) { \
    fprintf(stderr, "%s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #c); abort(); } } while (0)

/* pylon_idv_signer_match as one number: the matched index, or -1 for no match. */
static inline int match_idx(const pylon_idv_signer *s, const char *e, size_t en,
                            const char *h, size_t hn)
{
    size_t which = 99;
    if (pylon_idv_signer_match(s, e, en, h, hn, &which) != 1) return which == 0 ? -1 : -2;
    return (int)which;
}

static inline int ref_is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static inline int ref_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*
 * The contract: trim ASCII space/tab/CR/LF; nothing left -> EMPTY (position 0); else the first
 * non-hex character -> CHAR at its index in the string as given; else an odd digit count ->
 * ODD at the index just past the last digit (tests/vectors/bad_secrets.tsv). On success
 * key[0..*key_len) is the decoded key; key must hold n / 2 bytes.
 */
static inline int ref_parse(const unsigned char *s, size_t n, size_t *position,
                     unsigned char *key, size_t *key_len)
{
    size_t a = 0, b = n, i;

    *position = 0;
    if (key_len) *key_len = 0;
    while (a < b && ref_is_space(s[a])) a++;
    while (b > a && ref_is_space(s[b - 1])) b--;
    if (a == b) return PYLON_IDV_ESECRET_EMPTY;
    for (i = a; i < b; i++)
        if (ref_hex_value(s[i]) < 0) { *position = i; return PYLON_IDV_ESECRET_CHAR; }
    if ((b - a) % 2) { *position = b; return PYLON_IDV_ESECRET_ODD; }
    if (key) {
        for (i = a; i < b; i += 2)
            key[(i - a) / 2] = (unsigned char)(ref_hex_value(s[i]) * 16 + ref_hex_value(s[i + 1]));
        *key_len = (b - a) / 2;
    }
    return PYLON_IDV_OK;
}

/* Lowercase hex of HMAC-SHA256(key, msg) by OpenSSL's one-shot HMAC(). */
static inline void ref_hmac_hex(char out[65], const void *key, size_t key_len,
                         const void *msg, size_t msg_len)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char tag[EVP_MAX_MD_SIZE], dummy = 0;
    unsigned int n = 0, i;

    REQUIRE(HMAC(EVP_sha256(), key_len ? key : &dummy, (int)key_len,
                 msg_len ? (const unsigned char *)msg : &dummy, msg_len, tag, &n) != NULL);
    REQUIRE(n == 32);
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[tag[i] >> 4];
        out[2 * i + 1] = digits[tag[i] & 15];
    }
    out[64] = '\0';
}

/* Is h[0..n) the 64 lowercase digits of want, ignoring ASCII case? */
static inline int ref_same_hash(const char *h, size_t n, const char want[65])
{
    size_t i;
    if (n != 64) return 0;
    for (i = 0; i < 64; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c != (unsigned char)want[i]) return 0;
    }
    return 1;
}

static inline void ref_upper(char *dst, const char *src, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : src[i]);
}

/* A malloc'd copy of data[0..n), so ASan sees reads past the exact end. NULL when n == 0. */
static inline char *ref_dup(const void *data, size_t n)
{
    char *p;
    if (n == 0) return NULL;
    p = (char *)malloc(n);
    REQUIRE(p != NULL);
    memcpy(p, data, n);
    return p;
}

#endif
