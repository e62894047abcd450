/*
 * pylon_idv.c -- the public API: one-shot sign/verify, the signer, secrets.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

struct pylon_idv_signer {
    pi_hmac_key current;          /* signs; verified first */
    pi_hmac_key *previous;        /* verified too; match() numbers them 1, 2, ... */
    size_t n_previous;
    size_t cap_previous;          /* slots in previous: grows geometrically */
};

/* ---------------------------------------------------------------------- one-shot */

/* The tag of email under secret_hex, or (hex != NULL) its 64 hex digits. No state between
 * calls: each call decodes the secret, derives the key's two states and signs, all on the
 * stack (wiped before returning). The secret's errors come first, then the email's. */
static int oneshot_tag(unsigned char tag[PI_TAG], char *hex, const char *email,
                       size_t email_len, const char *secret_hex, size_t secret_hex_len)
{
    unsigned char k0[PI_BLOCK];
    pi_hmac_key key;
    int rc;

    rc = pi_secret_to_k0(k0, secret_hex, secret_hex_len, NULL);   /* on error, k0 holds no key */
    if (rc != 0) return rc;
    if (email == NULL && email_len != 0) rc = PYLON_IDV_EINVAL;
#if defined(PI_HAVE_SHANI) && !defined(PYLON_IDV_USE_EVP)
    else if (hex != NULL && pi_path == PI_PATH_SHANI && email_len <= PI_SHORT_MAX)
        pi_shani_oneshot_hex(k0, hex, (const unsigned char *)email, email_len);
#endif
    else {
        rc = pi_hmac_key_init(&key, k0);   /* sets every field (zeroes the EVP ones first) */
        if (rc == 0) rc = hex ? pi_hmac_hex(&key, hex, email, email_len)
                              : pi_hmac(&key, tag, email, email_len);
        pi_hmac_key_wipe(&key);
    }
    PI_WIPE(k0, sizeof k0);
    return rc;
}

int pylon_idv_sign(char hash_hex[PYLON_IDV_HASH_HEX_SIZE],
                   const char *email, size_t email_len,
                   const char *secret_hex, size_t secret_hex_len)
{
    int rc;

    if (hash_hex == NULL) return PYLON_IDV_EINVAL;
    hash_hex[0] = '\0';
    rc = oneshot_tag(NULL, hash_hex, email, email_len, secret_hex, secret_hex_len);
    if (rc != 0) hash_hex[0] = '\0';
    return rc;
}

/* Fails closed: 1 for a match, 0 for anything else, a bad secret included. */
int pylon_idv_verify(const char *email, size_t email_len,
                     const char *secret_hex, size_t secret_hex_len,
                     const char *hash_hex, size_t hash_hex_len)
{
    unsigned char tag[PI_TAG];
    uint32_t ok;
    int rc;

    memset(tag, 0, sizeof tag);
    rc = oneshot_tag(tag, NULL, email, email_len, secret_hex, secret_hex_len);
    /* the candidate against the tag in hex, as signer_match does (its length is public) */
    ok = (uint32_t)(hash_hex != NULL && hash_hex_len == 2 * PI_TAG)
         && (uint32_t)pi_hex_equals(tag, PI_TAG, hash_hex);
    ok &= (uint32_t)(rc == 0);
    PI_DECLASSIFY(&ok, sizeof ok);         /* the answer */
    PI_WIPE(tag, sizeof tag);              /* the expected tag: a valid hash for this email */
    return (int)ok;
}

/* ------------------------------------------------------------------------ signer */

static int signer_alloc(pylon_idv_signer **out, const unsigned char k0[PI_BLOCK])
{
    pylon_idv_signer *s = (pylon_idv_signer *)calloc(1, sizeof *s);
    int rc;

    if (s == NULL) return PYLON_IDV_ENOMEM;
    rc = pi_hmac_key_init(&s->current, k0);
    if (rc != 0) { OPENSSL_cleanse(s, sizeof *s); free(s); return rc; }
    *out = s;
    return PYLON_IDV_OK;
}

int pylon_idv_signer_new(pylon_idv_signer **signer,
                         const char *secret_hex, size_t secret_hex_len)
{
    unsigned char k0[PI_BLOCK];
    int rc;

    if (signer == NULL) return PYLON_IDV_EINVAL;
    *signer = NULL;
    rc = pi_secret_to_k0(k0, secret_hex, secret_hex_len, NULL);
    if (rc == 0) rc = signer_alloc(signer, k0);
    OPENSSL_cleanse(k0, sizeof k0);
    return rc;
}

int pylon_idv_signer_new_from_key(pylon_idv_signer **signer, const void *key, size_t key_len)
{
    unsigned char k0[PI_BLOCK];
    int rc;

    if (signer == NULL) return PYLON_IDV_EINVAL;
    *signer = NULL;
    if (key == NULL && key_len != 0) return PYLON_IDV_EINVAL;
    if (key_len == 0) return PYLON_IDV_ESECRET_EMPTY;   /* never a forgeable empty key */
    rc = pi_k0_from_key(k0, key, key_len);
    if (rc == 0) rc = signer_alloc(signer, k0);
    OPENSSL_cleanse(k0, sizeof k0);
    return rc;
}

int pylon_idv_signer_add_previous(pylon_idv_signer *signer,
                                  const char *secret_hex, size_t secret_hex_len)
{
    unsigned char k0[PI_BLOCK];
    pi_hmac_key key;
    int rc;

    if (signer == NULL) return PYLON_IDV_EINVAL;
    memset(&key, 0, sizeof key);
    rc = pi_secret_to_k0(k0, secret_hex, secret_hex_len, NULL);
    if (rc != 0) return rc;
    rc = pi_hmac_key_init(&key, k0);
    OPENSSL_cleanse(k0, sizeof k0);
    if (rc != 0) return rc;
    if (signer->n_previous == signer->cap_previous) {
        /* Geometric growth, so that n previous secrets cost O(n) in all. A fresh array, not
         * realloc: the old one is wiped before it is freed. */
        size_t cap = signer->cap_previous ? 2 * signer->cap_previous : 4;
        pi_hmac_key *keys = NULL;
        if (cap <= (size_t)-1 / 2 / sizeof *keys)
            keys = (pi_hmac_key *)calloc(cap, sizeof *keys);
        if (keys == NULL) { pi_hmac_key_wipe(&key); return PYLON_IDV_ENOMEM; }
        if (signer->n_previous) {
            memcpy(keys, signer->previous, signer->n_previous * sizeof *keys);
            OPENSSL_cleanse(signer->previous, signer->n_previous * sizeof *keys);
        }
        free(signer->previous);
        signer->previous = keys;
        signer->cap_previous = cap;
    }
    memcpy(&signer->previous[signer->n_previous++], &key, sizeof key);   /* ownership moves */
    OPENSSL_cleanse(&key, sizeof key);
    return PYLON_IDV_OK;
}

int pylon_idv_signer_sign(const pylon_idv_signer *signer,
                          char hash_hex[PYLON_IDV_HASH_HEX_SIZE],
                          const char *email, size_t email_len)
{
    if (hash_hex == NULL) return PYLON_IDV_EINVAL;
    hash_hex[0] = '\0';
    if (signer == NULL || (email == NULL && email_len != 0)) return PYLON_IDV_EINVAL;
    return pi_hmac_hex(&signer->current, hash_hex, email, email_len);
}

/* 1 and *which (0 current, k the k-th previous) for a match; 0 for anything else. Every key is
 * tried, with no early exit; the first match is selected by masks. */
int pylon_idv_signer_match(const pylon_idv_signer *signer,
                           const char *email, size_t email_len,
                           const char *hash_hex, size_t hash_hex_len, size_t *which)
{
    static const char none[2 * PI_TAG];    /* no hex digit: never a match */
    uint32_t valid, found = 0, idx = 0, i, eq, m;

    if (which != NULL) *which = 0;
    if (signer == NULL || (email == NULL && email_len != 0)) return 0;
    /* The candidate is not decoded: each key's tag is compared with it in hex (either case,
     * every character checked to be the right digit), in constant time. Its length is public. */
    valid = (uint32_t)(hash_hex != NULL && hash_hex_len == 2 * PI_TAG);
    for (i = 0; i <= signer->n_previous; i++) {
        const pi_hmac_key *k = i == 0 ? &signer->current : &signer->previous[i - 1];
        eq = valid & (uint32_t)pi_hmac_equals(k, email, email_len, valid ? hash_hex : none);
        m = pi_ct_mask_u32(eq & ~found);
        idx = (idx & ~m) | (i & m);
        found |= eq;
    }
    PI_DECLASSIFY(&found, sizeof found);   /* the answer */
    PI_DECLASSIFY(&idx, sizeof idx);
    if (found && which != NULL) *which = idx;
    return (int)found;
}

int pylon_idv_signer_verify(const pylon_idv_signer *signer,
                            const char *email, size_t email_len,
                            const char *hash_hex, size_t hash_hex_len)
{
    return pylon_idv_signer_match(signer, email, email_len, hash_hex, hash_hex_len, NULL);
}

int pylon_idv_signer_fingerprint(const pylon_idv_signer *signer,
                                 char fingerprint[PYLON_IDV_FINGERPRINT_SIZE])
{
    static const char label[] = "pylon_idv fingerprint v1";
    unsigned char tag[PI_TAG];
    int rc;

    if (fingerprint == NULL) return PYLON_IDV_EINVAL;
    fingerprint[0] = '\0';
    if (signer == NULL) return PYLON_IDV_EINVAL;
    rc = pi_hmac(&signer->current, tag, label, sizeof label - 1);
    if (rc == 0) pi_hex_encode(fingerprint, tag, (PYLON_IDV_FINGERPRINT_SIZE - 1) / 2);
    OPENSSL_cleanse(tag, sizeof tag);
    return rc;
}

void pylon_idv_signer_free(pylon_idv_signer *signer)
{
    size_t i;
    if (signer == NULL) return;
    pi_hmac_key_wipe(&signer->current);
    for (i = 0; i < signer->n_previous; i++) pi_hmac_key_wipe(&signer->previous[i]);
    if (signer->previous) OPENSSL_cleanse(signer->previous,
                                          signer->cap_previous * sizeof *signer->previous);
    free(signer->previous);
    OPENSSL_cleanse(signer, sizeof *signer);
    free(signer);
}

/* ----------------------------------------------------------------------- secrets */

void pylon_idv_wipe(void *p, size_t n)
{
    if (p != NULL && n != 0) OPENSSL_cleanse(p, n);
}

int pylon_idv_generate_secret(char secret_hex[PYLON_IDV_SECRET_HEX_SIZE])
{
    unsigned char key[(PYLON_IDV_SECRET_HEX_SIZE - 1) / 2];
    int rc = PYLON_IDV_OK;

    if (secret_hex == NULL) return PYLON_IDV_EINVAL;
    secret_hex[0] = '\0';
    if (RAND_bytes(key, (int)sizeof key) != 1) rc = PYLON_IDV_ECRYPTO;
    else pi_hex_encode(secret_hex, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

int pylon_idv_secret_check(const char *secret_hex, size_t secret_hex_len, size_t *position)
{
    return pi_secret_check(secret_hex, secret_hex_len, position);
}
