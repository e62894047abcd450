/* leak_control.c -- the negative control of tests/lua/valgrind_errors.lua: a module whose
 * leak() loses one malloc'd block per call, so that memcheck must report it ("definitely
 * lost"). tests/lua/CMakeLists.txt builds it (a MODULE target) and runs the loop once with it
 * (the ctest test lua-5.4-valgrind-leak-control, which passes only on memcheck's report); if
 * memcheck stayed quiet, the leak check would prove nothing. Never installed. */
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

static void *volatile last;

static int leak(lua_State *L)
{
    char *p = (char *)malloc(64);
    if (p != NULL) memset(p, 0x5a, 64);
    last = p;                 /* overwritten next call: the previous block is lost */
    last = NULL;
    (void)L;
    return 0;
}

int luaopen_leak_control(lua_State *L);
int luaopen_leak_control(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, leak);
    lua_setfield(L, -2, "leak");
    return 1;
}
