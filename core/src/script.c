/*
 * script.c -- JSON strings safe inside an inline <script>, shared by the bindings'
 * chat_settings_script helpers so the escaping is written once.
 *
 * Escapes the JSON specials (" \ and controls), and also < > & (so "</script>" and "<!--"
 * cannot end or change the script element), U+2028 and U+2029 (line terminators in older
 * JavaScript), and replaces invalid UTF-8 with U+FFFD so the output is always valid JSON
 * (the page builder, settings.c, refuses invalid UTF-8 first: pi_utf8_check).
 */
#include "internal.h"

static size_t put_u(char *out, unsigned cp)
{
    static const char hx[] = "0123456789abcdef";
    out[0] = '\\'; out[1] = 'u';
    out[2] = hx[(cp >> 12) & 15]; out[3] = hx[(cp >> 8) & 15];
    out[4] = hx[(cp >> 4) & 15];  out[5] = hx[cp & 15];
    return 6;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid; *cp gets the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], min;
    size_t len, i;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xc2 && c <= 0xdf) { len = 2; *cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; *cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; *cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        *cp = (*cp << 6) | (s[i] & 0x3fu);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) return 0;
    return len;
}

int pi_utf8_check(const char *in, size_t n, size_t *position)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, len;
    unsigned cp;
    while (i < n) {
        if (s[i] < 0x80) { i++; continue; }
        len = utf8_seq(s + i, n - i, &cp);
        if (len == 0) {
            if (position != NULL) *position = i;
            return 0;
        }
        i += len;
    }
    return 1;
}

size_t pylon_idv_json_string(char *out, const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0, len;
    unsigned cp;

    out[o++] = '"';
    while (i < n) {
        len = utf8_seq(s + i, n - i, &cp);
        if (len == 0) { o += put_u(out + o, 0xfffd); i++; continue; }
        switch (cp) {
        case '"': out[o++] = '\\'; out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
        case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
        case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
        case '\t': out[o++] = '\\'; out[o++] = 't'; break;
        case '<': case '>': case '&': case 0x2028: case 0x2029:
            o += put_u(out + o, cp); break;
        default:
            if (cp < 0x20 || cp == 0x7f) o += put_u(out + o, cp);
            else { size_t k; for (k = 0; k < len; k++) out[o++] = (char)s[i + k]; }
        }
        i += len;
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}
