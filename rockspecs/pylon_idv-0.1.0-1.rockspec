-- Release rockspec for pylon_idv 0.1.0 (tests/lua/rockspec_spec.lua checks it matches version.h).
rockspec_format = "3.0"
package = "pylon_idv"
version = "0.1.0-1"
source = {
   url = "git+https://github.com/pylon-idv/pylon_idv.git",
   tag = "v0.1.0",
}
description = {
   license = "MIT",
   summary = "Identity-verification email hashes (HMAC-SHA256) for the Pylon chat widget",
   detailed = [[
      email_hash = lowercase_hex(HMAC-SHA256(key = hex_decode(secret), msg = email)), in C over
      OpenSSL libcrypto: strict secret parsing with clear errors, constant-time verify, signers
      with precomputed state and key rotation. One source for Lua 5.1-5.4 and LuaJIT/OpenResty.
   ]],
   labels = { "hmac", "openresty", "crypto" },
}
dependencies = {
   "lua >= 5.1, < 5.5",
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
            "bindings/lua/pylon_idv.c",
            "core/src/diagnose.c",
            "core/src/errors.c",
            "core/src/hex.c",
            "core/src/hmac.c",
            "core/src/pylon_idv.c",
            "core/src/script.c",
            "core/src/settings.c",
         },
         defines = { "PYLON_IDV_EMBED" },   -- the core's API stays private to the module
         incdirs = { "core/include", "core/src", "$(OPENSSL_INCDIR)" },
         libdirs = { "$(OPENSSL_LIBDIR)" },
         libraries = { "crypto", "pthread" },
      },
   },
   -- pylon-chat.js (one source file, also in the Python wheel), installed beside the Lua
   -- modules: <tree>/share/lua/<version>/pylon_idv/static/pylon-chat.js
   install = {
      lua = {
         ["pylon_idv.static.pylon-chat"] = "bindings/python/pylon_idv/static/pylon-chat.js",
      },
   },
}
