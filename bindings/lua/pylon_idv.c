/*
 * pylon_idv.c -- the Lua module: `local idv = require "pylon_idv"`.
 *
 * One source for Lua 5.1, 5.2, 5.3, 5.4, 5.5 and LuaJIT 2.1 (OpenResty). Written to the 5.2+ C API;
 * what 5.1/LuaJIT lack is shimmed below under private names (pi_*), never as a global, so this
 * file cannot clash with a compat library linked into the same process.
 *
 * A thin translation layer over the public C API (core/include/pylon_idv.h), compiled together
 * with the core sources (luarocks builtin and CMake both do). Conventions, as in OpenResty:
 *   - a wrong argument type raises (luaL_checklstring: a number is coerced as Lua does),
 *     except for a secret, which must be a string (a number raises: check_secret);
 *   - a list of previous secrets is a sequence, keys 1..n and nothing else (else it raises);
 *   - bad data (a malformed secret) returns nil, "pylon_idv: invalid secret: ...";
 *   - verify returns true/false; a missing or malformed hash is simply not a match.
 * Messages never contain any part of a secret.
 *
 * Also idv.diagnose (a developer tool, never for a request path) and the page functions
 * (idv.chat_settings_json, _script, _data, idv.widget_script): translations over the core's
 * one settings builder (settings.c), which Python uses too, so both print the same bytes.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LUA_LIB
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"          /* LuaJIT: LUA_FFILIBNAME */

#include "pylon_idv.h"

#include <openssl/crypto.h>     /* OPENSSL_cleanse */

#define PI_SIGNER_MT "pylon_idv.signer"

/* ----------------------------------------------------------------- compatibility */
/* Lua 5.1 and LuaJIT (LUA_VERSION_NUM 501). LuaJIT 2.1 declares some 5.2 functions itself;
 * the private names keep one code path for every version. */
#if !defined(LUA_VERSION_NUM) || LUA_VERSION_NUM < 502
static void pi_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
    int i;
    luaL_checkstack(L, nup + 1, "too many upvalues");
    for (; l->name != NULL; l++) {
        for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
        lua_pushcclosure(L, l->func, nup);
        lua_setfield(L, -(nup + 2), l->name);
    }
    lua_pop(L, nup);
}
#  define pi_rawlen(L, i) lua_objlen((L), (i))
#else
#  define pi_setfuncs(L, l, n) luaL_setfuncs((L), (l), (n))
#  define pi_rawlen(L, i) lua_rawlen((L), (i))
#endif

static void pi_newlib(lua_State *L, const luaL_Reg *l)
{
    int n = 0;
    while (l[n].name != NULL) n++;
    lua_createtable(L, 0, n);
    pi_setfuncs(L, l, 0);
}

/* luaL_testudata (5.2+), for every version: the userdata at i if its metatable is tname's. */
static void *pi_testudata(lua_State *L, int i, const char *tname)
{
    void *p = lua_touserdata(L, i);
    int same;
    if (p == NULL || !lua_getmetatable(L, i)) return NULL;
    luaL_getmetatable(L, tname);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? p : NULL;
}

/* ------------------------------------------------------------------------ errors */

/* Push nil and the core's message for status (pylon_idv_message: the same words as Python's
 * and the commands'); 2 results. which: 0 the secret, k the k-th previous one,
 * PYLON_IDV_MESSAGE_KEY a raw key. */
static int push_error(lua_State *L, int status, const char *secret, size_t secret_len,
                      size_t which)
{
    char reason[PYLON_IDV_MESSAGE_SIZE];
    size_t position = 0;
    int is_secret = status == PYLON_IDV_ESECRET_EMPTY || status == PYLON_IDV_ESECRET_ODD
                 || status == PYLON_IDV_ESECRET_CHAR;
    if (!is_secret) { secret = NULL; secret_len = 0; which = 0; }
    pylon_idv_message(reason, sizeof reason, status, secret, secret_len, which);
    lua_pushnil(L);
    lua_pushfstring(L, "pylon_idv: %s", reason);
    /* the parts as data: { status = -3, reason = "invalid secret: ...", position = 17,
     * which = 2 } (position: 0-based, in the string as given; which: 0 the current secret,
     * k the k-th previous; both absent where they do not apply) */
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
    lua_pushstring(L, reason);
    lua_setfield(L, -2, "reason");
    if (is_secret && status != PYLON_IDV_ESECRET_EMPTY && secret != NULL
        && which != PYLON_IDV_MESSAGE_KEY
        && pylon_idv_secret_check(secret, secret_len, &position) == status) {
        lua_pushinteger(L, (lua_Integer)position);
        lua_setfield(L, -2, "position");
    }
    if (is_secret && which != PYLON_IDV_MESSAGE_KEY) {
        lua_pushinteger(L, (lua_Integer)which);
        lua_setfield(L, -2, "which");
    }
    return 3;
}

/* A secret argument: a string, nothing else. Unlike luaL_checklstring, a number raises:
 * idv.sign(e, 0x1234) would key HMAC with the text "4660", and 1e3 reads differently on 5.1
 * and 5.3. */
static const char *check_secret(lua_State *L, int arg, size_t *len)
{
    if (lua_type(L, arg) != LUA_TSTRING) {
        const char *msg = lua_pushfstring(L, "secret string expected, got %s",
                                          luaL_typename(L, arg));
        luaL_argerror(L, arg, msg);
    }
    return lua_tolstring(L, arg, len);
}

/* The hash argument of verify/match: a string, or anything else (nil, none, a table from a
 * repeated query argument, `true` from a bare one) which is simply not a match. */
static const char *opt_hash(lua_State *L, int arg, size_t *len)
{
    if (lua_type(L, arg) == LUA_TSTRING) return lua_tolstring(L, arg, len);
    *len = 0;
    return NULL;
}

/* ---------------------------------------------------------------------- one-shot */

/* idv.sign(email, secret_hex) -> hash | nil, err */
static int l_sign(lua_State *L)
{
    size_t email_len, secret_len;
    const char *email = luaL_checklstring(L, 1, &email_len);
    const char *secret = check_secret(L, 2, &secret_len);
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc = pylon_idv_sign(hash, email, email_len, secret, secret_len);

    if (rc != PYLON_IDV_OK) return push_error(L, rc, secret, secret_len, 0);
    lua_pushlstring(L, hash, PYLON_IDV_HASH_HEX_LEN);
    return 1;
}

/* idv.verify(email, secret_hex, hash) -> true | false | nil, err */
static int l_verify(lua_State *L)
{
    size_t email_len, secret_len, hash_len;
    const char *email = luaL_checklstring(L, 1, &email_len);
    const char *secret = check_secret(L, 2, &secret_len);
    const char *hash = opt_hash(L, 3, &hash_len);
    /* The C verify fails closed (0 for a bad secret too); here a bad secret is loud,
     * checked first. */
    int rc = pylon_idv_secret_check(secret, secret_len, NULL);

    if (rc < 0) return push_error(L, rc, secret, secret_len, 0);
    lua_pushboolean(L, pylon_idv_verify(email, email_len, secret, secret_len, hash, hash_len) == 1);
    return 1;
}

/* idv.generate_secret() -> 64 hex digits | nil, err */
static int l_generate_secret(lua_State *L)
{
    char secret[PYLON_IDV_SECRET_HEX_SIZE];
    int rc = pylon_idv_generate_secret(secret);

    if (rc != PYLON_IDV_OK) return push_error(L, rc, NULL, 0, 0);
    lua_pushlstring(L, secret, PYLON_IDV_SECRET_HEX_SIZE - 1);
    OPENSSL_cleanse(secret, sizeof secret);  /* (memset would be optimised away) the Lua
                                                string is the caller's to keep */
    return 1;
}

/* ------------------------------------------------------------------------ signer */

typedef struct pi_lsigner {
    pylon_idv_signer *signer;       /* NULL until set up, and after __gc/__close */
} pi_lsigner;

/* A new, empty signer userdata on the stack: created before the core object, so that any
 * error afterwards (a raise, out of memory) leaves the core object owned and collected. */
static pi_lsigner *new_lsigner(lua_State *L)
{
    pi_lsigner *u = (pi_lsigner *)lua_newuserdata(L, sizeof *u);
    u->signer = NULL;
    luaL_getmetatable(L, PI_SIGNER_MT);
    lua_setmetatable(L, -2);
    return u;
}

/* The signer at arg 1 (self); raises for another type or a closed signer. */
static const pylon_idv_signer *check_signer(lua_State *L)
{
    pi_lsigner *u = (pi_lsigner *)luaL_checkudata(L, 1, PI_SIGNER_MT);
    if (u->signer == NULL) luaL_error(L, "pylon_idv: attempt to use a closed signer");
    return u->signer;
}

/* A list with a metatable (a read-only configuration proxy: an empty raw table, values
 * through __index and __len) is read through its metamethods: entries 1, 2, ... until the
 * first nil, which must agree with __len when there is one. The copy, a plain table, replaces
 * the argument; never silently an empty list. */
#define PI_PREVIOUS_MAX 4096
static void previous_through_metatable(lua_State *L, int arg)
{
    lua_Integer i;
    if (!lua_getmetatable(L, arg)) return;
    lua_pop(L, 1);
    lua_newtable(L);
    for (i = 1; ; i++) {
        lua_pushinteger(L, i);
        lua_gettable(L, arg);                  /* __index runs */
        if (lua_isnil(L, -1)) { lua_pop(L, 1); break; }
        if (i > PI_PREVIOUS_MAX) luaL_argerror(L, arg, "previous secrets: more than 4096 entries");
        lua_rawseti(L, -2, (int)i);
    }
    if (luaL_getmetafield(L, arg, "__len")) {
        lua_pushvalue(L, arg);
        lua_call(L, 1, 1);
        if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) != (lua_Number)(i - 1)) {
            const char *msg = lua_pushfstring(L, "previous secrets: its __len does not say %d, "
                                              "the number of entries 1, 2, ... it gives",
                                              (int)(i - 1));
            luaL_argerror(L, arg, msg);
        }
        lua_pop(L, 1);
    }
    lua_replace(L, arg);
}

/* The previous secrets at arg: a sequence, keys 1..n and nothing else (a key like `old = X`
 * or a hole would otherwise silently drop a secret), each value a string. Raises; returns n.
 * A plain table is read raw; one with a metatable through it (above). This runs before any
 * key material exists. */
static size_t check_previous(lua_State *L, int arg)
{
    size_t n = 0, i;
    luaL_checktype(L, arg, LUA_TTABLE);
    previous_through_metatable(L, arg);
    lua_pushnil(L);
    while (lua_next(L, arg) != 0) {
        lua_Number x = lua_type(L, -2) == LUA_TNUMBER ? lua_tonumber(L, -2) : 0;
        if (x != floor(x) || x < 1 || x > (lua_Number)INT_MAX) {   /* 0: not a number key */
            lua_pop(L, 2);
            luaL_argerror(L, arg, "previous secrets must be a list (keys 1..n only)");
        }
        n++;
        lua_pop(L, 1);
    }
    for (i = 1; i <= n; i++) {
        int t;
        lua_rawgeti(L, arg, (int)i);
        t = lua_type(L, -1);
        lua_pop(L, 1);
        if (t == LUA_TNIL)          /* n integer keys >= 1, but not 1..n: a hole */
            luaL_argerror(L, arg, "previous secrets must be a list (keys 1..n only)");
        if (t != LUA_TSTRING) {
            const char *msg = lua_pushfstring(L, "previous secret #%d: string expected, got %s",
                                              (int)i, lua_typename(L, t));
            luaL_argerror(L, arg, msg);
        }
    }
    return n;
}

/* idv.new(secret_hex [, previous_list]) -> signer | nil, err */
static int l_new(lua_State *L)
{
    size_t secret_len, prev_len, i, n = 0;
    const char *secret = check_secret(L, 1, &secret_len);
    const char *prev;
    pi_lsigner *u;
    int rc;

    if (!lua_isnoneornil(L, 2)) n = check_previous(L, 2);
    lua_settop(L, 2);
    u = new_lsigner(L);                                    /* index 3 */
    rc = pylon_idv_signer_new(&u->signer, secret, secret_len);
    if (rc != PYLON_IDV_OK) return push_error(L, rc, secret, secret_len, 0);
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, (int)i);
        prev = lua_tolstring(L, -1, &prev_len);           /* a string, checked */
        rc = pylon_idv_signer_add_previous(u->signer, prev, prev_len);
        if (rc != PYLON_IDV_OK) {
            pylon_idv_signer_free(u->signer);              /* now, not at the next GC */
            u->signer = NULL;
            return push_error(L, rc, prev, prev_len, i);   /* "... (previous secret #i)" */
        }
        lua_pop(L, 1);
    }
    return 1;
}

/* idv.from_key(key_bytes) -> signer | nil, err  (HMAC keyed with the bytes themselves) */
static int l_from_key(lua_State *L)
{
    size_t key_len;
    const char *key = luaL_checklstring(L, 1, &key_len);
    pi_lsigner *u;
    int rc;

    lua_settop(L, 1);
    u = new_lsigner(L);
    rc = pylon_idv_signer_new_from_key(&u->signer, key, key_len);
    if (rc != PYLON_IDV_OK) return push_error(L, rc, NULL, 0, PYLON_IDV_MESSAGE_KEY);
    return 1;
}

/* signer:sign(email) -> hash */
static int m_sign(lua_State *L)
{
    const pylon_idv_signer *s = check_signer(L);
    size_t email_len;
    const char *email = luaL_checklstring(L, 2, &email_len);
    char hash[PYLON_IDV_HASH_HEX_SIZE];

    if (pylon_idv_signer_sign(s, hash, email, email_len) != PYLON_IDV_OK)
        return luaL_error(L, "pylon_idv: signing failed");          /* EVP build only */
    lua_pushlstring(L, hash, PYLON_IDV_HASH_HEX_LEN);
    return 1;
}

/* signer:verify(email, hash) -> true | false */
static int m_verify(lua_State *L)
{
    const pylon_idv_signer *s = check_signer(L);
    size_t email_len, hash_len;
    const char *email = luaL_checklstring(L, 2, &email_len);
    const char *hash = opt_hash(L, 3, &hash_len);

    lua_pushboolean(L, pylon_idv_signer_verify(s, email, email_len, hash, hash_len) == 1);
    return 1;
}

/* signer:match(email, hash) -> 0 (current) | k (k-th previous) | nil (none) */
static int m_match(lua_State *L)
{
    const pylon_idv_signer *s = check_signer(L);
    size_t email_len, hash_len;
    const char *email = luaL_checklstring(L, 2, &email_len);
    const char *hash = opt_hash(L, 3, &hash_len);
    size_t k;

    if (pylon_idv_signer_match(s, email, email_len, hash, hash_len, &k) == 1)
        lua_pushinteger(L, (lua_Integer)k);
    else lua_pushnil(L);
    return 1;
}

/* signer:fingerprint() -> 16 hex digits */
static int m_fingerprint(lua_State *L)
{
    const pylon_idv_signer *s = check_signer(L);
    char fp[PYLON_IDV_FINGERPRINT_SIZE];

    if (pylon_idv_signer_fingerprint(s, fp) != PYLON_IDV_OK)
        return luaL_error(L, "pylon_idv: fingerprint failed");      /* EVP build only */
    lua_pushstring(L, fp);
    return 1;
}

/* __gc, and __close on 5.4: wipe and free; safe to run any number of times. */
static int m_gc(lua_State *L)
{
    pi_lsigner *u = (pi_lsigner *)luaL_checkudata(L, 1, PI_SIGNER_MT);
    pylon_idv_signer *s = u->signer;
    u->signer = NULL;
    pylon_idv_signer_free(s);                              /* wipes (OPENSSL_cleanse) */
    return 0;
}

/* __tostring: the fingerprint only, never the secret. */
static int m_tostring(lua_State *L)
{
    pi_lsigner *u = (pi_lsigner *)luaL_checkudata(L, 1, PI_SIGNER_MT);
    char fp[PYLON_IDV_FINGERPRINT_SIZE];

    if (u->signer == NULL) {
        lua_pushliteral(L, PI_SIGNER_MT ": closed");
        return 1;
    }
    if (pylon_idv_signer_fingerprint(u->signer, fp) != PYLON_IDV_OK) fp[0] = '\0';
    lua_pushfstring(L, PI_SIGNER_MT ": %s", fp);
    return 1;
}

/* ------------------------------------------------------------------ diagnose */

/* idv.diagnose(email, secret_hex, hash) -> cause_name, message
 * Never fails on data: a malformed secret is itself a cause (invalid_secret, truncated_secret),
 * and a hash that is not a string (nil, true, a table) counts as "", as in verify. A developer
 * tool: not constant time, and it answers questions about the secret, so never expose it on an
 * HTTP endpoint (pylon-idv diagnose is the command-line form). */
static int l_diagnose(lua_State *L)
{
    size_t email_len, secret_len, hash_len;
    const char *email = luaL_checklstring(L, 1, &email_len);
    const char *secret = check_secret(L, 2, &secret_len);
    const char *hash = opt_hash(L, 3, &hash_len);
    int cause = pylon_idv_diagnose(email, email_len, secret, secret_len, hash, hash_len);

    lua_pushstring(L, pylon_idv_cause_name(cause));
    lua_pushstring(L, pylon_idv_cause_message(cause));
    return 2;
}

/* ------------------------------------------------------------------------ the page */
/*
 * idv.chat_settings_json / _script / _data (email, secret_or_signer, fields [, opts]) and
 * idv.widget_script(app_id [, opts]): a translation of the arguments into the core's input
 * (pylon_idv_page: app_id, email or NULL, nonce, an array of typed fields), then the one builder
 * (settings.c, shared with Python): every check, then the hash, then the text.
 *
 * email nil is a visitor who is not logged in. fields is a table read raw (no __pairs or
 * __index) with string keys; fields.app_id is the widget's app id; values are strings,
 * booleans and numbers (Lua 5.3+ integers must be within +-(2^53 - 1); floats, and every
 * number of 5.1/LuaJIT, must be finite). opts.nonce (script, widget) is the CSP nonce.
 * Programming errors raise (types, reserved names, __proto__, app_id, nonce); bad data (a
 * bad secret, invalid UTF-8, an integer out of range, NaN) returns nil, err.
 *
 * Strings are read in place. Every Lua allocation (which may run a finalizer, which may
 * change the table) happens before the pointers into the table are taken: pass 1 checks the
 * types and bounds the output, then both blocks are allocated, then pass 2 collects.
 */

/* Add n to *total; raise rather than wrap around. */
static void add_size(lua_State *L, size_t *total, size_t n)
{
    if (n > SIZE_MAX - *total) luaL_error(L, "pylon_idv: chat settings too large");
    *total += n;
}

static size_t json_size(lua_State *L, size_t n)
{
    if (n > (SIZE_MAX - 3) / 6) luaL_error(L, "pylon_idv: chat settings too large");
    return PYLON_IDV_JSON_STRING_SIZE(n);
}


/* opts: nil, or a table whose only key may be nonce (when takes_nonce; the JSON text and the
 * data element take no option at all); any other key is a mistake, raised. The nonce. */
static const char *check_opts(lua_State *L, int arg, size_t *len, int takes_nonce)
{
    const char *nonce = NULL;
    *len = 0;
    if (lua_isnoneornil(L, arg)) return NULL;
    luaL_checktype(L, arg, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, arg) != 0) {
        if (!takes_nonce || lua_type(L, -2) != LUA_TSTRING
            || strcmp(lua_tostring(L, -2), "nonce") != 0)
            luaL_argerror(L, arg, takes_nonce ? "unknown option; the only one is nonce"
                                              : "unknown option; this function takes none");
        lua_pop(L, 1);
    }
    if (!takes_nonce) return NULL;
    lua_getfield(L, arg, "nonce");        /* checked raw above: no metamethod ran */
    if (lua_type(L, -1) == LUA_TSTRING) nonce = lua_tolstring(L, -1, len);
    else if (!lua_isnil(L, -1))
        luaL_argerror(L, arg, lua_pushfstring(L, "nonce: string expected, got %s",
                                              luaL_typename(L, -1)));
    lua_pop(L, 1);                        /* the string stays anchored by opts */
    return nonce;
}

/* Raise (programming error) or push nil, err (bad data) for a failed check. */
static int page_error(lua_State *L, const pylon_idv_page_error *err)
{
    char msg[PYLON_IDV_PAGE_MESSAGE_SIZE];
    int kind = pylon_idv_page_error_kind(err->rule);
    if (kind == PYLON_IDV_KIND_SECRET)        /* nil, "pylon_idv: invalid secret: ...", parts */
        return push_error(L, err->status, err->secret, err->secret_len, 0);
    pylon_idv_page_message(msg, sizeof msg, err);
    if (kind != PYLON_IDV_KIND_DATA) {        /* a programming error: raised */
        lua_pushfstring(L, "pylon_idv: %s", msg);     /* the same text wherever it is called */
        return lua_error(L);
    }
    lua_pushnil(L);
    lua_pushfstring(L, "pylon_idv: %s", msg);
    return 2;
}

static int field_type_error(lua_State *L, const char *key, size_t key_len,
                            const char *what)
{
    char label[96];
    pylon_idv_field_label(label, sizeof label, key, key_len);
    return luaL_argerror(L, 3, lua_pushfstring(L, "%s: %s, got %s", label, what,
                                               luaL_typename(L, -1)));
}

static int page_call(lua_State *L, int kind)
{
    size_t email_len = 0, secret_len = 0, nonce_len = 0, n = 0, i, total, len;
    const char *email = NULL, *secret = NULL, *nonce = NULL, *k;
    pi_lsigner *u = (pi_lsigner *)pi_testudata(L, 2, PI_SIGNER_MT);
    int have_app_id = 0, vt;
    pylon_idv_field *f;
    pylon_idv_page p;
    pylon_idv_page_error err;
    char *out;

    if (!lua_isnil(L, 1)) email = luaL_checklstring(L, 1, &email_len);
    if (u != NULL) {
        if (u->signer == NULL) return luaL_error(L, "pylon_idv: attempt to use a closed signer");
    } else if (lua_type(L, 2) == LUA_TSTRING) {                 /* a number raises */
        secret = check_secret(L, 2, &secret_len);
    } else {
        const char *msg = lua_pushfstring(L, "secret string or " PI_SIGNER_MT " expected, got %s",
                                          luaL_typename(L, 2));
        return luaL_argerror(L, 2, msg);
    }
    luaL_checktype(L, 3, LUA_TTABLE);
    nonce = check_opts(L, 4, &nonce_len, kind == PYLON_IDV_PAGE_SCRIPT);
    lua_settop(L, 4);

    /* Pass 1: types (raised), count, a bound on the output. No pointer kept. */
    total = PYLON_IDV_PAGE_FIXED_SIZE + nonce_len;    /* every form's fixed text */
    add_size(L, &total, json_size(L, email_len));
    lua_pushnil(L);
    while (lua_next(L, 3) != 0) {
        size_t key_len;
        vt = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING) {
            const char *msg = lua_pushfstring(L, "field names must be strings, got %s",
                                              luaL_typename(L, -2));
            return luaL_argerror(L, 3, msg);
        }
        k = lua_tolstring(L, -2, &key_len);
        len = 0;
        if (key_len == 6 && memcmp(k, "app_id", 6) == 0) {
            if (vt != LUA_TSTRING) return field_type_error(L, k, key_len, "string expected");
            (void)lua_tolstring(L, -1, &len);
            have_app_id = 1;
            add_size(L, &total, json_size(L, len));
            lua_pop(L, 1);
            continue;
        }
        if (vt == LUA_TSTRING) (void)lua_tolstring(L, -1, &len);
        else if (vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)
            return field_type_error(L, k, key_len, "string, number or boolean expected");
        add_size(L, &total, 2);
        add_size(L, &total, json_size(L, key_len));
        add_size(L, &total, vt == LUA_TSTRING ? json_size(L, len) : PYLON_IDV_NUMBER_SIZE);
        n++;
        lua_pop(L, 1);
    }
    if (!have_app_id) return luaL_argerror(L, 3, "field 'app_id' is required");

    /* Every allocation now, before any pointer into the table is taken. */
    f = (pylon_idv_field *)lua_newuserdata(L, (n ? n : 1) * sizeof *f);       /* index 5 */
    out = (char *)lua_newuserdata(L, total);                           /* index 6 */
    memset(f, 0, (n ? n : 1) * sizeof *f);
    memset(&p, 0, sizeof p);
    p.email = email; p.email_len = email_len;
    p.nonce = nonce; p.nonce_len = nonce_len;

    /* Pass 2: collect. */
    i = 0;
    lua_pushnil(L);
    while (lua_next(L, 3) != 0) {
        size_t key_len;
        vt = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING)
            return luaL_error(L, "pylon_idv: fields changed while being read");
        k = lua_tolstring(L, -2, &key_len);
        if (key_len == 6 && memcmp(k, "app_id", 6) == 0 && vt == LUA_TSTRING) {
            p.app_id = lua_tolstring(L, -1, &p.app_id_len);
            lua_pop(L, 1);
            continue;
        }
        if (i >= n || (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN))
            return luaL_error(L, "pylon_idv: fields changed while being read");
        f[i].key = k; f[i].key_len = key_len; f[i].index = i;
        if (vt == LUA_TSTRING) {
            f[i].type = PYLON_IDV_VALUE_STRING;
            f[i].str = lua_tolstring(L, -1, &f[i].str_len);
        } else if (vt == LUA_TBOOLEAN) {
            f[i].type = PYLON_IDV_VALUE_BOOL;
            f[i].boolean = lua_toboolean(L, -1);
        } else {
#if defined(LUA_VERSION_NUM) && LUA_VERSION_NUM >= 503
            if (lua_isinteger(L, -1)) {
                lua_Integer v = lua_tointeger(L, -1);
                f[i].type = PYLON_IDV_VALUE_INT;
                f[i].integer = (long long)v;
            } else
#endif
            {
                f[i].type = PYLON_IDV_VALUE_FLOAT;
                f[i].number = (double)lua_tonumber(L, -1);
            }
        }
        i++;
        lua_pop(L, 1);
    }
    if (i != n || p.app_id == NULL)
        return luaL_error(L, "pylon_idv: fields changed while being read");
    p.fields = f;
    p.nfields = n;

    if (pylon_idv_page_prepare(&p, u != NULL ? u->signer : NULL, secret, secret_len, &err) != PYLON_IDV_PAGE_OK)
        return page_error(L, &err);
    if (pylon_idv_page_size(&p, kind) == 0 || pylon_idv_page_size(&p, kind) > total)
        return luaL_error(L, "pylon_idv: chat settings too large");
    len = pylon_idv_page_render(out, &p, kind);
    lua_pushlstring(L, out, len);
    return 1;
}

/* idv.chat_settings_json(email, secret_or_signer, fields) -> JSON text | nil, err */
static int l_chat_settings_json(lua_State *L)
{
    return page_call(L, PYLON_IDV_PAGE_JSON);
}

/* idv.chat_settings_script(email, secret_or_signer, fields [, {nonce = N}])
 * -> "<script [nonce="N"]>(function(w,O){...p.chat_settings={...}})(window,Object);</script>"
 *    | nil, err */
static int l_chat_settings_script(lua_State *L)
{
    return page_call(L, PYLON_IDV_PAGE_SCRIPT);
}

/* idv.chat_settings_data(email, secret_or_signer, fields)
 * -> '<script type="application/json" id="pylon-chat-settings">...</script>' | nil, err */
static int l_chat_settings_data(lua_State *L)
{
    return page_call(L, PYLON_IDV_PAGE_DATA);
}

/* idv.widget_script(app_id [, {nonce = N}]) and idv.script_tag(src [, {nonce = N}]): one
 * string and an optional nonce through the core's check / size / render trio for that tag
 * (raises on a bad argument: configuration, not data). */
typedef struct tag_form {
    int (*check)(const char *, size_t, const char *, size_t, pylon_idv_page_error *);
    size_t (*size)(size_t, size_t);
    size_t (*render)(char *, const char *, size_t, const char *, size_t);
} tag_form;

static int tag_call(lua_State *L, const tag_form *t)
{
    size_t value_len, nonce_len, size, len;
    const char *value = luaL_checklstring(L, 1, &value_len);
    const char *nonce = check_opts(L, 2, &nonce_len, 1);
    pylon_idv_page_error err;
    char *out;

    if (t->check(value, value_len, nonce, nonce_len, &err) != PYLON_IDV_PAGE_OK)
        return page_error(L, &err);
    size = t->size(value_len, nonce_len);
    if (size == 0) return luaL_error(L, "pylon_idv: tag too large");
    out = (char *)lua_newuserdata(L, size);
    len = t->render(out, value, value_len, nonce, nonce_len);
    lua_pushlstring(L, out, len);
    return 1;
}

static int l_widget_script(lua_State *L)
{
    static const tag_form widget = { pylon_idv_widget_check, pylon_idv_widget_size,
                                     pylon_idv_widget_render };
    return tag_call(L, &widget);
}

static int l_script_tag(lua_State *L)
{
    static const tag_form tag = { pylon_idv_script_tag_check, pylon_idv_script_tag_size,
                                  pylon_idv_script_tag_render };
    return tag_call(L, &tag);
}

/* idv._problems() -> { secret_missing = { id = "E001", text = "...", fix = "..." }, ... }
 * The configuration problems from the core's one table (Python reads it too), for
 * pylon_idv.openresty: a new table per call; text and fix hold {name} placeholders. */
static int l_problems(lua_State *L)
{
    size_t count, i;
    const pylon_idv_problem *t = pylon_idv_problems(&count);
    lua_createtable(L, 0, (int)count);
    for (i = 0; i < count; i++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, t[i].id);   lua_setfield(L, -2, "id");
        lua_pushstring(L, t[i].text); lua_setfield(L, -2, "text");
        lua_pushstring(L, t[i].fix);  lua_setfield(L, -2, "fix");
        lua_setfield(L, -2, t[i].key);
    }
    return 1;
}

/* idv.csp_sources() -> { ["script-src"] = { "'self'", "https://widget.usepylon.com" }, ... }
 * The CSP sources the widget needs, from the core's one table (Python reads it too): a new
 * table per call, directive -> array of source expressions. */
static int l_csp_sources(lua_State *L)
{
    size_t count, i;
    const pylon_idv_csp_source *t = pylon_idv_csp_sources(&count);
    lua_createtable(L, 0, (int)count);
    for (i = 0; i < count; i++) {
        const char *p = t[i].sources, *end;
        int n = 0;
        lua_newtable(L);
        while (*p != '\0') {
            end = strchr(p, ' ');
            if (end == NULL) end = p + strlen(p);
            if (end > p) { lua_pushlstring(L, p, (size_t)(end - p)); lua_rawseti(L, -2, ++n); }
            p = *end ? end + 1 : end;
        }
        lua_setfield(L, -2, t[i].directive);
    }
    return 1;
}

/* idv.static_path() -> the folder holding pylon-chat.js, or nil, err
 * Where the rock installs it (build.install.lua): beside the Lua modules, so each "?.lua"
 * template of package.path is tried as <prefix>pylon_idv/static/pylon-chat.js. */
static int l_static_path(lua_State *L)
{
    static const char file[] = "pylon_idv/static/pylon-chat.js";
    const char *path, *p, *end;
    lua_getglobal(L, "package");
    if (!lua_istable(L, -1)) { lua_pushnil(L); lua_pushliteral(L, "pylon_idv: no package table"); return 2; }
    lua_getfield(L, -1, "path");
    path = lua_tostring(L, -1);
    for (p = path; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
        size_t n;
        end = strchr(p, ';');
        if (end == NULL) end = p + strlen(p);
        n = (size_t)(end - p);
        if (n >= 5 && memcmp(end - 5, "?.lua", 5) == 0 && n - 5 + sizeof file < 4096) {
            char buf[4096];
            FILE *fp;
            memcpy(buf, p, n - 5);
            memcpy(buf + n - 5, file, sizeof file);
            if ((fp = fopen(buf, "rb")) != NULL) {
                fclose(fp);
                lua_pushlstring(L, buf, n - 5 + sizeof file - 1 - strlen("/pylon-chat.js"));
                return 1;
            }
        }
    }
    lua_pushnil(L);
    lua_pushliteral(L, "pylon_idv: pylon-chat.js not found beside the Lua modules (package.path)");
    return 2;
}

/* ------------------------------------------------------------- LuaJIT's FFI path */
/* Under LuaJIT, signer:sign is a Lua function that calls the core through the FFI: a trace
 * calls ffi_sign directly, without the lua_CFunction frame (a third of the call's time on x86-64).
 * It takes only the plain case (self a signer, email a string); anything else -- another
 * self, a number or a wrong type, a closed signer -- goes to m_sign as a tail call, which
 * raises or answers exactly as before (the same message: the tail call leaves the caller's
 * `s:sign(...)` as the frame the message names). The 64 digits are written into one buffer
 * per Lua state; a call that another sign runs inside (a debug hook between the two steps)
 * is seen by a counter and redone through m_sign, so no call returns another call's hash. */
#if defined(LUA_VERSION_NUM) && LUA_VERSION_NUM == 501 && defined(LUA_FFILIBNAME)
#  define PI_FFI 1
static int ffi_sign(void *ud, char *out, const char *email, size_t email_len)
{
    const pylon_idv_signer *s = ((const pi_lsigner *)ud)->signer;
    return s != NULL && pylon_idv_signer_sign(s, out, email, email_len) == PYLON_IDV_OK;
}

static const struct { int (*sign)(void *, char *, const char *, size_t); } ffi_api = { ffi_sign };

static const char ffi_glue[] =
    "local methods, mt, c_sign, api = ...\n"
    "local type, getmetatable = type, getmetatable\n"
    "local has_jit, jit = pcall(require, 'jit')\n"
    "if not (has_jit and jit.status()) then return end\n"  /* interpreted, FFI calls cost more */
    "local has_ffi, ffi = pcall(require, 'ffi')\n"
    "if not has_ffi then return end\n"
    "local sign = ffi.cast('struct { int (*sign)(void *, char *, const char *, size_t); } *',"
    " api).sign\n"
    "local buf, str, n = ffi.new('char[65]'), ffi.string, 0\n"
    "methods.sign = function(...)\n"
    "  local self, email = ...\n"
    "  if type(email) == 'string' and getmetatable(self) == mt then\n"
    "    n = n + 1\n"
    "    local mine = n\n"
    "    if sign(self, buf, email, #email) == 1 then\n"
    "      local hash = str(buf, 64)\n"
    "      if n == mine then return hash end\n"
    "    end\n"
    "  end\n"
    "  return c_sign(...)\n"
    "end\n";

/* With the signer's metatable and its methods table on the stack (-2, -1). */
static void ffi_open(lua_State *L)
{
    if (luaL_loadbuffer(L, ffi_glue, sizeof ffi_glue - 1, "=pylon_idv.ffi") != 0) {
        lua_pop(L, 1);                             /* cannot happen: the chunk is fixed text */
        return;
    }
    lua_pushvalue(L, -2);                          /* methods */
    lua_pushvalue(L, -4);                          /* mt */
    lua_pushcfunction(L, m_sign);
    lua_pushlightuserdata(L, (void *)(uintptr_t)&ffi_api);
    if (lua_pcall(L, 4, 0, 0) != 0) lua_pop(L, 1); /* no FFI path: m_sign stays */
}
#endif

/* ------------------------------------------------------------------------ module */

static const luaL_Reg signer_methods[] = {
    {"sign", m_sign},
    {"verify", m_verify},
    {"match", m_match},
    {"fingerprint", m_fingerprint},
    {NULL, NULL}
};

static const luaL_Reg signer_meta[] = {
    {"__gc", m_gc},
#if defined(LUA_VERSION_NUM) && LUA_VERSION_NUM >= 504
    {"__close", m_gc},
#endif
    {"__tostring", m_tostring},
    {NULL, NULL}
};

static const luaL_Reg module_functions[] = {
    {"sign", l_sign},
    {"verify", l_verify},
    {"new", l_new},
    {"from_key", l_from_key},
    {"generate_secret", l_generate_secret},
    {"diagnose", l_diagnose},
    {"chat_settings_json", l_chat_settings_json},
    {"chat_settings_script", l_chat_settings_script},
    {"chat_settings_data", l_chat_settings_data},
    {"widget_script", l_widget_script},
    {"script_tag", l_script_tag},
    {"static_path", l_static_path},
    {"csp_sources", l_csp_sources},
    {"_problems", l_problems},
    {NULL, NULL}
};

/* The one symbol the module must export, also when built with -fvisibility=hidden (CMake). */
#if defined(_WIN32)
#  define PI_LUA_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#  define PI_LUA_EXPORT __attribute__((visibility("default")))
#else
#  define PI_LUA_EXPORT
#endif

PI_LUA_EXPORT int luaopen_pylon_idv(lua_State *L);

PI_LUA_EXPORT int luaopen_pylon_idv(lua_State *L)
{
    if (luaL_newmetatable(L, PI_SIGNER_MT)) {
        pi_setfuncs(L, signer_meta, 0);
        pi_newlib(L, signer_methods);
#if defined(PI_FFI)
        ffi_open(L);
#endif
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);

    pi_newlib(L, module_functions);
    lua_pushstring(L, pylon_idv_version());
    lua_setfield(L, -2, "_VERSION");
    { int pi_html_scan_open(lua_State *L); pi_html_scan_open(L); }  /* html_scan.c */
    return 1;
}
