/*
 * test_paths.c -- every SHA-256 compression path (SHA-NI, ARMv8, OpenSSL, portable) against
 * OpenSSL's one-shot HMAC(), each forced in turn (pi_force_path), so a path this CPU would
 * not pick is checked too. Built from the core sources (the switch is internal).
 *
 *   test_paths VECTORS_DIR [--require PATH...]
 *
 * For each path: the shared vectors (tests/vectors/hmac_sha256.tsv, crossref.tsv) through
 * signer sign/verify/match and the one-shot calls; every email length 0..300 under short,
 * 32-byte, 64-byte and hashed long keys; emails that end at the last byte of a readable page
 * and start at the first (a guard page on either side), so an over-read of the short path is
 * a crash, not a silent bug; and signers made under one path used under another (the key
 * layout is the same for all). --require PATH fails unless that path ran (the qemu and CI
 * runs use it so a path can never be skipped silently).
 */
#define _GNU_SOURCE 1
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/hmac.h>
#include <openssl/evp.h>

#include "internal.h"
#include "check.h"

static void hexify(char *out, const unsigned char *in, size_t n)
{
    static const char *hx = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) { out[2 * i] = hx[in[i] >> 4]; out[2 * i + 1] = hx[in[i] & 15]; }
    out[2 * n] = '\0';
}

static const char *cur_path;
static long n_cases;

/* email under the raw key, by every API, against the oracle. */
static void check_one(const unsigned char *key, size_t klen, const char *email, size_t elen)
{
    char want[65], h[65], secret[2 * 200 + 1], upper[65];
    pylon_idv_signer *s = NULL, *r = NULL;
    size_t i;

    n_cases++;
    oracle(want, key, klen, email, elen);
    memcpy(upper, want, 65);
    for (i = 0; i < 64; i++) if (upper[i] >= 'a') upper[i] = (char)(upper[i] - 32);
    CHECK(pylon_idv_signer_new_from_key(&r, key, klen) == 0);
    CHECK(pylon_idv_signer_sign(r, h, email, elen) == 0);
    CHECK_MSG(strcmp(h, want) == 0, "%s: from_key sign, key %zu, email %zu", cur_path, klen, elen);
    CHECK(pylon_idv_signer_verify(r, email, elen, want, 64) == 1);
    CHECK(pylon_idv_signer_verify(r, email, elen, upper, 64) == 1);
    want[5] ^= 1;
    CHECK(pylon_idv_signer_verify(r, email, elen, want, 64) == 0);
    want[5] ^= 1;
    if (klen <= 200) {                           /* the same through the hex API */
        hexify(secret, key, klen);
        CHECK(pylon_idv_signer_new(&s, secret, 2 * klen) == 0);
        CHECK(pylon_idv_signer_sign(s, h, email, elen) == 0);
        CHECK_MSG(strcmp(h, want) == 0, "%s: signer, key %zu, email %zu", cur_path, klen, elen);
        CHECK(match_idx(s, email, elen, want, 64) == 0);
        CHECK(pylon_idv_sign(h, email, elen, secret, 2 * klen) == 0);
        CHECK_MSG(strcmp(h, want) == 0, "%s: one-shot, key %zu, email %zu", cur_path, klen, elen);
        CHECK(pylon_idv_verify(email, elen, secret, 2 * klen, upper, 64) == 1);
        pylon_idv_signer_free(s);
    }
    pylon_idv_signer_free(r);
}

static void public_row(char **f, int n, void *ctx)
{
    size_t klen, mlen;
    char *key, *msg, h[65];
    pylon_idv_signer *s = NULL;
    (void)ctx;
    if (n != 6) { CHECK(n == 6); return; }
    key = unhex(f[3], &klen);
    msg = unhex(f[4], &mlen);
    CHECK(pylon_idv_signer_new(&s, f[3], strlen(f[3])) == 0);
    if (strcmp(f[2], "sign") == 0) {
        CHECK(pylon_idv_signer_sign(s, h, msg, mlen) == 0);
        CHECK_MSG(strcmp(h, f[5]) == 0, "%s: %s %s", cur_path, f[0], f[1]);
        CHECK(pylon_idv_verify(msg, mlen, f[3], strlen(f[3]), f[5], strlen(f[5])) == 1);
        check_one((unsigned char *)key, klen, msg, mlen);
    } else {
        CHECK_MSG(pylon_idv_signer_verify(s, msg, mlen, f[5], strlen(f[5])) == 0,
                  "%s: %s %s", cur_path, f[0], f[1]);
    }
    pylon_idv_signer_free(s);
    free(key);
    free(msg);
}

static void cross_row(char **f, int n, void *ctx)
{
    size_t elen, slen;
    char *email, *secret, h[65];
    (void)ctx;
    if (n != 4) { CHECK(n == 4); return; }
    email = unhex(f[1], &elen);
    secret = unhex(f[2], &slen);
    CHECK(pylon_idv_sign(h, email, elen, secret, slen) == 0);
    CHECK_MSG(strcmp(h, f[3]) == 0, "%s: crossref %s", cur_path, f[0]);
    free(email);
    free(secret);
}

/* Emails right against unreadable pages: [page | email...end][guard] and [guard][email...]. */
static void guard_pages(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char key[32];
    unsigned char *map = mmap(NULL, (size_t)(3 * pg), PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *mid;
    size_t len, i;
    CHECK(map != MAP_FAILED);
    if (map == MAP_FAILED) return;
    mid = map + pg;
    CHECK(mprotect(map, (size_t)pg, PROT_NONE) == 0);
    CHECK(mprotect(mid + pg, (size_t)pg, PROT_NONE) == 0);
    for (i = 0; i < (size_t)pg; i++) mid[i] = (unsigned char)('a' + i % 26);
    for (i = 0; i < sizeof key; i++) key[i] = (unsigned char)(i * 37 + 1);
    for (len = 0; len <= 130; len++) {
        check_one(key, sizeof key, (const char *)(mid + pg - len), len);   /* ends at the guard */
        check_one(key, sizeof key, (const char *)mid, len);                /* starts after one */
    }
    munmap(map, (size_t)(3 * pg));
}

static void sweep(void)
{
    static const size_t klens[] = { 1, 20, 32, 64, 65, 131 };
    unsigned char key[131], buf[300 + 16];
    size_t k, len, i, off;
    for (i = 0; i < sizeof key; i++) key[i] = (unsigned char)rng();
    for (i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)rng();
    for (k = 0; k < sizeof klens / sizeof klens[0]; k++)
        for (len = 0; len <= 300; len++) {
            off = len % 16;                     /* every alignment of the email */
            check_one(key, klens[k], (const char *)buf + off, len);
        }
}

/* A signer made under one path signs the same under every other. */
static void cross_path_signer(const int *paths, int npaths)
{
    const char *secret = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812";
    const char *email = "jane.doe@example.com";
    char first[65], h[65];
    pylon_idv_signer *s = NULL;
    int i;
    CHECK(pi_force_path(paths[0]) == 1);
    CHECK(pylon_idv_signer_new(&s, secret, 64) == 0);
    CHECK(pylon_idv_signer_sign(s, first, email, 20) == 0);
    for (i = 1; i < npaths; i++) {
        CHECK(pi_force_path(paths[i]) == 1);
        CHECK(pylon_idv_signer_sign(s, h, email, 20) == 0);
        CHECK_MSG(strcmp(h, first) == 0, "signer from %s used under %s",
                  pi_path_name(paths[0]), pi_path_name(paths[i]));
    }
    pylon_idv_signer_free(s);
}

/* verify's compare on this path: every character of the hash replaced by each byte value is a
 * match exactly when it is the same digit in either case (the SHA-NI path compares in
 * registers, the others through pi_hex_equals), for emails on the short path and past it. */
static int same_digit(int a, int b)
{
    return a == b || ((a | 0x20) == (b | 0x20) && (a | 0x20) >= 'a' && (a | 0x20) <= 'f');
}

static void verify_compare(void)
{
    static const unsigned char key[32] = { 0xab, 0x19, 0x5c, 0x36, 0xff, 0x00, 0x7e };
    static const size_t lens[] = { 0, 20, PI_SHORT_MAX, PI_SHORT_MAX + 1, 200 };
    char email[200], want[65];
    pylon_idv_signer *s = NULL;
    size_t l, i;
    int c;

    memset(email, 'e', sizeof email);
    CHECK(pylon_idv_signer_new_from_key(&s, key, sizeof key) == 0);
    for (l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        oracle(want, key, sizeof key, email, lens[l]);
        for (i = 0; i < 64; i++) {
            char orig = want[i];
            for (c = 0; c < 256; c++) {
                want[i] = (char)c;
                CHECK_MSG(pylon_idv_signer_verify(s, email, lens[l], want, 64)
                          == same_digit(c, (unsigned char)orig),
                          "%s: email %zu, position %zu, byte 0x%02x", cur_path, lens[l], i, c);
            }
            want[i] = orig;
        }
    }
    pylon_idv_signer_free(s);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    int paths[PI_PATH_COUNT], npaths = 0, ran[PI_PATH_COUNT] = { 0 }, p, i, chosen = pi_path;
    long before;

    /* the choice itself, given CPU features (a CPU without SHA extensions gets OpenSSL) */
    CHECK(pi_path_select(0, 0) == PI_PATH_OPENSSL);
    CHECK(pi_path_select(1, 0) == PI_PATH_SHANI);
    CHECK(pi_path_select(0, 1) == PI_PATH_ARMV8);
    CHECK(chosen == pi_path_detect());
    CHECK(pi_force_path(PI_PATH_COUNT) == 0);
    CHECK(pi_force_path(-1) == 0);
    printf("test_paths: this CPU's path: %s\n", pi_path_name(chosen));

    for (p = 0; p < PI_PATH_COUNT; p++) {
        if (!pi_force_path(p)) {
            printf("test_paths: %-8s not available here (CPU or build)\n", pi_path_name(p));
            continue;
        }
        cur_path = pi_path_name(p);
        before = n_cases;
        CHECK(read_tsv(dir, "hmac_sha256.tsv", public_row, NULL) > 100);
        CHECK(read_tsv(dir, "crossref.tsv", cross_row, NULL) > 5);
        sweep();
        guard_pages();
        verify_compare();
        printf("test_paths: %-8s %ld cases against HMAC()\n", cur_path, n_cases - before);
        ran[p] = 1;
        paths[npaths++] = p;
    }
    cross_path_signer(paths, npaths);
    CHECK(pi_force_path(chosen) == 1);
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--require") == 0) continue;
        for (p = 0; p < PI_PATH_COUNT; p++)
            if (strcmp(argv[i], pi_path_name(p)) == 0) break;
        CHECK_MSG(p < PI_PATH_COUNT && ran[p], "required path %s did not run", argv[i]);
    }
    CHECK(ran[PI_PATH_PORTABLE] && ran[PI_PATH_OPENSSL]);
    return check_report("test_paths");
}
