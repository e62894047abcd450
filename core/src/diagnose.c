/*
 * diagnose.c -- "why doesn't my hash match?"
 *
 * Recomputes the usual integration mistakes and names the first that explains the given hash.
 * A developer tool, not a request-path check: it is not constant time, and it answers
 * questions about the secret's relation to a hash, so never expose it on an endpoint.
 * It never fails on data and never reports any part of the secret.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

typedef struct {
    const char *hash;     /* what the caller has */
    size_t hash_len;
} given;

static int lower_ascii(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int upper_ascii(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }
static int is_ws(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Is the given hash the hex (either case) of tag[n]? */
static int is_hex_of(const given *g, const unsigned char *tag, size_t n)
{
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    size_t i;
    if (g->hash_len != 2 * n) return 0;
    pi_hex_encode(hex, tag, n);
    for (i = 0; i < 2 * n; i++)
        if (lower_ascii((unsigned char)g->hash[i]) != hex[i]) return 0;
    return 1;
}

static void base64(char *out, const unsigned char *in, size_t n, int url, int pad)
{
    const char *std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *a = url ? safe : std;
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18]; out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63]; out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = a[v >> 18]; out[o++] = a[(v >> 12) & 63];
        if (pad) { out[o++] = '='; out[o++] = '='; }
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = a[v >> 18]; out[o++] = a[(v >> 12) & 63]; out[o++] = a[(v >> 6) & 63];
        if (pad) out[o++] = '=';
    }
    out[o] = '\0';
}

static int is_base64_of(const given *g, const unsigned char *tag, size_t n)
{
    char b[4 * (PI_TAG + 2) / 3 + 4];
    int url, pad;
    for (url = 0; url < 2; url++)
        for (pad = 0; pad < 2; pad++) {
            base64(b, tag, n, url, pad);
            if (strlen(b) == g->hash_len && memcmp(b, g->hash, g->hash_len) == 0) return 1;
        }
    return 0;
}

/* HMAC with md of msg under key; 1 if the given hash is its hex. */
static int explains(const given *g, const EVP_MD *md, const void *key, size_t key_len,
                    const void *msg, size_t msg_len)
{
    unsigned char tag[EVP_MAX_MD_SIZE], empty = 0;
    unsigned int n = 0;
    int r;
    if (HMAC(md, key_len ? key : &empty, (int)key_len, msg_len ? msg : &empty, msg_len,
             tag, &n) == NULL)
        return 0;
    r = is_hex_of(g, tag, n);
    OPENSSL_cleanse(tag, sizeof tag);
    return r;
}

/* Decode hex pairs as Node's Buffer.from(s, "hex") does: stop at the first bad pair. */
static size_t node_hex(unsigned char *out, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i + 1 < n; i += 2) {
        if (!pi_hex_decode(out + i / 2, s + i, 1)) break;
    }
    return i / 2;
}

static int email_variants(const given *g, const void *key, size_t key_len,
                          const char *email, size_t email_len, char *buf)
{
    size_t i, a = 0, b = email_len;
    int changed;
    const EVP_MD *md = EVP_sha256();

    for (changed = 0, i = 0; i < email_len; i++) {
        buf[i] = (char)lower_ascii((unsigned char)email[i]);
        changed |= buf[i] != email[i];
    }
    if (changed && explains(g, md, key, key_len, buf, email_len)) return PYLON_IDV_CAUSE_EMAIL_CASE;
    for (changed = 0, i = 0; i < email_len; i++) {
        buf[i] = (char)upper_ascii((unsigned char)email[i]);
        changed |= buf[i] != email[i];
    }
    if (changed && explains(g, md, key, key_len, buf, email_len)) return PYLON_IDV_CAUSE_EMAIL_CASE;
    while (a < b && is_ws((unsigned char)email[a])) a++;
    while (b > a && is_ws((unsigned char)email[b - 1])) b--;
    if ((a > 0 || b < email_len) && explains(g, md, key, key_len, email + a, b - a))
        return PYLON_IDV_CAUSE_EMAIL_WHITESPACE;
    return -1;
}

int pylon_idv_diagnose(const char *email, size_t email_len,
                       const char *secret_hex, size_t secret_hex_len,
                       const char *hash, size_t hash_len)
{
    given g;
    unsigned char *key = NULL, tag[EVP_MAX_MD_SIZE];
    char *buf = NULL;
    size_t lo = 0, hi = secret_hex_len, key_len = 0, pos;
    int cause = PYLON_IDV_CAUSE_UNKNOWN, status, c;
    unsigned int n = 0;

    if ((email == NULL && email_len) || (secret_hex == NULL && secret_hex_len))
        return PYLON_IDV_CAUSE_UNKNOWN;
    g.hash = hash ? hash : "";
    g.hash_len = hash ? hash_len : 0;
    if (secret_hex == NULL) secret_hex = "";
    if (email == NULL) email = "";
    pi_secret_trim(secret_hex, secret_hex_len, &lo, &hi);   /* the contract's trimming */

    key = (unsigned char *)malloc(secret_hex_len / 2 + 1);
    buf = (char *)malloc(email_len + 1);
    if (key == NULL || buf == NULL) goto done;

    status = pi_secret_check(secret_hex, secret_hex_len, &pos);
    if (status == 0) {
        key_len = (hi - lo) / 2;
        (void)pi_hex_decode(key, secret_hex + lo, key_len);
        if (!HMAC(EVP_sha256(), key, (int)key_len, email_len ? (const unsigned char *)email
                  : tag, email_len, tag, &n))
            goto done;
        if (is_hex_of(&g, tag, n)) { cause = PYLON_IDV_CAUSE_MATCH; goto done; }
    }
    /* The secret's text as the key (Intercom-style), as given or trimmed. */
    if (explains(&g, EVP_sha256(), secret_hex, secret_hex_len, email, email_len)
        || explains(&g, EVP_sha256(), secret_hex + lo, hi - lo, email, email_len)) {
        cause = PYLON_IDV_CAUSE_RAW_SECRET; goto done;
    }
    if (status == 0) {
        c = email_variants(&g, key, key_len, email, email_len, buf);
        if (c >= 0) { cause = c; goto done; }
        if (explains(&g, EVP_sha1(), key, key_len, email, email_len)
            || explains(&g, EVP_md5(), key, key_len, email, email_len)) {
            cause = PYLON_IDV_CAUSE_WRONG_ALGORITHM; goto done;
        }
        if (is_base64_of(&g, tag, n)) { cause = PYLON_IDV_CAUSE_BASE64_DIGEST; goto done; }
    }
    if (explains(&g, EVP_sha256(), email, email_len, secret_hex, secret_hex_len)
        || explains(&g, EVP_sha256(), email, email_len, secret_hex + lo, hi - lo)) {
        cause = PYLON_IDV_CAUSE_ARGUMENTS_SWAPPED; goto done;
    }
    if (status != 0) {
        size_t k = node_hex(key, secret_hex, secret_hex_len);
        if (explains(&g, EVP_sha256(), key, k, email, email_len)) {
            cause = PYLON_IDV_CAUSE_TRUNCATED_SECRET; goto done;
        }
        k = node_hex(key, secret_hex + lo, hi - lo);
        cause = explains(&g, EVP_sha256(), key, k, email, email_len)
              ? PYLON_IDV_CAUSE_TRUNCATED_SECRET : PYLON_IDV_CAUSE_INVALID_SECRET;
    }
done:
    if (key) { OPENSSL_cleanse(key, secret_hex_len / 2 + 1); free(key); }
    free(buf);
    OPENSSL_cleanse(tag, sizeof tag);
    return cause;
}

static const struct { const char *name, *message; } causes[] = {
    { "match", "The hash matches: it is HMAC-SHA256 of this exact email under this secret." },
    { "raw_secret", "The hash was made with the secret's text used as the key bytes, not its "
      "hex-decoded bytes (as Intercom-style snippets do). Decode the secret from hex before "
      "keying HMAC: Buffer.from(secret, \"hex\"), bytes.fromhex(secret)." },
    { "email_case", "The hash is of the email with its letters lower- or upper-cased. Hash the "
      "email exactly as it is passed to the widget, with no case change on either side." },
    { "email_whitespace", "The hash is of the email without its surrounding whitespace. Trim "
      "the email once, before both signing it and passing it to the widget." },
    { "wrong_algorithm", "The hash is HMAC-SHA1 or HMAC-MD5 with the right key, not "
      "HMAC-SHA256. Ask for SHA-256 explicitly: many helper libraries default to SHA-1 or MD5." },
    { "base64_digest", "The hash is the right HMAC-SHA256 tag, but base64-encoded. Encode the "
      "digest as lowercase hex (digest(\"hex\"), hexdigest())." },
    { "arguments_swapped", "The email was used as the key and the secret as the message: the "
      "arguments are swapped. Key HMAC with the decoded secret and hash the email." },
    { "truncated_secret", "The secret is not valid hex, and the hash was made from its "
      "decoding up to the first bad character, as Node's Buffer.from(secret, \"hex\") silently "
      "does. Fix the configured secret: hex digits only, normally 64." },
    { "invalid_secret", "The secret is not valid hex (empty, an odd number of digits, or a "
      "character that is not a hex digit) and no known mistake explains the hash. Check the "
      "configured secret." },
    { "unknown", "No known mistake explains this hash. Check that both sides run the same "
      "secret (compare `pylon-idv fingerprint`) and hash the same email bytes." },
};

/* The causes are numbered explicitly (UNKNOWN is 99): the table holds 0..INVALID_SECRET in
 * order, then "unknown", which every other value maps to. */
#define N_CAUSES (sizeof causes / sizeof causes[0])
typedef char pi_causes_in_order[N_CAUSES == PYLON_IDV_CAUSE_INVALID_SECRET + 2 ? 1 : -1];

static size_t cause_index(int cause)
{
    if (cause < 0 || (size_t)cause >= N_CAUSES - 1) return N_CAUSES - 1;
    return (size_t)cause;
}

const char *pylon_idv_cause_name(int cause)
{
    return causes[cause_index(cause)].name;
}

const char *pylon_idv_cause_message(int cause)
{
    return causes[cause_index(cause)].message;
}
