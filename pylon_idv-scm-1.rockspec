-- Development rockspec: `luarocks make` builds the module from this checkout.
-- Written by hand; tests/lua/rockspec_spec.lua fails when it disagrees with the tree (every
-- core/src/*.c, every pure-Lua module, web/pylon-chat.js, the core's version).
rockspec_format = "3.0"
package = "pylon_idv"
version = "scm-1"
source = {
   url = "git+https://github.com/pylon-idv/pylon_idv.git",
}
description = {
   license = "MIT",
   summary = "Identity-verification email hashes (HMAC-SHA256) for the Pylon chat widget",
   detailed = [[
      email_hash = lowercase_hex(HMAC-SHA256(key = hex_decode(secret), msg = email)), in C over
      OpenSSL libcrypto: strict secret parsing with clear errors, constant-time verify, signers
      with precomputed state and key rotation. One source for Lua 5.1-5.5 and LuaJIT/OpenResty.
   ]],
   labels = { "hmac", "openresty", "crypto" },
}
dependencies = {
   "lua >= 5.1, < 5.6",
}
external_dependencies = {
   OPENSSL = {
      header = "openssl/sha.h",
      library = "crypto",
   },
}
build = {
   type = "builtin",
   modules = {
      pylon_idv = {
         sources = {
            "bindings/lua/html_scan.c",
            "bindings/lua/pylon_idv.c",
            "core/src/csp.c",
            "core/src/problems.c",
            "core/src/diagnose.c",
            "core/src/errors.c",
            "core/src/hex.c",
            "core/src/hmac.c",
            "core/src/key.c",
            "core/src/number.c",
            "core/src/pylon_idv.c",
            "core/src/script.c",
            "core/src/settings.c",
            "core/src/sha256.c",
         },
         defines = { "PYLON_IDV_EMBED" },   -- the core's API stays private to the module
         incdirs = { "core/include", "$(OPENSSL_INCDIR)" },
         libdirs = { "$(OPENSSL_LIBDIR)" },
         libraries = { "crypto", "pthread" },
      },
      ["pylon_idv.nginx_check"] = "bindings/lua/pylon_idv/nginx_check.lua",
      ["pylon_idv.openresty"] = "bindings/lua/pylon_idv/openresty.lua",
   },
   install = {
      -- share/lua/5.x/pylon_idv/static/pylon-chat.js, beside the pure-Lua modules
      lua = { ["pylon_idv.static.pylon-chat"] = "web/pylon-chat.js" },
   },
}
test = {
   type = "busted",
   flags = { "tests/lua" },
}
