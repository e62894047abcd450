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
 * CMake, the Python extension through bindings/python/CMakeLists.txt) defines PYLON_IDV_EMBED: the API stays
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
 * PYLON_IDV_VERSION_STRING, and CMake, pyproject.toml and the rockspec checks read these lines. */
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
 * allocation (the EVP build, PYLON_IDV_USE_EVP, allocates its digest contexts) and nothing kept
 * between calls. To sign per request, hold a signer. */
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

/* ============================================================================= the page
 *
 * What a web page needs, from one builder for C, Python and Lua (the same bytes for the same
 * settings): the widget's settings as JSON text, as an inline <script>, or as a
 * <script type="application/json" id="pylon-chat-settings"> data element that pylon-chat.js
 * reads; the <script src> tag that loads pylon-chat.js; and the widget loader.
 *
 * A page is filled in by the caller (app_id, the email or NULL for a visitor, the nonce or
 * NULL, an array of fields), checked and signed by pylon_idv_page_prepare, measured by
 * pylon_idv_page_size and written by pylon_idv_page_render. Keys come out as app_id, email,
 * email_hash, then the fields sorted by their UTF-8 bytes. Nothing is signed before every
 * check has passed; a visitor's page still checks the secret (a bad secret is always loud).
 *
 *   pylon_idv_field f[] = { { "name", 4, PYLON_IDV_VALUE_STRING, 0, "Jane", 4, 0, 0.0, 0 } };
 *   pylon_idv_page p = { 0 };
 *   pylon_idv_page_error err;
 *   p.app_id = "my_app"; p.app_id_len = 6; p.email = "jane@example.com"; p.email_len = 16;
 *   p.fields = f; p.nfields = 1;
 *   if (pylon_idv_page_prepare(&p, signer, NULL, 0, &err) == PYLON_IDV_PAGE_OK) {
 *       char *out = malloc(pylon_idv_page_size(&p, PYLON_IDV_PAGE_DATA));
 *       pylon_idv_page_render(out, &p, PYLON_IDV_PAGE_DATA);     (NUL-terminated)
 *   }
 *
 * examples/c/page.c renders a whole page this way. */

enum {                               /* a field's value */
    PYLON_IDV_VALUE_NONE = 0,        /* checked (its name), then left out */
    PYLON_IDV_VALUE_STRING = 1,      /* str, str_len: UTF-8 text */
    PYLON_IDV_VALUE_BOOL = 2,        /* boolean (0 or not) */
    PYLON_IDV_VALUE_INT = 3,         /* integer, within +-(2^53 - 1) */
    PYLON_IDV_VALUE_INT_HUGE = 4,    /* an integer the caller could not hold in 64 bits: refused */
    PYLON_IDV_VALUE_FLOAT = 5        /* number: finite; written in its shortest round-trip form */
};

typedef struct pylon_idv_field {
    const char *key;
    size_t key_len;
    int type;                        /* PYLON_IDV_VALUE_* */
    int boolean;
    const char *str;
    size_t str_len;
    long long integer;
    double number;
    size_t index;                    /* the caller's own (e.g. the order given): kept through
                                        the sort, so an error can name the caller's field */
} pylon_idv_field;

typedef struct pylon_idv_page {
    const char *app_id; size_t app_id_len;   /* [A-Za-z0-9_-]+ */
    const char *email; size_t email_len;     /* NULL: a visitor who is not logged in */
    const char *nonce; size_t nonce_len;     /* NULL: no nonce attribute (inline script) */
    pylon_idv_field *fields; size_t nfields; /* sorted in place by pylon_idv_page_prepare */
    size_t nout;                             /* set by prepare: fields[0..nout) are written */
    char email_hash[PYLON_IDV_HASH_HEX_SIZE];/* set by prepare: "" for a visitor */
} pylon_idv_page;

enum {                               /* the forms of the settings */
    PYLON_IDV_PAGE_JSON = 0,         /* the JSON text, for a single-page app's endpoint */
    PYLON_IDV_PAGE_SCRIPT = 1,       /* <script[ nonce="N"]>...window.pylon.chat_settings = {...}...</script> */
    PYLON_IDV_PAGE_DATA = 2          /* <script type="application/json" id="pylon-chat-settings">{...}</script> */
};

enum {                               /* the rules a page, a loader or a script tag can break */
    PYLON_IDV_PAGE_OK = 0,
    PYLON_IDV_PAGE_EAPP_ID_EMPTY = 1, PYLON_IDV_PAGE_EAPP_ID_CHAR = 2,
    PYLON_IDV_PAGE_ENONCE_LENGTH = 3, PYLON_IDV_PAGE_ENONCE_CHAR = 4,
    PYLON_IDV_PAGE_EEMAIL_UTF8 = 5,
    PYLON_IDV_PAGE_EKEY_UTF8 = 6, PYLON_IDV_PAGE_EKEY_RESERVED = 7, PYLON_IDV_PAGE_EKEY_PROTO = 8,
    PYLON_IDV_PAGE_EKEY_DUPLICATE = 9,
    PYLON_IDV_PAGE_EVALUE_UTF8 = 10, PYLON_IDV_PAGE_EINT_RANGE = 11, PYLON_IDV_PAGE_EFLOAT = 12,
    PYLON_IDV_PAGE_ESECRET = 13,     /* status: the PYLON_IDV_ESECRET_* */
    PYLON_IDV_PAGE_ETOO_LARGE = 14, PYLON_IDV_PAGE_ECRYPTO = 15,
    PYLON_IDV_PAGE_EINVAL = 16,      /* neither a signer nor a secret */
    PYLON_IDV_PAGE_ESRC = 17         /* a script src that is empty or holds a control character */
};

enum {                               /* what kind of mistake a rule is: each binding maps it */
    PYLON_IDV_KIND_DATA = 0,         /* bad data at run time (an email that is not UTF-8) */
    PYLON_IDV_KIND_USAGE = 1,        /* a programming or configuration mistake (app_id, nonce,
                                        a reserved field name) */
    PYLON_IDV_KIND_TYPE = 2,         /* the wrong kind of argument (no secret or signer) */
    PYLON_IDV_KIND_SECRET = 3,       /* a bad secret (status says which) */
    PYLON_IDV_KIND_MEMORY = 4,       /* too large to allocate */
    PYLON_IDV_KIND_CRYPTO = 5        /* OpenSSL failed */
};

typedef struct pylon_idv_page_error {
    int rule;                        /* PYLON_IDV_PAGE_* */
    int status;                      /* ESECRET: the PYLON_IDV_ESECRET_* status */
    size_t position;                 /* byte offset, for the rules about characters */
    const pylon_idv_field *field;    /* the field concerned, or NULL */
    const char *secret;              /* ESECRET: the caller's secret (not a copy), for the
                                        position in pylon_idv_page_message; valid while it is */
    size_t secret_len;
} pylon_idv_page_error;

/* Every check (app_id, nonce, email, each field), then the hash with signer (if not NULL) or
 * secret_hex. PYLON_IDV_PAGE_OK, or the rule broken, described in *err. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int    pylon_idv_page_prepare(pylon_idv_page *page, const pylon_idv_signer *signer,
                              const char *secret_hex, size_t secret_hex_len,
                              pylon_idv_page_error *err);
/* Bytes pylon_idv_page_render needs for form (its NUL included); 0 if beyond SIZE_MAX. */
PYLON_IDV_API
size_t pylon_idv_page_size(const pylon_idv_page *page, int form);
/* Write form's text, NUL-terminated, into out (pylon_idv_page_size bytes); its length. */
PYLON_IDV_API
size_t pylon_idv_page_render(char *out, const pylon_idv_page *page, int form);

/* The widget loader: an inline script that defines the window.Pylon command queue and loads
 * https://widget.usepylon.com/widget/<app_id>, with the nonce (may be NULL) on both scripts.
 * check: PYLON_IDV_PAGE_OK or the rule broken (app_id, nonce); size: bytes with the NUL (0 if
 * beyond SIZE_MAX); render: the length written. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int    pylon_idv_widget_check(const char *app_id, size_t app_id_len,
                              const char *nonce, size_t nonce_len, pylon_idv_page_error *err);
PYLON_IDV_API
size_t pylon_idv_widget_size(size_t app_id_len, size_t nonce_len);
PYLON_IDV_API
size_t pylon_idv_widget_render(char *out, const char *app_id, size_t app_id_len,
                               const char *nonce, size_t nonce_len);

/* The tag that loads pylon-chat.js from the site's own origin: <script src="SRC"[ nonce="N"]>
 * </script>, src escaped as an HTML attribute (& < > " '). src must be non-empty with no
 * control character or space (ESRC); the nonce as above. Same trio as the loader. */
PYLON_IDV_API PYLON_IDV_NODISCARD
int    pylon_idv_script_tag_check(const char *src, size_t src_len,
                                  const char *nonce, size_t nonce_len, pylon_idv_page_error *err);
PYLON_IDV_API
size_t pylon_idv_script_tag_size(size_t src_len, size_t nonce_len);
PYLON_IDV_API
size_t pylon_idv_script_tag_render(char *out, const char *src, size_t src_len,
                                   const char *nonce, size_t nonce_len);

/* The kind of mistake a rule is (PYLON_IDV_KIND_*). */
PYLON_IDV_API
int    pylon_idv_page_error_kind(int rule);
/* The message for err, with no prefix, never any part of a value or a secret (a field is
 * named only when its name is plain: 1 to 64 of A-Z a-z 0-9 _ . -): "app_id may hold only
 * A-Z a-z 0-9 _ - (...): invalid character at byte 3", "invalid secret: odd number of hex
 * digits". Writes at most size bytes, NUL included; returns out. */
#define PYLON_IDV_PAGE_MESSAGE_SIZE 256
PYLON_IDV_API
const char *pylon_idv_page_message(char *out, size_t size, const pylon_idv_page_error *err);
/* "field 'name'", or "a field (its name is not shown)" when the name is not plain: for a
 * binding's own messages about a field (a value of the wrong type). Returns out. */
PYLON_IDV_API
const char *pylon_idv_field_label(char *out, size_t size, const char *key, size_t key_len);

/* Sizes a binding may use to bound the output before it collects the fields: a string of n
 * bytes takes at most PYLON_IDV_JSON_STRING_SIZE(n) bytes as a JSON string (quotes and NUL
 * included), a number at most PYLON_IDV_NUMBER_SIZE, and each form at most
 * PYLON_IDV_PAGE_FIXED_SIZE bytes of fixed text besides the nonce. */
#define PYLON_IDV_JSON_STRING_SIZE(n) (6 * (n) + 3)
/* in[0..n) as a JSON string literal, quotes included, that is safe inside an inline <script>:
 * " \ and controls escaped, and also < > & U+2028 U+2029 as \u escapes, so that neither
 * </script> nor <!-- can end or change the element; invalid UTF-8 becomes U+FFFD. out needs
 * PYLON_IDV_JSON_STRING_SIZE(n) bytes; returns the length written (a NUL follows). */
PYLON_IDV_API
size_t pylon_idv_json_string(char *out, const char *in, size_t n);
#define PYLON_IDV_NUMBER_SIZE 32
#define PYLON_IDV_PAGE_FIXED_SIZE 1024

/* ============================================================================= the policy
 *
 * The Content-Security-Policy sources the widget needs, directive by directive, as Pylon's
 * chat setup page lists them (connect-src, script-src, font-src, style-src, img-src): one
 * static table that every binding reads, so a policy helper never keeps its own copy.
 * sources is the directive's value, source expressions separated by one space. The table
 * and its strings are static (never freed, never written); *count (may be NULL) receives
 * the number of entries. pylon-chat.js, served from the site's own origin, is covered by
 * script-src's 'self'. */
typedef struct pylon_idv_csp_source {
    const char *directive;           /* "script-src" */
    const char *sources;             /* "'self' https://widget.usepylon.com" */
} pylon_idv_csp_source;
PYLON_IDV_API
const pylon_idv_csp_source *pylon_idv_csp_sources(size_t *count);

/* ====================================================================== the problems
 *
 * The configuration problems the integrations report (Django's checks, Flask, Jinja2,
 * OpenResty), each with its id, what is wrong and how to fix it: one static table that
 * every integration reads, so an id means the same thing everywhere and no text is kept
 * twice. key names the problem ("secret_missing"); id is what users see ("E001": an error,
 * the integration does not run; "W002": a warning). text and fix hold {name} placeholders
 * the integration fills with its own words (the setting's name in that framework, the
 * command that makes a secret, a configuration's fix on that platform): a '{' stands only
 * in a placeholder. The table and its strings are static (never freed, never written);
 * *count (may be NULL) receives the number of entries. */
typedef struct pylon_idv_problem {
    const char *key;                 /* "secret_missing" */
    const char *id;                  /* "E001" */
    const char *text;                /* "the environment variable {env} is not set ..." */
    const char *fix;                 /* "set {env} to the identity secret ..." */
} pylon_idv_problem;
PYLON_IDV_API
const pylon_idv_problem *pylon_idv_problems(size_t *count);

#ifdef __cplusplus
}
#endif
#endif /* PYLON_IDV_H */
