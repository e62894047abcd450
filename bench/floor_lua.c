/*
 * floor_lua.c -- the floor behind a Lua call: the least a Lua binding's sign can cost.
 * A C module, pylon_idv_floor, built by bench/bench_lua.sh for each interpreter:
 *
 *   floor.setup(secret_hex, email)   prebuild the floor's states and block (bench/floor.h)
 *   floor.sign(email, secret_hex)    what idv.sign's shell does -- both arguments checked as
 *                                    strings, the 64 digits pushed as a new string -- around the
 *                                    C floor (two compressions in registers + SIMD hex) instead
 *                                    of the library (it ignores the email's bytes, as the C floor
 *                                    hashes its prebuilt block)
 */
#include <lua.h>
#include <lauxlib.h>
#include "floor.h"

static floor_fn fn;

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
    lua_pushboolean(L, floor_uses_shani());
    return 1;
}

static int f_sign(lua_State *L)
{
    size_t ne, ns;
    (void)luaL_checklstring(L, 1, &ne);
    (void)luaL_checklstring(L, 2, &ns);
    fn();
    lua_pushlstring(L, out, 64);
    return 1;
}

int luaopen_pylon_idv_floor(lua_State *L);
int luaopen_pylon_idv_floor(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, f_setup); lua_setfield(L, -2, "setup");
    lua_pushcfunction(L, f_sign); lua_setfield(L, -2, "sign");
    return 1;
}
