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

/* A binding that compiles the core into itself (the Lua and Python modules) defines
 * PYLON_IDV_EMBED: the API stays private to it, so a process that also loads libpylon_idv.so
 * never binds one module's calls to another copy. */
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

#if defined(__GNUC__)
#  define PYLON_IDV_NODISCARD __attribute__((warn_unused_result))
#else
#  define PYLON_IDV_NODISCARD
#endif

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
 * error hash_hex holds the empty string, never a partial hash. Repeated calls with the same
 * secret on one thread reuse that thread's cached HMAC state (derived state only, never the
 * secret text; wiped at thread exit and when the library unloads). */
PYLON_IDV_API
int  pylon_idv_sign(char hash_hex[PYLON_IDV_HASH_HEX_SIZE],
                    const char *email, size_t email_len,
                    const char *secret_hex, size_t secret_hex_len);

/* 1 when hash_hex is the email's hash (64 hex digits, either case, compared in constant time),
 * 0 for anything else (wrong, malformed, NULL), <0 only for a bad secret (or EINVAL: a NULL
 * email of nonzero length). */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_verify(const char *email, size_t email_len,
                      const char *secret_hex, size_t secret_hex_len,
                      const char *hash_hex, size_t hash_hex_len);   /* 1, 0, or <0 */

/* A signer: the secret decoded once into precomputed HMAC state. Immutable once set up
 * (add_previous is set-up), so one signer may be shared by any number of threads. */
typedef struct pylon_idv_signer pylon_idv_signer;
PYLON_IDV_API
int  pylon_idv_signer_new(pylon_idv_signer **signer,
                          const char *secret_hex, size_t secret_hex_len);
PYLON_IDV_API
int  pylon_idv_signer_new_from_key(pylon_idv_signer **signer,
                                   const void *key, size_t key_len);
PYLON_IDV_API
int  pylon_idv_signer_add_previous(pylon_idv_signer *signer,
                                   const char *secret_hex, size_t secret_hex_len);
/* Cannot fail on valid arguments; with a NULL signer, or a NULL email of nonzero length,
 * hash_hex receives the empty string. */
PYLON_IDV_API
void pylon_idv_signer_sign(const pylon_idv_signer *signer,
                           char hash_hex[PYLON_IDV_HASH_HEX_SIZE],
                           const char *email, size_t email_len);
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_verify(const pylon_idv_signer *signer,
                             const char *email, size_t email_len,
                             const char *hash_hex, size_t hash_hex_len); /* 1 or 0 */
PYLON_IDV_API PYLON_IDV_NODISCARD
int  pylon_idv_signer_match(const pylon_idv_signer *signer,
                            const char *email, size_t email_len,
                            const char *hash_hex, size_t hash_hex_len);
                            /* 0 current, k for the k-th previous (1-based), -1 none */
PYLON_IDV_API
void pylon_idv_signer_fingerprint(const pylon_idv_signer *signer,
                                  char fingerprint[PYLON_IDV_FINGERPRINT_SIZE]);
PYLON_IDV_API
void pylon_idv_signer_free(pylon_idv_signer *signer);            /* NULL is fine */

PYLON_IDV_API
int  pylon_idv_generate_secret(char secret_hex[PYLON_IDV_SECRET_HEX_SIZE]);
/* The status the secret would get; *position (may be NULL) receives the 0-based index of the
 * first offending character in the string as given (CHAR), the end of the digits (ODD), or 0. */
PYLON_IDV_API
int  pylon_idv_secret_check(const char *secret_hex, size_t secret_hex_len,
                            size_t *position);  /* status; *position = offending index */
PYLON_IDV_API
const char *pylon_idv_strerror(int status);
PYLON_IDV_API
const char *pylon_idv_version(void);

/* Why doesn't a hash match?  Returns a PYLON_IDV_CAUSE_*; never fails on data. */
enum {
    PYLON_IDV_CAUSE_MATCH = 0, PYLON_IDV_CAUSE_RAW_SECRET, PYLON_IDV_CAUSE_EMAIL_CASE,
    PYLON_IDV_CAUSE_EMAIL_WHITESPACE, PYLON_IDV_CAUSE_WRONG_ALGORITHM,
    PYLON_IDV_CAUSE_BASE64_DIGEST, PYLON_IDV_CAUSE_ARGUMENTS_SWAPPED,
    PYLON_IDV_CAUSE_TRUNCATED_SECRET, PYLON_IDV_CAUSE_INVALID_SECRET, PYLON_IDV_CAUSE_UNKNOWN
};
PYLON_IDV_API
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
