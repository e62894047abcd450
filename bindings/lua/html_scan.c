/*
 * html_scan.c -- where pylon_idv.openresty may insert into an HTML page: a streaming tokenizer
 * that finds each `</body` end tag standing in markup, not in raw text, a comment or a tag.
 *
 *   local sc = idv.html_scanner()          -- one per response (a small userdata, no __gc)
 *   local cand, pend = idv.html_scan(sc, chunk)   -- or sc:scan(chunk); once per chunk, in order
 *
 * cand: the 1-based offset, relative to this chunk, of the `<` of the LAST `</body` end tag
 *       confirmed while scanning this chunk (nil if none). It is <= 0 when that `<` came in an
 *       earlier chunk (at most 5 bytes back: "</bod" then "y>" in the next chunk).
 * pend: the 1-based offset (<= 0 as for cand) of a `<` at the end of the chunk that may still
 *       become a `</body` end tag ("<", "</", "</b" ... "</body" with its terminator not seen
 *       yet), or nil. The caller keeps those bytes back until the next chunk decides.
 *
 * A candidate is `</` + "body" (any case) + whitespace, `/` or `>`, found where the HTML
 * tokenizer (WHATWG "Tokenization") is in its data state. The states followed, each byte once:
 * data; tag open, end tag open, tag name; the attribute states (name, value double-quoted,
 * single-quoted, unquoted), so a `>` or `</body>` inside a quoted value is not markup;
 * self-closing; markup declarations: `<!--` comments (ended by `-->`, `--!>`, or the abrupt
 * `<!-->` / `<!--->`), `<!...>` and `<?...>` bogus comments and `</` + non-letter; the raw-text
 * elements script, style, xmp, iframe, noembed, noframes, noscript (scripting on, as in a
 * browser) and the RCDATA elements textarea and title, which end only at their own end tag
 * (`</script` + whitespace, `/` or `>`); a script's `<!--` escaped and `<!--<script>`
 * double-escaped text, where `</script>` does not end it; plaintext, which never ends.
 * Foreign content (svg, math) is tokenized as HTML.
 *
 * Bytes are found with memchr in data, comments, raw text and quoted values (on x86, SSE2 for
 * the short runs first: a call costs more than most runs between two tags); nothing is copied
 * and nothing is allocated after html_scanner().
 */
#include <stddef.h>
#include <string.h>

#define LUA_LIB
#include "lua.h"
#include "lauxlib.h"

#define PI_HTML_SCANNER_MT "pylon_idv.html_scanner"
#define PI_NAME_MAX 9           /* "plaintext": the longest name compared */

enum {
    S_DATA, S_TAG_OPEN, S_END_TAG_OPEN, S_TAG_NAME,
    S_BEFORE_ATTR_NAME, S_ATTR_NAME, S_AFTER_ATTR_NAME, S_BEFORE_ATTR_VALUE,
    S_ATTR_DQ, S_ATTR_SQ, S_ATTR_UNQ, S_AFTER_ATTR_QUOTED, S_SELF_CLOSING,
    S_MARKUP_DECL, S_MARKUP_DASH, S_BOGUS_COMMENT,
    S_COMMENT_START, S_COMMENT_START_DASH, S_COMMENT, S_COMMENT_END_DASH, S_COMMENT_END,
    S_COMMENT_END_BANG,
    S_RAW, S_RAW_LT, S_RAW_END_OPEN, S_RAW_END_NAME, S_PLAINTEXT,
    S_SCRIPT_ESC_START, S_SCRIPT_ESC_START_DASH, S_SCRIPT_ESC, S_SCRIPT_ESC_DASH,
    S_SCRIPT_ESC_DASH_DASH, S_SCRIPT_ESC_LT, S_SCRIPT_DESC_START, S_SCRIPT_DESC,
    S_SCRIPT_DESC_DASH, S_SCRIPT_DESC_DASH_DASH, S_SCRIPT_DESC_LT, S_SCRIPT_DESC_END
};

/* The elements whose content is text to the tokenizer, by index (raw = index + 1). */
static const char *const pi_raw_names[] = {
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"
};
#define PI_RAW_COUNT (sizeof pi_raw_names / sizeof pi_raw_names[0])
#define PI_RAW_SCRIPT 1             /* raw for "script" */

typedef struct {
    unsigned char state;
    unsigned char raw;          /* inside raw text: index + 1 in pi_raw_names, else 0 */
    unsigned char esc;          /* in a script's "<!--" (escaped) text */
    unsigned char is_end;       /* the tag being read is an end tag */
    unsigned char namelen;      /* bytes of its name so far; PI_NAME_MAX + 1: longer */
    char name[PI_NAME_MAX + 1]; /* its name, lower case (ASCII) */
    size_t base;                /* bytes scanned before the current chunk */
    size_t lt;                  /* absolute offset of the current tag's '<' */
} pi_html_scanner;

/* Byte classes for the tight loops inside tags. */
#define PI_WS 1                 /* the tokenizer's whitespace: \t \n \f \r and space */
#define PI_GT 2                 /* > */
#define PI_SL 4                 /* / */
#define PI_EQ 8                 /* = */
#define PI_LT 16                /* < */
#define PI_DASH 32              /* - */
static const unsigned char pi_cls[256] = {
    ['\t'] = PI_WS, ['\n'] = PI_WS, ['\f'] = PI_WS, ['\r'] = PI_WS, [' '] = PI_WS,
    ['>'] = PI_GT, ['/'] = PI_SL, ['='] = PI_EQ, ['<'] = PI_LT, ['-'] = PI_DASH,
};

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
/* memchr for the short runs a page is made of (text between two tags, an attribute value):
 * 16 bytes a step in line, with no call and one branch a step; memchr for the last < 16. */
static const unsigned char *pi_find(const unsigned char *p, const unsigned char *end,
                                    unsigned char byte)
{
    const __m128i needle = _mm_set1_epi8((char)byte);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle));
        if (m != 0) return p + __builtin_ctz(m);
        p += 16;
    }
    return (const unsigned char *)memchr(p, byte, (size_t)(end - p));
}
#else
#define pi_find(p, end, byte) ((const unsigned char *)memchr((p), (byte), (size_t)((end) - (p))))
#endif

static int pi_is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static unsigned char pi_lower(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

static int pi_name_is(const pi_html_scanner *s, const char *name)
{
    size_t n = strlen(name);
    return s->namelen == n && memcmp(s->name, name, n) == 0;
}

/* A tag is complete ('>'): the state after it. Most names fail at their first letter. */
static unsigned char pi_after_tag(pi_html_scanner *s)
{
    size_t i;
    if (s->is_end) { s->raw = 0; return S_DATA; }
    if (s->namelen > PI_NAME_MAX || s->namelen < 3) return S_DATA;
    switch (s->name[0]) {
    case 'i': case 'n': case 's': case 't': case 'x': break;
    case 'p': return pi_name_is(s, "plaintext") ? S_PLAINTEXT : S_DATA;
    default: return S_DATA;
    }
    for (i = 0; i < PI_RAW_COUNT; i++) {
        if (s->name[0] == pi_raw_names[i][0] && pi_name_is(s, pi_raw_names[i])) {
            s->raw = (unsigned char)(i + 1);
            s->esc = 0;
            return S_RAW;
        }
    }
    return S_DATA;
}

/* Scans p[0..n) from the state left by the previous chunk: one label per tokenizer state,
 * each with a tight loop (or memchr) over the bytes that keep it there; at the end of the
 * chunk the state is saved (NEED). Returns the absolute offset of the last candidate found in
 * this chunk, or (size_t)-1. */
static size_t pi_scan(pi_html_scanner *s, const unsigned char *p, size_t n)
{
    const unsigned char *const start = p, *const end = p + n;
    const unsigned char *q;
    const char *want;
    size_t found = (size_t)-1, len;
    unsigned char c, st;

#define NEED(state_) do { if (p == end) { st = (state_); goto out; } } while (0)
#define FIND(byte, state_) do {                                                   \
        q = pi_find(p, end, (byte));                                                \
        if (q == NULL) { p = end; st = (state_); goto out; }                        \
        p = q + 1;                                                                  \
    } while (0)

    switch (s->state) {
    case S_TAG_OPEN: goto tag_open;
    case S_END_TAG_OPEN: goto end_tag_open;
    case S_TAG_NAME: goto tag_name;
    case S_BEFORE_ATTR_NAME: goto before_attr_name;
    case S_ATTR_NAME: goto attr_name;
    case S_AFTER_ATTR_NAME: goto after_attr_name;
    case S_BEFORE_ATTR_VALUE: goto before_attr_value;
    case S_ATTR_DQ: goto attr_dq;
    case S_ATTR_SQ: goto attr_sq;
    case S_ATTR_UNQ: goto attr_unq;
    case S_AFTER_ATTR_QUOTED: goto after_attr_quoted;
    case S_SELF_CLOSING: goto self_closing;
    case S_MARKUP_DECL: goto markup_decl;
    case S_MARKUP_DASH: goto markup_dash;
    case S_BOGUS_COMMENT: goto bogus_comment;
    case S_COMMENT_START: goto comment_start;
    case S_COMMENT_START_DASH: goto comment_start_dash;
    case S_COMMENT: goto comment;
    case S_COMMENT_END_DASH: goto comment_end_dash;
    case S_COMMENT_END: goto comment_end;
    case S_COMMENT_END_BANG: goto comment_end_bang;
    case S_RAW: goto raw;
    case S_RAW_LT: goto raw_lt;
    case S_RAW_END_OPEN:
    case S_RAW_END_NAME: goto raw_end_name;
    case S_SCRIPT_ESC_START: goto script_esc_start;
    case S_SCRIPT_ESC_START_DASH: goto script_esc_start_dash;
    case S_SCRIPT_ESC: goto script_esc;
    case S_SCRIPT_ESC_DASH: goto script_esc_dash;
    case S_SCRIPT_ESC_DASH_DASH: goto script_esc_dash_dash;
    case S_SCRIPT_ESC_LT: goto script_esc_lt;
    case S_SCRIPT_DESC_START: goto script_desc_start;
    case S_SCRIPT_DESC: goto script_desc;
    case S_SCRIPT_DESC_DASH: goto script_desc_dash;
    case S_SCRIPT_DESC_DASH_DASH: goto script_desc_dash_dash;
    case S_SCRIPT_DESC_LT: goto script_desc_lt;
    case S_SCRIPT_DESC_END: goto script_desc_end;
    case S_PLAINTEXT: goto plaintext;
    default: goto data;
    }

data:
    q = pi_find(p, end, '<');
    if (q == NULL) { p = end; st = S_DATA; goto out; }
    s->lt = s->base + (size_t)(q - start);
    p = q + 1;
tag_open:
    NEED(S_TAG_OPEN);
    c = *p;
    if (pi_is_alpha(c)) { s->is_end = 0; s->namelen = 0; goto tag_name; }
    if (c == '/') { p++; goto end_tag_open; }
    if (c == '!') { p++; goto markup_decl; }
    if (c == '?') { p++; goto bogus_comment; }
    goto data;                                /* a '<' of text: this byte again */
end_tag_open:
    NEED(S_END_TAG_OPEN);
    c = *p;
    if (pi_is_alpha(c)) { s->is_end = 1; s->namelen = 0; goto tag_name; }
    if (c == '>') { p++; goto data; }         /* "</>": nothing */
    goto bogus_comment;
tag_name:
    while (p < end && !(pi_cls[*p] & (PI_WS | PI_SL | PI_GT))) {
        if (s->namelen < PI_NAME_MAX) s->name[s->namelen] = (char)pi_lower(*p);
        if (s->namelen <= PI_NAME_MAX) s->namelen++;
        p++;
    }
    NEED(S_TAG_NAME);
    c = *p++;
    if (s->is_end && s->namelen == 4 && memcmp(s->name, "body", 4) == 0) found = s->lt;
    if (c == '>') goto tag_done;
    if (c == '/') goto self_closing;
before_attr_name:
    while (p < end && (pi_cls[*p] & PI_WS)) p++;
    NEED(S_BEFORE_ATTR_NAME);
    c = *p++;
    if (c == '/') goto self_closing;
    if (c == '>') goto tag_done;
attr_name:                                    /* its first byte read ('=' and quotes too) */
    while (p < end && !(pi_cls[*p] & (PI_WS | PI_SL | PI_GT | PI_EQ))) p++;
    NEED(S_ATTR_NAME);
    c = *p++;
    if (c == '=') goto before_attr_value;
    if (c == '>') goto tag_done;
    if (c == '/') goto self_closing;
after_attr_name:
    while (p < end && (pi_cls[*p] & PI_WS)) p++;
    NEED(S_AFTER_ATTR_NAME);
    c = *p++;
    if (c == '=') goto before_attr_value;
    if (c == '>') goto tag_done;
    if (c == '/') goto self_closing;
    goto attr_name;
before_attr_value:
    while (p < end && (pi_cls[*p] & PI_WS)) p++;
    NEED(S_BEFORE_ATTR_VALUE);
    c = *p++;
    if (c == '"') goto attr_dq;
    if (c == '\'') goto attr_sq;
    if (c == '>') goto tag_done;
attr_unq:                                     /* a quote in it is a byte of the value */
    while (p < end && !(pi_cls[*p] & (PI_WS | PI_GT))) p++;
    NEED(S_ATTR_UNQ);
    c = *p++;
    if (c == '>') goto tag_done;
    goto before_attr_name;
attr_dq:
    FIND('"', S_ATTR_DQ);
    goto after_attr_quoted;
attr_sq:
    FIND('\'', S_ATTR_SQ);
after_attr_quoted:
    NEED(S_AFTER_ATTR_QUOTED);
    c = *p;
    if (c == '>') { p++; goto tag_done; }
    if (c == '/') { p++; goto self_closing; }
    goto before_attr_name;                    /* whitespace, or this byte again */
self_closing:
    /* "<script/>" is still a script start tag in HTML: the flag changes nothing */
    NEED(S_SELF_CLOSING);
    if (*p == '>') { p++; goto tag_done; }
    goto before_attr_name;
tag_done:
    st = pi_after_tag(s);
    if (st == S_DATA) goto data;
    if (st == S_RAW) goto raw;
    goto plaintext;

markup_decl:                                  /* after "<!" */
    NEED(S_MARKUP_DECL);
    if (*p != '-') goto bogus_comment;        /* <!DOCTYPE>, <![CDATA[ in HTML: to '>' */
    p++;
markup_dash:                                  /* after "<!-" */
    NEED(S_MARKUP_DASH);
    if (*p != '-') goto bogus_comment;
    p++;
comment_start:                                /* after "<!--" */
    NEED(S_COMMENT_START);
    c = *p;
    if (c == '>') { p++; goto data; }         /* "<!-->" */
    if (c == '-') { p++; goto comment_start_dash; }
    goto comment;
comment_start_dash:                           /* after "<!---" */
    NEED(S_COMMENT_START_DASH);
    c = *p;
    if (c == '>') { p++; goto data; }         /* "<!--->" */
    if (c == '-') { p++; goto comment_end; }
comment:
    FIND('-', S_COMMENT);
comment_end_dash:
    NEED(S_COMMENT_END_DASH);
    if (*p != '-') goto comment;
    p++;
comment_end:                                  /* after "--" */
    NEED(S_COMMENT_END);
    c = *p;
    if (c == '>') { p++; goto data; }
    if (c == '-') { p++; goto comment_end; }
    if (c != '!') goto comment;
    p++;
comment_end_bang:                             /* after "--!" */
    NEED(S_COMMENT_END_BANG);
    c = *p;
    if (c == '>') { p++; goto data; }
    if (c == '-') { p++; goto comment_end_dash; }
    goto comment;
bogus_comment:
    FIND('>', S_BOGUS_COMMENT);
    goto data;

raw:                                          /* text until this element's end tag */
    FIND('<', S_RAW);
raw_lt:
    NEED(S_RAW_LT);
    if (*p == '!' && s->raw == PI_RAW_SCRIPT) { p++; goto script_esc_start; }
    if (*p != '/') goto raw;
    p++;
    s->namelen = 0;
raw_end_name:                                 /* "</" and s->namelen bytes of the name */
    want = pi_raw_names[s->raw - 1];
    len = strlen(want);
    while (s->namelen < len) {
        NEED(S_RAW_END_NAME);
        if (pi_lower(*p) != (unsigned char)want[s->namelen]) goto raw_again;
        s->namelen++;
        p++;
    }
    NEED(S_RAW_END_NAME);
    c = *p;
    if (!(pi_cls[c] & (PI_WS | PI_SL | PI_GT))) goto raw_again;
    p++;
    s->is_end = 1;                            /* the element's end tag: markup again */
    s->raw = 0;
    s->esc = 0;
    if (c == '>') goto tag_done;
    if (c == '/') goto self_closing;
    goto before_attr_name;
raw_again:                                    /* not the end tag: this byte again */
    if (s->esc) goto script_esc;
    goto raw;

/* A script's text holds "<!--": WHATWG "script data escaped" states. Its own end tag still
 * ends it, unless "<script" came after the "<!--" (double escaped): then "</script" only
 * leaves that, and "-->" goes back to plain script text. */
script_esc_start:                             /* "<!" in a script */
    NEED(S_SCRIPT_ESC_START);
    if (*p != '-') goto raw;
    p++;
script_esc_start_dash:                        /* "<!-" */
    NEED(S_SCRIPT_ESC_START_DASH);
    if (*p != '-') goto raw;
    p++;
    s->esc = 1;
    goto script_esc_dash_dash;
script_esc:
    while (p < end && !(pi_cls[*p] & (PI_LT | PI_DASH))) p++;
    NEED(S_SCRIPT_ESC);
    if (*p++ == '<') goto script_esc_lt;
script_esc_dash:                              /* after "-" */
    NEED(S_SCRIPT_ESC_DASH);
    c = *p;
    if (c == '-') { p++; goto script_esc_dash_dash; }
    if (c == '<') { p++; goto script_esc_lt; }
    goto script_esc;
script_esc_dash_dash:                         /* after "--" */
    NEED(S_SCRIPT_ESC_DASH_DASH);
    c = *p;
    if (c == '-') { p++; goto script_esc_dash_dash; }
    if (c == '<') { p++; goto script_esc_lt; }
    if (c == '>') { p++; s->esc = 0; goto raw; }
    goto script_esc;
script_esc_lt:                                /* after "<" */
    NEED(S_SCRIPT_ESC_LT);
    c = *p;
    if (c == '/') { p++; s->namelen = 0; goto raw_end_name; }
    if (!pi_is_alpha(c)) goto script_esc;
    s->namelen = 0;
script_desc_start:                            /* "<" and letters: "<script" ? */
    while (p < end && pi_is_alpha(*p)) {
        if (s->namelen < PI_NAME_MAX) s->name[s->namelen] = (char)pi_lower(*p);
        if (s->namelen <= PI_NAME_MAX) s->namelen++;
        p++;
    }
    NEED(S_SCRIPT_DESC_START);
    if (!(pi_cls[*p] & (PI_WS | PI_SL | PI_GT))) goto script_esc;
    p++;
    if (!pi_name_is(s, "script")) goto script_esc;
script_desc:                                  /* double escaped */
    while (p < end && !(pi_cls[*p] & (PI_LT | PI_DASH))) p++;
    NEED(S_SCRIPT_DESC);
    if (*p++ == '<') goto script_desc_lt;
script_desc_dash:
    NEED(S_SCRIPT_DESC_DASH);
    c = *p;
    if (c == '-') { p++; goto script_desc_dash_dash; }
    if (c == '<') { p++; goto script_desc_lt; }
    goto script_desc;
script_desc_dash_dash:
    NEED(S_SCRIPT_DESC_DASH_DASH);
    c = *p;
    if (c == '-') { p++; goto script_desc_dash_dash; }
    if (c == '<') { p++; goto script_desc_lt; }
    if (c == '>') { p++; s->esc = 0; goto raw; }
    goto script_desc;
script_desc_lt:
    NEED(S_SCRIPT_DESC_LT);
    if (*p != '/') goto script_desc;
    p++;
    s->namelen = 0;
script_desc_end:                              /* "</" and letters: "</script" ? */
    while (p < end && pi_is_alpha(*p)) {
        if (s->namelen < PI_NAME_MAX) s->name[s->namelen] = (char)pi_lower(*p);
        if (s->namelen <= PI_NAME_MAX) s->namelen++;
        p++;
    }
    NEED(S_SCRIPT_DESC_END);
    if (!(pi_cls[*p] & (PI_WS | PI_SL | PI_GT))) goto script_desc;
    p++;
    if (pi_name_is(s, "script")) goto script_esc;
    goto script_desc;

plaintext:
    p = end;
    st = S_PLAINTEXT;
out:
    s->state = st;
    s->base += n;
    return found;
#undef NEED
#undef FIND
}

/* The absolute offset of a '<' that may still start a candidate, or (size_t)-1. */
static size_t pi_pending(const pi_html_scanner *s)
{
    switch (s->state) {
    case S_TAG_OPEN:
    case S_END_TAG_OPEN:
        return s->lt;
    case S_TAG_NAME:
        if (s->is_end && s->namelen <= 4 && memcmp(s->name, "body", s->namelen) == 0) return s->lt;
        return (size_t)-1;
    default:
        return (size_t)-1;
    }
}

static int l_html_scanner(lua_State *L)
{
    pi_html_scanner *s = (pi_html_scanner *)lua_newuserdata(L, sizeof *s);
    memset(s, 0, sizeof *s);
    luaL_getmetatable(L, PI_HTML_SCANNER_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static int l_html_scan(lua_State *L)
{
    pi_html_scanner *s = (pi_html_scanner *)luaL_checkudata(L, 1, PI_HTML_SCANNER_MT);
    size_t n, base = s->base, found, pend;
    const char *chunk = luaL_checklstring(L, 2, &n);
    found = pi_scan(s, (const unsigned char *)chunk, n);
    pend = pi_pending(s);
    if (found == (size_t)-1) lua_pushnil(L);
    else lua_pushinteger(L, (lua_Integer)found - (lua_Integer)base + 1);
    if (pend == (size_t)-1) lua_pushnil(L);
    else lua_pushinteger(L, (lua_Integer)pend - (lua_Integer)base + 1);
    return 2;
}

int pi_html_scan_open(lua_State *L);

/* Adds html_scanner and html_scan to the module table on top of the stack. */
int pi_html_scan_open(lua_State *L)
{
    if (luaL_newmetatable(L, PI_HTML_SCANNER_MT)) {
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, l_html_scan);
        lua_setfield(L, -2, "scan");
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_html_scanner);
    lua_setfield(L, -2, "html_scanner");
    lua_pushcfunction(L, l_html_scan);
    lua_setfield(L, -2, "html_scan");
    return 0;
}
