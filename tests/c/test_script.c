/* test_script.c -- the inline-script JSON escaping shared by the bindings (core/src/script.c). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int failures;

static void expect(const char *in, size_t n, const char *want)
{
    char out[PYLON_IDV_JSON_STRING_SIZE(64)];
    size_t len = pylon_idv_json_string(out, in, n);
    if (len != strlen(want) || strcmp(out, want) != 0) {
        failures++;
        printf("FAIL: %s\n  got  %s\n  want %s\n", in, out, want);
    }
}

int main(void)
{
    char worst[64];
    size_t i;
    expect("jane@example.com", 16, "\"jane@example.com\"");
    expect("", 0, "\"\"");
    expect("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    expect("</script><script>alert(1)</script>", 34,
           "\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"");
    expect("<!-- x & y -->", 14, "\"\\u003c!-- x \\u0026 y --\\u003e\"");
    expect("a\nb\rc\td\x01" "e\x7f", 10, "\"a\\nb\\rc\\td\\u0001e\\u007f\"");
    expect("a\0b", 3, "\"a\\u0000b\"");
    expect("x\xe2\x80\xa8y\xe2\x80\xa9z", 9, "\"x\\u2028y\\u2029z\"");
    expect("J\xc3\xb6rg \xf0\x9f\x98\x80", 10, "\"J\xc3\xb6rg \xf0\x9f\x98\x80\"");   /* kept */
    expect("\xff", 1, "\"\\ufffd\"");                                  /* invalid byte */
    expect("\xc3", 1, "\"\\ufffd\"");                                  /* truncated */
    expect("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");            /* surrogate */
    expect("\xc0\xbc", 2, "\"\\ufffd\\ufffd\"");                       /* overlong '<' */
    /* The worst cases (every byte escaped as six characters: '<', a control byte, an invalid
     * byte) are written within the documented size: the bytes past it, a canary, are never
     * touched (the check is on what was written, not only on the length returned). */
    {
        static const char fills[] = { '<', '\x01', '\xff', '&' };
        enum { SIZE = PYLON_IDV_JSON_STRING_SIZE(sizeof worst) };
        char out[SIZE + 32];
        size_t f, len;
        for (f = 0; f < sizeof fills; f++) {
            for (i = 0; i < sizeof worst; i++) worst[i] = fills[f];
            memset(out, 0x5a, sizeof out);
            len = pylon_idv_json_string(out, worst, sizeof worst);
            if (len + 1 != SIZE) { failures++; printf("FAIL: fill %zu: %zu bytes, not the worst case %d\n", f, len + 1, (int)SIZE); }
            for (i = SIZE; i < sizeof out; i++)
                if (out[i] != 0x5a) { failures++; printf("FAIL: fill %zu wrote past the size\n", f); break; }
        }
    }
    printf("test_script: %d failed\n", failures);
    return failures != 0;
}
