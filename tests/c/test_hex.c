/*
 * test_hex.c -- pi_hex_equals, verify's and match's constant-time compare of a candidate in
 * hex with the expected tag, against a plain reference: for random keys of every length it
 * takes (multiples of 4 up to 64 bytes), the lowercase, uppercase and mixed-case encodings
 * are equal, and every single character replaced by each of the 256 byte values is equal
 * exactly when that byte is the same digit in either case. Then through the public API: a
 * one-shot sign with each one-character variant of a secret, right after a sign with the
 * secret itself, gives OpenSSL's HMAC() of what that variant decodes to, or the error it
 * should (the one-shot keeps no state from one call to the next).
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "check.h"
#include "internal.h"
#include "pylon_idv.h"

static int digit_value(int c)   /* -1 if not a hex digit */
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void encode(char *out, const unsigned char *k, size_t n, int upper)
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = (upper ? up : lo)[k[i] >> 4];
        out[2 * i + 1] = (upper ? up : lo)[k[i] & 15];
    }
    out[2 * n] = '\0';
}

static void test_equals(void)
{
    unsigned char k[64];
    char h[129], orig;
    size_t n, i;
    int c, round;

    for (round = 0; round < 8; round++) {
        for (n = 4; n <= 64; n += 4) {
            CHECK(RAND_bytes(k, (int)n) == 1);
            if (round == 0) memset(k, 0xab, n);           /* every digit a letter */
            if (round == 1) memset(k, 0x19, n);           /* digits next to 0x10..0x19 */
            encode(h, k, n, 0);
            CHECK(pi_hex_equals(k, n, h) == 1);
            encode(h, k, n, 1);
            CHECK(pi_hex_equals(k, n, h) == 1);
            for (i = 0; i < 2 * n; i += 3) h[i] = (char)(h[i] | 0x20 * (h[i] >= 'A'));
            CHECK(pi_hex_equals(k, n, h) == 1);           /* mixed case */
            encode(h, k, n, 0);
            for (i = 0; i < 2 * n; i++) {
                orig = h[i];
                for (c = 0; c < 256; c++) {
                    int want = digit_value(c) == digit_value((unsigned char)orig);
                    h[i] = (char)c;
                    CHECK_MSG(pi_hex_equals(k, n, h) == want,
                              "n %zu, position %zu, byte 0x%02x: want %d", n, i, c, want);
                }
                h[i] = orig;
            }
            k[n - 1] ^= 1;                                   /* another key, same text */
            CHECK(pi_hex_equals(k, n, h) == 0);
        }
    }
}

static void test_no_false_hit(void)
{
    unsigned char k[32], dk[32], tag[32];
    char secret[65], variant[65], got[65], want[65];
    unsigned int len;
    size_t i;
    int c, rc, v, j;

    CHECK(RAND_bytes(k, 32) == 1);
    encode(secret, k, 32, 0);
    for (i = 0; i < 64; i++) {
        for (c = 0; c < 256; c++) {
            CHECK(pylon_idv_sign(got, "jane@example.com", 16, secret, 64) == 0);  /* then a variant */
            memcpy(variant, secret, 65);
            variant[i] = (char)c;
            rc = pylon_idv_sign(got, "jane@example.com", 16, variant, 64);
            v = 1;
            for (j = 0; j < 64; j++) v &= digit_value((unsigned char)variant[j]) >= 0;
            if (!v) {
                /* whitespace at an end is trimmed: then the secret is odd, else bad */
                CHECK_MSG(rc < 0 && got[0] == '\0', "position %zu byte 0x%02x: rc %d", i, c, rc);
                continue;
            }
            for (j = 0; j < 32; j++)
                dk[j] = (unsigned char)(digit_value((unsigned char)variant[2 * j]) << 4
                                        | digit_value((unsigned char)variant[2 * j + 1]));
            HMAC(EVP_sha256(), dk, 32, (const unsigned char *)"jane@example.com", 16, tag, &len);
            encode(want, tag, 32, 0);
            CHECK_MSG(rc == 0 && strcmp(got, want) == 0,
                      "position %zu byte 0x%02x: a wrong hash for a variant", i, c);
        }
    }
}

int main(void)
{
    test_equals();
    test_no_false_hit();
    return check_report("test_hex");
}
