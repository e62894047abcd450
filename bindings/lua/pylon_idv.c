/*
 * pylon_idv.c -- the Lua module: `local idv = require "pylon_idv"`.
 *
 * One source for Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT 2.1 (OpenResty). Written to the 5.2+ C API;
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
 * Also the two integration helpers of issue 7: idv.diagnose (a developer tool, never for a
 * request path) and idv.chat_settings_script (the page's <script>, escaped by the core's
 * pi_json_script_string, the one escaper every binding shares).
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

#include "pylon_idv.h"
#include "internal.h"           /* pi_error_message, pi_json_script_string */

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
    char msg[PI_ERROR_MESSAGE_SIZE];
    lua_pushnil(L);
    lua_pushstring(L, pi_error_message(msg, sizeof msg, status, secret, secret_len, which));
    return 2;
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

/* The previous secrets at arg: a sequence, keys 1..n and nothing else (a key like `old = X`
 * or a hole would otherwise silently drop a secret), each value a string. Raises; returns n.
 * Read raw (no metamethods), before any key material exists. */
static size_t check_previous(lua_State *L, int arg)
{
    size_t n = 0, i;
    luaL_checktype(L, arg, LUA_TTABLE);
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

    pylon_idv_signer_sign(s, hash, email, email_len);
    if (hash[0] == '\0') return luaL_error(L, "pylon_idv: signing failed");  /* EVP only */
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
    int k = pylon_idv_signer_match(s, email, email_len, hash, hash_len);

    if (k < 0) lua_pushnil(L);
    else lua_pushinteger(L, (lua_Integer)k);
    return 1;
}

/* signer:fingerprint() -> 16 hex digits */
static int m_fingerprint(lua_State *L)
{
    const pylon_idv_signer *s = check_signer(L);
    char fp[PYLON_IDV_FINGERPRINT_SIZE];

    pylon_idv_signer_fingerprint(s, fp);
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
    pylon_idv_signer_fingerprint(u->signer, fp);
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

/* ------------------------------------------------------- chat_settings_script */

#define PI_SCRIPT_HEAD "<script>window.pylon = window.pylon || {};window.pylon.chat_settings = {"
#define PI_SCRIPT_TAIL "};</script>"
#define PI_NUMBER_SIZE 48       /* "%.17g" of a double, or a 64-bit integer, with room */

typedef struct pi_field {
    const char *key, *str;      /* str: a string value; strings stay anchored (args, table) */
    size_t key_len, str_len;
    int type;                   /* LUA_TSTRING, LUA_TNUMBER, LUA_TBOOLEAN */
    int boolean, is_int;
    lua_Number num;
#if defined(LUA_VERSION_NUM) && LUA_VERSION_NUM >= 503
    lua_Integer integer;
#endif
} pi_field;

static int field_cmp(const void *a, const void *b)
{
    const pi_field *x = (const pi_field *)a, *y = (const pi_field *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0) return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* A JSON number: integers as integers, floats by "%.17g" (exact round trip). Whatever the
 * C locale's decimal point is, the output has '.'. */
static size_t put_number(char *out, const pi_field *f)
{
    char tmp[PI_NUMBER_SIZE];
    size_t i, o = 0;
    int n;
#if defined(LUA_VERSION_NUM) && LUA_VERSION_NUM >= 503
    if (f->is_int)
        n = snprintf(tmp, sizeof tmp, LUA_INTEGER_FMT, (LUAI_UACINT)f->integer);
    else
#endif
        n = snprintf(tmp, sizeof tmp, "%.17g", (double)f->num);
    if (n < 0 || (size_t)n >= sizeof tmp) n = 0;
    for (i = 0; i < (size_t)n; i++) {
        char c = tmp[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E')
            out[o++] = c;
        else if (o == 0 || out[o - 1] != '.')
            out[o++] = '.';                    /* a locale's decimal point, of any length */
    }
    if (o == 0) out[o++] = '0';
    return o;
}

/* Add `need` to *total, raising rather than wrapping around. */
static void add_size(lua_State *L, size_t *total, size_t need)
{
    if (need > SIZE_MAX - *total) luaL_error(L, "pylon_idv: chat settings too large");
    *total += need;
}

static size_t json_size(lua_State *L, size_t n)
{
    if (n > (SIZE_MAX - 3) / 6) luaL_error(L, "pylon_idv: chat settings too large");
    return PI_JSON_SCRIPT_SIZE(n);
}

/* Is the string key[0..len) the C string name? (Keys may hold NUL bytes.) */
static int key_is(const char *key, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(key, name, len) == 0;
}

/* The bytes a field takes in the output, its NUL slot included (see PI_JSON_SCRIPT_SIZE). */
static size_t field_size(lua_State *L, size_t key_len, int type, size_t str_len)
{
    size_t total = 0;
    add_size(L, &total, json_size(L, key_len));
    add_size(L, &total, 2);                                       /* ':' and ',' */
    add_size(L, &total, type == LUA_TSTRING ? json_size(L, str_len) : PI_NUMBER_SIZE);
    return total;
}

/* idv.chat_settings_script(email, secret_or_signer, fields) -> "<script>...</script>" | nil, err
 *
 * fields: a table with string keys and string, number or boolean values, read raw (no
 * __pairs/__index); `app_id` is required (a non-empty string); `email` and `email_hash` are
 * set here and may not be given. Keys come out in byte order, so the output is deterministic
 * (the same as JSON with sorted keys). Wrong types raise; a bad secret returns nil, err.
 *
 * Strings are read in place (pointers into the arguments and the table). Every Lua allocation
 * (which may run a finalizer, which may change the table) happens before the pointers are
 * taken; the second pass checks the table still agrees with the first. */
static int l_chat_settings_script(lua_State *L)
{
    size_t email_len, secret_len = 0, n = 0, total, total2, i, o, len;
    const char *email = luaL_checklstring(L, 1, &email_len);
    const char *secret = NULL, *k;
    pi_lsigner *u = (pi_lsigner *)pi_testudata(L, 2, PI_SIGNER_MT);
    char hash[PYLON_IDV_HASH_HEX_SIZE], small[2048], *out;
    int have_app_id = 0, rc, vt;
    pi_field *f;

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
    lua_settop(L, 3);

    /* Pass 1: check every field, count them, size the output. Raises before any work. */
    total = sizeof PI_SCRIPT_HEAD + sizeof PI_SCRIPT_TAIL;
    add_size(L, &total, field_size(L, 5, LUA_TSTRING, email_len));
    add_size(L, &total, field_size(L, 10, LUA_TSTRING, PYLON_IDV_HASH_HEX_LEN));
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
        if (key_is(k, key_len, "email") || key_is(k, key_len, "email_hash")) {
            const char *msg = lua_pushfstring(L, "field '%s' is set by chat_settings_script", k);
            return luaL_argerror(L, 3, msg);
        }
        len = 0;
        if (vt == LUA_TNUMBER) {
            double x = (double)lua_tonumber(L, -1);
            if (isnan(x) || isinf(x)) {
                const char *msg = lua_pushfstring(L, "field '%s' is not a finite number", k);
                return luaL_argerror(L, 3, msg);
            }
        } else if (vt == LUA_TSTRING) {
            (void)lua_tolstring(L, -1, &len);
        } else if (vt != LUA_TBOOLEAN) {
            const char *msg = lua_pushfstring(L, "field '%s': string, number or boolean "
                                              "expected, got %s", k, luaL_typename(L, -1));
            return luaL_argerror(L, 3, msg);
        }
        if (key_is(k, key_len, "app_id")) {
            if (vt != LUA_TSTRING || len == 0)
                return luaL_argerror(L, 3, "field 'app_id' must be a non-empty string");
            have_app_id = 1;
        }
        add_size(L, &total, field_size(L, key_len, vt, len));
        n++;
        lua_pop(L, 1);
    }
    if (!have_app_id) return luaL_argerror(L, 3, "field 'app_id' is required");

    /* The hash: a bad secret is data, nil + err, as in sign. */
    if (u != NULL) {
        pylon_idv_signer_sign(u->signer, hash, email, email_len);
        if (hash[0] == '\0') return luaL_error(L, "pylon_idv: signing failed");  /* EVP only */
    } else {
        rc = pylon_idv_sign(hash, email, email_len, secret, secret_len);
        if (rc != PYLON_IDV_OK) return push_error(L, rc, secret, secret_len, 0);
    }

    /* Every allocation now, before any pointer into the table is taken. */
    n += 2;
    f = (pi_field *)lua_newuserdata(L, n * sizeof *f);            /* index 4 */
    out = total <= sizeof small ? small : (char *)lua_newuserdata(L, total);
    memset(f, 0, n * sizeof *f);

    /* Pass 2: collect (no allocation from here to the final lua_pushlstring), sort by key. */
    f[0].key = "email"; f[0].key_len = 5; f[0].type = LUA_TSTRING;
    f[0].str = email; f[0].str_len = email_len;
    f[1].key = "email_hash"; f[1].key_len = 10; f[1].type = LUA_TSTRING;
    f[1].str = hash; f[1].str_len = PYLON_IDV_HASH_HEX_LEN;
    total2 = sizeof PI_SCRIPT_HEAD + sizeof PI_SCRIPT_TAIL
           + field_size(L, 5, LUA_TSTRING, email_len)
           + field_size(L, 10, LUA_TSTRING, PYLON_IDV_HASH_HEX_LEN);
    i = 2;
    lua_pushnil(L);
    while (lua_next(L, 3) != 0) {
        pi_field *e = i < n ? &f[i] : NULL;
        vt = lua_type(L, -1);
        if (e == NULL || lua_type(L, -2) != LUA_TSTRING
            || (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN))
            return luaL_error(L, "pylon_idv: fields changed while being read");
        i++;
        e->key = lua_tolstring(L, -2, &e->key_len);
        e->type = vt;
        if (vt == LUA_TSTRING) e->str = lua_tolstring(L, -1, &e->str_len);
        else if (vt == LUA_TBOOLEAN) e->boolean = lua_toboolean(L, -1);
        else {
#if defined(LUA_VERSION_NUM) && LUA_VERSION_NUM >= 503
            if (lua_isinteger(L, -1)) { e->is_int = 1; e->integer = lua_tointeger(L, -1); }
#endif
            e->num = lua_tonumber(L, -1);
            if (isnan((double)e->num) || isinf((double)e->num))
                return luaL_error(L, "pylon_idv: fields changed while being read");
        }
        total2 += field_size(L, e->key_len, vt, e->str_len);
        lua_pop(L, 1);
    }
    if (i != n || total2 > total) return luaL_error(L, "pylon_idv: fields changed while being read");
    qsort(f, n, sizeof *f, field_cmp);

    /* Write: each piece has its PI_JSON_SCRIPT_SIZE counted, NUL slot included. */
    memcpy(out, PI_SCRIPT_HEAD, sizeof PI_SCRIPT_HEAD - 1);
    o = sizeof PI_SCRIPT_HEAD - 1;
    for (i = 0; i < n; i++) {
        if (i > 0) out[o++] = ',';
        o += pi_json_script_string(out + o, f[i].key, f[i].key_len);
        out[o++] = ':';
        if (f[i].type == LUA_TSTRING) {
            o += pi_json_script_string(out + o, f[i].str, f[i].str_len);
        } else if (f[i].type == LUA_TBOOLEAN) {
            memcpy(out + o, f[i].boolean ? "true" : "false", f[i].boolean ? 4 : 5);
            o += f[i].boolean ? 4 : 5;
        } else {
            o += put_number(out + o, &f[i]);
        }
    }
    memcpy(out + o, PI_SCRIPT_TAIL, sizeof PI_SCRIPT_TAIL - 1);
    o += sizeof PI_SCRIPT_TAIL - 1;
    lua_pushlstring(L, out, o);
    return 1;
}

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
    {"chat_settings_script", l_chat_settings_script},
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
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);

    pi_newlib(L, module_functions);
    lua_pushstring(L, pylon_idv_version());
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
