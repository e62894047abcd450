/*
 * test_core.c -- the C core against the shared vectors and its own properties.
 *   test_core VECTORS_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <pthread.h>

#include <openssl/hmac.h>
#include <openssl/evp.h>

#include "pylon_idv.h"
#include "check.h"

static const char *vectors_dir;

static void to_upper(char *s) { for (; *s; s++) *s = (char)toupper((unsigned char)*s); }

/* ------------------------------------------------------------- public vectors */
static int n_sign, n_reject;

static void public_row(char **f, int n, void *ctx)
{
    size_t mlen;
    char *msg, h[65], key_upper[1024];
    const char *key = f[3], *tag = f[5];
    pylon_idv_signer *s = NULL;
    (void)ctx;
    CHECK(n == 6);
    msg = unhex(f[4], &mlen);
    snprintf(key_upper, sizeof key_upper, "%s", key);
    to_upper(key_upper);
    CHECK(pylon_idv_signer_new(&s, key, strlen(key)) == 0);
    if (strcmp(f[2], "sign") == 0) {
        n_sign++;
        CHECK(pylon_idv_sign(h, msg, mlen, key, strlen(key)) == 0);
        CHECK_MSG(strcmp(h, tag) == 0, "%s %s", f[0], f[1]);
        CHECK(pylon_idv_sign(h, msg, mlen, key_upper, strlen(key_upper)) == 0);
        CHECK(strcmp(h, tag) == 0);
        CHECK(pylon_idv_verify(msg, mlen, key, strlen(key), tag, strlen(tag)) == 1);
        CHECK(pylon_idv_signer_sign(s, h, msg, mlen) == 0);
        CHECK(strcmp(h, tag) == 0);
        CHECK(pylon_idv_signer_verify(s, msg, mlen, tag, strlen(tag)) == 1);
        CHECK(match_idx(s, msg, mlen, tag, strlen(tag)) == 0);
    } else {
        n_reject++;
        CHECK_MSG(pylon_idv_verify(msg, mlen, key, strlen(key), tag, strlen(tag)) == 0,
                  "%s %s", f[0], f[1]);
        CHECK(pylon_idv_signer_verify(s, msg, mlen, tag, strlen(tag)) == 0);
        CHECK(match_idx(s, msg, mlen, tag, strlen(tag)) == -1);
    }
    pylon_idv_signer_free(s);
    free(msg);
}

/* --------------------------------------------------------------- cross-reference */
static int n_cross;

static void cross_row(char **f, int n, void *ctx)
{
    size_t elen, slen;
    char *email, *secret, h[65], h2[65], upper[65];
    pylon_idv_signer *s = NULL;
    (void)ctx;
    CHECK(n == 4);
    n_cross++;
    email = unhex(f[1], &elen);
    secret = unhex(f[2], &slen);
    CHECK(pylon_idv_sign(h, email, elen, secret, slen) == 0);
    CHECK_MSG(strcmp(h, f[3]) == 0, "crossref %s", f[0]);
    CHECK(pylon_idv_signer_new(&s, secret, slen) == 0);
    CHECK(pylon_idv_signer_sign(s, h2, email, elen) == 0);
    CHECK_MSG(strcmp(h2, h) == 0, "signer == one-shot: %s", f[0]);
    CHECK(pylon_idv_verify(email, elen, secret, slen, f[3], 64) == 1);
    memcpy(upper, f[3], 65);
    to_upper(upper);
    CHECK(pylon_idv_verify(email, elen, secret, slen, upper, 64) == 1);
    CHECK(pylon_idv_signer_verify(s, email, elen, upper, 64) == 1);
    pylon_idv_signer_free(s);
    free(email);
    free(secret);
}

/* ---------------------------------------------------------------- bad secrets */
static int n_bad;

static int status_of(const char *name)
{
    if (strcmp(name, "EMPTY") == 0) return PYLON_IDV_ESECRET_EMPTY;
    if (strcmp(name, "ODD") == 0) return PYLON_IDV_ESECRET_ODD;
    if (strcmp(name, "CHAR") == 0) return PYLON_IDV_ESECRET_CHAR;
    return 1;
}

static void bad_row(char **f, int n, void *ctx)
{
    size_t slen, pos = 12345;
    char *secret = unhex(f[0], &slen), h[65] = "x";
    int want = status_of(f[1]);
    pylon_idv_signer *s = (pylon_idv_signer *)&pos, *ok = NULL;
    (void)ctx;
    CHECK(n == 3);
    n_bad++;
    CHECK_MSG(pylon_idv_secret_check(secret, slen, &pos) == want, "bad secret %s", f[0]);
    CHECK_MSG(pos == (size_t)atol(f[2]), "position of %s: %lu", f[0], (unsigned long)pos);
    CHECK(pylon_idv_secret_check(secret, slen, NULL) == want);
    CHECK(pylon_idv_sign(h, "a@b.c", 5, secret, slen) == want);
    CHECK(h[0] == '\0');                       /* never a hash from a bad secret */
    /* fail closed: a bad secret is never a match, not even for the hash of an empty key */
    CHECK(pylon_idv_verify("a@b.c", 5, secret, slen, "00", 2) == 0);
    {
        char empty_key_hash[65];
        oracle(empty_key_hash, "", 0, "a@b.c", 5);
        CHECK(pylon_idv_verify("a@b.c", 5, secret, slen, empty_key_hash, 64) == 0);
    }
    CHECK(pylon_idv_signer_new(&s, secret, slen) == want);
    CHECK(s == NULL);
    CHECK(pylon_idv_signer_new(&ok, "0b0b", 4) == 0);
    CHECK(pylon_idv_signer_add_previous(ok, secret, slen) == want);
    {   /* the message: one formatter, the position found again in the text */
        char msg[PYLON_IDV_MESSAGE_SIZE], expect[PYLON_IDV_MESSAGE_SIZE];
        if (want == PYLON_IDV_ESECRET_CHAR)
            snprintf(expect, sizeof expect, "invalid secret: invalid hex digit at position %s "
                     "(previous secret #3)", f[2]);
        else
            snprintf(expect, sizeof expect, "%s (previous secret #3)", pylon_idv_strerror(want));
        CHECK_MSG(strcmp(pylon_idv_message(msg, sizeof msg, want, secret, slen, 3), expect) == 0,
                  "%s", msg);
    }
    CHECK(match_idx(ok, "a@b.c", 5, "00", 2) == -1);
    pylon_idv_signer_free(ok);
    free(secret);
}

/* ------------------------------------------------------------------ properties */
static void test_malformed_hashes(void)
{
    const char *key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const char *email = "jane@example.com";
    char h[65], bad[80];
    pylon_idv_signer *s = NULL;
    size_t i;
    int d;

    CHECK(pylon_idv_sign(h, email, strlen(email), key, 64) == 0);
    CHECK(pylon_idv_signer_new(&s, key, 64) == 0);
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, NULL, 64) == 0);
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, NULL, 0) == 0);
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, "", 0) == 0);
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, h, 63) == 0);   /* prefix */
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, h, 32) == 0);
    memcpy(bad, h, 64); bad[64] = '0';
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, bad, 65) == 0); /* too long */
    bad[64] = '\0';
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, bad, 65) == 0);  /* NUL suffix */
    memcpy(bad, h, 65); bad[10] = 'g';
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, bad, 64) == 0);
    memcpy(bad, h, 65); bad[0] = ' ';
    CHECK(pylon_idv_verify(email, strlen(email), key, 64, bad, 64) == 0);
    /* Every nibble, flipped to every other digit, fails. */
    for (i = 0; i < 64; i++) {
        for (d = 0; d < 16; d++) {
            char c = "0123456789abcdef"[d];
            if (c == h[i]) continue;
            memcpy(bad, h, 65);
            bad[i] = c;
            CHECK(pylon_idv_verify(email, strlen(email), key, 64, bad, 64) == 0);
            CHECK(match_idx(s, email, strlen(email), bad, 64) == -1);
        }
    }
    pylon_idv_signer_free(s);
}

static void test_random_against_oracle(void)
{
    unsigned char key[300], msg[1200];
    char hex[601], h[65], h2[65], want[65];
    int iter;
    for (iter = 0; iter < 2000; iter++) {
        size_t klen = 1 + rng() % 300, mlen = rng() % 1200, i;
        pylon_idv_signer *s = NULL;
        for (i = 0; i < klen; i++) key[i] = (unsigned char)rng();
        for (i = 0; i < mlen; i++) msg[i] = (unsigned char)rng();
        for (i = 0; i < klen; i++) sprintf(hex + 2 * i, (iter & 1) ? "%02X" : "%02x", key[i]);
        oracle(want, key, klen, msg, mlen);
        CHECK(pylon_idv_sign(h, (const char *)msg, mlen, hex, 2 * klen) == 0);
        CHECK_MSG(strcmp(h, want) == 0, "klen %lu mlen %lu", (unsigned long)klen,
                  (unsigned long)mlen);
        CHECK(pylon_idv_signer_new_from_key(&s, key, klen) == 0);
        CHECK(pylon_idv_signer_sign(s, h2, (const char *)msg, mlen) == 0);
        CHECK(strcmp(h2, want) == 0);
        pylon_idv_signer_free(s);
    }
}

static void test_rotation(void)
{
    const char *k0 = "1111111111111111111111111111111111111111111111111111111111111111";
    const char *k1 = "2222222222222222222222222222222222222222222222222222222222222222";
    const char *k2 = "3333333333333333333333333333333333333333333333333333333333333333";
    const char *k3 = "4444444444444444444444444444444444444444444444444444444444444444";
    const char *e = "jane@example.com";
    char h0[65], h1[65], h2[65], h3[65], h[65];
    pylon_idv_signer *s = NULL;

    CHECK(pylon_idv_sign(h0, e, strlen(e), k0, 64) == 0);
    CHECK(pylon_idv_sign(h1, e, strlen(e), k1, 64) == 0);
    CHECK(pylon_idv_sign(h2, e, strlen(e), k2, 64) == 0);
    CHECK(pylon_idv_sign(h3, e, strlen(e), k3, 64) == 0);
    CHECK(pylon_idv_signer_new(&s, k0, 64) == 0);
    CHECK(match_idx(s, e, strlen(e), h1, 64) == -1);
    CHECK(pylon_idv_signer_add_previous(s, k1, 64) == 0);
    CHECK(pylon_idv_signer_add_previous(s, k2, 64) == 0);
    CHECK(pylon_idv_signer_add_previous(s, "zz", 2) == PYLON_IDV_ESECRET_CHAR);
    CHECK(pylon_idv_signer_add_previous(s, k0, 64) == 0);   /* duplicate: first one wins */
    CHECK(pylon_idv_signer_sign(s, h, e, strlen(e)) == 0);
    CHECK(strcmp(h, h0) == 0);                              /* signs with the current */
    CHECK(match_idx(s, e, strlen(e), h0, 64) == 0);
    CHECK(match_idx(s, e, strlen(e), h1, 64) == 1);
    CHECK(match_idx(s, e, strlen(e), h2, 64) == 2);
    CHECK(match_idx(s, e, strlen(e), h3, 64) == -1);
    CHECK(pylon_idv_signer_verify(s, e, strlen(e), h2, 64) == 1);
    CHECK(pylon_idv_signer_verify(s, e, strlen(e), h3, 64) == 0);
    CHECK(match_idx(s, "other@example.com", 17, h1, 64) == -1);
    {   /* the answer is 1/0 (a match with the current secret is true), the index apart */
        size_t w = 7;
        CHECK(pylon_idv_signer_match(s, e, strlen(e), h0, 64, &w) == 1 && w == 0);
        w = 7;
        CHECK(pylon_idv_signer_match(s, e, strlen(e), h2, 64, &w) == 1 && w == 2);
        w = 7;
        CHECK(pylon_idv_signer_match(s, e, strlen(e), h3, 64, &w) == 0 && w == 0);
        CHECK(pylon_idv_signer_match(s, e, strlen(e), h1, 64, NULL) == 1);
    }
    pylon_idv_signer_free(s);
}

static void test_fingerprint_and_keys(void)
{
    const char *label = "pylon_idv fingerprint v1";
    const unsigned char raw[] = "intercom-style-secret";
    char fp[PYLON_IDV_FINGERPRINT_SIZE], fp2[PYLON_IDV_FINGERPRINT_SIZE], want[65], hex[64];
    pylon_idv_signer *a = NULL, *b = NULL;
    size_t i;

    CHECK(pylon_idv_signer_new_from_key(&a, raw, sizeof raw - 1) == 0);
    for (i = 0; i < sizeof raw - 1; i++) sprintf(hex + 2 * i, "%02x", raw[i]);
    CHECK(pylon_idv_signer_new(&b, hex, 2 * (sizeof raw - 1)) == 0);
    CHECK(pylon_idv_signer_fingerprint(a, fp) == 0);
    CHECK(pylon_idv_signer_fingerprint(b, fp2) == 0);
    oracle(want, raw, sizeof raw - 1, label, strlen(label));
    CHECK(strlen(fp) == 16 && strncmp(fp, want, 16) == 0);
    CHECK(strcmp(fp, fp2) == 0);
    pylon_idv_signer_free(a);
    pylon_idv_signer_free(b);
    a = (pylon_idv_signer *)hex;
    CHECK(pylon_idv_signer_new_from_key(&a, raw, 0) == PYLON_IDV_ESECRET_EMPTY && a == NULL);
    CHECK(pylon_idv_signer_new_from_key(&a, NULL, 3) == PYLON_IDV_EINVAL);
}

static void test_arguments(void)
{
    char h[65], s[PYLON_IDV_SECRET_HEX_SIZE], s2[PYLON_IDV_SECRET_HEX_SIZE], fp[17];
    const char *k = "0b0b";
    pylon_idv_signer *sg = NULL;
    size_t i;
    int st;

    CHECK(pylon_idv_sign(NULL, "a", 1, k, 4) == PYLON_IDV_EINVAL);
    CHECK(pylon_idv_sign(h, NULL, 1, k, 4) == PYLON_IDV_EINVAL && h[0] == '\0');
    CHECK(pylon_idv_sign(h, NULL, 0, k, 4) == 0 && strlen(h) == 64);   /* empty email */
    CHECK(pylon_idv_sign(h, "a", 1, NULL, 4) == PYLON_IDV_EINVAL);
    CHECK(pylon_idv_sign(h, "a", 1, NULL, 0) == PYLON_IDV_ESECRET_EMPTY);
    CHECK(pylon_idv_signer_new(NULL, k, 4) == PYLON_IDV_EINVAL);
    CHECK(pylon_idv_signer_add_previous(NULL, k, 4) == PYLON_IDV_EINVAL);
    CHECK(pylon_idv_signer_sign(NULL, h, "a", 1) == PYLON_IDV_EINVAL);
    CHECK(h[0] == '\0');
    CHECK(pylon_idv_signer_verify(NULL, "a", 1, h, 64) == 0);
    CHECK(match_idx(NULL, "a", 1, h, 64) == -1);
    CHECK(pylon_idv_signer_match(NULL, "a", 1, h, 64, NULL) == 0);
    CHECK(pylon_idv_signer_fingerprint(NULL, fp) == PYLON_IDV_EINVAL);
    CHECK(fp[0] == '\0');
    pylon_idv_signer_free(NULL);
    CHECK(pylon_idv_signer_new(&sg, k, 4) == 0);
    CHECK(pylon_idv_signer_sign(sg, h, NULL, 3) == PYLON_IDV_EINVAL);
    CHECK(h[0] == '\0');
    CHECK(pylon_idv_signer_sign(sg, NULL, "a", 1) == PYLON_IDV_EINVAL);
    CHECK(pylon_idv_signer_fingerprint(sg, NULL) == PYLON_IDV_EINVAL);
    {   /* the public wipe: zeroes, and NULL or 0 bytes is nothing */
        char w[16];
        memset(w, 0x5a, sizeof w);
        pylon_idv_wipe(w, sizeof w);
        for (i = 0; i < sizeof w; i++) CHECK(w[i] == 0);
        pylon_idv_wipe(NULL, 16);
        pylon_idv_wipe(w, 0);
    }
    pylon_idv_signer_free(sg);
    /* generate_secret */
    CHECK(pylon_idv_generate_secret(NULL) == PYLON_IDV_EINVAL);
    CHECK(pylon_idv_generate_secret(s) == 0 && pylon_idv_generate_secret(s2) == 0);
    CHECK(strlen(s) == 64 && strcmp(s, s2) != 0);
    for (i = 0; i < 64; i++) CHECK(strchr("0123456789abcdef", s[i]) != NULL);
    CHECK(pylon_idv_sign(h, "a", 1, s, 64) == 0);
    /* strerror: every status has its own message */
    for (st = PYLON_IDV_EINVAL; st <= 0; st++) {
        const char *m = pylon_idv_strerror(st);
        CHECK(m != NULL && strcmp(m, "unknown status") != 0);
        if (st < 0) CHECK(strcmp(m, pylon_idv_strerror(st + 1)) != 0);
    }
    CHECK(strcmp(pylon_idv_strerror(-99), "unknown status") == 0);
    CHECK(strcmp(pylon_idv_strerror(1), "unknown status") == 0);
    CHECK(strcmp(pylon_idv_version(), PYLON_IDV_EXPECTED_VERSION) == 0);
}

/* The header's promises: the version macros are the runtime version, causes keep their
 * numbers, the message formatter says the same thing for every caller. */
static void test_header(void)
{
    char v[32], m[PYLON_IDV_MESSAGE_SIZE], tiny[8];
    snprintf(v, sizeof v, "%d.%d.%d", PYLON_IDV_VERSION_MAJOR, PYLON_IDV_VERSION_MINOR,
             PYLON_IDV_VERSION_PATCH);
    CHECK(strcmp(v, PYLON_IDV_VERSION_STRING) == 0);
    CHECK(strcmp(pylon_idv_version(), PYLON_IDV_VERSION_STRING) == 0);
    CHECK(PYLON_IDV_CAUSE_MATCH == 0 && PYLON_IDV_CAUSE_RAW_SECRET == 1
          && PYLON_IDV_CAUSE_EMAIL_CASE == 2 && PYLON_IDV_CAUSE_EMAIL_WHITESPACE == 3
          && PYLON_IDV_CAUSE_WRONG_ALGORITHM == 4 && PYLON_IDV_CAUSE_BASE64_DIGEST == 5
          && PYLON_IDV_CAUSE_ARGUMENTS_SWAPPED == 6 && PYLON_IDV_CAUSE_TRUNCATED_SECRET == 7
          && PYLON_IDV_CAUSE_INVALID_SECRET == 8 && PYLON_IDV_CAUSE_UNKNOWN == 99);
    CHECK(strcmp(pylon_idv_cause_name(PYLON_IDV_CAUSE_INVALID_SECRET), "invalid_secret") == 0);
    CHECK(strcmp(pylon_idv_cause_name(PYLON_IDV_CAUSE_UNKNOWN), "unknown") == 0);
    CHECK(strcmp(pylon_idv_cause_name(9), "unknown") == 0);
    CHECK(strcmp(pylon_idv_cause_name(-1), "unknown") == 0);
    CHECK(strcmp(pylon_idv_message(m, sizeof m, PYLON_IDV_ESECRET_CHAR, "abcx", 4, 0),
                 "invalid secret: invalid hex digit at position 3") == 0);
    CHECK(strcmp(pylon_idv_message(m, sizeof m, PYLON_IDV_ESECRET_CHAR, " ab x", 5, 2),
                 "invalid secret: invalid hex digit at position 3 (previous secret #2)") == 0);
    CHECK(strcmp(pylon_idv_message(m, sizeof m, PYLON_IDV_ESECRET_CHAR, NULL, 0, 0),
                 "invalid secret: invalid hex digit") == 0);
    CHECK(strcmp(pylon_idv_message(m, sizeof m, PYLON_IDV_ESECRET_ODD, "abc", 3, 0),
                 "invalid secret: odd number of hex digits") == 0);
    CHECK(strcmp(pylon_idv_message(m, sizeof m, PYLON_IDV_ESECRET_EMPTY, " ", 1, 0),
                 "invalid secret: empty (nothing but whitespace)") == 0);
    CHECK(strcmp(pylon_idv_message(m, sizeof m, PYLON_IDV_ESECRET_EMPTY, NULL, 0,
                                   PYLON_IDV_MESSAGE_KEY), "invalid key: empty (no bytes)") == 0);
    CHECK(strcmp(pylon_idv_message(m, sizeof m, PYLON_IDV_ENOMEM, NULL, 0, 4),
                 "out of memory") == 0);
    CHECK(strcmp(pylon_idv_message(tiny, sizeof tiny, PYLON_IDV_ENOMEM, NULL, 0, 0),
                 "out of ") == 0);                               /* truncated, terminated */
    CHECK(pylon_idv_message(NULL, 0, PYLON_IDV_ENOMEM, NULL, 0, 0) == NULL);
}

/* Fail closed: no input makes verify return anything but 0 or 1. */
static void test_fail_closed(void)
{
    const char *e = "jane@example.com";
    char h[65];
    int r;
    oracle(h, "", 0, e, strlen(e));               /* what an empty key would give */
    CHECK(pylon_idv_verify(e, strlen(e), "", 0, h, 64) == 0);
    CHECK(pylon_idv_verify(e, strlen(e), "  \n", 3, h, 64) == 0);
    CHECK(pylon_idv_verify(e, strlen(e), NULL, 0, h, 64) == 0);
    CHECK(pylon_idv_verify(e, strlen(e), NULL, 64, h, 64) == 0);
    CHECK(pylon_idv_verify(NULL, 5, "0b0b", 4, h, 64) == 0);
    CHECK(pylon_idv_sign(h, e, strlen(e), "0b0b", 4) == 0);
    CHECK(pylon_idv_verify(e, strlen(e), "0b0b", 4, h, 64) == 1);
    r = pylon_idv_verify(e, strlen(e), "0b0", 3, h, 64);
    CHECK(r == 0);
    /* the natural `if` cannot accept a hash under a missing secret */
    if (pylon_idv_verify(e, strlen(e), "", 0, h, 64))
        CHECK_MSG(0, "the natural if accepted a hash under an empty secret");
}

/* ------------------------------------------------------------------- diagnose */
static void test_diagnose(void)
{
    const char *secret = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812";
    const char *email = "Jane.Doe@Example.com";
    unsigned char key[32], tag[64];
    unsigned int n;
    char h[65], up[65], b64[64];
    size_t i, klen;
    int c;

    for (i = 0; i < 32; i++) key[i] = (unsigned char)(unhex_nibble(secret[2 * i]) << 4
                                                      | unhex_nibble(secret[2 * i + 1]));
    klen = 32;
#define DIAG(hash) pylon_idv_diagnose(email, strlen(email), secret, 64, (hash), strlen(hash))
    oracle(h, key, klen, email, strlen(email));
    CHECK(DIAG(h) == PYLON_IDV_CAUSE_MATCH);
    memcpy(up, h, 65); to_upper(up);
    CHECK(DIAG(up) == PYLON_IDV_CAUSE_MATCH);
    oracle(h, secret, 64, email, strlen(email));
    CHECK(DIAG(h) == PYLON_IDV_CAUSE_RAW_SECRET);
    oracle(h, key, klen, "jane.doe@example.com", strlen(email));
    CHECK(DIAG(h) == PYLON_IDV_CAUSE_EMAIL_CASE);
    oracle(h, key, klen, "JANE.DOE@EXAMPLE.COM", strlen(email));
    CHECK(DIAG(h) == PYLON_IDV_CAUSE_EMAIL_CASE);
    HMAC(EVP_sha1(), key, (int)klen, (const unsigned char *)email, strlen(email), tag, &n);
    for (i = 0; i < n; i++) sprintf(h + 2 * i, "%02x", tag[i]);
    CHECK(DIAG(h) == PYLON_IDV_CAUSE_WRONG_ALGORITHM);
    HMAC(EVP_md5(), key, (int)klen, (const unsigned char *)email, strlen(email), tag, &n);
    for (i = 0; i < n; i++) sprintf(h + 2 * i, "%02x", tag[i]);
    CHECK(DIAG(h) == PYLON_IDV_CAUSE_WRONG_ALGORITHM);
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)email, strlen(email), tag, &n);
    EVP_EncodeBlock((unsigned char *)b64, tag, 32);
    CHECK(DIAG(b64) == PYLON_IDV_CAUSE_BASE64_DIGEST);
    b64[43] = '\0';                                     /* unpadded */
    CHECK(DIAG(b64) == PYLON_IDV_CAUSE_BASE64_DIGEST);
    oracle(h, email, strlen(email), secret, 64);
    CHECK(DIAG(h) == PYLON_IDV_CAUSE_ARGUMENTS_SWAPPED);
    CHECK(DIAG("0000000000000000000000000000000000000000000000000000000000000000")
          == PYLON_IDV_CAUSE_UNKNOWN);
    CHECK(DIAG("") == PYLON_IDV_CAUSE_UNKNOWN);
    CHECK(pylon_idv_diagnose(email, strlen(email), secret, 64, NULL, 5) == PYLON_IDV_CAUSE_UNKNOWN);
    {   /* whitespace around the email */
        const char *e2 = "  jane@example.com\n";
        oracle(h, key, klen, "jane@example.com", 16);
        CHECK(pylon_idv_diagnose(e2, strlen(e2), secret, 64, h, 64)
              == PYLON_IDV_CAUSE_EMAIL_WHITESPACE);
    }
    {   /* a malformed secret: Node's Buffer.from(s, "hex") stops at the first bad pair */
        const char *bad = "8f3a5be1c0d2e4f6a7b9c1d3e5f70819-a3b4c5d6e7f8091a2b3c4d5e6f70812";
        oracle(h, key, 16, email, strlen(email));
        c = pylon_idv_diagnose(email, strlen(email), bad, strlen(bad), h, 64);
        CHECK(c == PYLON_IDV_CAUSE_TRUNCATED_SECRET);
        oracle(h, key, 31, email, strlen(email));          /* odd: last digit dropped */
        c = pylon_idv_diagnose(email, strlen(email), secret, 63, h, 64);
        CHECK(c == PYLON_IDV_CAUSE_TRUNCATED_SECRET);
        c = pylon_idv_diagnose(email, strlen(email), bad, strlen(bad), "00", 2);
        CHECK(c == PYLON_IDV_CAUSE_INVALID_SECRET);
        oracle(h, bad, strlen(bad), email, strlen(email));
        c = pylon_idv_diagnose(email, strlen(email), bad, strlen(bad), h, 64);
        CHECK(c == PYLON_IDV_CAUSE_RAW_SECRET);
        CHECK(pylon_idv_diagnose(email, strlen(email), "  ", 2, "00", 2)
              == PYLON_IDV_CAUSE_INVALID_SECRET);
    }
    for (c = 0; c <= PYLON_IDV_CAUSE_UNKNOWN; c++) {
        CHECK(strlen(pylon_idv_cause_name(c)) > 0);
        CHECK(strlen(pylon_idv_cause_message(c)) > 20);
        CHECK(strstr(pylon_idv_cause_message(c), secret) == NULL);
    }
    CHECK(strcmp(pylon_idv_cause_name(PYLON_IDV_CAUSE_BASE64_DIGEST), "base64_digest") == 0);
    CHECK(strcmp(pylon_idv_cause_name(99), "unknown") == 0);
#undef DIAG
}

/* ------------------------------------------------------------------- threads */
#define NTHREADS 8
static pylon_idv_signer *shared_signer;
static char shared_want[65];

static void *thread_main(void *arg)
{
    long id = (long)arg, i, bad = 0;
    char h[65], own[65], secret[65], want[65];
    unsigned char key[32];
    for (i = 0; i < 32; i++) key[i] = (unsigned char)(id * 31 + i);
    for (i = 0; i < 32; i++) sprintf(secret + 2 * i, "%02x", key[i]);
    oracle(want, key, 32, "jane@example.com", 16);
    for (i = 0; i < 20000; i++) {
        bad += pylon_idv_signer_sign(shared_signer, h, "jane@example.com", 16) != 0;
        bad += strcmp(h, shared_want) != 0;
        bad += pylon_idv_signer_verify(shared_signer, "jane@example.com", 16, h, 64) != 1;
        /* the one-shot, with a secret of this thread's own */
        bad += pylon_idv_sign(own, "jane@example.com", 16, secret, 64) != 0;
        bad += strcmp(own, want) != 0;
    }
    return (void *)bad;
}

static void test_threads(void)
{
    pthread_t t[NTHREADS];
    long i;
    void *bad;
    const char *k = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    CHECK(pylon_idv_signer_new(&shared_signer, k, 64) == 0);
    CHECK(pylon_idv_signer_add_previous(shared_signer, "abcd", 4) == 0);
    CHECK(pylon_idv_sign(shared_want, "jane@example.com", 16, k, 64) == 0);
    for (i = 0; i < NTHREADS; i++) CHECK(pthread_create(&t[i], NULL, thread_main, (void *)i) == 0);
    for (i = 0; i < NTHREADS; i++) {
        CHECK(pthread_join(t[i], &bad) == 0);
        CHECK((long)bad == 0);
    }
    pylon_idv_signer_free(shared_signer);
}

int main(int argc, char **argv)
{
    vectors_dir = argc > 1 ? argv[1] : "tests/vectors";
    CHECK(read_tsv(vectors_dir, "hmac_sha256.tsv", public_row, NULL) == 410);
    CHECK(n_sign == 117 && n_reject == 293);
    CHECK(read_tsv(vectors_dir, "crossref.tsv", cross_row, NULL) == n_cross && n_cross >= 232);
    CHECK(read_tsv(vectors_dir, "bad_secrets.tsv", bad_row, NULL) == n_bad && n_bad >= 32);
    test_malformed_hashes();
    test_random_against_oracle();
    test_rotation();
    test_fingerprint_and_keys();
    test_arguments();
    test_header();
    test_fail_closed();
    test_diagnose();
    test_threads();
    printf("vectors: %d sign, %d reject, %d crossref, %d bad secrets\n", n_sign, n_reject,
           n_cross, n_bad);
    return check_report("test_core");
}
