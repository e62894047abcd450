/*
 * test_alloc.c -- the signer's sign/verify/match and the warm one-shot allocate nothing, on
 * every SHA-256 compression path (forced in turn; built from the core sources). The one
 * exception: the EVP build's OpenSSL path, which copies EVP_MD_CTXs and must allocate.
 * And add_previous grows its array geometrically (20,000 previous secrets: a few dozen
 * allocations, not 20,000 -- the quadratic copy it replaced took 41 s from Python).
 * malloc and friends are interposed (glibc: the executable's definitions win over libc's,
 * also for calls from libcrypto) and counted.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <time.h>

#include "internal.h"
#include "check.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile long allocations;
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }

/* Allocations by 1000 rounds of the signer's calls, and (*oneshot) of the one-shot's. */
static long count_calls(pylon_idv_signer *s, const char *k, int *r, long *oneshot)
{
    const char *e = "jane.doe@example.com";     /* 20 bytes */
    char h[65], big[5000];
    long before, signer_allocs = 0, i;

    memset(big, 'x', sizeof big);
    CHECK(pylon_idv_sign(h, e, 20, k, 64) == 0);          /* OpenSSL's lazy set-up, if any */
    *oneshot = 0;
    for (i = 0; i < 1000; i++) {
        before = allocations;
        CHECK(pylon_idv_signer_sign(s, h, big, sizeof big) == 0);
        CHECK(pylon_idv_signer_sign(s, h, e, 20) == 0);
        *r += pylon_idv_signer_verify(s, e, 20, h, 64);
        *r += match_idx(s, e, 20, h, 64);
        signer_allocs += allocations - before;
        before = allocations;
        *r += pylon_idv_sign(h, e, 20, k, 64);
        *r += pylon_idv_verify(e, 20, k, 64, h, 64);
        *oneshot += allocations - before;
    }
    return signer_allocs;
}

int main(void)
{
    const char *k = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    pylon_idv_signer *s = NULL;
    const char *e = "jane.doe@example.com";
    long counted[PI_PATH_COUNT], oneshot[PI_PATH_COUNT], before, i;
    int r, p, chosen = pi_path, ran = 0;

    CHECK(pylon_idv_signer_new(&s, k, 64) == 0);
    CHECK(pylon_idv_signer_add_previous(s, k, 64) == 0);
    for (p = 0; p < PI_PATH_COUNT; p++) {
        if (!pi_force_path(p)) { counted[p] = -1; continue; }
        r = 0;
        counted[p] = count_calls(s, k, &r, &oneshot[p]);   /* before printf, which allocates */
        CHECK(r == 2000);
        ran++;
    }
    CHECK(pi_force_path(chosen) == 1);
    for (p = 0; p < PI_PATH_COUNT; p++) {
        if (counted[p] < 0) continue;
        printf("path %s: %ld allocations in 4000 signer calls, %ld in 2000 one-shot calls\n",
               pi_path_name(p), counted[p], oneshot[p]);
#if defined(PYLON_IDV_USE_EVP)
        /* the EVP build: the one-shot sets up its key's EVP contexts each call, and the
         * OpenSSL path copies them per message */
        CHECK(oneshot[p] > 0);
        if (p == PI_PATH_OPENSSL) { CHECK(counted[p] > 0); continue; }
#else
        CHECK(oneshot[p] == 0);
#endif
        CHECK(counted[p] == 0);
    }
    CHECK(ran >= 2);
    pylon_idv_signer_free(s);

    {   /* 20,000 previous secrets: amortised growth */
        enum { N = 20000 };
        char secret[65], want[65];
        struct timespec t0, t1;
        long grows;
        int bad = 0;
        long per_key;
        before = allocations;
        CHECK(pylon_idv_signer_new(&s, k, 64) == 0);
        per_key = allocations - before - 1;   /* minus the signer: EVP contexts (EVP build) */
        clock_gettime(CLOCK_MONOTONIC, &t0);
        before = allocations;
        for (i = 1; i <= N && !bad; i++) {
            snprintf(secret, sizeof secret, "%064lx", i);
            bad = pylon_idv_signer_add_previous(s, secret, 64) != 0;
        }
        grows = allocations - before;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        CHECK(!bad);
        printf("add_previous x %d: %ld allocations, %.1f ms\n", N, grows,
               (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
#if defined(PYLON_IDV_USE_EVP)
        /* two EVP contexts per key (each with its provider state: per_key measured above,
         * 6 with OpenSSL 3.0), plus the arrays */
        CHECK_MSG(grows <= per_key * N + 32, "%ld allocations, %ld per key", grows, per_key);
#else
        (void)per_key;
        CHECK_MSG(grows <= 32, "%ld allocations: not geometric growth", grows);
#endif
        /* and every one of them is there, numbered in order */
        for (i = 1; i <= N; i += 4999) {
            snprintf(secret, sizeof secret, "%064lx", i);
            CHECK(pylon_idv_sign(want, e, 20, secret, 64) == 0);
            CHECK(match_idx(s, e, 20, want, 64) == (int)i);
        }
        pylon_idv_signer_free(s);
    }
    return check_report("test_alloc");
}
