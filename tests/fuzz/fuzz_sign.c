/*
 * fuzz_sign.c -- libFuzzer target for sign, verify, the signer (with a previous secret),
 * match, new_from_key and diagnose, against OpenSSL's one-shot HMAC() as the oracle.
 *
 * Input: SECRET SEP PREVIOUS SEP HASH SEP EMAIL, SEP = "\n--\n" (missing parts are empty;
 * the email is everything after the third SEP, separators and NULs included). In HASH, a
 * '.' at index i < 64 stands for the i-th digit of the right hash (when the secret is valid),
 * so the fuzzer can reach right, almost-right and case-changed hashes: a seed of 64 dots is
 * the right hash. Every buffer is an exact-size heap copy, so ASan sees any over-read.
 *
 * Built from the core sources: after the checks above (under the path this CPU picks), sign,
 * verify and match run again under every other SHA-256 compression path (SHA-NI, ARMv8,
 * OpenSSL, portable: pi_force_path), each against the same HMAC() answer.
 */
#include "ref.h"
#include "internal.h"

#define SEP "\n--\n"
#define SEP_LEN 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next part of the input: up to SEP (consumed), or everything when last. */
static const uint8_t *next_part(const uint8_t **p, const uint8_t *end, size_t *n, int last)
{
    const uint8_t *start = *p, *q;
    if (last) { *n = (size_t)(end - start); *p = end; return start; }
    for (q = start; q + SEP_LEN <= end; q++)
        if (memcmp(q, SEP, SEP_LEN) == 0) { *n = (size_t)(q - start); *p = q + SEP_LEN; return start; }
    *n = (size_t)(end - start);
    *p = end;
    return start;
}

/* The fuzzed hash with its dots filled in from right (if any). */
static char *candidate(const uint8_t *tpl, size_t n, const char *right)
{
    char *c = ref_dup(tpl, n);
    size_t i;
    for (i = 0; right && i < n && i < 64; i++)
        if (c[i] == '.') c[i] = right[i];
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size, *ps, *pp, *ph, *pe;
    size_t ns, np, nh, ne, pos, ks = 0, kp = 0;
    char *secret, *prev, *email, *hash, *hash_raw;
    unsigned char *key, *pkey;
    int rs, rp, rc, m, want_m, cause;
    char right[65], right_prev[65], right_raw[65], fp_raw[65], up[64];
    char h[PYLON_IDV_HASH_HEX_SIZE], fp[PYLON_IDV_FINGERPRINT_SIZE];
    pylon_idv_signer *sg = NULL, *raw = NULL;

    ps = next_part(&p, end, &ns, 0);
    pp = next_part(&p, end, &np, 0);
    ph = next_part(&p, end, &nh, 0);
    pe = next_part(&p, end, &ne, 1);
    secret = ref_dup(ps, ns);
    prev = ref_dup(pp, np);
    email = ref_dup(pe, ne);                 /* NULL when empty: allowed with length 0 */
    key = (unsigned char *)malloc(ns / 2 + 1);
    pkey = (unsigned char *)malloc(np / 2 + 1);
    REQUIRE(key && pkey);

    rs = ref_parse(ps, ns, &pos, key, &ks);
    rp = ref_parse(pp, np, &pos, pkey, &kp);
    if (rs == 0) ref_hmac_hex(right, key, ks, pe, ne);
    if (rp == 0) ref_hmac_hex(right_prev, pkey, kp, pe, ne);
    hash = candidate(ph, nh, rs == 0 ? right : NULL);

    /* ---- one-shot sign and verify ---- */
    rc = pylon_idv_sign(h, email, ne, secret, ns);
    REQUIRE(rc == rs);
    if (rs == 0) REQUIRE(memcmp(h, right, 65) == 0);
    rc = pylon_idv_verify(email, ne, secret, ns, hash, nh);
    REQUIRE(rc == (rs == 0 ? ref_same_hash(hash, nh, right) : 0));     /* fails closed */
    if (rs == 0) {
        REQUIRE(pylon_idv_verify(email, ne, secret, ns, right, 64) == 1);
        ref_upper(up, right, 64);
        REQUIRE(pylon_idv_verify(email, ne, secret, ns, up, 64) == 1);
        /* the previous secret's hash is not this secret's */
        if (rp == 0)
            REQUIRE(pylon_idv_verify(email, ne, secret, ns, right_prev, 64)
                    == (strcmp(right_prev, right) == 0));
    }

    /* ---- the signer, with a previous secret ---- */
    rc = pylon_idv_signer_new(&sg, secret, ns);
    REQUIRE(rc == rs);
    if (rs == 0) {
        REQUIRE(pylon_idv_signer_sign(sg, h, email, ne) == 0);
        REQUIRE(memcmp(h, right, 65) == 0);
        rc = pylon_idv_signer_add_previous(sg, prev, np);
        REQUIRE(rc == rp);
        /* The fuzzed hash: 0 if it is the current one, 1 if the previous one, else -1. */
        want_m = ref_same_hash(hash, nh, right) ? 0
               : rp == 0 && ref_same_hash(hash, nh, right_prev) ? 1 : -1;
        m = match_idx(sg, email, ne, hash, nh);
        REQUIRE(m == want_m);
        REQUIRE(pylon_idv_signer_verify(sg, email, ne, hash, nh) == (want_m >= 0));
        REQUIRE(match_idx(sg, email, ne, right, 64) == 0);
        REQUIRE(match_idx(sg, email, ne, up, 64) == 0);
        REQUIRE(pylon_idv_signer_verify(sg, email, ne, up, 64) == 1);
        if (rp == 0) {
            want_m = strcmp(right_prev, right) == 0 ? 0 : 1;
            REQUIRE(match_idx(sg, email, ne, right_prev, 64) == want_m);
            ref_upper(up, right_prev, 64);
            REQUIRE(match_idx(sg, email, ne, up, 64) == want_m);
        }
        /* signing ignores the previous secret */
        REQUIRE(pylon_idv_signer_sign(sg, h, email, ne) == 0);
        REQUIRE(memcmp(h, right, 65) == 0);
    } else {
        REQUIRE(sg == NULL);
    }
    pylon_idv_signer_free(sg);

    /* ---- new_from_key: the secret's bytes as the key (Intercom style) ---- */
    rc = pylon_idv_signer_new_from_key(&raw, secret, ns);
    REQUIRE(rc == (ns == 0 ? PYLON_IDV_ESECRET_EMPTY : 0));
    if (ns) {
        static const char label[] = "pylon_idv fingerprint v1";
        ref_hmac_hex(right_raw, ps, ns, pe, ne);
        ref_hmac_hex(fp_raw, ps, ns, label, sizeof label - 1);
        REQUIRE(pylon_idv_signer_sign(raw, h, email, ne) == 0);
        REQUIRE(memcmp(h, right_raw, 65) == 0);
        REQUIRE(pylon_idv_signer_fingerprint(raw, fp) == 0);
        REQUIRE(strlen(fp) == 16 && memcmp(fp, fp_raw, 16) == 0);
        hash_raw = candidate(ph, nh, right_raw);
        REQUIRE(pylon_idv_signer_verify(raw, email, ne, hash_raw, nh)
                == ref_same_hash(hash_raw, nh, right_raw));
        REQUIRE(match_idx(raw, email, ne, right_raw, 64) == 0);

        /* diagnose recognises the raw-secret mistake (unless it is also the right hash) */
        cause = pylon_idv_diagnose(email, ne, secret, ns, right_raw, 64);
        REQUIRE(cause == (rs == 0 && strcmp(right_raw, right) == 0
                          ? PYLON_IDV_CAUSE_MATCH : PYLON_IDV_CAUSE_RAW_SECRET));
        free(hash_raw);
    } else {
        REQUIRE(raw == NULL);
    }
    pylon_idv_signer_free(raw);

    /* ---- every compression path, forced in turn ---- */
    if (rs == 0) {
        int chosen = pi_path, path;
        pylon_idv_signer *ps = NULL;
        for (path = 0; path < PI_PATH_COUNT; path++) {
            if (!pi_force_path(path)) continue;
            REQUIRE(pylon_idv_sign(h, email, ne, secret, ns) == 0);
            REQUIRE(memcmp(h, right, 65) == 0);
            REQUIRE(pylon_idv_signer_new(&ps, secret, ns) == 0);
            REQUIRE(pylon_idv_signer_sign(ps, h, email, ne) == 0);
            REQUIRE(memcmp(h, right, 65) == 0);
            REQUIRE(pylon_idv_signer_verify(ps, email, ne, hash, nh) == ref_same_hash(hash, nh, right));
            REQUIRE(match_idx(ps, email, ne, right, 64) == 0);
            REQUIRE(pylon_idv_verify(email, ne, secret, ns, right, 64) == 1);
            pylon_idv_signer_free(ps);
            ps = NULL;
        }
        REQUIRE(pi_force_path(chosen) == 1);
    }

    /* ---- diagnose: never crashes, a valid cause, "match" exactly for the right hash ---- */
    cause = pylon_idv_diagnose(email, ne, secret, ns, hash, nh);
    REQUIRE(cause >= PYLON_IDV_CAUSE_MATCH && cause <= PYLON_IDV_CAUSE_UNKNOWN);
    REQUIRE((cause == PYLON_IDV_CAUSE_MATCH) == (rs == 0 && ref_same_hash(hash, nh, right)));
    REQUIRE(pylon_idv_cause_name(cause) != NULL && pylon_idv_cause_message(cause) != NULL);
    if (rs == 0) REQUIRE(pylon_idv_diagnose(email, ne, secret, ns, right, 64) == PYLON_IDV_CAUSE_MATCH);

    free(hash);
    free(key);
    free(pkey);
    free(email);
    free(prev);
    free(secret);
    return 0;
}
