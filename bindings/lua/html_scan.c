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
 * (`</script` + whitespace, `/` or `>`); plaintext, which never ends. Script data's
 * `<!--<script>` escape states are not followed (a page hiding `</script>` that way is
 * treated as if the first `</script>` ended its script). Foreign content (svg, math) is
 * tokenized as HTML.
 *
 * Bytes are found with memchr in data, comments, raw text and quoted values; nothing is copied
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
    S_RAW, S_RAW_LT, S_RAW_END_OPEN, S_RAW_END_NAME, S_PLAINTEXT
};

/* The elements whose content is text to the tokenizer, by index (raw = index + 1). */
static const char *const pi_raw_names[] = {
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"
};
#define PI_RAW_COUNT (sizeof pi_raw_names / sizeof pi_raw_names[0])

typedef struct {
    unsigned char state;
    unsigned char raw;          /* inside raw text: index + 1 in pi_raw_names, else 0 */
    unsigned char is_end;       /* the tag being read is an end tag */
    unsigned char namelen;      /* bytes of its name so far; PI_NAME_MAX + 1: longer */
    char name[PI_NAME_MAX + 1]; /* its name, lower case (ASCII) */
    size_t base;                /* bytes scanned before the current chunk */
    size_t lt;                  /* absolute offset of the current tag's '<' */
} pi_html_scanner;

static int pi_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int pi_is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static unsigned char pi_lower(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

static void pi_name_add(pi_html_scanner *s, unsigned char c)
{
    if (s->namelen < PI_NAME_MAX) s->name[s->namelen] = (char)pi_lower(c);
    if (s->namelen <= PI_NAME_MAX) s->namelen++;
}

static int pi_name_is(const pi_html_scanner *s, const char *name)
{
    size_t n = strlen(name);
    return s->namelen == n && memcmp(s->name, name, n) == 0;
}

/* A tag is complete ('>'): the state after it. */
static unsigned char pi_after_tag(pi_html_scanner *s)
{
    size_t i;
    if (s->is_end) { s->raw = 0; return S_DATA; }
    if (pi_name_is(s, "plaintext")) return S_PLAINTEXT;
    for (i = 0; i < PI_RAW_COUNT; i++) {
        if (pi_name_is(s, pi_raw_names[i])) { s->raw = (unsigned char)(i + 1); return S_RAW; }
    }
    return S_DATA;
}

/* Scans p[0..n): returns the absolute offset of the last candidate found, or (size_t)-1. */
static size_t pi_scan(pi_html_scanner *s, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n, *start = p, *q;
    size_t found = (size_t)-1;
    unsigned char st = s->state, c;

    while (p < end) {
        switch (st) {
        case S_DATA:
            q = memchr(p, '<', (size_t)(end - p));
            if (q == NULL) { p = end; break; }
            s->lt = s->base + (size_t)(q - start);
            p = q + 1;
            st = S_TAG_OPEN;
            break;
        case S_TAG_OPEN:
            c = *p;
            if (c == '/') { st = S_END_TAG_OPEN; p++; }
            else if (c == '!') { st = S_MARKUP_DECL; p++; }
            else if (c == '?') { st = S_BOGUS_COMMENT; p++; }
            else if (pi_is_alpha(c)) { s->is_end = 0; s->namelen = 0; st = S_TAG_NAME; }
            else st = S_DATA;                     /* a '<' of text: this byte again */
            break;
        case S_END_TAG_OPEN:
            c = *p;
            if (pi_is_alpha(c)) { s->is_end = 1; s->namelen = 0; st = S_TAG_NAME; }
            else if (c == '>') { st = S_DATA; p++; }  /* "</>": nothing */
            else st = S_BOGUS_COMMENT;
            break;
        case S_TAG_NAME:
            c = *p++;
            if (pi_is_space(c) || c == '/' || c == '>') {
                if (s->is_end && pi_name_is(s, "body")) found = s->lt;
                st = c == '>' ? pi_after_tag(s) : c == '/' ? S_SELF_CLOSING : S_BEFORE_ATTR_NAME;
            } else {
                pi_name_add(s, c);
            }
            break;
        case S_BEFORE_ATTR_NAME:
            c = *p++;
            if (pi_is_space(c)) break;
            if (c == '/') st = S_SELF_CLOSING;
            else if (c == '>') st = pi_after_tag(s);
            else st = S_ATTR_NAME;                /* '=' too: a name starting with '=' */
            break;
        case S_ATTR_NAME:
            c = *p++;
            if (pi_is_space(c)) st = S_AFTER_ATTR_NAME;
            else if (c == '/') st = S_SELF_CLOSING;
            else if (c == '>') st = pi_after_tag(s);
            else if (c == '=') st = S_BEFORE_ATTR_VALUE;
            break;
        case S_AFTER_ATTR_NAME:
            c = *p++;
            if (pi_is_space(c)) break;
            if (c == '/') st = S_SELF_CLOSING;
            else if (c == '=') st = S_BEFORE_ATTR_VALUE;
            else if (c == '>') st = pi_after_tag(s);
            else st = S_ATTR_NAME;
            break;
        case S_BEFORE_ATTR_VALUE:
            c = *p++;
            if (pi_is_space(c)) break;
            if (c == '"') st = S_ATTR_DQ;
            else if (c == '\'') st = S_ATTR_SQ;
            else if (c == '>') st = pi_after_tag(s);
            else st = S_ATTR_UNQ;
            break;
        case S_ATTR_DQ:
        case S_ATTR_SQ:
            q = memchr(p, st == S_ATTR_DQ ? '"' : '\'', (size_t)(end - p));
            if (q == NULL) { p = end; break; }
            p = q + 1;
            st = S_AFTER_ATTR_QUOTED;
            break;
        case S_ATTR_UNQ:
            c = *p++;
            if (pi_is_space(c)) st = S_BEFORE_ATTR_NAME;
            else if (c == '>') st = pi_after_tag(s);
            break;
        case S_AFTER_ATTR_QUOTED:
            c = *p;
            if (pi_is_space(c)) { st = S_BEFORE_ATTR_NAME; p++; }
            else if (c == '/') { st = S_SELF_CLOSING; p++; }
            else if (c == '>') { st = pi_after_tag(s); p++; }
            else st = S_BEFORE_ATTR_NAME;         /* this byte again */
            break;
        case S_SELF_CLOSING:
            /* "<script/>" is still a script start tag in HTML: the flag changes nothing */
            if (*p == '>') { st = pi_after_tag(s); p++; }
            else st = S_BEFORE_ATTR_NAME;
            break;
        case S_MARKUP_DECL:                       /* after "<!" */
            if (*p == '-') { st = S_MARKUP_DASH; p++; }
            else st = S_BOGUS_COMMENT;            /* <!DOCTYPE>, <![CDATA[ in HTML: to '>' */
            break;
        case S_MARKUP_DASH:                       /* after "<!-" */
            if (*p == '-') { st = S_COMMENT_START; p++; }
            else st = S_BOGUS_COMMENT;
            break;
        case S_BOGUS_COMMENT:
            q = memchr(p, '>', (size_t)(end - p));
            if (q == NULL) { p = end; break; }
            p = q + 1;
            st = S_DATA;
            break;
        case S_COMMENT_START:                     /* after "<!--" */
            c = *p;
            if (c == '-') { st = S_COMMENT_START_DASH; p++; }
            else if (c == '>') { st = S_DATA; p++; }      /* "<!-->" */
            else st = S_COMMENT;
            break;
        case S_COMMENT_START_DASH:                /* after "<!---" */
            c = *p;
            if (c == '-') { st = S_COMMENT_END; p++; }
            else if (c == '>') { st = S_DATA; p++; }      /* "<!--->" */
            else st = S_COMMENT;
            break;
        case S_COMMENT:
            q = memchr(p, '-', (size_t)(end - p));
            if (q == NULL) { p = end; break; }
            p = q + 1;
            st = S_COMMENT_END_DASH;
            break;
        case S_COMMENT_END_DASH:
            if (*p == '-') { st = S_COMMENT_END; p++; }
            else st = S_COMMENT;
            break;
        case S_COMMENT_END:                       /* after "--" */
            c = *p;
            if (c == '>') { st = S_DATA; p++; }
            else if (c == '!') { st = S_COMMENT_END_BANG; p++; }
            else if (c == '-') p++;
            else st = S_COMMENT;
            break;
        case S_COMMENT_END_BANG:                  /* after "--!" */
            c = *p;
            if (c == '>') { st = S_DATA; p++; }
            else if (c == '-') { st = S_COMMENT_END_DASH; p++; }
            else st = S_COMMENT;
            break;
        case S_RAW:
            q = memchr(p, '<', (size_t)(end - p));
            if (q == NULL) { p = end; break; }
            p = q + 1;
            st = S_RAW_LT;
            break;
        case S_RAW_LT:
            if (*p == '/') { st = S_RAW_END_OPEN; s->namelen = 0; p++; }
            else st = S_RAW;
            break;
        case S_RAW_END_OPEN:                      /* "</" in raw text */
        case S_RAW_END_NAME: {
            const char *want = pi_raw_names[s->raw - 1];
            size_t len = strlen(want);
            c = *p;
            if (s->namelen < len) {
                if (pi_lower(c) == (unsigned char)want[s->namelen]) {
                    s->namelen++; p++; st = S_RAW_END_NAME;
                } else {
                    st = S_RAW;                   /* not our end tag: this byte again */
                }
            } else if (pi_is_space(c) || c == '/' || c == '>') {
                s->is_end = 1;                    /* the element's end tag: markup again */
                s->raw = 0;
                p++;
                st = c == '>' ? pi_after_tag(s) : c == '/' ? S_SELF_CLOSING : S_BEFORE_ATTR_NAME;
            } else {
                st = S_RAW;
            }
            break;
        }
        case S_PLAINTEXT:
        default:
            p = end;
            break;
        }
    }
    s->state = st;
    s->base += n;
    return found;
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
