/*
 * hex.c -- the hex codec, without branches or table lookups on secret data: encode, decode,
 * and compare a text with the hex of some bytes. Digits are decoded with arithmetic on the
 * character (after libsodium's codecs.c). Secrets are parsed by key.c.
 */
#include <string.h>

#include "internal.h"

#if defined(__SSE2__)
#  include <emmintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#  include <arm_neon.h>
#  define PI_HEX_NEON 1
#endif

#define LANES_1 0x0101010101010101ull
#define LANES_H 0x8080808080808080ull
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#  define PI_LE 1
#else
#  define PI_LE 0
#endif

static inline uint64_t load64(const char *p)
{
    uint64_t w = 0;
    size_t i;
    if (PI_LE) { memcpy(&w, p, 8); return w; }
    for (i = 0; i < 8; i++) w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return w;
}

static inline void store64(char *p, uint64_t w)
{
    size_t i;
    if (PI_LE) { memcpy(p, &w, 8); return; }
    for (i = 0; i < 8; i++) p[i] = (char)(w >> (8 * i));
}

/* Four bytes to eight lowercase hex digits at once (SWAR): no branches, no tables. */
static inline void encode4(char *out, const unsigned char *in)
{
    uint64_t t = (uint64_t)in[0] | (uint64_t)in[1] << 16 | (uint64_t)in[2] << 32
               | (uint64_t)in[3] << 48;                         /* even lanes: the bytes */
    uint64_t nib = ((t >> 4) & 0x000f000f000f000full) | ((t & 0x000f000f000f000full) << 8);
    uint64_t letter = ((nib + 0x76 * LANES_1) >> 7) & LANES_1;  /* 1 where nibble > 9 */
    store64(out, nib + 0x30 * LANES_1 + letter * 39);
}

#if defined(__SSE2__)
/* Sixteen bytes to 32 lowercase digits in two registers (SSE2, baseline on x86-64): nibble +
 * '0', plus 39 where the nibble is over 9, chosen by a compare mask. */
static inline void digits16(const unsigned char *in, __m128i *a, __m128i *b)
{
    const __m128i m = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9);
    const __m128i zero = _mm_set1_epi8('0'), gap = _mm_set1_epi8('a' - '0' - 10);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), m), lo = _mm_and_si128(v, m);
    __m128i x = _mm_unpacklo_epi8(hi, lo), y = _mm_unpackhi_epi8(hi, lo);
    *a = _mm_add_epi8(_mm_add_epi8(x, zero), _mm_and_si128(_mm_cmpgt_epi8(x, nine), gap));
    *b = _mm_add_epi8(_mm_add_epi8(y, zero), _mm_and_si128(_mm_cmpgt_epi8(y, nine), gap));
}

static inline void encode16(char *out, const unsigned char *in)
{
    __m128i a, b;
    digits16(in, &a, &b);
    _mm_storeu_si128((__m128i *)(void *)out, a);
    _mm_storeu_si128((__m128i *)(void *)(out + 16), b);
}
#elif defined(PI_HEX_NEON)
/* Sixteen bytes to 32 lowercase digits (NEON, baseline on aarch64): a register table lookup. */
static inline void encode16(char *out, const unsigned char *in)
{
    static const unsigned char digits[16] = {
        '0','1','2','3','4','5','6','7','8','9','a','b','c','d','e','f' };
    const uint8x16_t lut = vld1q_u8(digits);
    uint8x16_t v = vld1q_u8(in);
    uint8x16_t hi = vshrq_n_u8(v, 4), lo = vandq_u8(v, vdupq_n_u8(0x0f));
    vst1q_u8((unsigned char *)out, vqtbl1q_u8(lut, vzip1q_u8(hi, lo)));
    vst1q_u8((unsigned char *)out + 16, vqtbl1q_u8(lut, vzip2q_u8(hi, lo)));
}
#endif

void pi_hex_encode(char *out, const unsigned char *in, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__) || defined(PI_HEX_NEON)
    for (; i + 16 <= n; i += 16) encode16(out + 2 * i, in + i);
#endif
    for (; i + 4 <= n; i += 4) encode4(out + 2 * i, in + i);
    for (; i < n; i++) {
        unsigned hi = in[i] >> 4, lo = in[i] & 0xfu;
        out[2 * i]     = (char)((87u + hi + (((hi - 10u) >> 8) & ~38u)) & 0xffu);
        out[2 * i + 1] = (char)((87u + lo + (((lo - 10u) >> 8) & ~38u)) & 0xffu);
    }
    out[2 * n] = '\0';
}

/* Value of one hex digit; *ok gets 0xff when c is a hex digit, else 0. */
static inline unsigned hex_digit(unsigned char c, unsigned *ok)
{
    unsigned num = c ^ 48u;
    unsigned num_ok = ((num - 10u) >> 8) & 0xffu;           /* 0xff if '0'..'9' */
    unsigned alpha = ((c & ~32u) - 55u) & 0xffu;
    unsigned alpha_ok = (((alpha - 10u) ^ (alpha - 16u)) >> 8) & 0xffu;  /* 'A'..'F' */
    *ok = num_ok | alpha_ok;
    return (num_ok & num) | (alpha_ok & alpha);
}

/* Eight hex digits at once (SWAR): out[4] gets their bytes; returns the high bit of each
 * lane set where that character was a hex digit. No branches, no tables. */
static inline uint64_t decode8(unsigned char out[4], const char *in)
{
    uint64_t w = load64(in), x, y, digit, alpha, nib, t;
    size_t i;
    x = w & ~LANES_H;                                          /* 7-bit lanes: no carries */
    digit = (x + (0x80 - 0x30) * LANES_1) & ~(x + (0x80 - 0x3a) * LANES_1);  /* '0'..'9' */
    y = x | 0x20 * LANES_1;
    alpha = (y + (0x80 - 0x61) * LANES_1) & ~(y + (0x80 - 0x67) * LANES_1);  /* a..f A..F */
    alpha &= LANES_H;
    nib = (x & 0x0f * LANES_1) + (alpha >> 7) * 9;             /* each lane 0..15 */
    t = ((nib << 4) | (nib >> 8)) & 0x00ff00ff00ff00ffull;      /* even lanes: hi<<4 | lo */
    t = (t | (t >> 8)) & 0x0000ffff0000ffffull;
    t = t | (t >> 16);
    if (PI_LE) { uint32_t u = (uint32_t)t; memcpy(out, &u, 4); }
    else for (i = 0; i < 4; i++) out[i] = (unsigned char)(t >> (8 * i));
    return (digit | alpha) & ~w & LANES_H;
}

#if defined(__SSE2__)
/* Sixteen hex digits at once (SSE2, baseline on x86-64): their eight bytes, one in the low
 * half of each 16-bit lane; *mask gets a bit set for each character that was a hex digit. */
static inline __m128i pairs16(const char *in, unsigned *mask)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
    __m128i x = _mm_sub_epi8(v, _mm_set1_epi8('0'));                        /* '0'..'9' -> 0..9 */
    __m128i y = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i digit = _mm_cmpeq_epi8(_mm_subs_epu8(x, _mm_set1_epi8(9)), zero);
    __m128i alpha = _mm_cmpeq_epi8(_mm_subs_epu8(y, _mm_set1_epi8(5)), zero);
    __m128i val = _mm_or_si128(_mm_and_si128(digit, x),
                               _mm_and_si128(alpha, _mm_add_epi8(y, _mm_set1_epi8(10))));
    /* each 16-bit lane holds (first digit, second digit): first << 4 | second */
    __m128i hi = _mm_and_si128(val, _mm_set1_epi16(0x00ff));
    *mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(digit, alpha));
    return _mm_or_si128(_mm_slli_epi16(hi, 4), _mm_srli_epi16(val, 8));
}

/* Thirty-two hex digits: out[16] gets their bytes in one 16-byte store (so a 16-byte load of
 * them, as the SHA-NI key set-up does next, is forwarded from the store, not stalled); returns
 * a 32-bit mask with a bit set for each character that was a hex digit. */
static inline uint32_t decode32(unsigned char out[16], const char *in)
{
    unsigned m0, m1;
    __m128i a = pairs16(in, &m0), b = pairs16(in + 16, &m1);
    _mm_storeu_si128((__m128i *)(void *)out, _mm_packus_epi16(a, b));
    return (uint32_t)m0 | (uint32_t)m1 << 16;
}
#endif

int pi_hex_decode(unsigned char *out, const char *in, size_t n)
{
    uint64_t bad = 0;
    unsigned ok, tail = 0xffu;
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) bad |= decode32(out + i, in + 2 * i) ^ 0xffffffffu;
#endif
    for (; i + 4 <= n; i += 4) bad |= decode8(out + i, in + 2 * i) ^ LANES_H;
    for (; i < n; i++) {
        unsigned hi = hex_digit((unsigned char)in[2 * i], &ok);
        tail &= ok;
        hi = (hi << 4) | hex_digit((unsigned char)in[2 * i + 1], &ok);
        tail &= ok;
        out[i] = (unsigned char)hi;
    }
    bad |= (uint64_t)(tail ^ 0xffu);
    return (int)(1u ^ (unsigned)((bad | (0u - bad)) >> 63));
}

int pi_hex_equals(const unsigned char *bytes, size_t n, const char *hex)
{
    /* n is a multiple of 4 (the caller's check; a length is public) */
    uint64_t d = 0;
    char enc[8];
    size_t i = 0;
#if defined(__SSE2__)
    {
        /* the 32 digits of bytes[i..i+16) in registers, compared by pi_hex_diff32; the
         * differences or-ed together, one mask at the end */
        __m128i acc = _mm_setzero_si128();
        for (; i + 16 <= n; i += 16) {
            __m128i a, b;
            digits16(bytes + i, &a, &b);
            acc = _mm_or_si128(acc, pi_hex_diff32(a, b, hex + 2 * i));
        }
        acc = _mm_cmpeq_epi8(acc, _mm_setzero_si128());
        d = (uint64_t)((unsigned)_mm_movemask_epi8(acc) ^ 0xffffu);
    }
#endif
    for (; i + 4 <= n; i += 4) {
        uint64_t e;
        encode4(enc, bytes + i);
        e = load64(enc);
        d |= e ^ (load64(hex + 2 * i) | ((e & 0x40 * LANES_1) >> 1));
    }
    PI_WIPE(enc, sizeof enc);
    return (int)(1u ^ (unsigned)((d | (0u - d)) >> 63));
}

unsigned pi_hex_valid(unsigned char c)
{
    unsigned ok;
    (void)hex_digit(c, &ok);
    return ok & 1u;
}
