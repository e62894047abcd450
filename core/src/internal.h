/*
 * internal.h -- shared by the core's .c files and by the bindings, which compile the core
 * sources into themselves. Nothing here is public API.
 */
#ifndef PYLON_IDV_INTERNAL_H
#define PYLON_IDV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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

/* A key once through HMAC's ipad/opad blocks. Copied per message; never mutated. */
typedef struct pi_hmac_key {
#if defined(PYLON_IDV_USE_EVP)
    EVP_MD_CTX *inner, *outer;
#else
    SHA256_CTX inner, outer;
#endif
} pi_hmac_key;

/* ---- hmac.c ---- */
/* k0: the HMAC block key (the key, or SHA-256 of a key longer than a block, zero padded). */
PI_HIDDEN int  pi_hmac_key_init(pi_hmac_key *k, const unsigned char k0[PI_BLOCK]);
PI_HIDDEN void pi_hmac_key_wipe(pi_hmac_key *k);
/* 0, or PYLON_IDV_ECRYPTO (EVP fallback only; the fast path cannot fail). */
PI_HIDDEN int  pi_hmac(const pi_hmac_key *k, unsigned char tag[PI_TAG],
                       const void *msg, size_t len);
/* Derive the block key from raw key bytes (hashing keys longer than a block). */
PI_HIDDEN int  pi_k0_from_key(unsigned char k0[PI_BLOCK], const void *key, size_t len);
/* Streaming SHA-256 used for long keys: hides which API computes it. */
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
/* Parse a secret per the contract (trim ASCII whitespace; EMPTY; first non-hex CHAR at its
 * position in the untrimmed string; ODD) and derive the HMAC block key k0. k0 is wiped on
 * error. position may be NULL. */
PI_HIDDEN int  pi_secret_to_k0(unsigned char k0[PI_BLOCK], const char *s, size_t n,
                               size_t *position);
/* [*lo, *hi): s without the surrounding ASCII whitespace (space, tab, CR, LF) the contract
 * ignores. */
PI_HIDDEN void pi_secret_trim(const char *s, size_t n, size_t *lo, size_t *hi);
/* Validate only (no key material produced). */
PI_HIDDEN int  pi_secret_check(const char *s, size_t n, size_t *position);
/* A candidate tag: exactly 64 hex digits -> 1 and tag[32] filled; else 0. Branch-free. */
PI_HIDDEN int  pi_tag_decode(unsigned char tag[PI_TAG], const char *hex, size_t n);

/* ---- errors.c ---- */
/* The message the bindings show for a status: "pylon_idv: " and pylon_idv_message(...), e.g.
 * "pylon_idv: invalid secret: invalid hex digit at position 17 (previous secret #2)". Never
 * contains any part of the secret (which may be NULL). Returns out. */
PI_HIDDEN const char *pi_error_message(char *out, size_t size, int status, const char *secret,
                                       size_t secret_len, size_t which);
#define PI_ERROR_MESSAGE_SIZE (PYLON_IDV_MESSAGE_SIZE + 16)

/* ---- pylon_idv.c: test hooks (test builds only: -DPYLON_IDV_TEST_HOOKS) ---- */
#if defined(PYLON_IDV_TEST_HOOKS)
/* Called by the one-shot cache at these points, when set: */
enum {
    PI_HOOK_REGISTER_LOCKED = 1,   /* a thread registers its entry, holding the cache lock */
    PI_HOOK_IN_USE = 2             /* a thread uses its entry (between enter and leave) */
};
extern void (*pi_test_cache_hook)(int where);
PI_HIDDEN int pi_test_cache_entries(void);      /* entries registered now */
PI_HIDDEN int pi_test_cache_uncached(void);     /* calls served without the cache so far */
#endif

/* ---- script.c ---- */
/* A JSON string literal (with its quotes) of in[0..n), safe inside an inline <script>:
 * " \ and controls escaped, also < > & U+2028 U+2029 as \u escapes; invalid UTF-8 becomes
 * U+FFFD. out needs PI_JSON_SCRIPT_SIZE(n) bytes; returns the length written (without NUL). */
#define PI_JSON_SCRIPT_SIZE(n) (6 * (n) + 3)
PI_HIDDEN size_t pi_json_script_string(char *out, const char *in, size_t n);

/* Constant-time selection helpers. */
static inline uint32_t pi_ct_mask_u32(uint32_t bit) { return (uint32_t)0 - (bit & 1u); }

#endif /* PYLON_IDV_INTERNAL_H */
