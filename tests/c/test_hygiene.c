/*
 * test_hygiene.c -- secret hygiene: freed memory holds no key material, and no message shows
 * any part of a secret.
 *
 *   test_hygiene VECTORS_DIR [PATH_TO_pylon-idv]
 *
 * 1. Wiping. malloc, calloc, realloc and free are interposed (glibc: the executable's
 *    definitions win, also for calls from libcrypto; memory comes from __libc_malloc, as in
 *    test_alloc.c). Every block is scanned just before it is freed, or before realloc may move
 *    it, for any 8-byte window of the "needles": the raw key bytes, the SHA-256 states after
 *    the key's ipad and opad blocks (what a signer keeps), and the
 *    secret's text. A hit is a failure: key material was left in freed heap memory.
 *    Positive controls keep the check honest: while a signer is alive, a block allocated for
 *    it must contain the needles -- so the needles are right and a forgotten OPENSSL_cleanse
 *    would be seen -- and that very block must then be freed clean by pylon_idv_signer_free.
 *    The one-shot keeps nothing: it allocates no block (EVP build: none holding a needle).
 *    Under ASan/TSan (which own malloc) this part is skipped, the rest still runs.
 * 2. Messages. Over the whole bad-input matrix (tests/vectors/bad_secrets.tsv, plus long
 *    random secrets with one bad character or an odd length), pylon_idv_strerror, the
 *    message every binding shows (pylon_idv_message, which they prefix) and the CLI's stderr and stdout never contain any
 *    4-character run of the secret's hex digits (compared ignoring case; the expected
 *    "position N" is removed first, as it is a public fact).
 *
 * 3. The stack. After verify (match and mismatch), sign and the signer calls, the dead stack
 *    frames below the caller hold no 8-byte window of the tag, pi_hmac's inner hash or the key
 *    (a positive control leaves the inner hash in a dead frame and must be found): the
 *    expected tag, the decoded candidate, pi_hmac's state copies are wiped (test_stack_wiped).
 *
 * Built from the core sources (like ctgrind) so the hidden helpers can be reached and the
 * unload destructor is in this executable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <malloc.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "check.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>

extern char **environ;

#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) \
      || __has_feature(memory_sanitizer)
#    define HYGIENE_NO_INTERPOSE 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define HYGIENE_NO_INTERPOSE 1
#endif

/* ==================================================================== 1. wiping */
#if !defined(HYGIENE_NO_INTERPOSE)

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

#define MAX_NEEDLES 1024
static uint64_t needles[MAX_NEEDLES];    /* 8-byte windows; read by the hooks */
static volatile int n_needles;
static volatile int dirty_frees;         /* blocks freed (or realloc'd) holding a needle */
static volatile size_t dirty_size;

#define MAX_CAPTURE 2048
static struct { void *p; size_t size; int freed, clean, held; } captured[MAX_CAPTURE];
static volatile int capturing, n_captured, capture_overflow;
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;   /* static init: no malloc */

/* noinline: a leaf keeps its windows in call-clobbered registers, so no window lingers in a
 * callee-saved register of the test for the operation's prologue to save into its frame (a
 * copy of the test's own data, not the library's: seen on s390x with GCC 16) */
static __attribute__((noinline)) void add_needles(const void *bytes, size_t n)
{
    const unsigned char *b = (const unsigned char *)bytes;
    size_t i;
    for (i = 0; i + 8 <= n && n_needles < MAX_NEEDLES; i++) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        needles[n_needles++] = w;
    }
}

/* Does p[0..n) contain any needle window? */
static int holds_needle(const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    int k, count = n_needles;
    size_t i;
    for (i = 0; count && i + 8 <= n; i++) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        for (k = 0; k < count; k++)
            if (w == needles[k]) return 1;
    }
    return 0;
}

static void capture(void *p)
{
    if (p && capturing) {
        pthread_mutex_lock(&hook_lock);
        if (n_captured == MAX_CAPTURE) capture_overflow = 1;
        else {
            captured[n_captured].p = p;
            captured[n_captured].size = malloc_usable_size(p);
            captured[n_captured].freed = captured[n_captured].held = 0;
            n_captured++;
        }
        pthread_mutex_unlock(&hook_lock);
    }
}

/* Called with the block still intact, just before the allocator may reuse it. */
static void released(void *p)
{
    size_t n = malloc_usable_size(p);
    int dirty = holds_needle(p, n), i;
    if (dirty) { __atomic_add_fetch(&dirty_frees, 1, __ATOMIC_SEQ_CST); dirty_size = n; }
    if (n_captured) {
        pthread_mutex_lock(&hook_lock);
        for (i = 0; i < n_captured; i++)
            if (captured[i].p == p && !captured[i].freed) {
                captured[i].freed = 1;
                captured[i].clean = !dirty;
            }
        pthread_mutex_unlock(&hook_lock);
    }
}

void *malloc(size_t n) { void *p = __libc_malloc(n); capture(p); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); capture(p); return p; }
void *realloc(void *p, size_t n)
{
    void *q;
    /* realloc may move the block and leave the old bytes in freed memory: a key must never
     * be in a block that is realloc'd. */
    if (p) released(p);
    q = __libc_realloc(p, n);
    capture(q);
    return q;
}
void free(void *p)
{
    if (p) released(p);
    __libc_free(p);
}

static void start_capture(void)
{
    pthread_mutex_lock(&hook_lock);
    n_captured = 0;
    capturing = 1;
    pthread_mutex_unlock(&hook_lock);
}

/* Stop capturing; how many of the captured blocks, still live, hold a needle (each is
 * marked "held"). */
static int stop_capture(int *first)
{
    int i, found = 0;
    capturing = 0;
    *first = -1;
    for (i = 0; i < n_captured; i++)
        if (!captured[i].freed && holds_needle(captured[i].p, captured[i].size)) {
            captured[i].held = 1;
            if (*first < 0) *first = i;
            found++;
        }
    return found;
}

/* Every captured block that held key material has been freed, and freed clean. */
static void check_held_freed(const char *what)
{
    int i, held = 0, freed = 0, clean = 0;
    for (i = 0; i < n_captured; i++)
        if (captured[i].held) {
            held++;
            freed += captured[i].freed;
            clean += captured[i].freed && captured[i].clean;
        }
    CHECK_MSG(held > 0 && freed == held && clean == held,
              "%s: %d block(s) held key material, %d freed, %d freed clean",
              what, held, freed, clean);
}

/* SHA-256 state after one block, computed here: the deprecated SHA256_Init API is absent from
 * the EVP-fallback build, and an independent implementation is a better witness anyway. */
static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static void sha256_first_block(uint32_t h[8], const unsigned char block[64])
{
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2 };
    static const uint32_t H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    uint32_t w[64], v[8], t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16
             | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (i = 16; i < 64; i++)
        w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3))
             + w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
    memcpy(v, H0, sizeof v);
    for (i = 0; i < 64; i++) {
        t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25))
           + ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
        t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22))
           + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (i = 0; i < 8; i++) h[i] = H0[i] + v[i];
    OPENSSL_cleanse(w, sizeof w);
    OPENSSL_cleanse(v, sizeof v);
}

/* The needles of one key: raw bytes (block key k0), ipad/opad states, the secret text. */
static void key_needles(const char *secret_hex, const unsigned char *raw, size_t raw_len)
{
    unsigned char k0[PI_BLOCK], pad[PI_BLOCK];
    uint32_t h[8];
    size_t i;

    memset(k0, 0, sizeof k0);
    if (raw_len <= PI_BLOCK) memcpy(k0, raw, raw_len);
    else SHA256(raw, raw_len, k0);
    add_needles(raw, raw_len);
    add_needles(k0, raw_len < PI_TAG ? raw_len : PI_TAG);
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)(k0[i] ^ 0x36);
    sha256_first_block(h, pad);                  /* as OpenSSL keeps it: native words */
    add_needles(h, sizeof h);
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)(k0[i] ^ 0x5c);
    sha256_first_block(h, pad);
    add_needles(h, sizeof h);
    if (secret_hex) add_needles(secret_hex, strlen(secret_hex));
    OPENSSL_cleanse(h, sizeof h);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(k0, sizeof k0);
}

static void random_key(char hex[65], unsigned char raw[32])
{
    size_t i;
    for (i = 0; i < 32; i++) raw[i] = (unsigned char)(rng() >> 32);
    pi_hex_encode(hex, raw, 32);
}

static const char email[] = "jane.doe@example.com";

/* A signer (current + previous) is found in the heap while alive, and freed clean. */
static void test_signer_wiped(void)
{
    char s1[65], s2[65], h[65];
    unsigned char k1[32], k2[32];
    pylon_idv_signer *s = NULL;
    int found, first, before = dirty_frees;

    random_key(s1, k1);
    random_key(s2, k2);
    n_needles = 0;
    key_needles(s1, k1, 32);
    key_needles(s2, k2, 32);

    start_capture();
    CHECK(pylon_idv_signer_new(&s, s1, 64) == 0);
    CHECK(pylon_idv_signer_add_previous(s, s2, 64) == 0);
    CHECK(pylon_idv_signer_add_previous(s, s1, 64) == 0);   /* the array is replaced */
    CHECK(pylon_idv_signer_sign(s, h, email, sizeof email - 1) == 0);
    found = stop_capture(&first);
    /* positive control: the live signer's key state is where the scan looks */
    CHECK_MSG(found >= 2, "only %d live block(s) of the signer hold its key state", found);
    pylon_idv_signer_free(s);
    check_held_freed("signer");
    CHECK_MSG(dirty_frees == before, "%d block(s) of %lu bytes freed with key material "
              "(signer)", dirty_frees - before, (unsigned long)dirty_size);

    /* from_key: the raw key bytes are needles too */
    n_needles = 0;
    key_needles(NULL, k1, 32);
    start_capture();
    before = dirty_frees;
    CHECK(pylon_idv_signer_new_from_key(&s, k1, 32) == 0);
    found = stop_capture(&first);
    CHECK_MSG(found >= 1, "from_key signer not found in the heap");
    pylon_idv_signer_free(s);
    check_held_freed("from_key signer");
    CHECK_MSG(dirty_frees == before, "from_key signer freed with key material");

    /* a key longer than a block is hashed; its block key k0 and states are the needles */
    {
        unsigned char big[100];
        size_t i;
        for (i = 0; i < sizeof big; i++) big[i] = (unsigned char)(rng() >> 40);
        n_needles = 0;
        key_needles(NULL, big, sizeof big);
        start_capture();
        before = dirty_frees;
        CHECK(pylon_idv_signer_new_from_key(&s, big, sizeof big) == 0);
        found = stop_capture(&first);
        CHECK_MSG(found >= 1, "long-key signer not found in the heap");
        pylon_idv_signer_free(s);
        check_held_freed("long-key signer");
        CHECK_MSG(dirty_frees == before, "long-key signer freed with key material");
    }
    n_needles = 0;
}

#if defined(PYLON_IDV_USE_EVP)
#  define PI_EVP_BUILD 1
#else
#  define PI_EVP_BUILD 0
#endif

/* The one-shot keeps nothing: no heap block it allocates holds key material, and (outside the
 * EVP build, whose digests allocate) it allocates nothing at all. */
static void test_oneshot_stateless(void)
{
    char s[65], h[65];
    unsigned char k[32];
    int first, found, allocated;

    random_key(s, k);
    n_needles = 0;
    key_needles(NULL, k, 32);                  /* raw key and its ipad/opad states */
    add_needles(s, 64);                        /* and the secret's text */
    start_capture();
    CHECK(pylon_idv_sign(h, email, sizeof email - 1, s, 64) == 0);
    CHECK(pylon_idv_sign(h, email, sizeof email - 1, s, 64) == 0);
    CHECK(pylon_idv_verify(email, sizeof email - 1, s, 64, h, 64) == 1);
    found = stop_capture(&first);
    allocated = n_captured;
    CHECK_MSG(found == 0, "the one-shot left key material in %d heap block(s)", found);
    /* the EVP build's digests allocate (and free) their contexts */
    CHECK_MSG(allocated == 0 || PI_EVP_BUILD, "the one-shot allocated %d block(s)", allocated);
    n_needles = 0;
}

/* diagnose decodes the secret into a heap buffer and hands keys (decoded, raw text, Node's
 * truncation) to OpenSSL's HMAC(): none of it may stay in freed memory. */
static void test_diagnose_wiped(void)
{
    char s[65], bad[65], h[65];
    unsigned char k[32];
    int before, cause;

    random_key(s, k);
    n_needles = 0;
    key_needles(s, k, 32);
    memset(h, '0', 64);
    before = dirty_frees;
    cause = pylon_idv_diagnose(email, sizeof email - 1, s, 64, h, 64);  /* tries every mistake */
    CHECK(cause == PYLON_IDV_CAUSE_UNKNOWN);
    memcpy(bad, s, 65);
    bad[40] = 'x';                                     /* invalid: the truncated-secret path */
    cause = pylon_idv_diagnose(email, sizeof email - 1, bad, 64, h, 64);
    CHECK(cause == PYLON_IDV_CAUSE_INVALID_SECRET);
    CHECK_MSG(dirty_frees == before, "diagnose freed %d block(s) with key material",
              dirty_frees - before);
    n_needles = 0;
}


/* ================================================================ 3. the stack */
/* Copies of key material and tags left in dead stack frames: pi_hmac's inner hash (and its
 * state copy), the one-shot's and verify's expected tag, the decoded candidate, the signer's
 * tags. Each operation runs through run_deep(), whose frame is STACK_GAP bytes, so its frames
 * lie below that gap; scan_stack(), called from the same frame as run_deep, copies the region
 * below its own frame minus the gap (memory that was touched by the operation and not since)
 * and looks for the needles: the tag, the inner hash, the raw key. A positive control leaves
 * the inner hash in a dead frame on purpose and must be found. */
#define STACK_GAP 4096
#define STACK_SCAN 49152
static unsigned char stack_copy[STACK_SCAN];
static char st_secret[65], st_tag_hex[65], st_out[65], st_bad_hex[65];
static unsigned char st_key[32];
static pylon_idv_signer *st_signer;
static volatile int st_sink;

static __attribute__((noinline)) void paint_stack(void)
{
    volatile unsigned char area[STACK_GAP + STACK_SCAN + 4096];
    size_t i;
    for (i = 0; i < sizeof area; i++) area[i] = 0;
    st_sink = area[100];
}

static __attribute__((noinline)) void leaky_op(void)
{
    volatile unsigned char keep[PI_TAG];        /* the control: an unwiped copy */
    unsigned char ih[PI_TAG], pad[PI_BLOCK + 32];
    size_t i;
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)((i < 32 ? st_key[i] : 0) ^ 0x36);
    memcpy(pad + PI_BLOCK, email, 20);
    SHA256(pad, PI_BLOCK + 20, ih);
    for (i = 0; i < PI_TAG; i++) keep[i] = ih[i];
    st_sink = keep[0];
}

static __attribute__((noinline)) void stack_op(int which)
{
    switch (which) {
    case 0: st_sink = pylon_idv_verify(email, 20, st_secret, 64, st_tag_hex, 64); break;
    case 1: st_sink = pylon_idv_verify(email, 20, st_secret, 64, st_bad_hex, 64); break;
    case 2: st_sink = pylon_idv_sign(st_out, email, 20, st_secret, 64); break;
    case 3: st_sink = pylon_idv_signer_sign(st_signer, st_out, email, 20); break;
    case 4: st_sink = pylon_idv_signer_verify(st_signer, email, 20, st_tag_hex, 64); break;
    case 5: st_sink = pylon_idv_signer_match(st_signer, email, 20, st_bad_hex, 64, NULL); break;
    default: leaky_op(); break;
    }
}

static __attribute__((noinline)) void run_deep(int which)
{
    volatile unsigned char gap[STACK_GAP];
    gap[0] = 1;
    stack_op(which);
    gap[STACK_GAP - 1] = gap[0];
}

/* Does the dead stack below the caller's frame (minus the gap) hold a needle? */
static __attribute__((noinline)) int scan_stack(void)
{
    unsigned char *top = (unsigned char *)__builtin_frame_address(0);
    const unsigned char *from = top - STACK_GAP / 2 - STACK_SCAN;
    __asm__ volatile("" : "+r"(from));          /* an address the compiler knows nothing of */
    memcpy(stack_copy, from, STACK_SCAN);
    return holds_needle(stack_copy, STACK_SCAN);
}

static void test_stack_wiped(void)
{
    static const char *const names[] = { "verify (match)", "verify (mismatch)", "sign",
                                         "signer_sign", "signer_verify", "signer_match" };
    unsigned char tag[PI_TAG], pad[PI_BLOCK + 32], ih[PI_TAG];
    unsigned int n = 0;
    size_t i;
    int op, found;

    random_key(st_secret, st_key);
    HMAC(EVP_sha256(), st_key, 32, (const unsigned char *)email, 20, tag, &n);
    pi_hex_encode(st_tag_hex, tag, PI_TAG);
    memcpy(st_bad_hex, st_tag_hex, 65);
    st_bad_hex[0] = st_bad_hex[0] == '0' ? '1' : '0';
    for (i = 0; i < PI_BLOCK; i++) pad[i] = (unsigned char)((i < 32 ? st_key[i] : 0) ^ 0x36);
    memcpy(pad + PI_BLOCK, email, 20);
    SHA256(pad, PI_BLOCK + 20, ih);               /* the inner hash, as pi_hmac computes it */
    CHECK(pylon_idv_signer_new(&st_signer, st_secret, 64) == 0);
    CHECK(pylon_idv_sign(st_out, email, 20, st_secret, 64) == 0);
    /* positive control: the scan sees a dead frame's copy */
    n_needles = 0;
    add_needles(tag, sizeof tag);
    add_needles(ih, sizeof ih);
    add_needles(st_key, sizeof st_key);
    paint_stack();
    run_deep(99);
    found = scan_stack();
    CHECK_MSG(found, "stack control: an unwiped inner hash in a dead frame was not found "
              "(the stack check proves nothing)");
    for (op = 0; op < 6; op++) {
        /* A matching verify decodes the caller's own candidate, which is then the tag: the
         * hex decoder's temporaries (core/src/hex.c) may hold part of that public input, so
         * the tag is no needle there; the mismatching verify checks the expected tag. */
        n_needles = 0;
        if (op != 0 && op != 4) add_needles(tag, sizeof tag);
#if !defined(PYLON_IDV_USE_EVP)
        /* (the EVP build hands the inner hash to OpenSSL's EVP digest code, whose own stack
         * frames are not ours to wipe: SECURITY.md, "Not wiped") */
        add_needles(ih, sizeof ih);
#endif
        add_needles(st_key, sizeof st_key);
        paint_stack();
        run_deep(op);
        found = scan_stack();
        if (found) {   /* which needle, where: for the report */
            int k; size_t j;
            for (j = 0; j + 8 <= STACK_SCAN; j++)
                for (k = 0; k < n_needles; k++)
                    if (memcmp(stack_copy + j, &needles[k], 8) == 0)
                        fprintf(stderr, "  needle %d (%s) at %ld below the frame\n", k,
                                "(see the order above)",
                                (long)(STACK_SCAN - j) + STACK_GAP / 2);
        }
        CHECK_MSG(!found, "stack: %s left a tag, the inner hash or the key in a dead frame",
                  names[op]);
    }
    n_needles = 0;
    pylon_idv_signer_free(st_signer);
    OPENSSL_cleanse(tag, sizeof tag);
    OPENSSL_cleanse(ih, sizeof ih);
    OPENSSL_cleanse(pad, sizeof pad);
    printf("stack: verify, sign and the signer leave no tag, inner hash or key behind "
           "(control found): %s\n", check_failures ? "FAILED" : "ok");
    fflush(stdout);
}

static void *stack_thread(void *arg)
{
    (void)arg;
    test_stack_wiped();
    return NULL;
}

static void test_wiping(void)
{
    pylon_idv_signer *warm = NULL;
    /* OpenSSL's lazy set-up (EVP fetches, in the fallback build) allocates a lot on first
     * use: do it before capturing. */
    CHECK(pylon_idv_signer_new(&warm, "00ff", 4) == 0);
    pylon_idv_signer_free(warm);
    test_signer_wiped();
    test_oneshot_stateless();
    test_diagnose_wiped();
    {   /* on a thread of its own: the main thread's first one-shot call is watched below */
        pthread_t t;
        CHECK(pthread_create(&t, NULL, stack_thread, NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    CHECK_MSG(!capture_overflow, "more than %d allocations captured", MAX_CAPTURE);
    printf("wiping: signers, from_key, long keys, the one-shot, diagnose: %s\n",
           check_failures ? "FAILED" : "no key material left in freed memory");
}

#else /* HYGIENE_NO_INTERPOSE */
static void test_wiping(void) { printf("wiping: skipped (the sanitizer owns malloc)\n"); }
#endif

/* =================================================================== 2. messages */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int is_hex(int c) { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'); }

static int n_secrets, n_messages, n_cli;

/* Does msg contain any 4-char run of the hex digits of secret[0..n), ignoring case? The
 * expected " position N" (a public fact) is removed from msg first. */
static int leaks(const char *msg, const char *secret, size_t n, int status, size_t position)
{
    char m[4096], tag[64];
    size_t i, j, ml;
    char *at;

    snprintf(m, sizeof m, "%s", msg);
    if (status == PYLON_IDV_ESECRET_CHAR) {
        snprintf(tag, sizeof tag, "position %lu", (unsigned long)position);
        if ((at = strstr(m, tag)) != NULL) memset(at, '_', strlen(tag));
    }
    ml = strlen(m);
    for (i = 0; i + 4 <= n; i++) {
        if (!is_hex(secret[i]) || !is_hex(secret[i + 1]) || !is_hex(secret[i + 2])
            || !is_hex(secret[i + 3])) continue;
        for (j = 0; j + 4 <= ml; j++)
            if (lower(m[j]) == lower(secret[i]) && lower(m[j + 1]) == lower(secret[i + 1])
                && lower(m[j + 2]) == lower(secret[i + 2])
                && lower(m[j + 3]) == lower(secret[i + 3]))
                return 1;
    }
    return 0;
}

/* Run the CLI with the secret: from the environment, or from standard input
 * (--secret-file -) when it holds a NUL or every other time; its stdout and stderr together
 * into out. Returns the exit status. */
static int run_cli(const char *cli, int via_stdin, char *const argv_tail[],
                   const char *secret, size_t n, char *out, size_t out_size)
{
    char *argv[8], *envp[4], *env_secret = NULL;
    posix_spawn_file_actions_t fa;
    int outp[2], inp[2], st = -1, k = 0, i;
    size_t got = 0;
    ssize_t r;
    pid_t pid;

    via_stdin |= memchr(secret, '\0', n) != NULL || n == 0;
    argv[k++] = (char *)cli;
    if (via_stdin) { argv[k++] = (char *)"--secret-file"; argv[k++] = (char *)"-"; }
    for (i = 0; argv_tail[i]; i++) argv[k++] = argv_tail[i];
    argv[k] = NULL;
    k = 0;
    if (!via_stdin) {
        env_secret = (char *)malloc(n + 32);
        if (!env_secret) abort();
        memcpy(env_secret, "PYLON_IDENTITY_SECRET=", 22);
        memcpy(env_secret + 22, secret, n);
        env_secret[22 + n] = '\0';
        envp[k++] = env_secret;
    }
    envp[k++] = (char *)"LC_ALL=C";
    envp[k] = NULL;

    if (pipe(outp) != 0 || pipe(inp) != 0) { perror("pipe"); exit(2); }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 2);
    posix_spawn_file_actions_addclose(&fa, outp[0]);
    posix_spawn_file_actions_addclose(&fa, inp[1]);
    if (posix_spawn(&pid, cli, &fa, NULL, argv, envp) != 0) { perror(cli); exit(2); }
    posix_spawn_file_actions_destroy(&fa);
    close(outp[1]);
    close(inp[0]);
    /* secrets here are a few KB: the pipe holds them whether or not the child reads */
    if (via_stdin && write(inp[1], secret, n) != (ssize_t)n) {}   /* EPIPE: it did not read */
    close(inp[1]);
    while ((r = read(outp[0], out + got, out_size - 1 - got)) > 0 && got + 1 < out_size)
        got += (size_t)r;
    out[got] = '\0';
    close(outp[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    free(env_secret);
    n_cli++;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* One bad (or good) secret through every message path. */
static void check_secret(const char *s, size_t n, const char *cli, const char *label)
{
    char buf[PYLON_IDV_MESSAGE_SIZE], out[8192];
    size_t pos = 0;
    int st = pylon_idv_secret_check(s, n, &pos), rc;
    static char *const cmds[][4] = {
        { (char *)"sign", (char *)"jane@example.com", NULL, NULL },
        { (char *)"verify", (char *)"jane@example.com", (char *)"00", NULL },
        { (char *)"fingerprint", NULL, NULL, NULL },
        { (char *)"diagnose", (char *)"jane@example.com", (char *)"00", NULL },
    };
    size_t c;

    n_secrets++;
    n_messages += 2;
    CHECK_MSG(!leaks(pylon_idv_strerror(st), s, n, st, pos), "%s: strerror shows the secret", label);
    CHECK_MSG(!leaks(pylon_idv_message(buf, sizeof buf, st, s, n, 0), s, n, st, pos),
              "%s: message shows the secret: %s", label, buf);
    CHECK_MSG(!leaks(pylon_idv_message(buf, sizeof buf, st, s, n, 7), s, n, st, pos),
              "%s: message (previous #7) shows the secret: %s", label, buf);
    n_messages++;
    if (!cli) return;
    for (c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        rc = run_cli(cli, (int)(c & 1), cmds[c], s, n, out, sizeof out);
        /* an error (2); diagnose names the cause instead (invalid_secret, exit 1) */
        if (st != 0)
            CHECK_MSG(rc == (c == 3 ? 1 : 2), "%s: pylon-idv %s exit %d with a bad secret",
                      label, cmds[c][0], rc);
        CHECK_MSG(!leaks(out, s, n, st, pos), "%s: pylon-idv %s output shows the secret: %s",
                  label, cmds[c][0], out);
    }
}

static const char *g_cli;

static void bad_row(char **f, int n, void *ctx)
{
    size_t len;
    char *s, label[64];
    (void)ctx;
    if (n < 2) return;
    s = unhex(f[0], &len);
    snprintf(label, sizeof label, "bad_secrets.tsv %.20s", f[0]);
    check_secret(s, len, g_cli, label);
    free(s);
}

static void test_messages(const char *vectors, const char *cli)
{
    static const char bad_chars[] = { 'g', 'z', 'x', 'G', ' ', '\t', '\n', '\r', '\v', '\f',
                                      '-', '.', ':', '"', '\0', '\x01', '\x7f', '\x80', '\xff' };
    static const char digits[] = "0123456789abcdefABCDEF";
    char label[64];
    int rows, i;

    int failures_before = check_failures;

    g_cli = cli;
    signal(SIGPIPE, SIG_IGN);
    if (cli) {   /* the plumbing works: a good secret, both ways, gives the right hash */
        static const char good[] = " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
        static char *const sign[] = { (char *)"sign", (char *)"jane@example.com", NULL };
        char out[256], want[65];
        CHECK(pylon_idv_sign(want, "jane@example.com", 16, good, sizeof good - 1) == 0);
        for (i = 0; i < 2; i++) {
            CHECK(run_cli(cli, i, sign, good, sizeof good - 1, out, sizeof out) == 0);
            CHECK_MSG(strncmp(out, want, 64) == 0, "CLI plumbing (%s): %s",
                      i ? "stdin" : "environment", out);
        }
    }
    rows = read_tsv(vectors, "bad_secrets.tsv", bad_row, NULL);
    CHECK(rows >= 32);
    /* long random secrets: one bad character anywhere, or an odd length, some wrapped in
     * whitespace; the CLI for every few of them (each run is a process) */
    for (i = 0; i < 300; i++) {
        size_t n = 8 + (size_t)(rng() % 2000), j, at;
        char *s = (char *)malloc(n + 3);
        if (!s) abort();
        for (j = 0; j < n; j++) s[j] = digits[rng() % (sizeof digits - 1)];
        at = 1 + (size_t)(rng() % (n - 2));
        if (i % 3 == 2) n -= (n % 2 == 0);                /* odd length, all hex */
        else s[at] = bad_chars[rng() % sizeof bad_chars];
        if (i % 4 == 1) { memmove(s + 1, s, n); s[0] = ' '; s[n + 1] = '\n'; n += 2; }
        snprintf(label, sizeof label, "random secret %d (%lu chars)", i, (unsigned long)n);
        check_secret(s, n, i % 5 == 0 ? cli : NULL, label);
        CHECK_MSG(pylon_idv_secret_check(s, n, NULL) != 0, "%s: not rejected", label);
        free(s);
    }
    printf("messages: %d secrets, %d library messages, %d CLI runs: %s\n", n_secrets,
           n_messages, n_cli, check_failures == failures_before ? "no secret shown" : "FAILED");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_hygiene VECTORS_DIR [PATH_TO_pylon-idv]\n");
        return 2;
    }
    test_wiping();
    test_messages(argv[1], argc > 2 ? argv[2] : NULL);
#if !defined(HYGIENE_NO_INTERPOSE)
    CHECK_MSG(dirty_frees == 0, "%d block(s) freed with key material in all", dirty_frees);
#endif
    return check_report("test_hygiene");
}
