/*
 * fuzz_secret.c -- libFuzzer target for the secret parser.
 *
 * The input is a secret's text. pylon_idv_secret_check must give the status and position of
 * the reference parser in ref.h (the README's input rules written the obvious way); sign,
 * signer_new and add_previous must return that same status, verify 0 (fail closed); and on success every
 * hash must be OpenSSL's HMAC() under the reference-decoded key.
 *
 *   make fuzz                  builds and runs it (FUZZ_SECONDS each; -DPYLON_IDV_FUZZ=ON)
 */
#include "ref.h"

static const char email[] = "jane.doe@example.com";
static const char label[] = "pylon_idv fingerprint v1";
static const char other_secret[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = ref_dup(data, size);           /* exact size: ASan catches a read past it */
    unsigned char *key = (unsigned char *)malloc(size / 2 + 1);
    size_t ref_pos, pos = 12345, key_len = 0;
    int ref, rc, i;
    char want[65], want_empty[65], want_fp[65], h[PYLON_IDV_HASH_HEX_SIZE], up[64];
    char fp[PYLON_IDV_FINGERPRINT_SIZE];
    pylon_idv_signer *sg = (pylon_idv_signer *)&pos, *base = NULL;

    REQUIRE(key != NULL);
    ref = ref_parse(data, size, &ref_pos, key, &key_len);

    /* The parser itself: status and position, and position may be NULL. */
    rc = pylon_idv_secret_check(s, size, &pos);
    if (rc != ref || (rc != 0 && pos != ref_pos)) {
        fprintf(stderr, "secret_check: status %d position %zu, reference %d position %zu\n",
                rc, pos, ref, ref_pos);
        abort();
    }
    REQUIRE(pylon_idv_secret_check(s, size, NULL) == ref);
    REQUIRE(pylon_idv_strerror(ref) != NULL);

    if (ref == 0) {
        ref_hmac_hex(want, key, key_len, email, sizeof email - 1);
        ref_hmac_hex(want_empty, key, key_len, NULL, 0);
        ref_hmac_hex(want_fp, key, key_len, label, sizeof label - 1);
    }

    /* One-shot sign: twice, so a call that left state behind would show in the second. */
    for (i = 0; i < 2; i++) {
        memset(h, 'x', sizeof h);
        rc = pylon_idv_sign(h, email, sizeof email - 1, s, size);
        REQUIRE(rc == ref);
        if (ref == 0) REQUIRE(memcmp(h, want, 65) == 0);
        else REQUIRE(h[0] == '\0');
    }
    rc = pylon_idv_sign(h, NULL, 0, s, size);
    REQUIRE(rc == ref);
    if (ref == 0) REQUIRE(memcmp(h, want_empty, 65) == 0);

    /* One-shot verify fails closed: a bad secret is never a match, not even for the hash an
     * empty key gives. */
    rc = pylon_idv_verify(email, sizeof email - 1, s, size, ref == 0 ? want : want_empty, 64);
    REQUIRE(rc == (ref == 0 ? 1 : 0));
    if (ref == 0) {
        ref_upper(up, want, 64);
        REQUIRE(pylon_idv_verify(email, sizeof email - 1, s, size, up, 64) == 1);
        REQUIRE(pylon_idv_verify(email, sizeof email - 1, s, size, want, 63) == 0);
        REQUIRE(pylon_idv_verify(email, sizeof email - 1, s, size, NULL, 0) == 0);
    }

    /* The signer: same status, NULL on failure, the same hashes and fingerprint. */
    rc = pylon_idv_signer_new(&sg, s, size);
    REQUIRE(rc == ref);
    if (ref != 0) {
        REQUIRE(sg == NULL);
    } else {
        REQUIRE(sg != NULL);
        REQUIRE(pylon_idv_signer_sign(sg, h, email, sizeof email - 1) == 0);
        REQUIRE(memcmp(h, want, 65) == 0);
        REQUIRE(pylon_idv_signer_sign(sg, h, NULL, 0) == 0);
        REQUIRE(memcmp(h, want_empty, 65) == 0);
        REQUIRE(pylon_idv_signer_fingerprint(sg, fp) == 0);
        REQUIRE(strlen(fp) == 16 && memcmp(fp, want_fp, 16) == 0);
        REQUIRE(match_idx(sg, email, sizeof email - 1, want, 64) == 0);
        pylon_idv_signer_free(sg);
    }

    /* As a previous secret: same status; on success it matches as previous number 1
     * (or as the current one, when it decodes to the same key). */
    REQUIRE(pylon_idv_signer_new(&base, other_secret, sizeof other_secret - 1) == 0);
    rc = pylon_idv_signer_add_previous(base, s, size);
    REQUIRE(rc == ref);
    if (ref == 0) {
        char cur[65];
        int m = match_idx(base, email, sizeof email - 1, want, 64);
        REQUIRE(pylon_idv_signer_sign(base, cur, email, sizeof email - 1) == 0);
        REQUIRE(m == (strcmp(cur, want) == 0 ? 0 : 1));
        REQUIRE(pylon_idv_signer_verify(base, email, sizeof email - 1, want, 64) == 1);
    } else {
        /* A failed add_previous leaves the signer as it was: nothing but the current key. */
        char cur[65];
        REQUIRE(pylon_idv_signer_sign(base, cur, email, sizeof email - 1) == 0);
        REQUIRE(match_idx(base, email, sizeof email - 1, cur, 64) == 0);
    }
    pylon_idv_signer_free(base);

    /* diagnose: never crashes, a valid cause, "match" exactly for the right hash. */
    rc = pylon_idv_diagnose(email, sizeof email - 1, s, size, ref == 0 ? want : "", ref == 0 ? 64 : 0);
    REQUIRE(rc >= PYLON_IDV_CAUSE_MATCH && rc <= PYLON_IDV_CAUSE_UNKNOWN);
    REQUIRE((rc == PYLON_IDV_CAUSE_MATCH) == (ref == 0));
    REQUIRE(pylon_idv_cause_name(rc) != NULL && pylon_idv_cause_message(rc) != NULL);

    free(key);
    free(s);
    return 0;
}
