/*
 * test_alloc.c -- the signer's sign/verify/match and the warm one-shot allocate nothing, and
 * add_previous grows its array geometrically (20,000 previous secrets: a few dozen
 * allocations, not 20,000 -- the quadratic copy it replaced took 41 s from Python).
 * malloc and friends are interposed (glibc: the executable's definitions win over libc's,
 * also for calls from libpylon_idv and libcrypto) and counted.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <time.h>

#include "pylon_idv.h"
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

int main(void)
{
    const char *k = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const char *e = "jane.doe@example.com";     /* 20 bytes */
    char h[65], big[5000];
    pylon_idv_signer *s = NULL;
    long before, counted, i;
    int r = 0;

    memset(big, 'x', sizeof big);
    CHECK(pylon_idv_signer_new(&s, k, 64) == 0);
    CHECK(pylon_idv_signer_add_previous(s, k, 64) == 0);
    CHECK(pylon_idv_sign(h, e, 20, k, 64) == 0);          /* warms the thread's cache */
    before = allocations;
    for (i = 0; i < 1000; i++) {
        pylon_idv_signer_sign(s, h, big, sizeof big);
        pylon_idv_signer_sign(s, h, e, 20);
        r += pylon_idv_signer_verify(s, e, 20, h, 64);
        r += pylon_idv_signer_match(s, e, 20, h, 64);
        r += pylon_idv_sign(h, e, 20, k, 64);
        r += pylon_idv_verify(e, 20, k, 64, h, 64);
    }
    counted = allocations - before;         /* before printf, which allocates */
#if defined(PYLON_IDV_USE_EVP)
    printf("EVP fallback build: %ld allocations in 6000 calls (expected: it allocates)\n",
           counted);
    CHECK(counted > 0);
#else
    printf("allocations in 6000 calls: %ld\n", counted);
    CHECK(counted == 0);
#endif
    CHECK(r == 2000);
    pylon_idv_signer_free(s);

    {   /* 20,000 previous secrets: amortised growth */
        enum { N = 20000 };
        char secret[65], want[65];
        struct timespec t0, t1;
        long grows;
        int bad = 0;
        CHECK(pylon_idv_signer_new(&s, k, 64) == 0);
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
        CHECK(grows <= 8L * N + 32);   /* EVP: a few allocations per key (two contexts and
                                          their digests), plus the arrays */
#else
        CHECK_MSG(grows <= 32, "%ld allocations: not geometric growth", grows);
#endif
        /* and every one of them is there, numbered in order */
        for (i = 1; i <= N; i += 4999) {
            snprintf(secret, sizeof secret, "%064lx", i);
            CHECK(pylon_idv_sign(want, e, 20, secret, 64) == 0);
            CHECK(pylon_idv_signer_match(s, e, 20, want, 64) == (int)i);
        }
        pylon_idv_signer_free(s);
    }
    return check_report("test_alloc");
}
