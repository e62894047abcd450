/*
 * bench_c.c -- the C core against the physical limit and against OpenSSL's HMAC().
 *
 *   bench_c [--quick]            table of medians (ns/call), ratios, allocations per call
 *   bench_c --callgrind NAME     run NAME 1000 times inside cg_region(), for
 *                                valgrind --tool=callgrind --toggle-collect=cg_region
 *
 * The limit: two dependent SHA-256 compressions of one block (the padded email under the
 * precomputed inner state, then the inner hash under the outer state) plus hex encoding,
 * through the same OpenSSL block function. Every row is measured in the same run,
 * interleaved round by round, and reported as the median over rounds.
 */
#define _POSIX_C_SOURCE 200809L
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "pylon_idv.h"

/* ---- counting allocations (glibc: the executable's malloc wins) ---- */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static volatile long allocations;
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }

static const char SECRET[] = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812";
static const char EMAIL[] = "jane.doe@example.com";          /* 20 bytes */
#define EMAIL_LEN 20

static unsigned char key[32];
static pylon_idv_signer *signer;
static SHA256_CTX lim_inner, lim_outer;
static unsigned char lim_block[64], lim_block2[64];
static char out[65];
static volatile unsigned sink;
static unsigned char *big;
#define BIG (1u << 20)

/* The fastest hex encoding we know (SWAR, 8 digits per step), so the limit is not flattered. */
static void hex8(char *o, uint32_t w)
{
    uint64_t t = (uint64_t)(w >> 24) | (uint64_t)((w >> 16) & 255) << 16
               | (uint64_t)((w >> 8) & 255) << 32 | (uint64_t)(w & 255) << 48;
    uint64_t nib = ((t >> 4) & 0x000f000f000f000full) | ((t & 0x000f000f000f000full) << 8);
    uint64_t letter = ((nib + 0x7676767676767676ull) >> 7) & 0x0101010101010101ull;
    nib += 0x3030303030303030ull + letter * 39;
    memcpy(o, &nib, 8);
}

static void limit_call(void)
{
    SHA256_CTX c = lim_inner;
    int i;
    SHA256_Transform(&c, lim_block);
    for (i = 0; i < 8; i++) {
        lim_block2[4 * i] = (unsigned char)(c.h[i] >> 24);
        lim_block2[4 * i + 1] = (unsigned char)(c.h[i] >> 16);
        lim_block2[4 * i + 2] = (unsigned char)(c.h[i] >> 8);
        lim_block2[4 * i + 3] = (unsigned char)c.h[i];
    }
    c = lim_outer;
    SHA256_Transform(&c, lim_block2);
    for (i = 0; i < 8; i++) hex8(out + 8 * i, c.h[i]);
    out[64] = 0;
}

static void signer_call(void) { pylon_idv_signer_sign(signer, out, EMAIL, EMAIL_LEN); }
static void oneshot_call(void)
{
    sink += (unsigned)pylon_idv_sign(out, EMAIL, EMAIL_LEN, SECRET, 64);
}
static void verify_call(void)
{
    sink += (unsigned)pylon_idv_signer_verify(signer, EMAIL, EMAIL_LEN, out, 64);
}
/* What a C user writes by hand: decode the secret, then OpenSSL's one-shot HMAC(). */
static void hmac_call(void)
{
    static const char hx[] = "0123456789abcdef";
    unsigned char k[32], tag[32];
    unsigned int n, i;
    for (i = 0; i < 32; i++) {
        unsigned hi = (unsigned)SECRET[2 * i], lo = (unsigned)SECRET[2 * i + 1];
        k[i] = (unsigned char)(((hi <= '9' ? hi - '0' : hi - 'a' + 10) << 4)
                               | (lo <= '9' ? lo - '0' : lo - 'a' + 10));
    }
    HMAC(EVP_sha256(), k, 32, (const unsigned char *)EMAIL, EMAIL_LEN, tag, &n);
    for (i = 0; i < 32; i++) { out[2 * i] = hx[tag[i] >> 4]; out[2 * i + 1] = hx[tag[i] & 15]; }
    out[64] = 0;
}
static void big_signer_call(void) { pylon_idv_signer_sign(signer, out, (const char *)big, BIG); }
static void big_sha256_call(void)          /* like `openssl speed -evp sha256 -bytes 16384` */
{
    static EVP_MD_CTX *c;
    unsigned char md[32];
    size_t off;
    if (!c) c = EVP_MD_CTX_new();
    for (off = 0; off < BIG; off += 16384) {
        EVP_DigestInit_ex(c, EVP_sha256(), NULL);
        EVP_DigestUpdate(c, big + off, 16384);
        EVP_DigestFinal_ex(c, md, NULL);
    }
    sink += md[0];
}

typedef struct {
    const char *name, *what;
    void (*fn)(void);
    int big;
    double ns[64];
    long allocs;
} row;

static row rows[] = {
    { "limit", "2 dependent SHA-256 compressions + hex (SHA256_Transform)", limit_call, 0, {0}, 0 },
    { "signer_sign", "pylon_idv_signer_sign, 20-byte email", signer_call, 0, {0}, 0 },
    { "sign", "pylon_idv_sign one-shot, same secret each call", oneshot_call, 0, {0}, 0 },
    { "signer_verify", "pylon_idv_signer_verify, 20-byte email", verify_call, 0, {0}, 0 },
    { "HMAC()", "hex decode + OpenSSL HMAC() one-shot + hex", hmac_call, 0, {0}, 0 },
    { "signer_sign 1MiB", "pylon_idv_signer_sign, 1 MiB email", big_signer_call, 1, {0}, 0 },
    { "sha256 1MiB", "EVP SHA-256 over 16 KiB blocks (openssl speed -bytes 16384)",
      big_sha256_call, 1, {0}, 0 },
};
#define NROWS (sizeof rows / sizeof rows[0])

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    double t[64];
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, cmp);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* For callgrind: --toggle-collect=cg_region counts only this. */
__attribute__((noinline)) void cg_region(void (*fn)(void), int n);
__attribute__((noinline)) void cg_region(void (*fn)(void), int n)
{
    int i;
    for (i = 0; i < n; i++) fn();
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int rounds = quick ? 3 : 21, r;
    double target_ns = quick ? 2e6 : 2e7;
    size_t i;
    unsigned char pad[64];

    for (i = 0; i < 32; i++) key[i] = (unsigned char)(i * 11 + 5);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x36);
    SHA256_Init(&lim_inner); SHA256_Update(&lim_inner, pad, 64);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x5c);
    SHA256_Init(&lim_outer); SHA256_Update(&lim_outer, pad, 64);
    memcpy(lim_block, EMAIL, EMAIL_LEN);
    lim_block[EMAIL_LEN] = 0x80;
    lim_block[62] = (unsigned char)(((64 + EMAIL_LEN) * 8) >> 8);
    lim_block[63] = (unsigned char)((64 + EMAIL_LEN) * 8);
    lim_block2[32] = 0x80;
    lim_block2[62] = (96 * 8) >> 8;
    lim_block2[63] = (unsigned char)(96 * 8);
    if (pylon_idv_signer_new(&signer, SECRET, 64) != 0) return 2;
    big = (unsigned char *)__libc_malloc(BIG);
    memset(big, 'b', BIG);

    if (argc > 2 && strcmp(argv[1], "--callgrind") == 0) {
        for (i = 0; i < NROWS; i++)
            if (strcmp(rows[i].name, argv[2]) == 0) {
                rows[i].fn();                         /* warm: caches, lazy init */
                cg_region(rows[i].fn, rows[i].big ? 1 : 1000);
                return 0;
            }
        fprintf(stderr, "unknown row %s\n", argv[2]);
        return 2;
    }

    /* Allocations per call (after a warm-up call). */
    for (i = 0; i < NROWS; i++) {
        long before;
        rows[i].fn();
        before = allocations;
        cg_region(rows[i].fn, rows[i].big ? 2 : 100);
        rows[i].allocs = allocations - before;
    }
    /* Interleaved rounds: every row once per round, each for ~target_ns. */
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < NROWS; i++) {
            long n = rows[i].big ? 4 : 20000, k;
            double t0, t;
            for (;;) {
                t0 = now_ns();
                for (k = 0; k < n; k++) rows[i].fn();
                t = now_ns() - t0;
                if (t >= target_ns / 4 || n > (1L << 28)) break;
                n *= 4;
            }
            rows[i].ns[r] = t / (double)n;
        }
    }
    {
        double lim = median(rows[0].ns, rounds), bulk = median(rows[NROWS - 1].ns, rounds);
        printf("| C (median of %d rounds) | ns/call | x limit | allocs/call |\n", rounds);
        printf("|---|---:|---:|---:|\n");
        for (i = 0; i < NROWS; i++) {
            double m = median(rows[i].ns, rounds);
            long per = rows[i].allocs / (rows[i].big ? 2 : 100);
            if (rows[i].big)
                printf("| %s | %.0f (%.0f MB/s, %.1f%% of SHA-256 bulk) | - | %ld |\n",
                       rows[i].name, m, BIG / m * 1e3, 100.0 * bulk / m, per);
            else
                printf("| %s | %.1f | %.2f | %ld |\n", rows[i].name, m, m / lim, per);
        }
        printf("\nrows: ");
        for (i = 0; i < NROWS; i++) printf("%s%s = %s", i ? "; " : "", rows[i].name, rows[i].what);
        printf("\n");
    }
    pylon_idv_signer_free(signer);
    return (int)(sink & 0);
}
