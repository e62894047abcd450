/*
 * floor.h -- the floor: what signing a short email cannot go below on this CPU, as static
 * code for bench_c.c and for the bindings' floor modules (bench/floor_py.c, floor_lua.c),
 * which put the same work behind a Python or Lua call. See bench_c.c for what it is.
 *
 *   floor_setup(key32, email, len)   prebuild the states and the padded block (len <= 55)
 *   floor_best()                     the floor function for this CPU (SHA-NI if there)
 *   floor_uses_shani()               1 when floor_best() is the SHA-NI one
 *   floor_stateless_best()           the stateless floor (a one-shot's least work): from the
 *                                    64-digit secret text each call -- hex decode, both key
 *                                    blocks, four compressions in registers, hex
 * Each floor function writes the 64 hex digits (and a NUL) into out[].
 */
#ifndef PYLON_IDV_BENCH_FLOOR_H
#define PYLON_IDV_BENCH_FLOOR_H
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stdint.h>
#include <string.h>
#include <openssl/sha.h>

#if defined(__x86_64__) && defined(__GNUC__)
#  include <immintrin.h>
#  include <cpuid.h>
#  define FLOOR_NI 1
#endif

static SHA256_CTX lim_inner, lim_outer;
static unsigned char lim_block[64], lim_block2[64];
static char out[65];

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

/* The message under a key's two states: SHA256_Transform on the prebuilt block, then on the
 * outer block (built with word stores), then hex. */
static void transform_message(SHA256_CTX *c, SHA256_CTX *o)
{
    int i;
    SHA256_Transform(c, lim_block);
    for (i = 0; i < 8; i++) {
        uint32_t v = __builtin_bswap32(c->h[i]);
        memcpy(lim_block2 + 4 * i, &v, 4);
    }
    SHA256_Transform(o, lim_block2);
    for (i = 0; i < 8; i++) hex8(out + 8 * i, o->h[i]);
    out[64] = 0;
}

/* Two SHA256_Transform calls on prebuilt blocks, from the prebuilt key states. */
static void transform_floor_call(void)
{
    SHA256_CTX c = lim_inner, o = lim_outer;
    transform_message(&c, &o);
}

/* The stateless fallback: decode the text (two digits a step), both key blocks through
 * SHA256_Transform from the IV, then the two message compressions. */
static const char *fl_secret;              /* the 64-digit text the stateless floors read */
static void transform_stateless_call(void)
{
    unsigned char k[64];
    SHA256_CTX c, o;
    int i;
    for (i = 0; i < 32; i++) {
        unsigned hi = (unsigned char)fl_secret[2 * i], lo = (unsigned char)fl_secret[2 * i + 1];
        hi = (hi & 15u) + 9u * (hi >> 6); lo = (lo & 15u) + 9u * (lo >> 6);
        k[i] = (unsigned char)(hi << 4 | lo);
    }
    memset(k + 32, 0, 32);
    for (i = 0; i < 64; i++) k[i] ^= 0x36;
    SHA256_Init(&c); SHA256_Transform(&c, k);
    for (i = 0; i < 64; i++) k[i] ^= 0x36 ^ 0x5c;
    SHA256_Init(&o); SHA256_Transform(&o, k);
    transform_message(&c, &o);
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

/* The message under a key's two states (inner s0, s1; outer o0, o1), all in registers: the
 * prebuilt block, the inner hash shuffled straight into the outer block, then hex. */
NI static inline void fl_message(__m128i s0, __m128i s1, __m128i o0, __m128i o1)
{
    const __m128i *q = (const __m128i *)(const void *)fl_block;
    const __m128i sw = _mm_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    fl_compress(&s0, &s1, _mm_load_si128(q), _mm_load_si128(q + 1), _mm_load_si128(q + 2),
                _mm_load_si128(q + 3));
    fl_compress(&o0, &o1, _mm_shuffle_epi32(_mm_unpackhi_epi64(s0, s1), 0xB1),
                _mm_shuffle_epi32(_mm_unpacklo_epi64(s0, s1), 0xB1),
                _mm_set_epi32(0, 0, 0, (int)0x80000000u), _mm_set_epi32(768, 0, 0, 0));
    fl_hex(out, _mm_shuffle_epi8(_mm_unpackhi_epi64(o0, o1), sw));
    fl_hex(out + 32, _mm_shuffle_epi8(_mm_unpacklo_epi64(o0, o1), sw));
    out[64] = 0;
}

NI static void ni_floor_call(void)
{
    fl_message(_mm_load_si128((const __m128i *)(const void *)fl_inner),
               _mm_load_si128((const __m128i *)(const void *)(fl_inner + 4)),
               _mm_load_si128((const __m128i *)(const void *)fl_outer),
               _mm_load_si128((const __m128i *)(const void *)(fl_outer + 4)));
}

/* The stateless floor with SHA-NI: the secret's 64 digits decoded 16 at a time (nibble =
 * (c & 15) + 9 * bit 6, pairs joined by maddubs), the key blocks k0^ipad and k0^opad built in
 * registers and compressed from the IV, then the message as above. No check of the digits: a
 * floor, not a parser. */
NI static inline __m128i fl_unhex16(const char *p)
{
    const __m128i m15 = _mm_set1_epi8(15), b6 = _mm_set1_epi8(0x40);
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i alpha = _mm_srli_epi16(_mm_and_si128(c, b6), 6);          /* 1 for a letter */
    __m128i v = _mm_add_epi8(_mm_and_si128(c, m15),
                             _mm_add_epi8(alpha, _mm_slli_epi16(alpha, 3)));   /* +9 */
    return _mm_maddubs_epi16(v, _mm_set1_epi16(0x0110));              /* hi*16 + lo */
}

NI static void ni_stateless_call(void)
{
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    const __m128i ipad = _mm_set1_epi8(0x36), opad = _mm_set1_epi8(0x5c);
    /* the IV as ABEF, CDGH */
    const __m128i iv0 = _mm_set_epi32(0x6a09e667, (int)0xbb67ae85, 0x510e527f, (int)0x9b05688c);
    const __m128i iv1 = _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
    __m128i k0 = _mm_packus_epi16(fl_unhex16(fl_secret), fl_unhex16(fl_secret + 16));
    __m128i k1 = _mm_packus_epi16(fl_unhex16(fl_secret + 32), fl_unhex16(fl_secret + 48));
    __m128i s0 = iv0, s1 = iv1, o0 = iv0, o1 = iv1;
    fl_compress(&s0, &s1, _mm_shuffle_epi8(_mm_xor_si128(k0, ipad), bswap),
                _mm_shuffle_epi8(_mm_xor_si128(k1, ipad), bswap), _mm_set1_epi8(0x36),
                _mm_set1_epi8(0x36));
    fl_compress(&o0, &o1, _mm_shuffle_epi8(_mm_xor_si128(k0, opad), bswap),
                _mm_shuffle_epi8(_mm_xor_si128(k1, opad), bswap), _mm_set1_epi8(0x5c),
                _mm_set1_epi8(0x5c));
    fl_message(s0, s1, o0, o1);
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


static void floor_setup(const unsigned char key[32], const char *email, size_t len)
{
    unsigned char pad[64];
    size_t i;

    for (i = 0; i < 64; i++) pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x36);
    SHA256_Init(&lim_inner); SHA256_Update(&lim_inner, pad, 64);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x5c);
    SHA256_Init(&lim_outer); SHA256_Update(&lim_outer, pad, 64);
    memset(lim_block, 0, sizeof lim_block);
    memcpy(lim_block, email, len);
    lim_block[len] = 0x80;
    lim_block[62] = (unsigned char)(((64 + len) * 8) >> 8);
    lim_block[63] = (unsigned char)((64 + len) * 8);
    memset(lim_block2, 0, sizeof lim_block2);
    lim_block2[32] = 0x80;
    lim_block2[62] = (96 * 8) >> 8;
    lim_block2[63] = (unsigned char)(96 * 8);
#if defined(FLOOR_NI)
    to_ni(fl_inner, lim_inner.h);
    to_ni(fl_outer, lim_outer.h);
    for (i = 0; i < 16; i++)
        fl_block[i] = (uint32_t)lim_block[4 * i] << 24 | (uint32_t)lim_block[4 * i + 1] << 16
                    | (uint32_t)lim_block[4 * i + 2] << 8 | lim_block[4 * i + 3];
#endif
}

static int floor_uses_shani(void)
{
#if defined(FLOOR_NI)
    return have_shani();
#else
    return 0;
#endif
}

typedef void (*floor_fn)(void);
static floor_fn floor_best(void)
{
#if defined(FLOOR_NI)
    if (have_shani()) return ni_floor_call;
#endif
    return transform_floor_call;
}

static floor_fn floor_stateless_best(void)
{
#if defined(FLOOR_NI)
    if (have_shani()) return ni_stateless_call;
#endif
    return transform_stateless_call;
}
#endif
