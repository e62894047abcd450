/*
 * sha256.c -- SHA-256 compression paths and the run-time choice between them.
 *
 *   PI_PATH_SHANI    x86-64 SHA extensions (+SSSE3/SSE4.1), intrinsics with target attributes
 *   PI_PATH_ARMV8    ARMv8 SHA-2 instructions (aarch64, little-endian), the same way
 *   PI_PATH_OPENSSL  OpenSSL's block function (SHA256_Update on whole blocks), or, in the EVP
 *                    build, EVP_MD_CTX copies (hmac.c): every other CPU
 *   PI_PATH_PORTABLE plain C, for the differential tests (never chosen on its own)
 *
 * The path is chosen once, when the library is loaded (a constructor: before any thread can
 * sign), from the CPU: cpuid leaf 7 EBX bit 29 plus SSSE3 and SSE4.1 on x86-64,
 * getauxval(AT_HWCAP) & HWCAP_SHA2 on aarch64 Linux. Every file of the core still builds with
 * one set of flags (`cc -O2 -c` on each, as the Python extension and the rockspec do): only the functions below carry the target.
 *
 * The SIMD short paths (an email of at most 55 bytes: one block inside, one outside) keep
 * everything in registers: the padded block is assembled from at most four loads of the
 * caller's bytes and byte shuffles chosen by the (public) length, with no byte stores before
 * wide loads; the inner hash goes straight into the outer block; the tag is hex-encoded with
 * a byte shuffle. No branch or address depends on key or message bytes (only on the length).
 * GCC passes the state to the (out-of-line, and measured faster so) compression through a
 * 32-byte stack slot: those slots are wiped before return (PI_WIPE, no measurable cost).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE 1                  /* getauxval */
#endif
#include <string.h>

#include "internal.h"

#include <openssl/crypto.h>

#if defined(__GNUC__)
#  define PI_ALIGN16 __attribute__((aligned(16)))
#else
#  define PI_ALIGN16
#endif

static const uint32_t K256[64] PI_ALIGN16 = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

const uint32_t pi_sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

/* ------------------------------------------------------------------ portable C */

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }
static inline uint32_t load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void sha256_blocks_portable(uint32_t h[8], const unsigned char *p, size_t n)
{
    uint32_t w[16], a, b, c, d, e, f, g, hh, t1, t2;
    size_t i;

    for (; n; n--, p += PI_BLOCK) {
        a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
        for (i = 0; i < 64; i++) {
            if (i < 16) {
                w[i] = load_be32(p + 4 * i);
            } else {
                uint32_t x = w[(i + 1) & 15], y = w[(i + 14) & 15];
                w[i & 15] += (rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3))
                           + (rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)) + w[(i + 9) & 15];
            }
            t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g))
               + K256[i] + w[i & 15];
            t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    PI_WIPE(w, sizeof w);                  /* the message schedule */
}

/* ------------------------------------------------------ OpenSSL's block function */

#if !defined(PYLON_IDV_USE_EVP)
static void sha256_blocks_openssl(uint32_t h[8], const unsigned char *p, size_t n)
{
    SHA256_CTX c;
    /* Only the chaining state matters: a whole-block SHA256_Update with num == 0 hands the
     * blocks straight to OpenSSL's block function (SHA-NI/AVX2/NEON/CPACF as it picks). */
    memcpy(c.h, h, sizeof c.h);
    c.Nl = c.Nh = 0;
    c.num = 0;
    SHA256_Update(&c, p, n * PI_BLOCK);
    memcpy(h, c.h, sizeof c.h);
    PI_WIPE(&c, sizeof c);
}
#endif

/* ------------------------------------------- the message block, built by shuffles */
/*
 * For a chunk of r < 16 message bytes (the last, partial 16 bytes of the email), the bytes are
 * fetched without reading past the email: either the 16 bytes that end where the email ends
 * (when the email has at least 16 bytes) or, for a short email, two overlapping 8-byte or
 * 4-byte loads (or three single bytes). A shuffle then puts each byte in its lane of the
 * SHA-256 message words (big-endian: lane l holds byte l ^ 3) and zeroes the rest, and the
 * 0x80 padding byte is or-ed in. Rows are indexed by r (public: the length).
 */
#if defined(PI_HAVE_SHANI) || defined(PI_HAVE_ARMV8)
#define Z 0x80
/* the layout of small_raw() below: lanes 0-7 its lo word, 8-15 its hi word */
static const unsigned char pi_small_mask[16][16] PI_ALIGN16 = {
    {Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {Z,Z,Z,0,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {Z,Z,1,0,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {Z,2,1,0,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {3,2,1,0,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {3,2,1,0,Z,Z,Z,7,Z,Z,Z,Z,Z,Z,Z,Z},
    {3,2,1,0,Z,Z,7,6,Z,Z,Z,Z,Z,Z,Z,Z},
    {3,2,1,0,Z,7,6,5,Z,Z,Z,Z,Z,Z,Z,Z},
    {3,2,1,0,7,6,5,4,Z,Z,Z,Z,Z,Z,Z,Z},
    {3,2,1,0,7,6,5,4,Z,Z,Z,15,Z,Z,Z,Z},
    {3,2,1,0,7,6,5,4,Z,Z,15,14,Z,Z,Z,Z},
    {3,2,1,0,7,6,5,4,Z,15,14,13,Z,Z,Z,Z},
    {3,2,1,0,7,6,5,4,15,14,13,12,Z,Z,Z,Z},
    {3,2,1,0,7,6,5,4,14,13,12,11,Z,Z,Z,15},
    {3,2,1,0,7,6,5,4,13,12,11,10,Z,Z,15,14},
    {3,2,1,0,7,6,5,4,12,11,10,9,Z,15,14,13},
};
/* the 16 bytes that end where the email ends */
static const unsigned char pi_tail_mask[16][16] PI_ALIGN16 = {
    {Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {Z,Z,Z,15,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {Z,Z,15,14,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {Z,15,14,13,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {15,14,13,12,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z,Z},
    {14,13,12,11,Z,Z,Z,15,Z,Z,Z,Z,Z,Z,Z,Z},
    {13,12,11,10,Z,Z,15,14,Z,Z,Z,Z,Z,Z,Z,Z},
    {12,11,10,9,Z,15,14,13,Z,Z,Z,Z,Z,Z,Z,Z},
    {11,10,9,8,15,14,13,12,Z,Z,Z,Z,Z,Z,Z,Z},
    {10,9,8,7,14,13,12,11,Z,Z,Z,15,Z,Z,Z,Z},
    {9,8,7,6,13,12,11,10,Z,Z,15,14,Z,Z,Z,Z},
    {8,7,6,5,12,11,10,9,Z,15,14,13,Z,Z,Z,Z},
    {7,6,5,4,11,10,9,8,15,14,13,12,Z,Z,Z,Z},
    {6,5,4,3,10,9,8,7,14,13,12,11,Z,Z,Z,15},
    {5,4,3,2,9,8,7,6,13,12,11,10,Z,Z,15,14},
    {4,3,2,1,8,7,6,5,12,11,10,9,Z,15,14,13},
};
#undef Z
/* 16 bytes from pi_pad_window + 16 - l have 0x80 in lane l alone */
static const unsigned char pi_pad_window[32] PI_ALIGN16 = { [16] = 0x80 };
static const char pi_hex_digits[16] PI_ALIGN16 = {
    '0','1','2','3','4','5','6','7','8','9','a','b','c','d','e','f'
};

/* The r < 16 bytes at p as two 64-bit words laid out as pi_small_mask[r] expects. Scalar
 * loads of exactly the bytes that exist (memcpy of a constant size: one load instruction). */
static inline void small_raw(const unsigned char *p, size_t r, uint64_t *lo, uint64_t *hi)
{
    uint64_t a = 0, b = 0;
    uint32_t x, y;
    if (r >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + r - 8, 8);
    } else if (r >= 4) {
        memcpy(&x, p, 4);
        memcpy(&y, p + r - 4, 4);
        a = (uint64_t)x | (uint64_t)y << 32;
    } else if (r) {
        a = (uint64_t)p[0] | (uint64_t)p[r >> 1] << 8 | (uint64_t)p[r - 1] << 16;
    }
    *lo = a;
    *hi = b;
}
#endif

/* ------------------------------------------------------------------- SHA-NI */

#if defined(PI_HAVE_SHANI)
#include <immintrin.h>
#include <cpuid.h>
#define SHANI __attribute__((target("sha,ssse3,sse4.1")))
/* big-endian words of 16 message bytes */
static const unsigned char pi_bswap32[16] PI_ALIGN16 = {3,2,1,0,7,6,5,4,11,10,9,8,15,14,13,12};

#define KV(g) _mm_load_si128((const __m128i *)(const void *)&K256[4 * (g)])
/* Four rounds (group g) on state s0 = ABEF, s1 = CDGH, with the message schedule in the
 * rotating registers m0..m3 (cur = W[4g..4g+3]). */
#define NI_QROUND(g, cur, prev, next) do {                                          \
    __m128i wk_ = _mm_add_epi32(cur, KV(g));                                        \
    s1 = _mm_sha256rnds2_epu32(s1, s0, wk_);                                        \
    if ((g) >= 3 && (g) <= 14)                                                      \
        next = _mm_sha256msg2_epu32(_mm_add_epi32(next, _mm_alignr_epi8(cur, prev, 4)), cur); \
    s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk_, 0x0E));               \
    if ((g) >= 1 && (g) <= 12) prev = _mm_sha256msg1_epu32(prev, cur);              \
} while (0)

/* One compression: st0, st1 (ABEF, CDGH) updated with the 16 message words m0..m3. */
SHANI static inline void ni_compress(__m128i *st0, __m128i *st1,
                                     __m128i m0, __m128i m1, __m128i m2, __m128i m3)
{
    __m128i s0 = *st0, s1 = *st1;
    NI_QROUND(0, m0, m3, m1);  NI_QROUND(1, m1, m0, m2);
    NI_QROUND(2, m2, m1, m3);  NI_QROUND(3, m3, m2, m0);
    NI_QROUND(4, m0, m3, m1);  NI_QROUND(5, m1, m0, m2);
    NI_QROUND(6, m2, m1, m3);  NI_QROUND(7, m3, m2, m0);
    NI_QROUND(8, m0, m3, m1);  NI_QROUND(9, m1, m0, m2);
    NI_QROUND(10, m2, m1, m3); NI_QROUND(11, m3, m2, m0);
    NI_QROUND(12, m0, m3, m1); NI_QROUND(13, m1, m0, m2);
    NI_QROUND(14, m2, m1, m3); NI_QROUND(15, m3, m2, m0);
    *st0 = _mm_add_epi32(s0, *st0);
    *st1 = _mm_add_epi32(s1, *st1);
}

void pi_sha256_to_ni(uint32_t ni[8], const uint32_t h[8])
{
    /* ABEF = lanes F E B A, CDGH = lanes H G D C (lane 0 first) */
    uint32_t t[8];
    t[0] = h[5]; t[1] = h[4]; t[2] = h[1]; t[3] = h[0];
    t[4] = h[7]; t[5] = h[6]; t[6] = h[3]; t[7] = h[2];
    memcpy(ni, t, sizeof t);
    OPENSSL_cleanse(t, sizeof t);
}

SHANI static void shani_blocks(uint32_t h[8], const unsigned char *p, size_t n)
{
    const __m128i bs = _mm_load_si128((const __m128i *)(const void *)pi_bswap32);
    __m128i t = _mm_loadu_si128((const __m128i *)(const void *)h);
    __m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)(h + 4));
    __m128i s0;

    t = _mm_shuffle_epi32(t, 0xB1);                   /* B A D C */
    s1 = _mm_shuffle_epi32(s1, 0x1B);                 /* H G F E */
    s0 = _mm_alignr_epi8(t, s1, 8);                   /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                /* CDGH */
    for (; n; n--, p += PI_BLOCK) {
        const __m128i *q = (const __m128i *)(const void *)p;
        ni_compress(&s0, &s1,
                    _mm_shuffle_epi8(_mm_loadu_si128(q), bs),
                    _mm_shuffle_epi8(_mm_loadu_si128(q + 1), bs),
                    _mm_shuffle_epi8(_mm_loadu_si128(q + 2), bs),
                    _mm_shuffle_epi8(_mm_loadu_si128(q + 3), bs));
    }
    t = _mm_shuffle_epi32(s0, 0x1B);                  /* A B E F */
    s1 = _mm_shuffle_epi32(s1, 0xB1);                 /* G H C D */
    s0 = _mm_blend_epi16(t, s1, 0xF0);                /* A B C D */
    s1 = _mm_alignr_epi8(s1, t, 8);                   /* E F G H */
    _mm_storeu_si128((__m128i *)(void *)h, s0);
    _mm_storeu_si128((__m128i *)(void *)(h + 4), s1);
}

/* A 16-byte chunk of r < 16 bytes, padded: words in lanes, 0x80 after the last byte. */
SHANI static inline __m128i ni_pad(__m128i raw, const unsigned char mask[16], size_t r)
{
    __m128i v = _mm_shuffle_epi8(raw, _mm_load_si128((const __m128i *)(const void *)mask));
    return _mm_or_si128(v, _mm_loadu_si128((const __m128i *)(const void *)
                                           (pi_pad_window + 16 - (r ^ 3))));
}

/* HMAC of len <= 55 bytes from the key's states (i0, i1: inner; o0, o1 in: outer), as SHA-NI
 * holds them: the outer state after the message in o0, o1. */
SHANI static inline void ni_hmac_short_st(__m128i i0, __m128i i1, const unsigned char *p,
                                          size_t len, __m128i *o0, __m128i *o1)
{
    const __m128i bs = _mm_load_si128((const __m128i *)(const void *)pi_bswap32);
    const __m128i *q = (const __m128i *)(const void *)p;
    __m128i m0 = _mm_setzero_si128(), m1 = m0, m2 = m0, m3 = m0, s0, s1, a, b;
    size_t r = len & 15;
    uint64_t lo, hi;

    switch (len >> 4) {
    case 0:
        small_raw(p, r, &lo, &hi);
        m0 = ni_pad(_mm_set_epi64x((long long)hi, (long long)lo), pi_small_mask[r], r);
        break;
    case 1:
        m0 = _mm_shuffle_epi8(_mm_loadu_si128(q), bs);
        m1 = ni_pad(_mm_loadu_si128((const __m128i *)(const void *)(p + len - 16)),
                    pi_tail_mask[r], r);
        break;
    case 2:
        m0 = _mm_shuffle_epi8(_mm_loadu_si128(q), bs);
        m1 = _mm_shuffle_epi8(_mm_loadu_si128(q + 1), bs);
        m2 = ni_pad(_mm_loadu_si128((const __m128i *)(const void *)(p + len - 16)),
                    pi_tail_mask[r], r);
        break;
    default:
        m0 = _mm_shuffle_epi8(_mm_loadu_si128(q), bs);
        m1 = _mm_shuffle_epi8(_mm_loadu_si128(q + 1), bs);
        m2 = _mm_shuffle_epi8(_mm_loadu_si128(q + 2), bs);
        m3 = ni_pad(_mm_loadu_si128((const __m128i *)(const void *)(p + len - 16)),
                    pi_tail_mask[r], r);
        break;
    }
    /* bit length of ipad block + message in W15 */
    m3 = _mm_or_si128(m3, _mm_set_epi32((int)((PI_BLOCK + len) << 3), 0, 0, 0));
    s0 = i0;
    s1 = i1;
    ni_compress(&s0, &s1, m0, m1, m2, m3);
    /* The inner hash as message words H0..H7: ABEF/CDGH -> A B C D, E F G H. */
    a = _mm_shuffle_epi32(_mm_unpackhi_epi64(s0, s1), 0xB1);
    b = _mm_shuffle_epi32(_mm_unpacklo_epi64(s0, s1), 0xB1);
    /* GCC keeps s0/s1 (the inner hash now) in a stack slot across the compression call: wipe
     * it (two stores; measured within noise). */
    PI_WIPE(&s0, sizeof s0);
    PI_WIPE(&s1, sizeof s1);
    ni_compress(o0, o1, a, b, _mm_set_epi32(0, 0, 0, (int)0x80000000u),
                _mm_set_epi32((PI_BLOCK + PI_TAG) << 3, 0, 0, 0));
}

SHANI static inline void ni_hmac_short(const pi_hmac_key *k, const unsigned char *p, size_t len,
                                       __m128i *o0, __m128i *o1)
{
    *o0 = _mm_loadu_si128((const __m128i *)(const void *)k->outer_ni);
    *o1 = _mm_loadu_si128((const __m128i *)(const void *)(k->outer_ni + 4));
    ni_hmac_short_st(_mm_loadu_si128((const __m128i *)(const void *)k->inner_ni),
                     _mm_loadu_si128((const __m128i *)(const void *)(k->inner_ni + 4)),
                     p, len, o0, o1);
}

/* The digest bytes (H0..H3 and H4..H7 big-endian) from an ABEF/CDGH state. */
#define NI_DIGEST(o0, o1, d0, d1) do {                                              \
    const __m128i sw_ = _mm_set_epi8(8,9,10,11,12,13,14,15,0,1,2,3,4,5,6,7);        \
    d0 = _mm_shuffle_epi8(_mm_unpackhi_epi64(o0, o1), sw_);                         \
    d1 = _mm_shuffle_epi8(_mm_unpacklo_epi64(o0, o1), sw_);                         \
} while (0)

SHANI void pi_shani_hmac_tag(const pi_hmac_key *k, unsigned char tag[PI_TAG],
                             const unsigned char *p, size_t len)
{
    __m128i o0, o1, d0, d1;
    ni_hmac_short(k, p, len, &o0, &o1);
    NI_DIGEST(o0, o1, d0, d1);
    PI_WIPE(&o0, sizeof o0);               /* the tag's stack copy (see ni_hmac_short) */
    PI_WIPE(&o1, sizeof o1);
    _mm_storeu_si128((__m128i *)(void *)tag, d0);
    _mm_storeu_si128((__m128i *)(void *)(tag + 16), d1);
}

/* A key's two states (SHA-256 after k0^ipad and after k0^opad) in registers: both blocks
 * built from k0 with an XOR and a byte swap, compressed from the IV (two independent
 * compressions, which the CPU overlaps), stored in SHA-NI's order and in H0..H7. */
static const uint32_t pi_iv_ni[8] PI_ALIGN16 = {
    0x9b05688c, 0x510e527f, 0xbb67ae85, 0x6a09e667,      /* F E B A */
    0x5be0cd19, 0x1f83d9ab, 0xa54ff53a, 0x3c6ef372       /* H G D C */
};

SHANI static inline void ni_store_h(uint32_t h[8], __m128i s0, __m128i s1)
{
    __m128i t = _mm_shuffle_epi32(s0, 0x1B);          /* A B E F */
    s1 = _mm_shuffle_epi32(s1, 0xB1);                 /* G H C D */
    _mm_storeu_si128((__m128i *)(void *)h, _mm_blend_epi16(t, s1, 0xF0));        /* A B C D */
    _mm_storeu_si128((__m128i *)(void *)(h + 4), _mm_alignr_epi8(s1, t, 8));     /* E F G H */
}

SHANI static inline void ni_key_states(const unsigned char k0[PI_BLOCK], __m128i *i0,
                                       __m128i *i1, __m128i *o0, __m128i *o1)
{
    const __m128i bs = _mm_load_si128((const __m128i *)(const void *)pi_bswap32);
    const __m128i ip = _mm_set1_epi8(0x36), op = _mm_set1_epi8(0x5c);
    const __m128i *q = (const __m128i *)(const void *)k0;

    *i0 = _mm_load_si128((const __m128i *)(const void *)pi_iv_ni);
    *i1 = _mm_load_si128((const __m128i *)(const void *)(pi_iv_ni + 4));
    *o0 = *i0; *o1 = *i1;
    /* Each block is loaded from k0 (the caller's buffer, which it wipes) where it is used, so
     * no raw key word stays live across a compression, where the compiler would have to
     * spill it to a stack slot nobody wipes; the barrier keeps the second loads from being
     * merged with the first. */
    ni_compress(i0, i1, _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q), ip), bs),
                _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q + 1), ip), bs),
                _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q + 2), ip), bs),
                _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q + 3), ip), bs));
    __asm__ __volatile__("" : : : "memory");
    ni_compress(o0, o1, _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q), op), bs),
                _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q + 1), op), bs),
                _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q + 2), op), bs),
                _mm_shuffle_epi8(_mm_xor_si128(_mm_loadu_si128(q + 3), op), bs));
}

SHANI void pi_shani_key_init(pi_hmac_key *k, const unsigned char k0[PI_BLOCK])
{
    __m128i i0, i1, o0, o1;

    ni_key_states(k0, &i0, &i1, &o0, &o1);
    _mm_storeu_si128((__m128i *)(void *)k->inner_ni, i0);
    _mm_storeu_si128((__m128i *)(void *)(k->inner_ni + 4), i1);
    _mm_storeu_si128((__m128i *)(void *)k->outer_ni, o0);
    _mm_storeu_si128((__m128i *)(void *)(k->outer_ni + 4), o1);
    ni_store_h(k->inner, i0, i1);
    ni_store_h(k->outer, o0, o1);
}

/* 16 digest bytes -> their 32 lowercase hex digits in a, b (a shuffle as the table: no memory
 * lookup). */
SHANI static inline void ni_digits32(__m128i d, __m128i *a, __m128i *b)
{
    const __m128i lut = _mm_load_si128((const __m128i *)(const void *)pi_hex_digits);
    const __m128i m = _mm_set1_epi8(0x0f);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(d, 4), m), lo = _mm_and_si128(d, m);
    *a = _mm_shuffle_epi8(lut, _mm_unpacklo_epi8(hi, lo));
    *b = _mm_shuffle_epi8(lut, _mm_unpackhi_epi8(hi, lo));
}

SHANI static inline void ni_hex32(char *out, __m128i d)
{
    __m128i a, b;
    ni_digits32(d, &a, &b);
    _mm_storeu_si128((__m128i *)(void *)out, a);
    _mm_storeu_si128((__m128i *)(void *)(out + 16), b);
}

/* The tag's 64 hex digits (and the NUL) from the outer state, whose copies are wiped (the
 * tag itself is the caller's to keep). Shared by the signer's and the one-shot's short paths. */
SHANI static inline void ni_state_hex(__m128i o0, __m128i o1, char hex[PYLON_IDV_HASH_HEX_SIZE])
{
    __m128i d0, d1;
    NI_DIGEST(o0, o1, d0, d1);
    PI_WIPE(&o0, sizeof o0);
    PI_WIPE(&o1, sizeof o1);
    ni_hex32(hex, d0);
    ni_hex32(hex + 32, d1);
    hex[64] = '\0';
}

SHANI void pi_shani_hmac_hex(const pi_hmac_key *k, char hex[PYLON_IDV_HASH_HEX_SIZE],
                             const unsigned char *p, size_t len)
{
    __m128i o0, o1;
    ni_hmac_short(k, p, len, &o0, &o1);
    ni_state_hex(o0, o1, hex);
}

/* verify's short path: 1 if hex[0..64) spells the tag (either case), else 0; the tag's digits
 * made and compared in registers, with no early exit and no copy of the tag in memory. */
SHANI int pi_shani_hmac_equals(const pi_hmac_key *k, const unsigned char *p, size_t len,
                               const char *hex)
{
    __m128i o0, o1, d0, d1, a, b, diff;
    ni_hmac_short(k, p, len, &o0, &o1);
    NI_DIGEST(o0, o1, d0, d1);
    PI_WIPE(&o0, sizeof o0);
    PI_WIPE(&o1, sizeof o1);
    ni_digits32(d0, &a, &b);
    diff = pi_hex_diff32(a, b, hex);
    ni_digits32(d1, &a, &b);
    diff = _mm_or_si128(diff, pi_hex_diff32(a, b, hex + 32));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(diff, _mm_setzero_si128())) == 0xffff;
}

/* The one-shot's short path: the key's states and the message, all in registers (no key
 * structure to store, load and wipe): hex of HMAC(k0, p[0..len)), len <= PI_SHORT_MAX. */
SHANI void pi_shani_oneshot_hex(const unsigned char k0[PI_BLOCK], char hex[PYLON_IDV_HASH_HEX_SIZE],
                                const unsigned char *p, size_t len)
{
    __m128i i0, i1, o0, o1;
    ni_key_states(k0, &i0, &i1, &o0, &o1);
    ni_hmac_short_st(i0, i1, p, len, &o0, &o1);
    PI_WIPE(&i0, sizeof i0);               /* the key's states, should they sit in a slot */
    PI_WIPE(&i1, sizeof i1);
    ni_state_hex(o0, o1, hex);
}

static int x86_has_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19))) return 0;           /* SSSE3, SSE4.1 */
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1u;                                          /* SHA */
}
#endif /* x86-64 */

/* ------------------------------------------------------------------ ARMv8 SHA-2 */

#if defined(PI_HAVE_ARMV8)
#include <arm_neon.h>
#if defined(__linux__)
#  include <sys/auxv.h>
#endif
#if defined(__clang__)
#  define ARMV8 __attribute__((target("sha2")))
#else
#  define ARMV8 __attribute__((target("+crypto")))
#endif

/* Four rounds (group g), state s0 = ABCD, s1 = EFGH; cur = W[4g..4g+3] and, for g < 12,
 * its replacement W[4g+16..] computed from the next three. */
#define ARM_QROUND(g, cur, n1, n2, n3) do {                                         \
    uint32x4_t wk_ = vaddq_u32(cur, vld1q_u32(&K256[4 * (g)])), t_ = s0;            \
    if ((g) < 12) cur = vsha256su0q_u32(cur, n1);                                   \
    s0 = vsha256hq_u32(s0, s1, wk_);                                                \
    s1 = vsha256h2q_u32(s1, t_, wk_);                                               \
    if ((g) < 12) cur = vsha256su1q_u32(cur, n2, n3);                               \
} while (0)

ARMV8 static inline void arm_compress(uint32x4_t *st0, uint32x4_t *st1, uint32x4_t m0,
                                      uint32x4_t m1, uint32x4_t m2, uint32x4_t m3)
{
    uint32x4_t s0 = *st0, s1 = *st1;
    ARM_QROUND(0, m0, m1, m2, m3);  ARM_QROUND(1, m1, m2, m3, m0);
    ARM_QROUND(2, m2, m3, m0, m1);  ARM_QROUND(3, m3, m0, m1, m2);
    ARM_QROUND(4, m0, m1, m2, m3);  ARM_QROUND(5, m1, m2, m3, m0);
    ARM_QROUND(6, m2, m3, m0, m1);  ARM_QROUND(7, m3, m0, m1, m2);
    ARM_QROUND(8, m0, m1, m2, m3);  ARM_QROUND(9, m1, m2, m3, m0);
    ARM_QROUND(10, m2, m3, m0, m1); ARM_QROUND(11, m3, m0, m1, m2);
    ARM_QROUND(12, m0, m1, m2, m3); ARM_QROUND(13, m1, m2, m3, m0);
    ARM_QROUND(14, m2, m3, m0, m1); ARM_QROUND(15, m3, m0, m1, m2);
    *st0 = vaddq_u32(s0, *st0);
    *st1 = vaddq_u32(s1, *st1);
}

static inline uint32x4_t arm_words(const unsigned char *p)
{
    return vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p)));
}

ARMV8 static void armv8_blocks(uint32_t h[8], const unsigned char *p, size_t n)
{
    uint32x4_t s0 = vld1q_u32(h), s1 = vld1q_u32(h + 4);
    for (; n; n--, p += PI_BLOCK)
        arm_compress(&s0, &s1, arm_words(p), arm_words(p + 16), arm_words(p + 32),
                     arm_words(p + 48));
    vst1q_u32(h, s0);
    vst1q_u32(h + 4, s1);
}

static inline uint32x4_t arm_pad(uint8x16_t raw, const unsigned char mask[16], size_t r)
{
    uint8x16_t v = vqtbl1q_u8(raw, vld1q_u8(mask));       /* index >= 16 gives 0 */
    return vreinterpretq_u32_u8(vorrq_u8(v, vld1q_u8(pi_pad_window + 16 - (r ^ 3))));
}

ARMV8 static inline void arm_hmac_short(const pi_hmac_key *k, const unsigned char *p,
                                        size_t len, uint32x4_t *o0, uint32x4_t *o1)
{
    uint32x4_t m0 = vdupq_n_u32(0), m1 = m0, m2 = m0, m3 = m0, s0, s1;
    size_t r = len & 15;
    uint64_t lo, hi;
    static const uint32_t w8[4] = { 0x80000000u, 0, 0, 0 };
    static const uint32_t w15[4] = { 0, 0, 0, (PI_BLOCK + PI_TAG) << 3 };

    switch (len >> 4) {
    case 0:
        small_raw(p, r, &lo, &hi);
        m0 = arm_pad(vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(lo), vcreate_u64(hi))),
                     pi_small_mask[r], r);
        break;
    case 1:
        m0 = arm_words(p);
        m1 = arm_pad(vld1q_u8(p + len - 16), pi_tail_mask[r], r);
        break;
    case 2:
        m0 = arm_words(p);
        m1 = arm_words(p + 16);
        m2 = arm_pad(vld1q_u8(p + len - 16), pi_tail_mask[r], r);
        break;
    default:
        m0 = arm_words(p);
        m1 = arm_words(p + 16);
        m2 = arm_words(p + 32);
        m3 = arm_pad(vld1q_u8(p + len - 16), pi_tail_mask[r], r);
        break;
    }
    m3 = vorrq_u32(m3, vsetq_lane_u32((uint32_t)((PI_BLOCK + len) << 3), vdupq_n_u32(0), 3));
    s0 = vld1q_u32(k->inner);
    s1 = vld1q_u32(k->inner + 4);
    arm_compress(&s0, &s1, m0, m1, m2, m3);
    *o0 = vld1q_u32(k->outer);
    *o1 = vld1q_u32(k->outer + 4);
    arm_compress(o0, o1, s0, s1, vld1q_u32(w8), vld1q_u32(w15));
    PI_WIPE(&s0, sizeof s0);               /* the inner hash, if it was spilled */
    PI_WIPE(&s1, sizeof s1);
}

ARMV8 void pi_armv8_hmac_tag(const pi_hmac_key *k, unsigned char tag[PI_TAG],
                             const unsigned char *p, size_t len)
{
    uint32x4_t o0, o1;
    arm_hmac_short(k, p, len, &o0, &o1);
    vst1q_u8(tag, vrev32q_u8(vreinterpretq_u8_u32(o0)));
    vst1q_u8(tag + 16, vrev32q_u8(vreinterpretq_u8_u32(o1)));
    PI_WIPE(&o0, sizeof o0);
    PI_WIPE(&o1, sizeof o1);
}

static inline void arm_hex32(char *out, uint8x16_t d)
{
    const uint8x16_t lut = vld1q_u8((const unsigned char *)pi_hex_digits);
    uint8x16_t hi = vshrq_n_u8(d, 4), lo = vandq_u8(d, vdupq_n_u8(0x0f));
    vst1q_u8((unsigned char *)out, vqtbl1q_u8(lut, vzip1q_u8(hi, lo)));
    vst1q_u8((unsigned char *)out + 16, vqtbl1q_u8(lut, vzip2q_u8(hi, lo)));
}

ARMV8 void pi_armv8_hmac_hex(const pi_hmac_key *k, char hex[PYLON_IDV_HASH_HEX_SIZE],
                             const unsigned char *p, size_t len)
{
    uint32x4_t o0, o1;
    arm_hmac_short(k, p, len, &o0, &o1);
    arm_hex32(hex, vrev32q_u8(vreinterpretq_u8_u32(o0)));
    arm_hex32(hex + 32, vrev32q_u8(vreinterpretq_u8_u32(o1)));
    hex[64] = '\0';
    PI_WIPE(&o0, sizeof o0);
    PI_WIPE(&o1, sizeof o1);
}

static int arm_has_sha2(void)
{
#if defined(__linux__) && defined(AT_HWCAP)
    return (getauxval(AT_HWCAP) & (1ul << 6)) != 0;              /* HWCAP_SHA2 */
#else
    return 0;
#endif
}
#endif /* aarch64 */

/* -------------------------------------------------------- streaming (long keys) */

#if !defined(PYLON_IDV_USE_EVP)

int pi_sha256_init(pi_sha256 *s) { SHA256_Init(&s->ctx); return PYLON_IDV_OK; }
int pi_sha256_update(pi_sha256 *s, const void *p, size_t n)
{
    SHA256_Update(&s->ctx, p, n);
    return PYLON_IDV_OK;
}
int pi_sha256_final(pi_sha256 *s, unsigned char out[PI_TAG])
{
    SHA256_Final(out, &s->ctx);
    OPENSSL_cleanse(&s->ctx, sizeof s->ctx);
    return PYLON_IDV_OK;
}

#else /* PYLON_IDV_USE_EVP */

int pi_sha256_init(pi_sha256 *s)
{
    s->ctx = EVP_MD_CTX_new();
    if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(s->ctx); s->ctx = NULL;
        return PYLON_IDV_ECRYPTO;
    }
    return PYLON_IDV_OK;
}
int pi_sha256_update(pi_sha256 *s, const void *p, size_t n)
{
    return EVP_DigestUpdate(s->ctx, p, n) ? PYLON_IDV_OK : PYLON_IDV_ECRYPTO;
}
int pi_sha256_final(pi_sha256 *s, unsigned char out[PI_TAG])
{
    int ok = EVP_DigestFinal_ex(s->ctx, out, NULL);
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
    return ok ? PYLON_IDV_OK : PYLON_IDV_ECRYPTO;
}

#endif /* PYLON_IDV_USE_EVP */

/* ------------------------------------------------------------ choosing the path */

int pi_path = PI_PATH_OPENSSL;

int pi_path_available(int path)
{
    switch (path) {
    case PI_PATH_PORTABLE: return 1;
    case PI_PATH_OPENSSL: return 1;
#if defined(PI_HAVE_SHANI)
    case PI_PATH_SHANI: return x86_has_shani();
#endif
#if defined(PI_HAVE_ARMV8)
    case PI_PATH_ARMV8: return arm_has_sha2();
#endif
    default: return 0;
    }
}

int pi_path_select(int shani, int armv8)
{
    if (shani) return PI_PATH_SHANI;
    if (armv8) return PI_PATH_ARMV8;
    return PI_PATH_OPENSSL;
}

int pi_path_detect(void)
{
    return pi_path_select(pi_path_available(PI_PATH_SHANI), pi_path_available(PI_PATH_ARMV8));
}

const char *pi_path_name(int path)
{
    switch (path) {
    case PI_PATH_PORTABLE: return "portable";
    case PI_PATH_OPENSSL: return "openssl";
    case PI_PATH_SHANI: return "shani";
    case PI_PATH_ARMV8: return "armv8";
    default: return "?";
    }
}

int pi_force_path(int path)
{
    if (!pi_path_available(path)) return 0;
    pi_path = path;
    return 1;
}

#if defined(__GNUC__)
__attribute__((constructor))
static void pi_path_init(void)
{
    pi_path = pi_path_detect();
}
#endif

void pi_sha256_blocks(int path, uint32_t h[8], const unsigned char *p, size_t n)
{
    switch (path) {
#if defined(PI_HAVE_SHANI)
    case PI_PATH_SHANI: shani_blocks(h, p, n); return;
#endif
#if defined(PI_HAVE_ARMV8)
    case PI_PATH_ARMV8: armv8_blocks(h, p, n); return;
#endif
#if !defined(PYLON_IDV_USE_EVP)
    case PI_PATH_OPENSSL: sha256_blocks_openssl(h, p, n); return;
#endif
    default: sha256_blocks_portable(h, p, n); return;
    }
}
