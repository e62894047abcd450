/*
 * pylon_idv.c -- the Lua module: `local idv = require "pylon_idv"`.
 *
 * One source for Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT 2.1 (OpenResty). Written to the 5.2+ C API;
 * what 5.1/LuaJIT lack is shimmed below under private names (pi_*), never as a global, so this
 * file cannot clash with a compat library linked into the same process.
 *
 * A thin translation layer over the public C API (core/include/pylon_idv.h), compiled together
 * with the core sources (luarocks builtin and CMake both do). Conventions, as in OpenResty:
 *   - a wrong argument type raises (luaL_checklstring: a number is coerced as Lua does);
 *   - bad data (a malformed secret) returns nil, "pylon_idv: invalid secret: ...";
 *   - verify returns true/false; a missing or malformed hash is simply not a match.
 * Messages never contain any part of a secret.
 */
#include <stddef.h>
#include <string.h>

#define LUA_LIB
#include "lua.h"
#include "lauxlib.h"

#include "pylon_idv.h"
#include "internal.h"           /* pi_error_message, PI_ERROR_MESSAGE_SIZE */

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

/* ------------------------------------------------------------------------ errors */

/* Push nil and the message for status; 2 results. For a secret status the position comes from
 * pylon_idv_secret_check on the same text (the core reports statuses, not positions). */
static int push_error(lua_State *L, int status, const char *secret, size_t secret_len)
{
    char msg[PI_ERROR_MESSAGE_SIZE];
    size_t position = 0;

    if (secret != NULL && status == PYLON_IDV_ESECRET_CHAR)
        (void)pylon_idv_secret_check(secret, secret_len, &position);
    pi_error_message(msg, sizeof msg, status, position);
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
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
    const char *secret = luaL_checklstring(L, 2, &secret_len);
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc = pylon_idv_sign(hash, email, email_len, secret, secret_len);

    if (rc != PYLON_IDV_OK) return push_error(L, rc, secret, secret_len);
    lua_pushlstring(L, hash, PYLON_IDV_HASH_HEX_LEN);
    return 1;
}

/* idv.verify(email, secret_hex, hash) -> true | false | nil, err */
static int l_verify(lua_State *L)
{
    size_t email_len, secret_len, hash_len;
    const char *email = luaL_checklstring(L, 1, &email_len);
    const char *secret = luaL_checklstring(L, 2, &secret_len);
    const char *hash = opt_hash(L, 3, &hash_len);
    int rc = pylon_idv_verify(email, email_len, secret, secret_len, hash, hash_len);

    if (rc < 0) return push_error(L, rc, secret, secret_len);   /* bad secret: checked first */
    lua_pushboolean(L, rc == 1);
    return 1;
}

/* idv.generate_secret() -> 64 hex digits | nil, err */
static int l_generate_secret(lua_State *L)
{
    char secret[PYLON_IDV_SECRET_HEX_SIZE];
    int rc = pylon_idv_generate_secret(secret);

    if (rc != PYLON_IDV_OK) return push_error(L, rc, NULL, 0);
    lua_pushlstring(L, secret, PYLON_IDV_SECRET_HEX_SIZE - 1);
    memset(secret, 0, sizeof secret);  /* the Lua string is the caller's to keep */
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

/* idv.new(secret_hex [, previous_list]) -> signer | nil, err */
static int l_new(lua_State *L)
{
    size_t secret_len, prev_len, i, n = 0;
    const char *secret = luaL_checklstring(L, 1, &secret_len);
    const char *prev;
    pi_lsigner *u;
    int rc;

    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        n = (size_t)pi_rawlen(L, 2);
        /* Types first, so a raise happens before any key material exists. */
        for (i = 1; i <= n; i++) {
            int t;
            lua_rawgeti(L, 2, (int)i);
            t = lua_type(L, -1);
            lua_pop(L, 1);
            if (t != LUA_TSTRING && t != LUA_TNUMBER)
                return luaL_error(L, "bad argument #2 to 'new' (previous secret #%d: string "
                                  "expected, got %s)", (int)i, lua_typename(L, t));
        }
    }
    lua_settop(L, 2);
    u = new_lsigner(L);                                    /* index 3 */
    rc = pylon_idv_signer_new(&u->signer, secret, secret_len);
    if (rc != PYLON_IDV_OK) return push_error(L, rc, secret, secret_len);
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, (int)i);
        prev = lua_tolstring(L, -1, &prev_len);           /* string or number, checked */
        rc = pylon_idv_signer_add_previous(u->signer, prev, prev_len);
        if (rc != PYLON_IDV_OK) {
            char msg[PI_ERROR_MESSAGE_SIZE];
            size_t position = 0;
            if (rc == PYLON_IDV_ESECRET_CHAR)
                (void)pylon_idv_secret_check(prev, prev_len, &position);
            pi_error_message(msg, sizeof msg, rc, position);
            pylon_idv_signer_free(u->signer);              /* now, not at the next GC */
            u->signer = NULL;
            lua_pushnil(L);
            lua_pushfstring(L, "%s (previous secret #%d)", msg, (int)i);
            return 2;
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
    if (rc != PYLON_IDV_OK) return push_error(L, rc, NULL, 0);
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
