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
};

/* ------------------------------------------------------------------ comparison */

/* 1 if the 32-byte tags are equal, else 0, in constant time (four words, no call). */
static uint32_t tag_equal(const unsigned char a[PI_TAG], const unsigned char b[PI_TAG])
{
    uint64_t d = 0, x, y;
    size_t i;
    for (i = 0; i < PI_TAG; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
    }
    return 1u ^ (uint32_t)((d | (0u - d)) >> 63);
}

/* 1 if the 64-byte blocks are equal, else 0, in constant time. */
static uint32_t block_equal(const unsigned char a[PI_BLOCK], const unsigned char b[PI_BLOCK])
{
    uint64_t d = 0, x, y;
    size_t i;
    for (i = 0; i < PI_BLOCK; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
    }
    return 1u ^ (uint32_t)((d | (0u - d)) >> 63);
}

/* ------------------------------------------------------------ one-shot key cache */
/*
 * pylon_idv_sign called again and again with one secret (a web app) should not pay for the
 * two key compressions each time. Each thread keeps the HMAC state of the last block key it
 * used, with that block key to compare against (in constant time). Never the secret text.
 * Entries are wiped and freed by a thread-exit destructor, and all of them when the library
 * is unloaded (or the process exits).
 */
#if !defined(_WIN32) && !defined(PYLON_IDV_NO_CACHE)
#include <pthread.h>

typedef struct pi_cache {
    unsigned char k0[PI_BLOCK];
    pi_hmac_key key;
    int valid;
    struct pi_cache *prev, *next;     /* every live entry, for the unload destructor */
} pi_cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_ready;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pi_cache *cache_list;
static __thread pi_cache *tls_cache;

static void cache_release(pi_cache *c)
{
    if (c->valid) pi_hmac_key_wipe(&c->key);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

static void cache_thread_exit(void *p)
{
    pi_cache *c = (pi_cache *)p;
    pthread_mutex_lock(&cache_lock);
    if (c->prev) c->prev->next = c->next; else cache_list = c->next;
    if (c->next) c->next->prev = c->prev;
    pthread_mutex_unlock(&cache_lock);
    cache_release(c);
}

/* fork() while another thread registers its entry must not leave the child's lock held.
 * (glibc drops these handlers when the library is unloaded.) */
static void cache_fork_prepare(void) { pthread_mutex_lock(&cache_lock); }
static void cache_fork_release(void) { pthread_mutex_unlock(&cache_lock); }

static void cache_init(void)
{
    cache_ready = pthread_key_create(&cache_key, cache_thread_exit) == 0
               && pthread_atfork(cache_fork_prepare, cache_fork_release, cache_fork_release) == 0;
}

#if defined(__GNUC__)
__attribute__((destructor))
#endif
static void cache_unload(void)
{
    pi_cache *c, *next;
    if (!cache_ready) return;
    pthread_mutex_lock(&cache_lock);
    for (c = cache_list; c; c = next) {
        next = c->next;
        cache_release(c);
    }
    cache_list = NULL;
    cache_ready = 0;
    pthread_mutex_unlock(&cache_lock);
    pthread_key_delete(cache_key);
    tls_cache = NULL;
}

static pi_cache *cache_get(void)
{
    pi_cache *c = tls_cache;
    if (c) return c;
    pthread_once(&cache_once, cache_init);
    if (!cache_ready || (c = (pi_cache *)calloc(1, sizeof *c)) == NULL) return NULL;
    if (pthread_setspecific(cache_key, c) != 0) { free(c); return NULL; }
    pthread_mutex_lock(&cache_lock);
    c->next = cache_list;
    if (cache_list) cache_list->prev = c;
    cache_list = c;
    pthread_mutex_unlock(&cache_lock);
    tls_cache = c;
    return c;
}

/* The key state for k0: the thread's cached one, or *tmp set up for this call. */
static int key_for(const unsigned char k0[PI_BLOCK], pi_hmac_key *tmp,
                   const pi_hmac_key **key)
{
    pi_cache *c = cache_get();
    uint32_t hit;
    int rc;

    *key = NULL;
    if (c == NULL) {                      /* no cache: still correct, just slower */
        rc = pi_hmac_key_init(tmp, k0);
        if (rc == 0) *key = tmp;
        return rc;
    }
    hit = (uint32_t)c->valid & block_equal(c->k0, k0);
    /* Whether this thread's key changed since its last call is known to the caller. */
    PI_DECLASSIFY(&hit, sizeof hit);
    if (!hit) {
        if (c->valid) pi_hmac_key_wipe(&c->key);
        c->valid = 0;
        rc = pi_hmac_key_init(&c->key, k0);
        if (rc != 0) return rc;
        memcpy(c->k0, k0, PI_BLOCK);
        c->valid = 1;
    }
    *key = &c->key;
    return PYLON_IDV_OK;
}
#else
static int key_for(const unsigned char k0[PI_BLOCK], pi_hmac_key *tmp,
                   const pi_hmac_key **key)
{
    int rc = pi_hmac_key_init(tmp, k0);
    *key = rc == 0 ? tmp : NULL;
    return rc;
}
#endif

/* ---------------------------------------------------------------------- one-shot */

/* The tag of email under secret_hex, or (hex != NULL) its hex digits. */
static int oneshot_tag(unsigned char tag[PI_TAG], char *hex, const char *email,
                       size_t email_len, const char *secret_hex, size_t secret_hex_len)
{
    unsigned char k0[PI_BLOCK];
    pi_hmac_key tmp;
    const pi_hmac_key *key = NULL;
    int rc;

    /* tmp is only ever used (and wiped) once key_for has initialised it */
    rc = pi_secret_to_k0(k0, secret_hex, secret_hex_len, NULL);
    if (rc != 0) goto cleanup;
    if (email == NULL && email_len != 0) { rc = PYLON_IDV_EINVAL; goto cleanup; }
    rc = key_for(k0, &tmp, &key);
    if (rc != 0) goto cleanup;
    rc = hex ? pi_hmac_hex(key, hex, email, email_len) : pi_hmac(key, tag, email, email_len);
cleanup:
    PI_WIPE(k0, sizeof k0);
    if (key == &tmp) pi_hmac_key_wipe(&tmp);
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

int pylon_idv_verify(const char *email, size_t email_len,
                     const char *secret_hex, size_t secret_hex_len,
                     const char *hash_hex, size_t hash_hex_len)
{
    unsigned char tag[PI_TAG], cand[PI_TAG];
    uint32_t ok;
    int rc = oneshot_tag(tag, NULL, email, email_len, secret_hex, secret_hex_len);

    if (rc != 0) return rc;                /* a bad secret is loud, checked first */
    ok = (uint32_t)pi_tag_decode(cand, hash_hex, hash_hex_len);
    ok &= tag_equal(tag, cand);
    PI_DECLASSIFY(&ok, sizeof ok);         /* the answer */
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
    pi_hmac_key *keys = NULL;
    int rc;

    if (signer == NULL) return PYLON_IDV_EINVAL;
    rc = pi_secret_to_k0(k0, secret_hex, secret_hex_len, NULL);
    if (rc != 0) goto cleanup;
    /* A fresh array, not realloc: the old one is wiped before it is freed. */
    keys = (pi_hmac_key *)calloc(signer->n_previous + 1, sizeof *keys);
    if (keys == NULL) { rc = PYLON_IDV_ENOMEM; goto cleanup; }
    rc = pi_hmac_key_init(&keys[signer->n_previous], k0);
    if (rc != 0) goto cleanup;
    if (signer->n_previous) {
        memcpy(keys, signer->previous, signer->n_previous * sizeof *keys);
        OPENSSL_cleanse(signer->previous, signer->n_previous * sizeof *keys);
        free(signer->previous);
    }
    signer->previous = keys;
    signer->n_previous++;
    keys = NULL;
cleanup:
    OPENSSL_cleanse(k0, sizeof k0);
    free(keys);                           /* only on error: nothing secret in it */
    return rc;
}

void pylon_idv_signer_sign(const pylon_idv_signer *signer,
                           char hash_hex[PYLON_IDV_HASH_HEX_SIZE],
                           const char *email, size_t email_len)
{
    if (hash_hex == NULL) return;
    hash_hex[0] = '\0';
    if (signer == NULL || (email == NULL && email_len != 0)) return;
    (void)pi_hmac_hex(&signer->current, hash_hex, email, email_len);
}

int pylon_idv_signer_match(const pylon_idv_signer *signer,
                           const char *email, size_t email_len,
                           const char *hash_hex, size_t hash_hex_len)
{
    unsigned char cand[PI_TAG], tag[PI_TAG];
    uint32_t valid, found = 0, idx = 0xffffffffu, i, eq, m;

    if (signer == NULL || (email == NULL && email_len != 0)) return -1;
    valid = (uint32_t)pi_tag_decode(cand, hash_hex, hash_hex_len);
    /* Every key is evaluated, no early exit; the first match is selected by masks. */
    for (i = 0; i <= signer->n_previous; i++) {
        const pi_hmac_key *k = i == 0 ? &signer->current : &signer->previous[i - 1];
        eq = (uint32_t)(pi_hmac(k, tag, email, email_len) == 0);
        eq &= valid & tag_equal(tag, cand);
        m = pi_ct_mask_u32(eq & ~found);
        idx = (idx & ~m) | (i & m);
        found |= eq;
    }
    PI_DECLASSIFY(&idx, sizeof idx);      /* the answer */
    return (int)(int32_t)idx;
}

int pylon_idv_signer_verify(const pylon_idv_signer *signer,
                            const char *email, size_t email_len,
                            const char *hash_hex, size_t hash_hex_len)
{
    return pylon_idv_signer_match(signer, email, email_len, hash_hex, hash_hex_len) >= 0;
}

void pylon_idv_signer_fingerprint(const pylon_idv_signer *signer,
                                  char fingerprint[PYLON_IDV_FINGERPRINT_SIZE])
{
    static const char label[] = "pylon_idv fingerprint v1";
    unsigned char tag[PI_TAG];

    if (fingerprint == NULL) return;
    fingerprint[0] = '\0';
    if (signer == NULL) return;
    if (pi_hmac(&signer->current, tag, label, sizeof label - 1) == 0)
        pi_hex_encode(fingerprint, tag, (PYLON_IDV_FINGERPRINT_SIZE - 1) / 2);
}

void pylon_idv_signer_free(pylon_idv_signer *signer)
{
    size_t i;
    if (signer == NULL) return;
    pi_hmac_key_wipe(&signer->current);
    for (i = 0; i < signer->n_previous; i++) pi_hmac_key_wipe(&signer->previous[i]);
    free(signer->previous);
    OPENSSL_cleanse(signer, sizeof *signer);
    free(signer);
}

/* ----------------------------------------------------------------------- secrets */

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
