/* test_page.c -- the page builder (core/src/settings.c) against the golden files
 * tests/vectors/page.tsv (settings in, exact bytes out) and page_errors.tsv (one bad input per
 * rule: the rule and the exact message), with the secret as text and as a signer; then
 * number formatting: 100k random doubles read back exactly, and the shortest form.
 *
 *   test_page VECTORS_DIR
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SECRET "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
#define MAXF 64

static int failures, checks;

static void check(int ok, const char *what, const char *name)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL %s: %s\n", name, what);
    }
}

/* Hex text -> bytes in place; returns the length. */
static size_t unhex(char *s)
{
    size_t n = strlen(s), i;
    for (i = 0; i + 1 < n; i += 2) {
        unsigned v;
        sscanf(s + i, "%2x", &v);
        s[i / 2] = (char)v;
    }
    return n / 2;
}

static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    f[n++] = p;
    while ((p = strchr(p, '\t')) != NULL && n < max) { *p++ = '\0'; f[n++] = p; }
    return n;
}

/* "t:keyhex:value,..." -> fields; strings decoded in place. */
static size_t parse_fields(char *s, pylon_idv_field *fs)
{
    size_t n = 0;
    char *item = s, *next;
    if (*s == '\0') return 0;
    for (; item != NULL && n < MAXF; item = next) {
        char *k, *v;
        pylon_idv_field *f = &fs[n++];
        next = strchr(item, ',');
        if (next != NULL) *next++ = '\0';
        memset(f, 0, sizeof *f);
        k = strchr(item, ':') + 1;
        v = strchr(k, ':');
        *v++ = '\0';
        f->key = k; f->key_len = unhex(k);
        f->index = n - 1;
        switch (item[0]) {
        case 's': f->type = PYLON_IDV_VALUE_STRING; f->str = v; f->str_len = unhex(v); break;
        case 'b': f->type = PYLON_IDV_VALUE_BOOL; f->boolean = strcmp(v, "true") == 0; break;
        case 'i': {
            /* beyond 64 bits: what a binding passes for an integer it cannot hold */
            double d = strtod(v, NULL);
            if (fabs(d) >= 9223372036854775807.0 && strcmp(v, "9223372036854775807") != 0)
                f->type = PYLON_IDV_VALUE_INT_HUGE;
            else { f->type = PYLON_IDV_VALUE_INT; f->integer = strtoll(v, NULL, 10); }
            break;
        }
        case 'f': f->type = PYLON_IDV_VALUE_FLOAT; f->number = strtod(v, NULL); break;
        default: f->type = PYLON_IDV_VALUE_NONE;
        }
    }
    return n;
}

static int kind_of(const char *k)
{
    if (strcmp(k, "script") == 0) return PYLON_IDV_PAGE_SCRIPT;
    if (strcmp(k, "data") == 0) return PYLON_IDV_PAGE_DATA;
    if (strcmp(k, "widget") == 0) return -1;
    return PYLON_IDV_PAGE_JSON;
}

#define RULE_COUNT (PYLON_IDV_PAGE_ESRC + 1)
static const char *rule_names[RULE_COUNT] = {
    "OK", "EAPP_ID_EMPTY", "EAPP_ID_CHAR", "ENONCE_LENGTH", "ENONCE_CHAR", "EEMAIL_UTF8",
    "EKEY_UTF8", "EKEY_RESERVED", "EKEY_PROTO", "EKEY_DUPLICATE", "EVALUE_UTF8", "EINT_RANGE",
    "EFLOAT", "ESECRET", "ETOO_LARGE", "ECRYPTO", "EINVAL", "ESRC"
};

/* One row through the builder: status, and the text in *out (malloc'd) or the message. */
static int run(char **f, int with_signer, const char *secret, size_t secret_len,
               char **out, size_t *out_len, char msg[PYLON_IDV_PAGE_MESSAGE_SIZE])
{
    static pylon_idv_field fs[MAXF];
    pylon_idv_page p;
    pylon_idv_page_error err;
    pylon_idv_signer *signer = NULL;
    int kind = kind_of(f[1]), rc;
    size_t size;

    memset(&p, 0, sizeof p);
    if (strcmp(f[2], "-") != 0) { p.email = f[2]; p.email_len = unhex(f[2]); }
    p.app_id = f[3]; p.app_id_len = unhex(f[3]);
    if (strcmp(f[4], "-") != 0) { p.nonce = f[4]; p.nonce_len = unhex(f[4]); }
    p.fields = fs;
    p.nfields = parse_fields(f[5], fs);
    *out = NULL;
    msg[0] = '\0';
    if (kind < 0) {
        rc = pylon_idv_widget_check(p.app_id, p.app_id_len, p.nonce, p.nonce_len, &err);
        if (rc != PYLON_IDV_PAGE_OK) { pylon_idv_page_message(msg, PYLON_IDV_PAGE_MESSAGE_SIZE, &err); return rc; }
        size = pylon_idv_widget_size(p.app_id_len, p.nonce_len);
        *out = malloc(size);
        *out_len = pylon_idv_widget_render(*out, p.app_id, p.app_id_len, p.nonce, p.nonce_len);
        if (*out_len + 1 > size) { failures++; printf("FAIL widget size\n"); }
        return PYLON_IDV_PAGE_OK;
    }
    if (with_signer && pylon_idv_signer_new(&signer, secret, secret_len) != PYLON_IDV_OK)
        signer = NULL;                                   /* a bad secret: test it as text */
    rc = pylon_idv_page_prepare(&p, signer, signer ? NULL : secret, secret_len, &err);
    pylon_idv_signer_free(signer);
    if (rc != PYLON_IDV_PAGE_OK) { pylon_idv_page_message(msg, PYLON_IDV_PAGE_MESSAGE_SIZE, &err); return rc; }
    size = pylon_idv_page_size(&p, kind);
    *out = malloc(size);
    *out_len = pylon_idv_page_render(*out, &p, kind);
    if (*out_len + 1 > size || strlen(*out) > *out_len) { failures++; printf("FAIL size\n"); }
    return PYLON_IDV_PAGE_OK;
}

static FILE *open_vec(const char *dir, const char *name)
{
    char path[4096];
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "rb");
    if (fp == NULL) { printf("cannot open %s\n", path); exit(2); }
    return fp;
}

static char line[1 << 16];

static void golden(const char *dir)
{
    FILE *fp = open_vec(dir, "page.tsv");
    int rows = 0, s;
    while (fgets(line, sizeof line, fp) != NULL) {
        char *f[8], copy[sizeof line], *out, msg[PYLON_IDV_PAGE_MESSAGE_SIZE];
        size_t n, want_len;
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = '\0';
        for (s = 0; s < 2; s++) {
            strcpy(copy, line);
            if (split(copy, f, 8) != 7) { check(0, "7 columns", line); break; }
            want_len = unhex(f[6]);
            if (run(f, s, SECRET, strlen(SECRET), &out, &n, msg) != PYLON_IDV_PAGE_OK) {
                check(0, msg, f[0]);
                continue;
            }
            check(n == want_len && memcmp(out, f[6], n) == 0,
                  s ? "exact bytes (signer)" : "exact bytes (secret text)", f[0]);
            if (n != want_len || memcmp(out, f[6], n) != 0)
                printf("  got  %.*s\n  want %.*s\n", (int)n, out, (int)want_len, f[6]);
            free(out);
        }
        rows++;
    }
    fclose(fp);
    printf("page.tsv: %d rows\n", rows);
    check(rows >= 60, "page.tsv has its rows", "page.tsv");
}

static void errors(const char *dir)
{
    FILE *fp = open_vec(dir, "page_errors.tsv");
    int rows = 0, s;
    while (fgets(line, sizeof line, fp) != NULL) {
        char *f[13], copy[sizeof line], *out, msg[PYLON_IDV_PAGE_MESSAGE_SIZE], secret[512];
        size_t n, secret_len;
        int rc, kind;
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = '\0';
        for (s = 0; s < 2; s++) {
            strcpy(copy, line);
            if (split(copy, f, 13) != 12) { check(0, "12 columns", line); break; }
            if (strcmp(f[6], "-") == 0) { strcpy(secret, SECRET); secret_len = strlen(SECRET); }
            else { strcpy(secret, f[6]); secret_len = unhex(secret); }
            rc = run(f, s, secret, secret_len, &out, &n, msg);
            free(out);
            check(rc > 0 && rc < RULE_COUNT && strcmp(rule_names[rc], f[7]) == 0,
                  "the rule", f[0]);
            check(strcmp(msg, f[10]) == 0, "the message", f[0]);
            if (strcmp(msg, f[10]) != 0) printf("  got  %s\n  want %s\n", msg, f[10]);
            /* the neutral kind, as each binding maps it */
            kind = pylon_idv_page_error_kind(rc);
            check((kind != PYLON_IDV_KIND_DATA && kind != PYLON_IDV_KIND_SECRET)
                  == (strcmp(f[9], "raise") == 0), "Lua raises or returns nil, err", f[0]);
            check((kind == PYLON_IDV_KIND_TYPE) == (strcmp(f[8], "TypeError") == 0),
                  "Python TypeError or not", f[0]);
            check((kind == PYLON_IDV_KIND_SECRET) == (strcmp(f[8], "InvalidSecretError") == 0),
                  "a secret's error", f[0]);
            check(strstr(msg, SECRET) == NULL && (secret_len < 12 || strstr(msg, "8f3a5be1c0d2") == NULL),
                  "no secret in the message", f[0]);
        }
        rows++;
    }
    fclose(fp);
    printf("page_errors.tsv: %d rows\n", rows);
    check(rows >= 30, "page_errors.tsv has its rows", "page_errors.tsv");
}

/* The same settings object whatever order the fields come in; the order given is kept in
 * .index; NONE dropped; duplicates refused; a too-large size is 0, not a wrap-around. */
static void three_fields(pylon_idv_field fs[3], pylon_idv_page *p, const char *third)
{
    memset(p, 0, sizeof *p);
    memset(fs, 0, 3 * sizeof *fs);
    fs[0].key = "b"; fs[0].key_len = 1; fs[0].type = PYLON_IDV_VALUE_INT; fs[0].integer = 1; fs[0].index = 0;
    fs[1].key = "a"; fs[1].key_len = 1; fs[1].type = PYLON_IDV_VALUE_NONE; fs[1].index = 1;
    fs[2].key = third; fs[2].key_len = 1; fs[2].type = PYLON_IDV_VALUE_BOOL; fs[2].index = 2;
    p->app_id = "x"; p->app_id_len = 1; p->fields = fs; p->nfields = 3;
}

static void properties(void)
{
    pylon_idv_field fs[3];
    pylon_idv_page p;
    pylon_idv_page_error err;
    char out[512];
    three_fields(fs, &p, "a");
    check(pylon_idv_page_prepare(&p, NULL, SECRET, strlen(SECRET), &err) == PYLON_IDV_PAGE_EKEY_DUPLICATE,
          "duplicate names refused", "properties");
    three_fields(fs, &p, "c");
    check(pylon_idv_page_prepare(&p, NULL, SECRET, strlen(SECRET), &err) == PYLON_IDV_PAGE_OK, "ok", "properties");
    check(p.nout == 2 && fs[0].index == 0 && fs[1].index == 2, "sorted, NONE dropped", "properties");
    pylon_idv_page_render(out, &p, PYLON_IDV_PAGE_JSON);
    check(strcmp(out, "{\"app_id\":\"x\",\"b\":1,\"c\":false}") == 0, "anonymous JSON", "properties");
    check(p.email_hash[0] == '\0', "no hash for a visitor", "properties");
    three_fields(fs, &p, "c");
    check(pylon_idv_page_prepare(&p, NULL, NULL, 0, &err) == PYLON_IDV_PAGE_EINVAL, "no secret, no signer",
          "properties");
    three_fields(fs, &p, "c");
    check(pylon_idv_page_prepare(&p, NULL, SECRET, strlen(SECRET), &err) == PYLON_IDV_PAGE_OK, "ok", "properties");
    fs[0].type = PYLON_IDV_VALUE_STRING; fs[0].str = "x"; fs[0].str_len = SIZE_MAX / 2;
    check(pylon_idv_page_size(&p, PYLON_IDV_PAGE_SCRIPT) == 0, "overflowing size is 0", "properties");
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next64(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

static void numbers(void)
{
    static const struct { double x; const char *want; } known[] = {
        { 0.1, "0.1" }, { 1.0, "1" }, { -2.5, "-2.5" }, { 1e21, "1e+21" },
        { 1e20, "100000000000000000000" }, { 1e-7, "1e-7" }, { 1e-6, "0.000001" },
        { 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
        { 0.30000000000000004, "0.30000000000000004" }, { -0.0, "-0" }, { 0.0, "0" },
        { 9007199254740993.0, "9007199254740992" }, { 1152921504606846976.0, "1152921504606847000" },
        /* powers of two: the interval below is half the one above */
        { 9007199254740992.0 * 2, "18014398509481984" }, { 8.41e21, "8.41e+21" },
        { 2.2250738585072014e-308, "2.2250738585072014e-308" },
    };
    size_t i;
    long bad = 0, shorter = 0;
    char out[PYLON_IDV_NUMBER_SIZE], alt[40];
    for (i = 0; i < sizeof known / sizeof known[0]; i++) {
        pi_format_double(out, known[i].x);
        check(strcmp(out, known[i].want) == 0, known[i].want, "numbers");
        if (strcmp(out, known[i].want) != 0) printf("  got %s\n", out);
    }
    /* Random bit patterns (every exponent): read back exactly, and no %.{p}g shorter. */
    for (i = 0; i < 100000; i++) {
        uint64_t u = next64();
        double x;
        size_t n;
        int p, digits = 0;
        const char *c;
        memcpy(&x, &u, sizeof x);
        if (!isfinite(x)) continue;
        n = pi_format_double(out, x);
        if (n >= PYLON_IDV_NUMBER_SIZE || strtod(out, NULL) != x) { if (bad++ < 5) printf("  %a -> %s\n", x, out); }
        for (c = out; *c != '\0' && *c != 'e'; c++) if (*c >= '0' && *c <= '9') digits++;
        /* count significant digits (leading zeros of 0.000x are not) */
        for (c = out; *c == '-' || *c == '0' || *c == '.'; c++) if (*c == '0') digits--;
        if (x != 0 && strchr(out, 'e') == NULL && strchr(out, '.') == NULL) {
            /* integer form: trailing zeros are not significant */
            for (c = out + n - 1; c > out && *c == '0'; c--) digits--;
        }
        for (p = 1; p < digits && x != 0; p++) {
            snprintf(alt, sizeof alt, "%.*e", p - 1, x);
            if (strtod(alt, NULL) == x) { if (shorter++ < 5) printf("  %a: %s shorter than %s\n", x, alt, out); break; }
        }
    }
    check(bad == 0, "100k random doubles read back exactly", "numbers");
    check(shorter == 0, "none has a shorter printf form that reads back", "numbers");
}

int main(int argc, char **argv)
{
    if (argc != 2) { printf("usage: test_page VECTORS_DIR\n"); return 2; }
    golden(argv[1]);
    errors(argv[1]);
    properties();
    numbers();
    printf("test_page: %d checks, %d failed\n", checks, failures);
    return failures != 0;
}
