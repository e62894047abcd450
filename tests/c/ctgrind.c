/*
 * ctgrind.c -- constant time, checked by valgrind memcheck (after Monocypher's ctgrind and
 * secp256k1's checkmem). The secret text and raw keys are marked undefined; memcheck then
 * reports every branch and every memory address that depends on them. Built with the core
 * sources and PYLON_IDV_CTGRIND, so the library's PI_DECLASSIFY marks its public facts.
 * `library` runs once per compression path valgrind can execute (forced with pi_force_path:
 * portable, OpenSSL, ARMv8 where valgrind has it; valgrind does not run SHA-NI, and reports
 * no SHA extension through cpuid, so that path is not available under it).
 *
 *   valgrind --error-exitcode=1 ctgrind library        must report nothing
 *   valgrind --error-exitcode=1 ctgrind leaky-compare  must be flagged (negative control)
 *   valgrind --error-exitcode=1 ctgrind leaky-hex      must be flagged (negative control)
 */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "internal.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int failures;
#define EXPECT(c) do { if (!(c)) { failures++; printf("FAILED: %s (line %d)\n", #c, __LINE__); } } while (0)

static int library(void)
{
    char s0[] = "  000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f\n";
    char s1[] = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899";
    char s2[] = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f"
                "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f"
                "0123456789";                     /* 69 bytes: hashed first */
    unsigned char raw[40];
    const char *e = "jane.doe@example.com";
    char big[300], h[65], h1[65], h2[65], other[65], fp[17];
    pylon_idv_signer *s = NULL, *r = NULL;
    int v, m;
    size_t i, which;

    memset(big, 'q', sizeof big);
    for (i = 0; i < sizeof raw; i++) raw[i] = (unsigned char)(i * 7);
    SECRET(s0, sizeof s0 - 1);
    SECRET(s1, sizeof s1 - 1);
    SECRET(s2, sizeof s2 - 1);
    SECRET(raw, sizeof raw);

    /* signer set-up, rotation, sign */
    EXPECT(pylon_idv_signer_new(&s, s0, sizeof s0 - 1) == 0);
    EXPECT(pylon_idv_signer_add_previous(s, s1, sizeof s1 - 1) == 0);
    EXPECT(pylon_idv_signer_add_previous(s, s2, sizeof s2 - 1) == 0);
    EXPECT(pylon_idv_signer_sign(s, h, e, strlen(e)) == 0);
    EXPECT(pylon_idv_signer_sign(s, big, big, 200) == 0);      /* two-block tail, whole blocks */
    EXPECT(pylon_idv_signer_fingerprint(s, fp) == 0);
    PUBLIC(h, sizeof h);                                   /* the output is public */

    /* verify, match and mismatch, against current and previous */
    v = pylon_idv_signer_verify(s, e, strlen(e), h, 64);
    EXPECT(v == 1);
    memcpy(other, h, 65);
    other[63] = other[63] == '0' ? '1' : '0';
    v = pylon_idv_signer_verify(s, e, strlen(e), other, 64);
    EXPECT(v == 0);
    EXPECT(pylon_idv_sign(h1, e, strlen(e), s1, sizeof s1 - 1) == 0);
    EXPECT(pylon_idv_sign(h2, e, strlen(e), s2, sizeof s2 - 1) == 0);
    PUBLIC(h1, sizeof h1);
    PUBLIC(h2, sizeof h2);
    m = pylon_idv_signer_match(s, e, strlen(e), h1, 64, &which);
    EXPECT(m == 1 && which == 1);
    m = pylon_idv_signer_match(s, e, strlen(e), h2, 64, &which);
    EXPECT(m == 1 && which == 2);
    m = pylon_idv_signer_match(s, e, strlen(e), other, 64, &which);
    EXPECT(m == 0 && which == 0);

    /* one-shot: stateless, each call decodes and derives */
    v = pylon_idv_verify(e, strlen(e), s0, sizeof s0 - 1, h, 64);
    EXPECT(v == 1);
    v = pylon_idv_verify(e, strlen(e), s0, sizeof s0 - 1, other, 64);
    EXPECT(v == 0);
    EXPECT(pylon_idv_sign(h2, e, strlen(e), s0, sizeof s0 - 1) == 0);
    PUBLIC(h2, sizeof h2);
    EXPECT(strcmp(h, h2) == 0);

    /* a raw key */
    EXPECT(pylon_idv_signer_new_from_key(&r, raw, sizeof raw) == 0);
    EXPECT(pylon_idv_signer_sign(r, h, e, strlen(e)) == 0);
    pylon_idv_signer_free(r);
    pylon_idv_signer_free(s);
    printf("library: %s\n", failures ? "WRONG RESULTS" : "results right");
    return failures;
}

/* Negative controls: what the library must not do, to prove the check can fail. */
static int leaky_compare(void)
{
    unsigned char tag[32], cand[32];
    int i, same = 1;
    memset(cand, 0xab, sizeof cand);
    memset(tag, 0xab, sizeof tag);
    SECRET(tag, sizeof tag);
    for (i = 0; i < 32; i++) if (tag[i] != cand[i]) { same = 0; break; }   /* early exit */
    PUBLIC(&same, sizeof same);
    printf("leaky-compare: %d\n", same);
    return 0;
}

static int leaky_hex(void)
{
    static signed char table[256];          /* a lookup-table decoder, as many have */
    char s[] = "00112233445566778899aabbccddeeff";
    unsigned char out[16];
    size_t i;
    for (i = 0; i < 10; i++) table['0' + i] = (signed char)i;
    for (i = 0; i < 6; i++) table['a' + i] = table['A' + i] = (signed char)(10 + i);
    SECRET(s, sizeof s - 1);
    for (i = 0; i < 16; i++)
        out[i] = (unsigned char)(table[(unsigned char)s[2 * i]] << 4
                                 | table[(unsigned char)s[2 * i + 1]]);
    PUBLIC(out, sizeof out);
    printf("leaky-hex: %02x\n", out[15]);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "library";
    if (!RUNNING_ON_VALGRIND) printf("note: not under valgrind, nothing is checked\n");
    if (strcmp(mode, "leaky-compare") == 0) return leaky_compare();
    if (strcmp(mode, "leaky-hex") == 0) return leaky_hex();
    {
        int p, ran = 0, bad = 0;
        for (p = 0; p < PI_PATH_COUNT; p++) {
            if (!pi_force_path(p)) continue;
            printf("path %s: ", pi_path_name(p));
            bad |= library();
            ran++;
        }
        return bad || ran < 2 ? 2 : 0;
    }
}
