/*
 * settings.c -- the page: the one builder of the chat widget's settings (the README, "The
 * page"), shared by every binding, so Python and Lua print the same bytes.
 *
 *   pylon_idv_page_prepare      every check, in this order: app_id, nonce, email, each field
 *                               (name, then value); the fields sorted by their UTF-8 bytes;
 *                               then the hash. Nothing is signed before every check passed.
 *   pylon_idv_page_render       the settings as JSON text, as an inline <script> (with a
 *                               nonce attribute when given one), or as a <script
 *                               type="application/json"> data element that pylon-chat.js reads.
 *   pylon_idv_widget_render     the widget loader: the window.Pylon command queue, and a
 *                               <script src> for https://widget.usepylon.com/widget/<app_id>.
 *   pylon_idv_script_tag_render the <script src> that loads pylon-chat.js.
 *
 * Strings are escaped by script.c (pylon_idv_json_string): besides JSON's escapes, < > &
 * U+2028 U+2029 become \u escapes, so no value can close the element, open a comment or end
 * a line. Numbers: integers within +-(2^53 - 1) (JavaScript's exact range), finite doubles
 * in the shortest form that reads back as the same double, written as JavaScript writes
 * numbers (Number.prototype.toString), so the text does not depend on the binding, the C
 * library's printf or the locale (number.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PI_MAX_SAFE_INTEGER 9007199254740991LL     /* 2^53 - 1 */
#define PI_NONCE_MAX 256
#define PI_WIDGET_URL "https://widget.usepylon.com/widget/"

/* ------------------------------------------------------------------- the rules */

#define RULE_COUNT (PYLON_IDV_PAGE_ESRC + 1)

static const struct {
    const char *text;
    int kind;
} rules[RULE_COUNT] = {
    [PYLON_IDV_PAGE_OK] = { "ok", PYLON_IDV_KIND_DATA },
    [PYLON_IDV_PAGE_EAPP_ID_EMPTY] = { "app_id must be a non-empty string", PYLON_IDV_KIND_USAGE },
    [PYLON_IDV_PAGE_EAPP_ID_CHAR] = { "app_id may hold only A-Z a-z 0-9 _ - (it goes into the "
                                      "widget's URL): invalid character at byte %lu",
                                      PYLON_IDV_KIND_USAGE },
    [PYLON_IDV_PAGE_ENONCE_LENGTH] = { "nonce must be 1 to 256 characters", PYLON_IDV_KIND_USAGE },
    [PYLON_IDV_PAGE_ENONCE_CHAR] = { "nonce may hold only base64 characters (A-Z a-z 0-9 + / = "
                                     "_ -): invalid character at byte %lu", PYLON_IDV_KIND_USAGE },
    [PYLON_IDV_PAGE_EEMAIL_UTF8] = { "email is not valid UTF-8 text (at byte %lu): the widget "
                                     "would show a replacement character and the hash would "
                                     "never match", PYLON_IDV_KIND_DATA },
    [PYLON_IDV_PAGE_EKEY_UTF8] = { "a field name is not valid UTF-8 text (at byte %lu)",
                                   PYLON_IDV_KIND_DATA },
    [PYLON_IDV_PAGE_EKEY_RESERVED] = { "%s is not a field: chat settings set it themselves",
                                       PYLON_IDV_KIND_TYPE },
    [PYLON_IDV_PAGE_EKEY_PROTO] = { "a field named __proto__ is refused (a JavaScript object "
                                    "literal would set the prototype instead)",
                                    PYLON_IDV_KIND_USAGE },
    [PYLON_IDV_PAGE_EKEY_DUPLICATE] = { "%s is given twice", PYLON_IDV_KIND_USAGE },
    [PYLON_IDV_PAGE_EVALUE_UTF8] = { "%s: the string is not valid UTF-8 text (at byte %lu)",
                                     PYLON_IDV_KIND_DATA },
    [PYLON_IDV_PAGE_EINT_RANGE] = { "%s: integer beyond +-(2^53 - 1), which JavaScript would "
                                    "round: pass it as a string", PYLON_IDV_KIND_DATA },
    [PYLON_IDV_PAGE_EFLOAT] = { "%s: not a finite number (NaN and infinities have no JSON form)",
                                PYLON_IDV_KIND_DATA },
    [PYLON_IDV_PAGE_ESECRET] = { "", PYLON_IDV_KIND_SECRET },
    [PYLON_IDV_PAGE_ETOO_LARGE] = { "chat settings too large", PYLON_IDV_KIND_MEMORY },
    [PYLON_IDV_PAGE_ECRYPTO] = { "signing failed (OpenSSL)", PYLON_IDV_KIND_CRYPTO },
    [PYLON_IDV_PAGE_EINVAL] = { "a secret or a signer is required", PYLON_IDV_KIND_TYPE },
    [PYLON_IDV_PAGE_ESRC] = { "the script's src must be a non-empty URL with no space or control "
                              "character (at byte %lu)", PYLON_IDV_KIND_USAGE },
};

int pylon_idv_page_error_kind(int rule)
{
    return rule > 0 && rule < RULE_COUNT ? rules[rule].kind : PYLON_IDV_KIND_USAGE;
}

static int is_plain_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '.' || c == '-';
}

const char *pylon_idv_field_label(char *out, size_t size, const char *key, size_t key_len)
{
    size_t i;
    int plain = key_len >= 1 && key_len <= 64;
    for (i = 0; plain && i < key_len; i++) plain = is_plain_name_char((unsigned char)key[i]);
    if (plain) snprintf(out, size, "field '%.*s'", (int)key_len, key);
    else snprintf(out, size, "a field (its name is not shown)");
    return out;
}

const char *pylon_idv_page_message(char *out, size_t size, const pylon_idv_page_error *err)
{
    char label[96];
    const char *text;
    unsigned long pos = (unsigned long)err->position;
    int rule = err->rule;

    if (size == 0) return out;
    if (rule == PYLON_IDV_PAGE_ESECRET)      /* the core's one formatter, as sign/verify/new */
        return pylon_idv_message(out, size, err->status, err->secret, err->secret_len, 0);
    if (rule <= 0 || rule >= RULE_COUNT) { snprintf(out, size, "unknown error"); return out; }
    text = rules[rule].text;
    if (err->field != NULL) pylon_idv_field_label(label, sizeof label, err->field->key, err->field->key_len);
    else snprintf(label, sizeof label, "a field");
    switch (rule) {
    case PYLON_IDV_PAGE_EAPP_ID_CHAR: case PYLON_IDV_PAGE_ENONCE_CHAR: case PYLON_IDV_PAGE_EEMAIL_UTF8:
    case PYLON_IDV_PAGE_EKEY_UTF8: case PYLON_IDV_PAGE_ESRC:
        snprintf(out, size, text, pos);
        break;
    case PYLON_IDV_PAGE_EKEY_RESERVED: {
        /* The four reserved names are plain: name them as such. */
        const char *k = err->field != NULL ? err->field->key : "";
        size_t n = err->field != NULL ? err->field->key_len : 0;
        if (n == 5 && memcmp(k, "nonce", 5) == 0)
            snprintf(out, size, "nonce is not a chat setting: pass it as the nonce option of "
                     "chat_settings_script or widget_script");
        else
            snprintf(out, size, text, label);
        break;
    }
    case PYLON_IDV_PAGE_EKEY_DUPLICATE: case PYLON_IDV_PAGE_EINT_RANGE: case PYLON_IDV_PAGE_EFLOAT:
        snprintf(out, size, text, label);
        break;
    case PYLON_IDV_PAGE_EVALUE_UTF8:
        snprintf(out, size, text, label, pos);
        break;
    default:
        snprintf(out, size, "%s", text);
    }
    return out;
}

/* ------------------------------------------------------------------- checks */

static int fail(pylon_idv_page_error *err, int rule, const pylon_idv_field *f, size_t position)
{
    err->rule = rule;
    err->status = 0;
    err->position = position;
    err->field = f;
    err->secret = NULL;
    err->secret_len = 0;
    return rule;
}

static int app_id_check(const char *s, size_t n, pylon_idv_page_error *err)
{
    size_t i;
    if (s == NULL || n == 0) return fail(err, PYLON_IDV_PAGE_EAPP_ID_EMPTY, NULL, 0);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-'))
            return fail(err, PYLON_IDV_PAGE_EAPP_ID_CHAR, NULL, i);
    }
    return PYLON_IDV_PAGE_OK;
}

static int nonce_check(const char *s, size_t n, pylon_idv_page_error *err)
{
    size_t i;
    if (s == NULL) return PYLON_IDV_PAGE_OK;                       /* no nonce */
    if (n == 0 || n > PI_NONCE_MAX) return fail(err, PYLON_IDV_PAGE_ENONCE_LENGTH, NULL, 0);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '+' || c == '/' || c == '=' || c == '_' || c == '-'))
            return fail(err, PYLON_IDV_PAGE_ENONCE_CHAR, NULL, i);
    }
    return PYLON_IDV_PAGE_OK;
}

int pylon_idv_widget_check(const char *app_id, size_t app_id_len, const char *nonce,
                           size_t nonce_len, pylon_idv_page_error *err)
{
    int rc = app_id_check(app_id, app_id_len, err);
    return rc != PYLON_IDV_PAGE_OK ? rc : nonce_check(nonce, nonce_len, err);
}

int pylon_idv_script_tag_check(const char *src, size_t src_len, const char *nonce,
                               size_t nonce_len, pylon_idv_page_error *err)
{
    size_t i;
    if (src == NULL || src_len == 0) return fail(err, PYLON_IDV_PAGE_ESRC, NULL, 0);
    for (i = 0; i < src_len; i++)
        if ((unsigned char)src[i] <= 0x20 || (unsigned char)src[i] == 0x7f)
            return fail(err, PYLON_IDV_PAGE_ESRC, NULL, i);
    return nonce_check(nonce, nonce_len, err);
}

static int key_is(const pylon_idv_field *f, const char *name)
{
    size_t n = strlen(name);
    return f->key_len == n && memcmp(f->key, name, n) == 0;
}

static int field_check(const pylon_idv_field *f, pylon_idv_page_error *err)
{
    size_t pos = 0;
    if (f->key == NULL && f->key_len != 0) return fail(err, PYLON_IDV_PAGE_EINVAL, f, 0);
    if (!pi_utf8_check(f->key, f->key_len, &pos)) return fail(err, PYLON_IDV_PAGE_EKEY_UTF8, f, pos);
    if (key_is(f, "app_id") || key_is(f, "email") || key_is(f, "email_hash")
        || key_is(f, "nonce"))
        return fail(err, PYLON_IDV_PAGE_EKEY_RESERVED, f, 0);
    if (key_is(f, "__proto__")) return fail(err, PYLON_IDV_PAGE_EKEY_PROTO, f, 0);
    switch (f->type) {
    case PYLON_IDV_VALUE_NONE: case PYLON_IDV_VALUE_BOOL:
        return PYLON_IDV_PAGE_OK;
    case PYLON_IDV_VALUE_STRING:
        if (f->str == NULL && f->str_len != 0) return fail(err, PYLON_IDV_PAGE_EINVAL, f, 0);
        if (!pi_utf8_check(f->str, f->str_len, &pos))
            return fail(err, PYLON_IDV_PAGE_EVALUE_UTF8, f, pos);
        return PYLON_IDV_PAGE_OK;
    case PYLON_IDV_VALUE_INT:
        if (f->integer > PI_MAX_SAFE_INTEGER || f->integer < -PI_MAX_SAFE_INTEGER)
            return fail(err, PYLON_IDV_PAGE_EINT_RANGE, f, 0);
        return PYLON_IDV_PAGE_OK;
    case PYLON_IDV_VALUE_INT_HUGE:
        return fail(err, PYLON_IDV_PAGE_EINT_RANGE, f, 0);
    case PYLON_IDV_VALUE_FLOAT:
        if (!isfinite(f->number)) return fail(err, PYLON_IDV_PAGE_EFLOAT, f, 0);
        return PYLON_IDV_PAGE_OK;
    default:
        return fail(err, PYLON_IDV_PAGE_EINVAL, f, 0);
    }
}

static int key_cmp(const pylon_idv_field *x, const pylon_idv_field *y)
{
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c != 0) return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static int field_cmp(const void *a, const void *b)
{
    return key_cmp((const pylon_idv_field *)a, (const pylon_idv_field *)b);
}

int pylon_idv_page_prepare(pylon_idv_page *p, const pylon_idv_signer *signer, const char *secret,
                    size_t secret_len, pylon_idv_page_error *err)
{
    size_t i, o, pos = 0;
    int rc;

    memset(err, 0, sizeof *err);
    p->email_hash[0] = '\0';
    p->nout = 0;
    if ((rc = app_id_check(p->app_id, p->app_id_len, err)) != PYLON_IDV_PAGE_OK) return rc;
    if ((rc = nonce_check(p->nonce, p->nonce_len, err)) != PYLON_IDV_PAGE_OK) return rc;
    if (p->email != NULL && !pi_utf8_check(p->email, p->email_len, &pos))
        return fail(err, PYLON_IDV_PAGE_EEMAIL_UTF8, NULL, pos);
    if (p->fields == NULL && p->nfields != 0) return fail(err, PYLON_IDV_PAGE_EINVAL, NULL, 0);
    for (i = 0; i < p->nfields; i++)
        if ((rc = field_check(&p->fields[i], err)) != PYLON_IDV_PAGE_OK) return rc;
    if (p->nfields > 1) qsort(p->fields, p->nfields, sizeof *p->fields, field_cmp);
    for (i = 1; i < p->nfields; i++)
        if (key_cmp(&p->fields[i - 1], &p->fields[i]) == 0)
            return fail(err, PYLON_IDV_PAGE_EKEY_DUPLICATE, &p->fields[i], 0);
    for (i = o = 0; i < p->nfields; i++)          /* drop PYLON_IDV_VALUE_NONE, keeping the order */
        if (p->fields[i].type != PYLON_IDV_VALUE_NONE) {
            if (o != i) { pylon_idv_field t = p->fields[o]; p->fields[o] = p->fields[i]; p->fields[i] = t; }
            o++;
        }
    p->nout = o;

    /* Every check passed: now the secret (checked even for a visitor, so that a missing or
     * malformed secret is loud from the first page view) and the hash. */
    if (signer == NULL && secret == NULL) return fail(err, PYLON_IDV_PAGE_EINVAL, NULL, 0);
    if (signer == NULL) {
        rc = p->email != NULL
           ? pylon_idv_sign(p->email_hash, p->email, p->email_len, secret, secret_len)
           : pylon_idv_secret_check(secret, secret_len, &pos);
        if (rc != PYLON_IDV_OK) {
            p->email_hash[0] = '\0';
            if (rc == PYLON_IDV_ESECRET_EMPTY || rc == PYLON_IDV_ESECRET_ODD
                || rc == PYLON_IDV_ESECRET_CHAR) {
                if (pylon_idv_secret_check(secret, secret_len, &pos) != PYLON_IDV_ESECRET_CHAR)
                    pos = 0;                      /* a position only for CHAR */
                fail(err, PYLON_IDV_PAGE_ESECRET, NULL, pos);
                err->status = rc;
                err->secret = secret;
                err->secret_len = secret_len;
                return PYLON_IDV_PAGE_ESECRET;
            }
            return fail(err, rc == PYLON_IDV_ENOMEM ? PYLON_IDV_PAGE_ETOO_LARGE : PYLON_IDV_PAGE_ECRYPTO,
                        NULL, 0);
        }
    } else if (p->email != NULL) {
        if (pylon_idv_signer_sign(signer, p->email_hash, p->email, p->email_len) != 0)
            return fail(err, PYLON_IDV_PAGE_ECRYPTO, NULL, 0);
    }
    return PYLON_IDV_PAGE_OK;
}

/* ------------------------------------------------------------------- output */

#define S_SCRIPT_OPEN "<script"
#define S_NONCE_OPEN " nonce=\""
/* The settings script. window.pylon is written into only when it is a plain object (prototype
 * Object.prototype, or null but not a cross-origin window: <iframe name="pylon">); a named
 * element (<form id="pylon">, two <a id="pylon">, <img name="pylon">) is replaced by {}. */
#define S_SCRIPT_HEAD ">(function(w,O){var p=w.pylon," \
    "q=p&&typeof p==\"object\"?O.getPrototypeOf(p):1;" \
    "if(q!==O.prototype&&(q!==null||p.window===p))w.pylon=p={};p.chat_settings="
#define S_SCRIPT_TAIL "})(window,Object);</script>"
#define S_DATA_HEAD "<script type=\"application/json\" id=\"pylon-chat-settings\">"
#define S_DATA_TAIL "</script>"
#define LIT(s) (sizeof(s) - 1)

static int add(size_t *total, size_t n)
{
    if (n > SIZE_MAX - *total) return 0;
    *total += n;
    return 1;
}

static int add_json(size_t *total, size_t n)
{
    if (n > (SIZE_MAX - 3) / 6) return 0;
    return add(total, PYLON_IDV_JSON_STRING_SIZE(n));
}

size_t pylon_idv_page_size(const pylon_idv_page *p, int kind)
{
    size_t total = 1, i;                              /* NUL */
    int ok = add(&total, 2 + LIT("\"app_id\":")) && add_json(&total, p->app_id_len);
    if (p->email != NULL)
        ok = ok && add(&total, LIT(",\"email\":,\"email_hash\":") + PYLON_IDV_HASH_HEX_LEN + 2)
                && add_json(&total, p->email_len);
    for (i = 0; ok && i < p->nout; i++) {
        const pylon_idv_field *f = &p->fields[i];
        ok = add(&total, 2) && add_json(&total, f->key_len)
          && (f->type == PYLON_IDV_VALUE_STRING ? add_json(&total, f->str_len)
                                         : add(&total, PYLON_IDV_NUMBER_SIZE));
    }
    if (kind == PYLON_IDV_PAGE_SCRIPT)
        ok = ok && add(&total, LIT(S_SCRIPT_OPEN S_NONCE_OPEN "\"" S_SCRIPT_HEAD S_SCRIPT_TAIL))
                && add(&total, p->nonce != NULL ? p->nonce_len : 0);
    else if (kind == PYLON_IDV_PAGE_DATA)
        ok = ok && add(&total, LIT(S_DATA_HEAD S_DATA_TAIL));
    return ok ? total : 0;
}

static size_t put(char *out, const char *s, size_t n)
{
    if (n) memcpy(out, s, n);
    return n;
}

static size_t render_json(char *out, const pylon_idv_page *p)
{
    size_t o = 0, i;
    o += put(out + o, "{\"app_id\":", LIT("{\"app_id\":"));
    o += pylon_idv_json_string(out + o, p->app_id, p->app_id_len);
    if (p->email != NULL) {
        o += put(out + o, ",\"email\":", LIT(",\"email\":"));
        o += pylon_idv_json_string(out + o, p->email, p->email_len);
        o += put(out + o, ",\"email_hash\":\"", LIT(",\"email_hash\":\""));
        o += put(out + o, p->email_hash, PYLON_IDV_HASH_HEX_LEN);
        out[o++] = '"';
    }
    for (i = 0; i < p->nout; i++) {
        const pylon_idv_field *f = &p->fields[i];
        out[o++] = ',';
        o += pylon_idv_json_string(out + o, f->key, f->key_len);
        out[o++] = ':';
        switch (f->type) {
        case PYLON_IDV_VALUE_STRING: o += pylon_idv_json_string(out + o, f->str, f->str_len); break;
        case PYLON_IDV_VALUE_BOOL: o += f->boolean ? put(out + o, "true", 4) : put(out + o, "false", 5);
                            break;
        case PYLON_IDV_VALUE_INT: o += pi_format_int(out + o, f->integer); break;
        default: o += pi_format_double(out + o, f->number); break;
        }
    }
    out[o++] = '}';
    out[o] = '\0';
    return o;
}

static size_t script_open(char *out, const char *nonce, size_t nonce_len)
{
    size_t o = put(out, S_SCRIPT_OPEN, LIT(S_SCRIPT_OPEN));
    if (nonce != NULL) {
        o += put(out + o, S_NONCE_OPEN, LIT(S_NONCE_OPEN));
        o += put(out + o, nonce, nonce_len);                /* base64: checked */
        out[o++] = '"';
    }
    return o;
}

size_t pylon_idv_page_render(char *out, const pylon_idv_page *p, int kind)
{
    size_t o = 0;
    if (kind == PYLON_IDV_PAGE_SCRIPT) {
        o += script_open(out, p->nonce, p->nonce_len);
        o += put(out + o, S_SCRIPT_HEAD, LIT(S_SCRIPT_HEAD));
        o += render_json(out + o, p);
        o += put(out + o, S_SCRIPT_TAIL, LIT(S_SCRIPT_TAIL));
    } else if (kind == PYLON_IDV_PAGE_DATA) {
        o += put(out, S_DATA_HEAD, LIT(S_DATA_HEAD));
        o += render_json(out + o, p);
        o += put(out + o, S_DATA_TAIL, LIT(S_DATA_TAIL));
    } else {
        o = render_json(out, p);
    }
    out[o] = '\0';
    return o;
}

/* The loader. The command queue has the shape Pylon's widget takes over (window.Pylon(...)
 * calls kept in Pylon.q through Pylon.e); the widget's <script> gets this element's nonce,
 * so that it loads under a nonce-only policy too ('strict-dynamic' or not). A window.Pylon
 * that is not a function (<form id="Pylon">, <a id="Pylon">, an <embed>, whose typeof may be
 * "function") is replaced, and document is read through Document.prototype, which no
 * <img name="createElement"> or <form name="currentScript"> can shadow. */
#define W_BODY_HEAD ">(function(w,d,O){var P=w.Pylon,D=Document.prototype,s,c," \
    "G=function(n){return O.getOwnPropertyDescriptor(D,n).get.call(d)};" \
    "if(!(P instanceof Function)){P=function(){P.e(arguments)};" \
    "P.q=[];P.e=function(a){P.q.push(a)};w.Pylon=P}if(P.loading)return;P.loading=1;" \
    "s=D.createElement.call(d,\"script\");c=G(\"currentScript\");s.async=true;" \
    "s.src=\"" PI_WIDGET_URL
#define W_BODY_TAIL "\";if(c&&c.nonce)s.nonce=c.nonce;" \
    "(G(\"head\")||G(\"documentElement\")).appendChild(s)})(window,document,Object);</script>"

/* PYLON_IDV_PAGE_FIXED_SIZE (public: a binding may bound its output with it before it
 * collects the fields) holds every form's fixed text, with room for the JSON keys and the
 * hash (about 100 bytes): checked at compile time. */
typedef char pi_fixed_text_fits[
    (LIT(S_SCRIPT_OPEN S_NONCE_OPEN "\"" S_SCRIPT_HEAD S_SCRIPT_TAIL) + 128
         < PYLON_IDV_PAGE_FIXED_SIZE
     && LIT(S_SCRIPT_OPEN S_NONCE_OPEN "\"" W_BODY_HEAD W_BODY_TAIL) + 128
         < PYLON_IDV_PAGE_FIXED_SIZE
     && LIT(S_DATA_HEAD S_DATA_TAIL) + 128 < PYLON_IDV_PAGE_FIXED_SIZE) ? 1 : -1];

size_t pylon_idv_widget_size(size_t app_id_len, size_t nonce_len)
{
    size_t total = 1;
    int ok = add(&total, LIT(S_SCRIPT_OPEN S_NONCE_OPEN "\"" W_BODY_HEAD W_BODY_TAIL))
          && add(&total, app_id_len) && add(&total, nonce_len);
    return ok ? total : 0;
}

size_t pylon_idv_widget_render(char *out, const char *app_id, size_t app_id_len, const char *nonce,
                        size_t nonce_len)
{
    size_t o = script_open(out, nonce, nonce_len);
    o += put(out + o, W_BODY_HEAD, LIT(W_BODY_HEAD));
    o += put(out + o, app_id, app_id_len);                  /* [A-Za-z0-9_-]: checked */
    o += put(out + o, W_BODY_TAIL, LIT(W_BODY_TAIL));
    out[o] = '\0';
    return o;
}

/* The tag that loads pylon-chat.js. src is written as an HTML attribute value: & < > " '
 * become character references (at most 6 bytes each: "&quot;"). */
#define T_SRC_OPEN "<script src=\""
#define T_CLOSE "></script>"

size_t pylon_idv_script_tag_size(size_t src_len, size_t nonce_len)
{
    size_t total = 1;
    int ok = src_len <= ((size_t)-1) / 6
          && add(&total, LIT(T_SRC_OPEN "\"" S_NONCE_OPEN "\"" T_CLOSE))
          && add(&total, 6 * src_len) && add(&total, nonce_len);
    return ok ? total : 0;
}

size_t pylon_idv_script_tag_render(char *out, const char *src, size_t src_len,
                                   const char *nonce, size_t nonce_len)
{
    size_t o = put(out, T_SRC_OPEN, LIT(T_SRC_OPEN)), i;
    for (i = 0; i < src_len; i++) {
        switch (src[i]) {
        case '&': o += put(out + o, "&amp;", 5); break;
        case '<': o += put(out + o, "&lt;", 4); break;
        case '>': o += put(out + o, "&gt;", 4); break;
        case '"': o += put(out + o, "&quot;", 6); break;
        case '\'': o += put(out + o, "&#39;", 5); break;
        default: out[o++] = src[i];
        }
    }
    out[o++] = '"';
    if (nonce != NULL) {                                    /* base64: checked */
        o += put(out + o, S_NONCE_OPEN, LIT(S_NONCE_OPEN));
        o += put(out + o, nonce, nonce_len);
        out[o++] = '"';
    }
    o += put(out + o, T_CLOSE, LIT(T_CLOSE));
    out[o] = '\0';
    return o;
}
