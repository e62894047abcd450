/*
 * internal.h -- shared by the core's .c files and by the bindings, which compile the core
 * sources into themselves. Nothing here is public API.
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
/* HMAC of len <= PI_SHORT_MAX bytes in registers: the tag, or its 64 hex digits + NUL. */
PI_HIDDEN void pi_shani_hmac_tag(const pi_hmac_key *k, unsigned char tag[PI_TAG],
                                 const unsigned char *p, size_t len);
PI_HIDDEN void pi_shani_hmac_hex(const pi_hmac_key *k, char hex[PYLON_IDV_HASH_HEX_SIZE],
                                 const unsigned char *p, size_t len);
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
/* 1 if hex[0..2n) is the hex encoding of bytes[0..n), in either case (each character a hex
 * digit of the right value), else 0; constant time for a given n, which must be a multiple
 * of 4. The expected digits stay in registers (SSE2) or are wiped (the portable loop): verify
 * and match compare a candidate hash with each tag this way, never decoding it. */
PI_HIDDEN int  pi_hex_equals(const unsigned char *bytes, size_t n, const char *hex);

/* ---- errors.c ---- */
/* The message the bindings show for a status: "pylon_idv: " and pylon_idv_message(...), e.g.
 * "pylon_idv: invalid secret: invalid hex digit at position 17 (previous secret #2)". Never
 * contains any part of the secret (which may be NULL). Returns out. */
PI_HIDDEN const char *pi_error_message(char *out, size_t size, int status, const char *secret,
                                       size_t secret_len, size_t which);
#define PI_ERROR_MESSAGE_SIZE (PYLON_IDV_MESSAGE_SIZE + 16)

/* ---- script.c ---- */
/* A JSON string literal (with its quotes) of in[0..n), safe inside an inline <script>:
 * " \ and controls escaped, also < > & U+2028 U+2029 as \u escapes; invalid UTF-8 becomes
 * U+FFFD. out needs PI_JSON_SCRIPT_SIZE(n) bytes; returns the length written (without NUL). */
#define PI_JSON_SCRIPT_SIZE(n) (6 * (n) + 3)
PI_HIDDEN size_t pi_json_script_string(char *out, const char *in, size_t n);

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

/* ---- settings.c: the page (DESIGN.md, "The page") ----
 * The one builder of the widget's settings for every binding. A binding translates its
 * arguments into a pi_page (app_id, email or NULL, nonce or NULL, an array of typed fields),
 * calls pi_page_prepare (every check, then the hash), then pi_page_size and pi_page_render.
 * Keys come out as app_id, email, email_hash, then the fields sorted by their UTF-8 bytes. */
enum {
    PI_VALUE_NONE = 0,       /* checked (its key), then dropped: Python None */
    PI_VALUE_STRING,         /* str/str_len: must be UTF-8 */
    PI_VALUE_BOOL,           /* boolean */
    PI_VALUE_INT,            /* integer: must be within +-(2^53 - 1) */
    PI_VALUE_INT_HUGE,       /* an integer the binding could not hold in 64 bits: refused */
    PI_VALUE_FLOAT           /* number: must be finite */
};

typedef struct pi_field {
    const char *key;
    size_t key_len;
    int type;                /* PI_VALUE_* */
    int boolean;
    const char *str;
    size_t str_len;
    long long integer;
    double number;
    size_t index;            /* the binding's own (order given); kept through the sort */
} pi_field;

/* The rules; pi_page_message says each in words, pi_page_rule_flags how bindings raise it. */
enum {
    PI_PAGE_OK = 0,
    PI_PAGE_EAPP_ID_EMPTY, PI_PAGE_EAPP_ID_CHAR,
    PI_PAGE_ENONCE_LENGTH, PI_PAGE_ENONCE_CHAR,
    PI_PAGE_EEMAIL_UTF8,
    PI_PAGE_EKEY_UTF8, PI_PAGE_EKEY_RESERVED, PI_PAGE_EKEY_PROTO, PI_PAGE_EKEY_DUPLICATE,
    PI_PAGE_EVALUE_UTF8, PI_PAGE_EINT_RANGE, PI_PAGE_EFLOAT,
    PI_PAGE_ESECRET,         /* status: the core's PYLON_IDV_ESECRET_* */
    PI_PAGE_ETOO_LARGE, PI_PAGE_ECRYPTO, PI_PAGE_EINVAL,
    PI_PAGE_RULE_COUNT
};
#define PI_PAGE_TYPE_ERROR 1 /* Python: TypeError (else ValueError; ESECRET: InvalidSecretError) */
#define PI_PAGE_RAISES     2 /* Lua: a programming error, raised (else nil, err: bad data) */
PI_HIDDEN int pi_page_rule_flags(int rule);

typedef struct pi_page_error {
    int rule;                /* PI_PAGE_* */
    int status;              /* ESECRET: the PYLON_IDV_ESECRET_* status */
    size_t position;         /* byte offset, for the rules about characters */
    const pi_field *field;   /* the field concerned, or NULL */
    const char *secret;      /* ESECRET: the caller's secret (not a copy), for the core's one
                              * formatter (pylon_idv_message); valid only while it is */
    size_t secret_len;
} pi_page_error;

typedef struct pi_page {
    const char *app_id; size_t app_id_len;
    const char *email; size_t email_len;      /* email NULL: a visitor not logged in */
    const char *nonce; size_t nonce_len;      /* nonce NULL: no nonce attribute */
    pi_field *fields; size_t nfields;         /* sorted in place by pi_page_prepare */
    size_t nout;                              /* fields[0..nout): the ones written */
    char email_hash[PYLON_IDV_HASH_HEX_SIZE]; /* "" when anonymous */
} pi_page;

enum { PI_PAGE_JSON, PI_PAGE_SCRIPT, PI_PAGE_DATA };

/* Every check (app_id, nonce, email, each field), then the hash with signer (if not NULL)
 * or secret: checked, not signed, for an anonymous visitor, so a bad secret is always loud.
 * Returns PI_PAGE_OK or the rule broken, described in *err. */
PI_HIDDEN int    pi_page_prepare(pi_page *p, const pylon_idv_signer *signer,
                                 const char *secret, size_t secret_len, pi_page_error *err);
/* Bytes pi_page_render needs for kind (its NUL included); 0 if beyond SIZE_MAX. */
PI_HIDDEN size_t pi_page_size(const pi_page *p, int kind);
/* Write kind's text (NUL-terminated); returns its length. */
PI_HIDDEN size_t pi_page_render(char *out, const pi_page *p, int kind);
/* The widget loader: app_id and nonce checked as pi_page_prepare does. */
PI_HIDDEN int    pi_widget_check(const char *app_id, size_t app_id_len, const char *nonce,
                                 size_t nonce_len, pi_page_error *err);
PI_HIDDEN size_t pi_widget_size(size_t app_id_len, size_t nonce_len);
PI_HIDDEN size_t pi_widget_render(char *out, const char *app_id, size_t app_id_len,
                                  const char *nonce, size_t nonce_len);
/* The message for err, never any part of a value or a secret (a field is named only when
 * its name is plain: 1 to 64 of A-Z a-z 0-9 _ . -). Secret rules give the core's usual
 * "pylon_idv: invalid secret: ..." text (pi_error_message, so call it while err->secret is
 * still alive); other rules have no prefix. Returns out. */
#define PI_PAGE_MESSAGE_SIZE 256
PI_HIDDEN const char *pi_page_message(char *out, size_t size, const pi_page_error *err);
/* "field 'name'" or "a field (its name is not shown)", for the bindings' own type errors. */
PI_HIDDEN const char *pi_field_label(char *out, size_t size, const char *key, size_t key_len);
/* The shortest text that reads back as x, as JavaScript writes numbers (finite x; "-0" for
 * negative zero). out needs PI_NUMBER_SIZE bytes; returns the length. */
#define PI_NUMBER_SIZE 32
PI_HIDDEN size_t pi_format_double(char out[PI_NUMBER_SIZE], double x);

/* Constant-time selection helpers. */
static inline uint32_t pi_ct_mask_u32(uint32_t bit) { return (uint32_t)0 - (bit & 1u); }

#endif /* PYLON_IDV_INTERNAL_H */
