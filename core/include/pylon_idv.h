/*
 * pylon_idv.h -- identity verification hashes for the Pylon chat widget.
 *
 *   email_hash = lowercase_hex(HMAC-SHA256(key = hex_decode(identity_secret), msg = email))
 *
 * The only public header of libpylon_idv. Every function takes (pointer, length) pairs: an
 * email may contain NUL bytes and is never measured with strlen. Output buffers come first and
 * have named sizes. Statuses are 0 or a negative PYLON_IDV_E* value; pylon_idv_strerror() names
 * them. See README.md and SECURITY.md for the guarantees (constant time, wiping, threads).
 */
#ifndef PYLON_IDV_H
#define PYLON_IDV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A binding that compiles the core into itself (the Lua module through its rockspec and
 * CMake, the Python extension through setup.py) defines PYLON_IDV_EMBED: the API stays
 * private to it, so a process that also loads libpylon_idv.so never binds one module's calls
 * to another copy. */
#if defined(PYLON_IDV_API)
   /* as defined by the includer */
#elif defined(PYLON_IDV_EMBED) && defined(__GNUC__)
#  define PYLON_IDV_API __attribute__((visibility("hidden")))
#elif defined(_WIN32) && defined(PYLON_IDV_SHARED)
#  ifdef PYLON_IDV_BUILDING
#    define PYLON_IDV_API __declspec(dllexport)
#  else
#    define PYLON_IDV_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define PYLON_IDV_API __attribute__((visibility("default")))
#else
#  define PYLON_IDV_API
#endif

/* Every function that returns a status (or an answer) is marked: ignoring it is a bug. */
#if defined(__GNUC__)
#  define PYLON_IDV_NODISCARD __attribute__((warn_unused_result))
#else
#  define PYLON_IDV_NODISCARD
#endif

/* The version, also at compile time. The one source of truth: pylon_idv_version() returns
 * PYLON_IDV_VERSION_STRING, and CMake, setup.py and the rockspec checks read these lines. */
#define PYLON_IDV_VERSION_MAJOR  0
#define PYLON_IDV_VERSION_MINOR  1
#define PYLON_IDV_VERSION_PATCH  0
#define PYLON_IDV_VERSION_STRING "0.1.0"

#define PYLON_IDV_HASH_HEX_LEN      64  /* hex digits in an email hash */
#define PYLON_IDV_HASH_HEX_SIZE     65  /* the same with its NUL */
#define PYLON_IDV_SECRET_HEX_SIZE   65  /* a generated secret: 32 bytes as hex, with NUL */
#define PYLON_IDV_FINGERPRINT_SIZE  17  /* 16 hex digits, with NUL */

enum {                               /* every status is 0 or one of these */
    PYLON_IDV_OK = 0,
    PYLON_IDV_ESECRET_EMPTY = -1,    /* nothing but whitespace */
    PYLON_IDV_ESECRET_ODD = -2,      /* odd number of hex digits */
    PYLON_IDV_ESECRET_CHAR = -3,     /* a character that is not a hex digit */
    PYLON_IDV_ENOMEM = -4,
    PYLON_IDV_ECRYPTO = -5,          /* OpenSSL failed (RNG, digest) */
    PYLON_IDV_EINVAL = -6            /* NULL where a buffer is required */
};

/* One-shot: hash_hex receives 64 lowercase hex digits and a NUL. Returns 0 or a status; on
 * error hash_hex holds the empty string, never a partial hash. Stateless: every call decodes
 * the secret and derives the key (about twice the work of pylon_idv_signer_sign), with no heap
 * allocation and nothing kept between calls. To sign per request, hold a signer. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_sign(char hash_hex[PYLON_IDV_HASH_HEX_SIZE],
                    const char *email, size_t email_len,
                    const char *secret_hex, size_t secret_hex_len);

/* Fails closed: 1 when hash_hex is the email's hash (64 hex digits, either case, compared in
 * constant time), 0 for anything else -- a wrong, malformed or NULL hash, and also a bad or
 * empty secret, a NULL email of nonzero length, or an OpenSSL failure -- so that
 * `if (pylon_idv_verify(...))` never accepts a hash under a missing secret. To report a bad
 * secret loudly (configuration mistakes should be), check it first with
 * pylon_idv_secret_check(), as the Python and Lua bindings do. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_verify(const char *email, size_t email_len,
                      const char *secret_hex, size_t secret_hex_len,
                      const char *hash_hex, size_t hash_hex_len);
                      /* 1 match; 0 anything else, a bad secret included (fail closed) */

/* A signer: the secret decoded once into precomputed HMAC state (the SHA-256 states after
 * k0^ipad and k0^opad: key material, wiped by pylon_idv_signer_free). Immutable once set up
 * (add_previous is set-up), so one signer may be shared by any number of threads. */
typedef struct pylon_idv_signer pylon_idv_signer;
/* 0 and *signer set; or a status (ESECRET_*, ENOMEM, ECRYPTO; EINVAL for a NULL signer
 * pointer or NULL text of nonzero length) with *signer set to NULL (when signer is not NULL). */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_new(pylon_idv_signer **signer,
                          const char *secret_hex, size_t secret_hex_len);
/* The same for raw key bytes (no hex decoding); an empty key is PYLON_IDV_ESECRET_EMPTY
 * (never a forgeable empty key). *signer is NULL on failure. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_new_from_key(pylon_idv_signer **signer,
                                   const void *key, size_t key_len);
/* Set-up, before the signer is shared (not thread-safe). 0, or a status with the signer left
 * exactly as it was. Amortised O(1): the array of previous keys grows geometrically (the old
 * array is copied, wiped and freed, never realloc'd). verify and match cost one HMAC per key,
 * by design (every key is tried, in constant time). */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_add_previous(pylon_idv_signer *signer,
                                   const char *secret_hex, size_t secret_hex_len);
/* hash_hex receives 64 lowercase hex digits and a NUL: 0; or a status (EINVAL for a NULL
 * signer, buffer, or email of nonzero length; ECRYPTO if OpenSSL fails in the EVP build) and
 * the empty string, never a partial hash. The default build allocates nothing. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_sign(const pylon_idv_signer *signer,
                           char hash_hex[PYLON_IDV_HASH_HEX_SIZE],
                           const char *email, size_t email_len);     /* status */
/* Fail closed, constant time: 1 when hash_hex (64 hex digits, either case) is the email's hash
 * under the current or any previous secret, 0 for anything else (every key is tried). */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_verify(const pylon_idv_signer *signer,
                             const char *email, size_t email_len,
                             const char *hash_hex, size_t hash_hex_len); /* 1 or 0 */
/* verify, saying which secret matched: 1 with *which = 0 (current) or k (the k-th previous,
 * 1-based, in the order added); 0 for no match (*which = 0). which may be NULL. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_match(const pylon_idv_signer *signer,
                            const char *email, size_t email_len,
                            const char *hash_hex, size_t hash_hex_len,
                            size_t *which);
                            /* 1 match, *which = 0 current or k for the k-th previous
                               (1-based); 0 none (which may be NULL) */
/* 16 hex digits and a NUL: 0; or a status and the empty string, as for signer_sign. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_fingerprint(const pylon_idv_signer *signer,
                                  char fingerprint[PYLON_IDV_FINGERPRINT_SIZE]);  /* status */
PYLON_IDV_API
void pylon_idv_signer_free(pylon_idv_signer *signer);            /* NULL is fine */
/* Zero n bytes at p with OPENSSL_cleanse, which the compiler may not elide (p NULL: nothing):
 * for the caller's own copies of a secret or a hash. */
PYLON_IDV_API
void pylon_idv_wipe(void *p, size_t n);        /* zero memory the compiler may not elide */

/* 0 and 64 lowercase hex digits from OpenSSL's CSPRNG; ECRYPTO (and "") if it fails. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_generate_secret(char secret_hex[PYLON_IDV_SECRET_HEX_SIZE]);
/* The status the secret would get; *position (may be NULL) receives the 0-based index of the
 * first offending character in the string as given (CHAR), the end of the digits (ODD), or 0. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_secret_check(const char *secret_hex, size_t secret_hex_len,
                            size_t *position);  /* status; *position = offending index */
/* A short, static text for a status ("invalid secret: odd number of hex digits"). */
PYLON_IDV_API
const char *pylon_idv_strerror(int status);
PYLON_IDV_API
const char *pylon_idv_version(void);    /* PYLON_IDV_VERSION_STRING */

/* The message every binding and both commands show for a failed status, formatted in one
 * place: "invalid secret: invalid hex digit at position 17", with " (previous secret #2)"
 * when `which` numbers a previous secret (1-based; 0 for the current secret), or the words
 * of a raw key when `which` is PYLON_IDV_MESSAGE_KEY ("invalid key: empty (no bytes)").
 * For ESECRET_CHAR the position is found again in secret_hex (which may be NULL: the
 * position is then left out). Never contains any part of the secret. Writes at most size
 * bytes, NUL included (PYLON_IDV_MESSAGE_SIZE always suffices); returns buf. The bindings
 * prefix it with "pylon_idv: ", the commands with "pylon-idv: ". */
#define PYLON_IDV_MESSAGE_SIZE 128
#define PYLON_IDV_MESSAGE_KEY  ((size_t)-1)
PYLON_IDV_API
const char *pylon_idv_message(char *buf, size_t size, int status,
                              const char *secret_hex, size_t secret_hex_len, size_t which);

/* Why doesn't a hash match?  Returns a PYLON_IDV_CAUSE_*; never fails on data.
 * Every value is spelled out: a cause added later takes a new number, none is renumbered. */
enum {
    PYLON_IDV_CAUSE_MATCH = 0, PYLON_IDV_CAUSE_RAW_SECRET = 1, PYLON_IDV_CAUSE_EMAIL_CASE = 2,
    PYLON_IDV_CAUSE_EMAIL_WHITESPACE = 3, PYLON_IDV_CAUSE_WRONG_ALGORITHM = 4,
    PYLON_IDV_CAUSE_BASE64_DIGEST = 5, PYLON_IDV_CAUSE_ARGUMENTS_SWAPPED = 6,
    PYLON_IDV_CAUSE_TRUNCATED_SECRET = 7, PYLON_IDV_CAUSE_INVALID_SECRET = 8,
    PYLON_IDV_CAUSE_UNKNOWN = 99
};
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_diagnose(const char *email, size_t email_len,
                        const char *secret_hex, size_t secret_hex_len,
                        const char *hash, size_t hash_len);
PYLON_IDV_API
const char *pylon_idv_cause_name(int cause);     /* "match", "raw_secret", ... */
PYLON_IDV_API
const char *pylon_idv_cause_message(int cause);  /* one or two sentences: what and how to fix */

#ifdef __cplusplus
}
#endif
#endif /* PYLON_IDV_H */
