/* check.h -- the C tests' few helpers: checks that count, the HMAC oracle, vector files, hex. */
#ifndef PYLON_IDV_TEST_CHECK_H
#define PYLON_IDV_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#if defined(__GNUC__)
#  define CHECK_UNUSED __attribute__((unused))   /* not every test uses every helper */
#else
#  define CHECK_UNUSED
#endif

static int check_failures, check_count;

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failures++; \
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_MSG(cond, ...) do { check_count++; if (!(cond)) { check_failures++; \
    fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* pylon_idv_signer_match as one number: the matched index, or -1 for no match. */
#include "pylon_idv.h"
CHECK_UNUSED static int match_idx(const pylon_idv_signer *s, const char *e, size_t en,
                                  const char *h, size_t hn)
{
    size_t which = 99;
    if (pylon_idv_signer_match(s, e, en, h, hn, &which) != 1) return which == 0 ? -1 : -2;
    return (int)which;
}

/* The oracle: OpenSSL's one-shot HMAC(), as 64 lowercase hex digits and a NUL. */
CHECK_UNUSED static void oracle(char out[65], const void *key, size_t klen, const void *msg,
                                size_t mlen)
{
    unsigned char tag[32], z = 0;
    unsigned int n = 0;
    static const char *hx = "0123456789abcdef";
    int i;
    HMAC(EVP_sha256(), klen ? key : &z, (int)klen, mlen ? (const unsigned char *)msg : &z,
         mlen, tag, &n);
    for (i = 0; i < 32; i++) { out[2 * i] = hx[tag[i] >> 4]; out[2 * i + 1] = hx[tag[i] & 15]; }
    out[64] = '\0';
}

CHECK_UNUSED static int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

CHECK_UNUSED static int unhex_nibble(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode hex text into a new buffer (NUL-terminated for convenience); *len = bytes. */
CHECK_UNUSED static char *unhex(const char *s, size_t *len)
{
    size_t n = strlen(s) / 2, i;
    char *out = (char *)malloc(n + 1);
    if (!out) abort();
    for (i = 0; i < n; i++)
        out[i] = (char)(unhex_nibble(s[2 * i]) << 4 | unhex_nibble(s[2 * i + 1]));
    out[n] = '\0';
    *len = n;
    return out;
}

/* Read a .tsv vector file: calls row(fields, nfields, ctx) for each non-comment line. */
#define MAX_FIELDS 8
CHECK_UNUSED static int read_tsv(const char *dir, const char *name,
                    void (*row)(char **f, int n, void *ctx), void *ctx)
{
    char path[4096], *line = NULL;
    size_t cap = 0;
    long got;
    int rows = 0;
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "r");
    if (!fp) { fprintf(stderr, "cannot open %s\n", path); check_failures++; return 0; }
    while ((got = (long)getline(&line, &cap, fp)) >= 0) {
        char *f[MAX_FIELDS], *p = line;
        int n = 0;
        if (got > 0 && line[got - 1] == '\n') line[got - 1] = '\0';
        if (line[0] == '#') continue;
        f[n++] = p;
        while ((p = strchr(p, '\t')) != NULL && n < MAX_FIELDS) { *p++ = '\0'; f[n++] = p; }
        row(f, n, ctx);
        rows++;
    }
    free(line);
    fclose(fp);
    return rows;
}

/* A seeded generator so that a failure reproduces. */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;
CHECK_UNUSED static unsigned long long rng(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}

#endif
