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

#if defined(__x86_64__) && defined(__GNUC__)
#  include <immintrin.h>
#  include <cpuid.h>
#  define FLOOR_NI 1
#endif

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

/* The fastest portable hex encoding (SWAR, 8 digits per step), for the fallback floor. */
static void hex8(char *o, uint32_t w)
{
    uint64_t t = (uint64_t)(w >> 24) | (uint64_t)((w >> 16) & 255) << 16
               | (uint64_t)((w >> 8) & 255) << 32 | (uint64_t)(w & 255) << 48;
    uint64_t nib = ((t >> 4) & 0x000f000f000f000full) | ((t & 0x000f000f000f000full) << 8);
    uint64_t letter = ((nib + 0x7676767676767676ull) >> 7) & 0x0101010101010101ull;
    nib += 0x3030303030303030ull + letter * 39;
    memcpy(o, &nib, 8);
}

/* Two SHA256_Transform calls on prebuilt blocks (the second built with word stores). */
static void transform_floor_call(void)
{
    SHA256_CTX c = lim_inner;
    int i;
    SHA256_Transform(&c, lim_block);
    for (i = 0; i < 8; i++) {
        uint32_t v = __builtin_bswap32(c.h[i]);
        memcpy(lim_block2 + 4 * i, &v, 4);
    }
    c = lim_outer;
    SHA256_Transform(&c, lim_block2);
    for (i = 0; i < 8; i++) hex8(out + 8 * i, c.h[i]);
    out[64] = 0;
}

#if defined(FLOOR_NI)
#define NI __attribute__((target("sha,ssse3,sse4.1")))
static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};
static uint32_t fl_inner[8] __attribute__((aligned(16))), fl_outer[8] __attribute__((aligned(16)));
static uint32_t fl_block[16] __attribute__((aligned(16)));   /* padded email, as SHA words */

/* One compression, state (ABEF, CDGH) and the 16 message words in registers: four rounds
 * per step, the message schedule in four rotating registers. */
#define FL4(g, cur, prev, next) do {                                                \
    __m128i wk_ = _mm_add_epi32(cur, _mm_load_si128((const __m128i *)(const void *)&K[4 * (g)])); \
    s1 = _mm_sha256rnds2_epu32(s1, s0, wk_);                                        \
    if ((g) >= 3 && (g) <= 14)                                                      \
        next = _mm_sha256msg2_epu32(_mm_add_epi32(next, _mm_alignr_epi8(cur, prev, 4)), cur); \
    s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk_, 0x0E));               \
    if ((g) >= 1 && (g) <= 12) prev = _mm_sha256msg1_epu32(prev, cur);              \
} while (0)
NI static inline void fl_compress(__m128i *a, __m128i *b, __m128i w0, __m128i w1, __m128i w2,
                                  __m128i w3)
{
    __m128i s0 = *a, s1 = *b;
    FL4(0, w0, w3, w1);  FL4(1, w1, w0, w2);  FL4(2, w2, w1, w3);  FL4(3, w3, w2, w0);
    FL4(4, w0, w3, w1);  FL4(5, w1, w0, w2);  FL4(6, w2, w1, w3);  FL4(7, w3, w2, w0);
    FL4(8, w0, w3, w1);  FL4(9, w1, w0, w2);  FL4(10, w2, w1, w3); FL4(11, w3, w2, w0);
    FL4(12, w0, w3, w1); FL4(13, w1, w0, w2); FL4(14, w2, w1, w3); FL4(15, w3, w2, w0);
    *a = _mm_add_epi32(s0, *a);
    *b = _mm_add_epi32(s1, *b);
}

NI static inline void fl_hex(char *o, __m128i d)
{
    const __m128i lut = _mm_setr_epi8('0','1','2','3','4','5','6','7','8','9','a','b','c','d','e','f');
    const __m128i m = _mm_set1_epi8(0x0f);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(d, 4), m), lo = _mm_and_si128(d, m);
    _mm_storeu_si128((__m128i *)(void *)o, _mm_shuffle_epi8(lut, _mm_unpacklo_epi8(hi, lo)));
    _mm_storeu_si128((__m128i *)(void *)(o + 16), _mm_shuffle_epi8(lut, _mm_unpackhi_epi8(hi, lo)));
}

NI static void ni_floor_call(void)
{
    const __m128i *q = (const __m128i *)(const void *)fl_block;
    const __m128i sw = _mm_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    __m128i s0 = _mm_load_si128((const __m128i *)(const void *)fl_inner);
    __m128i s1 = _mm_load_si128((const __m128i *)(const void *)(fl_inner + 4));
    __m128i o0 = _mm_load_si128((const __m128i *)(const void *)fl_outer);
    __m128i o1 = _mm_load_si128((const __m128i *)(const void *)(fl_outer + 4));
    fl_compress(&s0, &s1, _mm_load_si128(q), _mm_load_si128(q + 1), _mm_load_si128(q + 2),
                _mm_load_si128(q + 3));
    fl_compress(&o0, &o1, _mm_shuffle_epi32(_mm_unpackhi_epi64(s0, s1), 0xB1),
                _mm_shuffle_epi32(_mm_unpacklo_epi64(s0, s1), 0xB1),
                _mm_set_epi32(0, 0, 0, (int)0x80000000u), _mm_set_epi32(768, 0, 0, 0));
    fl_hex(out, _mm_shuffle_epi8(_mm_unpackhi_epi64(o0, o1), sw));
    fl_hex(out + 32, _mm_shuffle_epi8(_mm_unpacklo_epi64(o0, o1), sw));
    out[64] = 0;
}

static int have_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19))) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1u;
}

/* ABEF / CDGH of a chaining state h[0..7] */
static void to_ni(uint32_t ni[8], const uint32_t *h)
{
    ni[0] = h[5]; ni[1] = h[4]; ni[2] = h[1]; ni[3] = h[0];
    ni[4] = h[7]; ni[5] = h[6]; ni[6] = h[3]; ni[7] = h[2];
}
#endif

static void floor_call(void) { transform_floor_call(); }   /* main() picks SHA-NI if there */

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
    { "floor", "2 dependent SHA-NI compressions in registers + SIMD hex (see bench_c.c)",
      floor_call, 0, {0}, 0 },
    { "signer_sign", "pylon_idv_signer_sign, 20-byte email", signer_call, 0, {0}, 0 },
    { "sign", "pylon_idv_sign one-shot, same secret each call", oneshot_call, 0, {0}, 0 },
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
    unsigned char pad[64];

    for (i = 0; i < 32; i++) {                         /* the benchmark's secret, decoded */
        unsigned hi = (unsigned)SECRET[2 * i], lo = (unsigned)SECRET[2 * i + 1];
        key[i] = (unsigned char)(((hi <= '9' ? hi - '0' : hi - 'a' + 10) << 4)
                                 | (lo <= '9' ? lo - '0' : lo - 'a' + 10));
    }
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
#if defined(FLOOR_NI)
    if (have_shani()) rows[0].fn = ni_floor_call;
    to_ni(fl_inner, lim_inner.h);
    to_ni(fl_outer, lim_outer.h);
    for (i = 0; i < 16; i++)
        fl_block[i] = (uint32_t)lim_block[4 * i] << 24 | (uint32_t)lim_block[4 * i + 1] << 16
                    | (uint32_t)lim_block[4 * i + 2] << 8 | lim_block[4 * i + 3];
#endif
    if (pylon_idv_signer_new(&signer, SECRET, 64) != 0) return 2;
    {   /* every short row computes the same hash, or the comparison means nothing */
        char want[65];
        pylon_idv_signer_sign(signer, want, EMAIL, EMAIL_LEN);
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
        double lim = median(rows[0].ns, rounds), bulk = median(rows[NROWS - 1].ns, rounds);
#if defined(FLOOR_NI)
        printf("floor: %s\n\n", have_shani() ? "SHA-NI in registers"
                                             : "no SHA-NI here: 2x SHA256_Transform");
#endif
        printf("| C (median of %d rounds) | ns/call | x floor | allocs/call |\n", rounds);
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
