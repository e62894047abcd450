/*
 * floor_lua.c -- the floor behind a Lua call: the least a Lua binding's sign can cost.
 * A C module, pylon_idv_floor, built by bench/bench_lua.sh for each interpreter:
 *
 *   floor.setup(secret_hex, email)   prebuild the floor's states and block (bench/floor.h)
 *   floor.sign(email, secret_hex)    what idv.sign's shell does -- both arguments checked as
 *                                    strings, the 64 digits pushed as a new string -- around the
 *                                    stateless C floor (the secret's text decoded, both key
 *                                    blocks and the message in four compressions, hex)
 *   floor.signer():sign(email)       the signer:sign shape (a method call on a userdata with a
 *                                    metatable, as the binding's signer) around the C floor (two
 *                                    compressions from the prebuilt key states + SIMD hex)
 *   floor.ffi()                      for LuaJIT's FFI: a pointer to { sign, out }, sign(ud, out,
 *                                    email, len) the C floor writing its 64 digits at out, as the
 *                                    binding's FFI path calls the core (bench_lua.lua wraps it)
 * Both ignore the email's bytes, as the C floor hashes its prebuilt block.
 */
#include <lua.h>
#include <lauxlib.h>
#include "floor.h"

static floor_fn fn, fn_stateless;

static int f_setup(lua_State *L)
{
    size_t ns, ne, i;
    const char *s = luaL_checklstring(L, 1, &ns), *e = luaL_checklstring(L, 2, &ne);
    unsigned char key[32];
    if (ns != 64 || ne > 55) return luaL_error(L, "setup: 64 hex digits, email <= 55 bytes");
    for (i = 0; i < 32; i++) {
        unsigned hi = (unsigned char)s[2 * i], lo = (unsigned char)s[2 * i + 1];
        key[i] = (unsigned char)(((hi <= '9' ? hi - '0' : (hi | 32) - 'a' + 10) << 4)
                                 | (lo <= '9' ? lo - '0' : (lo | 32) - 'a' + 10));
    }
    floor_setup(key, e, ne);
    fn = floor_best();
    fn_stateless = floor_stateless_best();
    lua_pushboolean(L, floor_uses_shani());
    return 1;
}

static int f_sign(lua_State *L)
{
    size_t ne, ns;
    (void)luaL_checklstring(L, 1, &ne);
    fl_secret = luaL_checklstring(L, 2, &ns);
    if (ns != 64) return luaL_error(L, "64 hex digits");
    fn_stateless();
    lua_pushlstring(L, out, 64);
    return 1;
}

/* signer:sign(email): the userdata checked as the binding checks its signer */
static int f_signer_sign(lua_State *L)
{
    size_t ne;
    (void)luaL_checkudata(L, 1, "pylon_idv_floor.signer");
    (void)luaL_checklstring(L, 2, &ne);
    fn();
    lua_pushlstring(L, out, 64);
    return 1;
}

/* The floor as LuaJIT's FFI calls it: the digits are already in out[], which the caller reads. */
static int ffi_floor_sign(void *ud, char *o, const char *email, size_t len)
{
    (void)ud; (void)o; (void)email; (void)len;
    fn();
    return 1;
}

static const struct { int (*sign)(void *, char *, const char *, size_t); char *out; } ffi_api = {
    ffi_floor_sign, out
};

static int f_ffi(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)(uintptr_t)&ffi_api);
    return 1;
}

static int f_signer(lua_State *L)
{
    (void)lua_newuserdata(L, sizeof(void *));
    luaL_getmetatable(L, "pylon_idv_floor.signer");
    lua_setmetatable(L, -2);
    return 1;
}

int luaopen_pylon_idv_floor(lua_State *L);
int luaopen_pylon_idv_floor(lua_State *L)
{
    if (luaL_newmetatable(L, "pylon_idv_floor.signer")) {
        lua_newtable(L);
        lua_pushcfunction(L, f_signer_sign); lua_setfield(L, -2, "sign");
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, f_signer); lua_setfield(L, -2, "signer");
    lua_pushcfunction(L, f_setup); lua_setfield(L, -2, "setup");
    lua_pushcfunction(L, f_sign); lua_setfield(L, -2, "sign");
    lua_pushcfunction(L, f_ffi); lua_setfield(L, -2, "ffi");
    return 1;
}
