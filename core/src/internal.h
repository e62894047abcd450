/*
 * internal.h -- shared by the core's .c files and the white-box tests. Nothing here is public
 * API, and no binding includes it.
 */
#ifndef PYLON_IDV_INTERNAL_H
#define PYLON_IDV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pylon_idv.h"

/* The fast path drives OpenSSL's SHA-256 block function directly (SHA256_Transform with
 * precomputed inner/outer states, two compressions per short email, no allocation). Those
 * calls are deprecated in OpenSSL 3 but exported; when OpenSSL is built or used without
 * deprecated APIs, or PYLON_IDV_USE_EVP is defined, an EVP_MD_CTX fallback is compiled. */
#if !defined(PYLON_IDV_USE_EVP)
#  define OPENSSL_SUPPRESS_DEPRECATED 1
#endif
#include <openssl/opensslconf.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#if defined(OPENSSL_NO_DEPRECATED_3_0) && !defined(PYLON_IDV_USE_EVP)
#  define PYLON_IDV_USE_EVP 1
#endif

#define PI_BLOCK 64          /* SHA-256 block size */
#define PI_TAG 32            /* SHA-256 output size */

/* Constant-time checks (tests/ctgrind): secret bytes are marked undefined for valgrind
 * memcheck, which then reports any branch or address that depends on them. Library code may
 * declassify only public facts (is a secret well formed, where is whitespace, the final
 * answer) through this one macro, empty in normal builds. */
#if defined(PYLON_IDV_CTGRIND)
#  include <valgrind/memcheck.h>
#  define PI_DECLASSIFY(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#  define PI_DECLASSIFY(p, n) ((void)0)
#endif

#if defined(__GNUC__)
#  define PI_HIDDEN __attribute__((visibility("hidden")))
#else
#  define PI_HIDDEN
#endif

/* Which SIMD compression paths this compiler can build (chosen at run time: sha256.c). */
#if defined(__x86_64__) && defined(__GNUC__)
#  define PI_HAVE_SHANI 1
#endif
/* GCC's arm_neon.h lets a function with target("+crypto") use the SHA-2 intrinsics; clang's
 * (14) declares them only when the whole file is built for SHA-2, so clang gets the path only
 * then (-march=armv8-a+sha2 or later), still checked against HWCAP at run time. */
#if defined(__aarch64__) && defined(__AARCH64EL__) && defined(__GNUC__) && \
    (!defined(__clang__) || defined(__ARM_FEATURE_SHA2))
#  define PI_HAVE_ARMV8 1
#endif

/* A key once through HMAC's ipad/opad blocks. Copied per message; never mutated. */
typedef struct pi_hmac_key {
    uint32_t inner[8], outer[8];          /* chaining state after k0^ipad, k0^opad: H0..H7 */
#if defined(PI_HAVE_SHANI)
    uint32_t inner_ni[8], outer_ni[8];    /* the same as SHA-NI holds it: ABEF, CDGH */
#endif
#if defined(PYLON_IDV_USE_EVP)
    EVP_MD_CTX *evp_inner, *evp_outer;    /* the OpenSSL path of the EVP build */
#endif
} pi_hmac_key;

/* ---- sha256.c: compression paths ---- */
enum { PI_PATH_PORTABLE = 0, PI_PATH_OPENSSL = 1, PI_PATH_SHANI = 2, PI_PATH_ARMV8 = 3,
       PI_PATH_COUNT = 4 };
#define PI_SHORT_MAX 55                   /* longest email of one inner block */
/* The path in use: set once when the library loads (from the CPU), read on every call.
 * Tests may change it with pi_force_path while no other thread signs. */
PI_HIDDEN extern int pi_path;
PI_HIDDEN int  pi_path_available(int path);      /* can this CPU and build run it? */
PI_HIDDEN int  pi_path_select(int shani, int armv8);   /* the choice, given CPU features */
PI_HIDDEN int  pi_path_detect(void);             /* the choice for this CPU */
PI_HIDDEN int  pi_force_path(int path);          /* tests only: 1 if set, 0 if unavailable */
PI_HIDDEN const char *pi_path_name(int path);
PI_HIDDEN extern const uint32_t pi_sha256_iv[8];
/* n whole blocks into the chaining state h (H0..H7), by path's compression function. */
PI_HIDDEN void pi_sha256_blocks(int path, uint32_t h[8], const unsigned char *p, size_t n);
#if defined(PI_HAVE_SHANI)
PI_HIDDEN void pi_sha256_to_ni(uint32_t ni[8], const uint32_t h[8]);
/* Both states of a key from its block key k0, in registers (the SHA-NI path's set-up). */
PI_HIDDEN void pi_shani_key_init(pi_hmac_key *k, const unsigned char k0[64]);
/* The one-shot's short path (len <= PI_SHORT_MAX): k0 to the hex of the tag, in registers. */
PI_HIDDEN void pi_shani_oneshot_hex(const unsigned char k0[64], char hex[PYLON_IDV_HASH_HEX_SIZE],
                                    const unsigned char *p, size_t len);
/* HMAC of len <= PI_SHORT_MAX bytes in registers: the tag, or its 64 hex digits + NUL. */
PI_HIDDEN void pi_shani_hmac_tag(const pi_hmac_key *k, unsigned char tag[PI_TAG],
                                 const unsigned char *p, size_t len);
PI_HIDDEN void pi_shani_hmac_hex(const pi_hmac_key *k, char hex[PYLON_IDV_HASH_HEX_SIZE],
                                 const unsigned char *p, size_t len);
/* 1 if hex[0..64) is the tag's hex (either case), else 0, in constant time. */
PI_HIDDEN int  pi_shani_hmac_equals(const pi_hmac_key *k, const unsigned char *p, size_t len,
                                    const char *hex);
#endif
#if defined(PI_HAVE_ARMV8)
PI_HIDDEN void pi_armv8_hmac_tag(const pi_hmac_key *k, unsigned char tag[PI_TAG],
                                 const unsigned char *p, size_t len);
PI_HIDDEN void pi_armv8_hmac_hex(const pi_hmac_key *k, char hex[PYLON_IDV_HASH_HEX_SIZE],
                                 const unsigned char *p, size_t len);
#endif

/* ---- hmac.c ---- */
/* k0: the HMAC block key (the key, or SHA-256 of a key longer than a block, zero padded). */
PI_HIDDEN int  pi_hmac_key_init(pi_hmac_key *k, const unsigned char k0[PI_BLOCK]);
PI_HIDDEN void pi_hmac_key_wipe(pi_hmac_key *k);
/* 0, or PYLON_IDV_ECRYPTO (the EVP build's OpenSSL path only; the others cannot fail). */
PI_HIDDEN int  pi_hmac(const pi_hmac_key *k, unsigned char tag[PI_TAG],
                       const void *msg, size_t len);
/* The same as 64 lowercase hex digits and a NUL (hex[0] = NUL on failure). */
PI_HIDDEN int  pi_hmac_hex(const pi_hmac_key *k, char hex[PYLON_IDV_HASH_HEX_SIZE],
                           const void *msg, size_t len);
/* 1 if hex[0..64) spells the tag (either case), 0 if not or on failure; constant time. */
PI_HIDDEN int  pi_hmac_equals(const pi_hmac_key *k, const void *msg, size_t len,
                              const char hex[2 * PI_TAG]);
/* ---- sha256.c: streaming, for keys longer than a block (hides which API computes it) ---- */
typedef struct pi_sha256 {
#if defined(PYLON_IDV_USE_EVP)
    EVP_MD_CTX *ctx;
#else
    SHA256_CTX ctx;
#endif
} pi_sha256;
PI_HIDDEN int  pi_sha256_init(pi_sha256 *s);
PI_HIDDEN int  pi_sha256_update(pi_sha256 *s, const void *p, size_t n);
PI_HIDDEN int  pi_sha256_final(pi_sha256 *s, unsigned char out[PI_TAG]);  /* also frees */

/* ---- hex.c ---- */
/* Lowercase hex of n bytes into out[2n] plus NUL, without secret-dependent branches/tables. */
PI_HIDDEN void pi_hex_encode(char *out, const unsigned char *in, size_t n);
/* Decode exactly 2n hex digits (either case) into out[n], branch-free. Returns 1 when every
 * digit was valid, else 0 (out is then unspecified). */
PI_HIDDEN int  pi_hex_decode(unsigned char *out, const char *in, size_t n);
/* 1 if hex[0..2n) is the hex encoding of bytes[0..n), in either case (each character a hex
 * digit of the right value), else 0; constant time for a given n, which must be a multiple
 * of 4. The expected digits stay in registers (SSE2) or are wiped (the portable loop): verify
 * and match compare a candidate hash with each tag this way, never decoding it. */
PI_HIDDEN int  pi_hex_equals(const unsigned char *bytes, size_t n, const char *hex);
/* 1 if c is a hex digit (either case), else 0, without a branch or table. */
PI_HIDDEN unsigned pi_hex_valid(unsigned char c);

/* ---- key.c ---- */
/* Parse a secret per the contract (trim ASCII whitespace; EMPTY; first non-hex CHAR at its
 * position in the untrimmed string; ODD) and derive the HMAC block key k0. On error k0 holds
 * no key material (wiped if any was decoded; not written otherwise). position may be NULL. */
PI_HIDDEN int  pi_secret_to_k0(unsigned char k0[PI_BLOCK], const char *s, size_t n,
                               size_t *position);
/* [*lo, *hi): s without the surrounding ASCII whitespace (space, tab, CR, LF) the contract
 * ignores. */
PI_HIDDEN void pi_secret_trim(const char *s, size_t n, size_t *lo, size_t *hi);
/* Validate only (no key material produced). */
PI_HIDDEN int  pi_secret_check(const char *s, size_t n, size_t *position);
/* The block key of raw key bytes (hashing a key longer than a block); 0 or ECRYPTO. */
PI_HIDDEN int  pi_k0_from_key(unsigned char k0[PI_BLOCK], const void *key, size_t len);



/* Wipe n bytes of a stack buffer on a hot path: an inline memset that the compiler must keep
 * (the asm says the memory is read), cheaper than OPENSSL_cleanse's call through a volatile
 * pointer for a few dozen bytes. Elsewhere, OPENSSL_cleanse. */
#if defined(__GNUC__)
#  define PI_WIPE(p, n) do { memset((p), 0, (n)); \
        __asm__ __volatile__("" : : "r"(p) : "memory"); } while (0)
#else
#  define PI_WIPE(p, n) OPENSSL_cleanse((p), (n))
#endif

/* 1 if s[0..n) is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF);
 * else 0 and *position (may be NULL) = the offset of the first byte that is not. */
PI_HIDDEN int  pi_utf8_check(const char *s, size_t n, size_t *position);

/* ---- number.c ---- */
/* The shortest text that reads back as x, as JavaScript writes numbers (finite x; "-0" for
 * negative zero). out needs PYLON_IDV_NUMBER_SIZE bytes; returns the length. */
PI_HIDDEN size_t pi_format_double(char out[PYLON_IDV_NUMBER_SIZE], double x);
/* v in decimal (at most 20 characters); returns the length. */
PI_HIDDEN size_t pi_format_int(char *out, long long v);

/* Constant-time selection helpers. */
static inline uint32_t pi_ct_mask_u32(uint32_t bit) { return (uint32_t)0 - (bit & 1u); }

#if defined(__SSE2__)
#  include <emmintrin.h>
/* The rule of a hash compare, for pi_hex_equals and the SHA-NI verify: zero bytes where the
 * 32 characters at hex are the lowercase digits a, b. The candidate is lowered where a letter
 * is expected (a letter digit has bit 6 set, and bit 6 >> 1 is the case bit; |0x20 turns only
 * 'A'..'F' into 'a'..'f') and compared exactly where a decimal digit is; no early exit. */
static inline __m128i pi_hex_diff32(__m128i a, __m128i b, const char *hex)
{
    const __m128i bit6 = _mm_set1_epi8(0x40);
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)hex),
            y = _mm_loadu_si128((const __m128i *)(const void *)(hex + 16));
    x = _mm_or_si128(x, _mm_srli_epi16(_mm_and_si128(a, bit6), 1));
    y = _mm_or_si128(y, _mm_srli_epi16(_mm_and_si128(b, bit6), 1));
    return _mm_or_si128(_mm_xor_si128(a, x), _mm_xor_si128(b, y));
}
#endif

#endif /* PYLON_IDV_INTERNAL_H */
