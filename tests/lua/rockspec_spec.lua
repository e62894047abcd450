-- rockspec_spec.lua -- the hand-written rockspecs agree with the source tree: one version (the
-- core's macros, read by cmake/pylon_idv_version.cmake), every core source and pure-Lua module
-- listed, so `luarocks make` can never build a stale or partial module; `luarocks test` runs
-- this suite.

local VERSION = H.version()

local function core_sources()
  local list = {}
  local p = assert(io.popen('ls "' .. H.root .. '/core/src"'))
  for name in p:lines() do
    if name:match("%.c$") then list[#list + 1] = "core/src/" .. name end
  end
  p:close()
  table.sort(list)
  assert(#list >= 4)
  return list
end

local function check(spec, path)
  assert.are.equal("pylon_idv", spec.package, path)
  local m = spec.build.modules.pylon_idv
  assert.are.equal("builtin", spec.build.type, path)
  local listed, core = {}, {}
  for _, s in ipairs(m.sources) do
    if s:match("^core/") then core[#core + 1] = s end
    listed[s] = true
  end
  table.sort(core)
  assert.are.same(core_sources(), core, path .. ": core sources")
  assert.is_true(listed["bindings/lua/pylon_idv.c"], path)
  for _, s in ipairs(m.sources) do
    assert.is_not_nil(io.open(H.root .. "/" .. s), path .. ": missing " .. s)
  end
  assert.is_not_nil(spec.external_dependencies.OPENSSL, path)
  assert.are.same({ type = "busted", flags = { "tests/lua" } }, spec.test, path .. ": luarocks test")
  -- every pure-Lua module of bindings/lua/pylon_idv/ is installed under its require name
  local p = assert(io.popen('cd "' .. H.root .. '" && find bindings/lua/pylon_idv -name "*.lua" 2>/dev/null'))
  for file in p:lines() do
    local name = file:gsub("^bindings/lua/", ""):gsub("%.lua$", ""):gsub("/", ".")
    assert.are.equal(file, spec.build.modules[name], path .. ": module " .. name)
  end
  p:close()
end

describe("rockspecs", function()
  it("pylon_idv-scm-1.rockspec lists every core source", function()
    local path = H.root .. "/pylon_idv-scm-1.rockspec"
    local spec = H.load_rockspec(path)
    assert.are.equal("scm-1", spec.version)
    check(spec, path)
  end)

  it("the release rockspec for the core's version exists, and says that version", function()
    local path = H.root .. "/rockspecs/pylon_idv-" .. VERSION .. "-1.rockspec"
    local spec = H.load_rockspec(path)
    assert.are.equal(VERSION .. "-1", spec.version)
    assert.are.equal("v" .. VERSION, spec.source.tag)
    check(spec, path)
    -- the same build as the development rockspec
    local scm = H.load_rockspec(H.root .. "/pylon_idv-scm-1.rockspec")
    assert.are.same(scm.build, spec.build)
    assert.are.same(scm.dependencies, spec.dependencies)
    assert.are.same(scm.external_dependencies, spec.external_dependencies)
  end)

  it("no other release rockspec claims a different version", function()
    local p = assert(io.popen('ls "' .. H.root .. '/rockspecs"'))
    for name in p:lines() do
      local v = name:match("^pylon_idv%-(.+)%-%d+%.rockspec$")
      if v then
        local spec = H.load_rockspec(H.root .. "/rockspecs/" .. name)
        assert.are.equal(name, "pylon_idv-" .. spec.version .. ".rockspec")
      end
    end
    p:close()
  end)

  it("the module reports the same version", function()
    assert.are.equal(VERSION, H.idv._VERSION)
  end)
end)

describe("pylon-chat.js in the rock", function()
  it("both rockspecs install the one source file beside the Lua modules", function()
    for _, path in ipairs({ H.root .. "/pylon_idv-scm-1.rockspec",
                            H.root .. "/rockspecs/pylon_idv-" .. VERSION .. "-1.rockspec" }) do
      local spec = H.load_rockspec(path)
      local src = spec.build.install.lua["pylon_idv.static.pylon-chat"]
      assert.are.equal("web/pylon-chat.js", src, path)
      assert.is_not_nil(io.open(H.root .. "/" .. src), path)
    end
  end)
end)
