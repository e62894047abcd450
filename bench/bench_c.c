/*
 * bench_c.c -- the C core against the floor (the hardware limit) and OpenSSL's HMAC().
 *
 *   bench_c [--quick]            table of medians (ns/call), ratios, allocations per call
 *   bench_c --callgrind NAME     run NAME 1000 times inside cg_region(), for
 *                                valgrind --tool=callgrind --toggle-collect=cg_region
 *
 * The floor: what signing a 20-byte email cannot go below on this CPU. Two dependent SHA-256
 * compressions with SHA-NI, everything in registers: the padded block (prebuilt, so building
 * it costs nothing here) under the inner state (already in SHA-NI's ABEF/CDGH order), the
 * inner hash shuffled straight into the outer block, the outer compression, then hex by a
 * byte shuffle and four 16-byte stores. Its own code, sharing nothing with the library. On a
 * CPU without SHA-NI (and under valgrind, which does not run it) the floor is two calls of
 * OpenSSL's block function (SHA256_Transform) on prebuilt blocks, with the same SIMD hex when
 * SSSE3 is there; the row says which. Every row is measured in the same run, interleaved
 * round by round, and reported as the median over rounds.
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

#include "floor.h"

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
static volatile unsigned sink;
static unsigned char *big;
#define BIG (1u << 20)

static void floor_call(void) { transform_floor_call(); }   /* main() picks SHA-NI if there */

static void signer_call(void) { (void)!pylon_idv_signer_sign(signer, out, EMAIL, EMAIL_LEN); }
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
static void big_signer_call(void) { (void)!pylon_idv_signer_sign(signer, out, (const char *)big, BIG); }
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
    int base;                        /* the floor row this row is compared with */
} row;

static row rows[] = {
    { "floor", "2 dependent SHA-NI compressions in registers + SIMD hex (see bench_c.c)",
      floor_call, 0, {0}, 0, 0 },
    { "floor (stateless)", "the one-shot's least work: the 64-digit secret decoded, both key "
      "blocks and the message in 4 SHA-NI compressions in registers, SIMD hex (floor.h)",
      floor_call, 0, {0}, 0, 1 },
    { "signer_sign", "pylon_idv_signer_sign, 20-byte email", signer_call, 0, {0}, 0, 0 },
    { "sign", "pylon_idv_sign one-shot (stateless: decodes and derives each call)",
      oneshot_call, 0, {0}, 0, 1 },
    { "signer_verify", "pylon_idv_signer_verify, 20-byte email", verify_call, 0, {0}, 0 },
    { "2x SHA256_Transform", "OpenSSL's block function twice on prebuilt blocks + SWAR hex",
      transform_floor_call, 0, {0}, 0 },
    { "HMAC()", "hex decode + OpenSSL HMAC() one-shot + hex", hmac_call, 0, {0}, 0 },
    { "signer_sign 1MiB", "pylon_idv_signer_sign, 1 MiB email", big_signer_call, 1, {0}, 0 },
    { "sha256 1MiB", "EVP SHA-256 over 16 KiB blocks (openssl speed -bytes 16384)",
      big_sha256_call, 1, {0}, 0 },
};
#define NROWS (sizeof rows / sizeof rows[0])

/* This thread's CPU time: the machine is often shared, and time spent descheduled while
 * other jobs run is not time spent signing (what remains: their effect on caches and on a
 * shared core, which the median over interleaved rounds absorbs). */
static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
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

    for (i = 0; i < 32; i++) {                         /* the benchmark's secret, decoded */
        unsigned hi = (unsigned)SECRET[2 * i], lo = (unsigned)SECRET[2 * i + 1];
        key[i] = (unsigned char)(((hi <= '9' ? hi - '0' : hi - 'a' + 10) << 4)
                                 | (lo <= '9' ? lo - '0' : lo - 'a' + 10));
    }
    floor_setup(key, EMAIL, EMAIL_LEN);
    fl_secret = SECRET;
    rows[0].fn = floor_best();
    rows[1].fn = floor_stateless_best();
    if (pylon_idv_signer_new(&signer, SECRET, 64) != 0) return 2;
    {   /* every short row computes the same hash, or the comparison means nothing */
        char want[65];
        if (pylon_idv_signer_sign(signer, want, EMAIL, EMAIL_LEN) != 0) return 2;
        for (i = 0; i < NROWS; i++) {
            if (rows[i].big || rows[i].fn == verify_call) continue;
            memset(out, 0, sizeof out);
            rows[i].fn();
            if (strcmp(out, want) != 0) {
                fprintf(stderr, "bench_c: row %s computes a different hash\n", rows[i].name);
                return 2;
            }
        }
    }
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
        double bulk = median(rows[NROWS - 1].ns, rounds);
#if defined(FLOOR_NI)
        printf("floor: %s\n\n", floor_uses_shani() ? "SHA-NI in registers"
                                             : "no SHA-NI here: 2x SHA256_Transform");
#endif
        printf("| C (median of %d rounds) | ns/call | x its floor (median of each round's ratio) | allocs/call |\n", rounds);
        printf("|---|---:|---:|---:|\n");
        for (i = 0; i < NROWS; i++) {
            double m = median(rows[i].ns, rounds);
            long per = rows[i].allocs / (rows[i].big ? 2 : 100);
            if (rows[i].big)
                printf("| %s | %.0f (%.0f MB/s, %.1f%% of SHA-256 bulk) | - | %ld |\n",
                       rows[i].name, m, BIG / m * 1e3, 100.0 * bulk / m, per);
            else {
                /* the ratio: the median over rounds of this row's time over the floor's in
                 * the same round (drift between rounds cancels), as the Python bench does */
                double q[64];
                int b = rows[i].base;
                for (r = 0; r < rounds; r++) q[r] = rows[i].ns[r] / rows[b].ns[r];
                printf("| %s | %.1f | %.2f%s | %ld |\n", rows[i].name, m, median(q, rounds),
                       b ? " (stateless)" : "", per);
            }
        }
        printf("\nrows: ");
        for (i = 0; i < NROWS; i++) printf("%s%s = %s", i ? "; " : "", rows[i].name, rows[i].what);
        printf("\n");
    }
    pylon_idv_signer_free(signer);
    return (int)(sink & 0);
}
