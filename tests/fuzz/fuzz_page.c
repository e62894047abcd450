/* fuzz_page.c -- libFuzzer target for the page builder (core/src/settings.c).
 *
 * The input is split on 0x00 bytes: kind byte, email (or none), app_id, nonce (or none), then
 * fields as (type byte, key, value) triples. For every input: pylon_idv_page_prepare either refuses
 * with a rule whose message holds no byte of the secret, or the four outputs are written within
 * the size pylon_idv_page_size promised, are valid UTF-8, and hold no markup of the input: exactly one
 * "</script" at the end of a script element, no "<!--", no raw < > & U+2028 U+2029 in the JSON;
 * the JSON is the same in all three forms; and the keys come out sorted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SECRET "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
#define MAXF 32

static const char *next(const uint8_t **p, const uint8_t *end, size_t *n)
{
    const uint8_t *s = *p, *z;
    if (s >= end) { *n = 0; return NULL; }
    z = memchr(s, 0, (size_t)(end - s));
    if (z == NULL) z = end;
    *n = (size_t)(z - s);
    *p = z < end ? z + 1 : end;
    return (const char *)s;
}

static size_t count(const char *s, size_t n, const char *pat)
{
    size_t c = 0, k = strlen(pat), i;
    for (i = 0; i + k <= n; i++) if (memcmp(s + i, pat, k) == 0) c++;
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    pylon_idv_field fs[MAXF];
    pylon_idv_page page;
    pylon_idv_page_error err;
    size_t n, i, nf = 0, lens[3];
    const char *s;
    char *out[3], msg[PYLON_IDV_PAGE_MESSAGE_SIZE];
    int flags, kind, rc;

    if (size < 1) return 0;
    flags = data[0];
    p++;
    memset(&page, 0, sizeof page);
    s = next(&p, end, &n);
    if (!(flags & 1)) { page.email = s ? s : ""; page.email_len = n; }
    s = next(&p, end, &n);
    page.app_id = s; page.app_id_len = n;
    s = next(&p, end, &n);
    if (flags & 2) { page.nonce = s ? s : ""; page.nonce_len = n; }
    while (p < end && nf < MAXF) {
        pylon_idv_field *f = &fs[nf];
        const char *t = next(&p, end, &n);
        memset(f, 0, sizeof *f);
        f->key = next(&p, end, &f->key_len);
        if (f->key == NULL) f->key = "";
        s = next(&p, end, &n);
        f->index = nf;
        switch (t != NULL && n > 0 ? (unsigned char)t[0] % 6 : 0) {
        case 0: f->type = PYLON_IDV_VALUE_STRING; f->str = s ? s : ""; f->str_len = n; break;
        case 1: f->type = PYLON_IDV_VALUE_BOOL; f->boolean = n & 1; break;
        case 2: f->type = PYLON_IDV_VALUE_INT; if (s && n >= 8) memcpy(&f->integer, s, 8); break;
        case 3: f->type = PYLON_IDV_VALUE_FLOAT; if (s && n >= 8) memcpy(&f->number, s, 8); break;
        case 4: f->type = PYLON_IDV_VALUE_NONE; break;
        default: f->type = PYLON_IDV_VALUE_INT_HUGE;
        }
        nf++;
    }
    page.fields = fs;
    page.nfields = nf;
    rc = pylon_idv_page_prepare(&page, NULL, SECRET, sizeof SECRET - 1, &err);
    if (rc != PYLON_IDV_PAGE_OK) {
        pylon_idv_page_message(msg, sizeof msg, &err);
        /* no part of the secret (a plain field name is shown: unless the input itself holds
         * those bytes, they came from the secret) */
        if (strstr(msg, "8f3a5be1") != NULL && count((const char *)data, size, "8f3a5be1") == 0)
            abort();
        return 0;
    }
    for (i = 1; i < page.nout; i++) {          /* sorted, unique */
        size_t a = fs[i - 1].key_len, b = fs[i].key_len, m = a < b ? a : b;
        int c = m ? memcmp(fs[i - 1].key, fs[i].key, m) : 0;
        if (c > 0 || (c == 0 && a >= b)) abort();
    }
    for (kind = 0; kind < 3; kind++) {
        size_t want = pylon_idv_page_size(&page, kind);
        if (want == 0) abort();
        out[kind] = malloc(want);
        lens[kind] = pylon_idv_page_render(out[kind], &page, kind);
        if (lens[kind] + 1 > want || out[kind][lens[kind]] != '\0') abort();
        if (!pi_utf8_check(out[kind], lens[kind], NULL)) abort();
        if (count(out[kind], lens[kind], "<!--") != 0) abort();
    }
    /* the JSON: no markup, and the same in the script and the data element */
    if (memchr(out[0], '<', lens[0]) || memchr(out[0], '>', lens[0]) || memchr(out[0], '&', lens[0])
        || count(out[0], lens[0], "\xe2\x80\xa8") || count(out[0], lens[0], "\xe2\x80\xa9"))
        abort();
    for (kind = 1; kind < 3; kind++) {
        if (count(out[kind], lens[kind], "</script") != 1) abort();
        if (memcmp(out[kind] + lens[kind] - 9, "</script>", 9) != 0) abort();
        if (count(out[kind], lens[kind], "<script") != 1) abort();
        if (lens[kind] < lens[0] || !count(out[kind], lens[kind], "{\"app_id\":")) abort();
    }
    {   /* the data element is exactly its head + the JSON + </script> */
        static const char head[] = "<script type=\"application/json\" id=\"pylon-chat-settings\">";
        if (lens[2] != sizeof head - 1 + lens[0] + 9
            || memcmp(out[2] + sizeof head - 1, out[0], lens[0]) != 0) abort();
    }
    for (kind = 0; kind < 3; kind++) free(out[kind]);
    return 0;
}
