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

#if defined(PYLON_IDV_TEST_HOOKS)
int pi_test_previous_grows;       /* arrays allocated by add_previous */
#endif

/* ------------------------------------------------------------------ comparison */

/* 1 if a[0..n) equals b[0..n) (n a multiple of 8), else 0, in constant time: words xor-ed
 * together, no call, no early exit. Inlined with a constant n (a tag, a block key). */
static inline uint32_t words_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
    uint64_t d = 0, x, y;
    size_t i;
    for (i = 0; i < n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
    }
    return 1u ^ (uint32_t)((d | (0u - d)) >> 63);
}

/* The one-shot cache exists on POSIX systems with GCC-style atomics, unless disabled. */
#if !defined(_WIN32) && !defined(PYLON_IDV_NO_CACHE) && defined(__GNUC__)
#  define PI_CACHE 1
#endif

/* ------------------------------------------------------------ one-shot key cache */
/*
 * pylon_idv_sign called again and again with one secret (a web app) should not pay for the
 * two key compressions each time. Each thread keeps, in one heap entry, the HMAC block key k0
 * of the last secret it used (key material: for a secret of up to 64 bytes it is the key)
 * and the HMAC state derived from it; never the secret text. A call whose secret is exactly
 * the hex of that key (either case, no spacing: compared against k0 in constant time by
 * pi_hex_equals, only lengths deciding whether to compare) signs without decoding it.
 *
 * Who may touch an entry, and when (no thread ever touches freed memory):
 *  - Only its owner thread uses it, between cache_enter() and cache_leave(). The owner marks
 *    that window in its slot: slots[] is static memory (valid for as long as the library is
 *    loaded, however threads come and go), one slot per thread with an entry. enter sets
 *    slot->busy and then reads cache_unloading (both sequentially consistent); the unloader
 *    sets cache_unloading and then reads each slot->busy (Dekker): either the owner sees the
 *    unload and does not use its entry, or the unloader sees the owner busy and waits for it.
 *  - The owner's thread-exit destructor wipes and frees its entry, under cache_lock, and marks
 *    the thread retired: a pthread-key destructor of someone else's that signs afterwards
 *    (a logger flushing at thread exit) is served without the cache -- the same hash -- and
 *    never re-registers (the entry could outlive the last destructor round unwiped).
 *  - The unloader (library destructor: dlclose, or exit() with other threads possibly still
 *    signing) wipes and frees every entry whose owner is not busy, waiting (bounded) for busy
 *    owners; after it, every sign is uncached. A thread interrupted inside a call (exit() from
 *    a signal handler) and an owner still busy after the bound keep their entry: never freed
 *    under them. The pthread key is deleted, so no destructor of an unloaded library runs.
 *  - fork(): cache_lock is taken around it (pthread_atfork), and in the child the entries of
 *    the parent's other threads (which do not exist there, and may have been busy) are wiped
 *    and freed. Without that, a child forked while another thread registered would deadlock,
 *    and its unload would wait for owners that will never finish.
 * A thread whose entry was registered in the last destructor round (its destructor then never
 * runs) keeps a live entry until the unload wipes it; its slot is reclaimed then.
 */
#if defined(PI_CACHE)
#include <pthread.h>
#include <sched.h>
#include <time.h>

#define PI_CACHE_SLOTS 256

typedef struct pi_cache {
    unsigned char k0[PI_BLOCK];
    pi_hmac_key key;
    int valid;
    size_t raw_len;           /* k0's bytes a hex hit compares (0: none; see oneshot_tag) */
} pi_cache;

typedef struct pi_slot {
    int busy;                 /* the owner is between enter and leave (atomic) */
    int used;                 /* claimed by a thread (under cache_lock) */
    const void *owner;        /* the owner's tls_slot address: identifies it (under cache_lock) */
    pi_cache *entry;
    char pad[64 - 2 * sizeof(int) - sizeof(void *) - sizeof(pi_cache *)];
} pi_slot;

static pi_slot slots[PI_CACHE_SLOTS] __attribute__((aligned(64)));
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_ready;
static int cache_unloading;       /* atomic: set once, by the unloader */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread pi_slot *tls_slot;
static __thread int tls_retired;  /* this thread's cache is gone for good: sign uncached */

#if defined(PYLON_IDV_TEST_HOOKS)
void (*pi_test_cache_hook)(int where);
static int test_uncached;
#  define TEST_HOOK(w) do { if (pi_test_cache_hook) pi_test_cache_hook(w); } while (0)
int pi_test_cache_entries(void)
{
    int i, n = 0;
    pthread_mutex_lock(&cache_lock);
    for (i = 0; i < PI_CACHE_SLOTS; i++) n += slots[i].used && slots[i].entry != NULL;
    pthread_mutex_unlock(&cache_lock);
    return n;
}
int pi_test_cache_uncached(void) { return __atomic_load_n(&test_uncached, __ATOMIC_SEQ_CST); }
#  define TEST_UNCACHED() __atomic_add_fetch(&test_uncached, 1, __ATOMIC_SEQ_CST)
#else
#  define TEST_HOOK(w) ((void)0)
#  define TEST_UNCACHED() ((void)0)
#endif

static void entry_free(pi_cache *c)
{
    if (c == NULL) return;
    if (c->valid) pi_hmac_key_wipe(&c->key);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

/* Under cache_lock: the slot's entry wiped and freed, the slot free again. */
static void slot_release(pi_slot *s)
{
    entry_free(s->entry);
    s->entry = NULL;
    s->owner = NULL;
    __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
    s->used = 0;
}

static void cache_thread_exit(void *p)
{
    pi_slot *s = (pi_slot *)p;
    pthread_mutex_lock(&cache_lock);
    /* Released already by the unloader, or by a fork child's clean-up: nothing to do. */
    if (s->used && s->owner == (const void *)&tls_slot) slot_release(s);
    pthread_mutex_unlock(&cache_lock);
    tls_slot = NULL;
    tls_retired = 1;
}

#if !defined(PYLON_IDV_TEST_NO_ATFORK)
static void cache_fork_prepare(void) { pthread_mutex_lock(&cache_lock); }
static void cache_fork_parent(void) { pthread_mutex_unlock(&cache_lock); }
/* The child has one thread, this one: every other thread's entry is orphaned. */
static void cache_fork_child(void)
{
    int i;
    for (i = 0; i < PI_CACHE_SLOTS; i++)
        if (slots[i].used && &slots[i] != tls_slot) slot_release(&slots[i]);
    pthread_mutex_unlock(&cache_lock);
}
#endif

static void cache_init(void)
{
    cache_ready = pthread_key_create(&cache_key, cache_thread_exit) == 0;
#if !defined(PYLON_IDV_TEST_NO_ATFORK)
    /* (glibc drops these handlers when the library is unloaded) */
    if (cache_ready && pthread_atfork(cache_fork_prepare, cache_fork_parent,
                                      cache_fork_child) != 0) {
        pthread_key_delete(cache_key);
        cache_ready = 0;
    }
#endif
}

/* Wait until the slot's owner leaves its call; 0 if it is still inside after about 2 s. */
static int wait_not_busy(pi_slot *s)
{
    struct timespec ms = { 0, 1000000L };
    int i;
    for (i = 0; i < 2100; i++) {
        if (!__atomic_load_n(&s->busy, __ATOMIC_SEQ_CST)) return 1;
        if (i < 100) sched_yield(); else nanosleep(&ms, NULL);
    }
    return 0;
}

#if defined(__GNUC__)
__attribute__((destructor))
#endif
static void cache_unload(void)
{
    int i;
    __atomic_store_n(&cache_unloading, 1, __ATOMIC_SEQ_CST);   /* no new entry from now on */
    if (!cache_ready) return;
    pthread_mutex_lock(&cache_lock);
    for (i = 0; i < PI_CACHE_SLOTS; i++) {
        pi_slot *s = &slots[i];
        if (!s->used) continue;
        if (s == tls_slot && __atomic_load_n(&s->busy, __ATOMIC_SEQ_CST)) continue;
        if (!wait_not_busy(s)) continue;        /* never freed under a thread using it */
        slot_release(s);
    }
    pthread_mutex_unlock(&cache_lock);    /* (cache_unloading, not cache_ready, says it) */
    pthread_key_delete(cache_key);
    tls_slot = NULL;
    tls_retired = 1;
}

/* This thread's slot with busy set, its entry safe to use until cache_leave; or NULL: no
 * cache for this call (retired, unloading, no slot free, out of memory). */
static pi_slot *cache_enter(void)
{
    pi_slot *s = tls_slot;
    pi_cache *c;
    int i;

    if (s == NULL) {
        if (tls_retired) return NULL;
        pthread_once(&cache_once, cache_init);
        if (!cache_ready || __atomic_load_n(&cache_unloading, __ATOMIC_SEQ_CST)) return NULL;
        if ((c = (pi_cache *)calloc(1, sizeof *c)) == NULL) return NULL;
        pthread_mutex_lock(&cache_lock);
        TEST_HOOK(PI_HOOK_REGISTER_LOCKED);
        for (i = 0; i < PI_CACHE_SLOTS && slots[i].used; i++) {}
        if (__atomic_load_n(&cache_unloading, __ATOMIC_SEQ_CST)
            || i == PI_CACHE_SLOTS || pthread_setspecific(cache_key, &slots[i]) != 0) {
            pthread_mutex_unlock(&cache_lock);
            free(c);                             /* nothing in it yet */
            return NULL;
        }
        s = &slots[i];
        s->used = 1;
        s->owner = (const void *)&tls_slot;
        s->entry = c;
        pthread_mutex_unlock(&cache_lock);
        tls_slot = s;
    }
    __atomic_store_n(&s->busy, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&cache_unloading, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
        tls_slot = NULL;                         /* the unloader frees it (or has) */
        tls_retired = 1;
        return NULL;
    }
    return s;
}

static void cache_leave(pi_slot *s)
{
    __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
}

/* The cached key state for k0 (set up on a miss), inside enter/leave. */
static int cache_key_for(pi_cache *c, const unsigned char k0[PI_BLOCK], const pi_hmac_key **key)
{
    uint32_t hit = (uint32_t)c->valid & words_equal(c->k0, k0, PI_BLOCK);
    int rc;
    /* Whether this thread's key changed since its last call is known to the caller. */
    PI_DECLASSIFY(&hit, sizeof hit);
    if (!hit) {
        if (c->valid) pi_hmac_key_wipe(&c->key);
        c->valid = 0;
        c->raw_len = 0;
        OPENSSL_cleanse(c->k0, sizeof c->k0);
        rc = pi_hmac_key_init(&c->key, k0);
        if (rc != 0) return rc;
        memcpy(c->k0, k0, PI_BLOCK);
        c->valid = 1;
    }
    TEST_HOOK(PI_HOOK_IN_USE);
    *key = &c->key;
    return PYLON_IDV_OK;
}

/* The tag of the message under k0 (or, hex != NULL, its hex digits): through this thread's
 * cache, or computed afresh. */
static int keyed_tag(const unsigned char k0[PI_BLOCK], unsigned char tag[PI_TAG], char *hex,
                     const char *email, size_t email_len, pi_slot *s, size_t raw_len)
{
    const pi_hmac_key *key = NULL;
    pi_hmac_key tmp;
    int rc;

    if (s != NULL) {
        rc = cache_key_for(s->entry, k0, &key);
        if (rc == 0) {
            s->entry->raw_len = raw_len;
            rc = hex ? pi_hmac_hex(key, hex, email, email_len)
                     : pi_hmac(key, tag, email, email_len);
        }
        return rc;
    }
    TEST_UNCACHED();
    memset(&tmp, 0, sizeof tmp);
    rc = pi_hmac_key_init(&tmp, k0);
    if (rc == 0) rc = hex ? pi_hmac_hex(&tmp, hex, email, email_len)
                          : pi_hmac(&tmp, tag, email, email_len);
    pi_hmac_key_wipe(&tmp);
    return rc;
}
#else
static int keyed_tag(const unsigned char k0[PI_BLOCK], unsigned char tag[PI_TAG], char *hex,
                     const char *email, size_t email_len, void *s, size_t raw_len)
{
    pi_hmac_key tmp;
    int rc;
    (void)s; (void)raw_len;
    memset(&tmp, 0, sizeof tmp);
    rc = pi_hmac_key_init(&tmp, k0);
    if (rc == 0) rc = hex ? pi_hmac_hex(&tmp, hex, email, email_len)
                          : pi_hmac(&tmp, tag, email, email_len);
    pi_hmac_key_wipe(&tmp);
    return rc;
}
#endif

/* ---------------------------------------------------------------------- one-shot */

#if defined(PI_CACHE)
/* 1 when secret_hex is, digit for digit (either case, no spacing), the hex of the key this
 * entry holds: then it needs no decoding. Only lengths (public) decide whether to compare. */
static uint32_t cache_hex_hit(const pi_cache *c, const char *secret_hex, size_t len)
{
    uint32_t hit;
    if (!c->valid || c->raw_len == 0 || (c->raw_len & 3u) || len != 2 * c->raw_len
        || secret_hex == NULL)
        return 0;
    hit = (uint32_t)pi_hex_equals(c->k0, c->raw_len, secret_hex);
    PI_DECLASSIFY(&hit, sizeof hit);       /* as for k0: whether the secret changed */
    return hit;
}
#endif

/* The tag of email under secret_hex, or (hex != NULL) its hex digits. A secret whose digits
 * are the cached key's signs at once (it is valid: it decoded to that key before); any other
 * is decoded, its errors first, then the email checked. */
static int oneshot_tag(unsigned char tag[PI_TAG], char *hex, const char *email,
                       size_t email_len, const char *secret_hex, size_t secret_hex_len)
{
    unsigned char k0[PI_BLOCK];
    int rc;
#if defined(PI_CACHE)
    pi_slot *s = cache_enter();

    if (s != NULL && cache_hex_hit(s->entry, secret_hex, secret_hex_len)) {
        TEST_HOOK(PI_HOOK_IN_USE);
        rc = (email == NULL && email_len != 0) ? PYLON_IDV_EINVAL
           : hex ? pi_hmac_hex(&s->entry->key, hex, email, email_len)
                 : pi_hmac(&s->entry->key, tag, email, email_len);
        cache_leave(s);
        return rc;
    }
#else
    void *s = NULL;
#endif
    rc = pi_secret_to_k0(k0, secret_hex, secret_hex_len, NULL);
    if (rc == 0) {                           /* (k0 is wiped on error) */
        /* The hex hit compares a text of exactly secret_hex_len digits with k0's first
         * secret_hex_len / 2 bytes. Sound whatever spacing this text had: if it is at most
         * 128 characters, its key had at most 64 bytes, so k0 is that key zero padded, and
         * any text matching k0's first bytes decodes to a key with the same k0 (HMAC pads
         * with zeros too). A longer text may have been hashed into k0: no hex hit for it. */
        size_t raw_len = secret_hex_len / 2 <= PI_BLOCK ? secret_hex_len / 2 : 0;
        if (email == NULL && email_len != 0) rc = PYLON_IDV_EINVAL;
        else rc = keyed_tag(k0, tag, hex, email, email_len, s, raw_len);
        PI_WIPE(k0, sizeof k0);
    }
#if defined(PI_CACHE)
    if (s != NULL) cache_leave(s);
#endif
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
#if defined(PYLON_IDV_TEST_HOOKS)
        pi_test_previous_grows++;
#endif
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
    unsigned char tag[PI_TAG];
    uint32_t valid, found = 0, idx = 0xffffffffu, i, eq, m;

    if (signer == NULL || (email == NULL && email_len != 0)) return -1;
    /* The candidate is not decoded: each key's tag is compared with it in hex (either case,
     * every character checked to be the right digit), in constant time. Its length is public. */
    valid = (uint32_t)(hash_hex != NULL && hash_hex_len == 2 * PI_TAG);
    /* Every key is evaluated, no early exit; the first match is selected by masks. */
    for (i = 0; i <= signer->n_previous; i++) {
        const pi_hmac_key *k = i == 0 ? &signer->current : &signer->previous[i - 1];
        eq = (uint32_t)(pi_hmac(k, tag, email, email_len) == 0);
        eq &= valid && (uint32_t)pi_hex_equals(tag, PI_TAG, hash_hex);
        m = pi_ct_mask_u32(eq & ~found);
        idx = (idx & ~m) | (i & m);
        found |= eq;
    }
    PI_DECLASSIFY(&idx, sizeof idx);      /* the answer */
    PI_WIPE(tag, sizeof tag);              /* the last key's tag: a valid hash */
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
    OPENSSL_cleanse(tag, sizeof tag);
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
