"""The reference pages cover every public name: a name with no entry fails here.

- Python: every name of pylon_idv.__all__ (read from the package's source, and the same
  list in the stubs) has an entry in the built site's inventory (objects.inv, written by
  mkdocstrings from bindings/python/pylon_idv).
- C: every public declaration of core/include/pylon_idv.h (found here by its own plain
  regular expressions, not by the page's generator) has an anchor on the C API page, and
  every function the built library exports (nm -D) is one of them.
- Lua: docs/reference/lua_api.yml lists exactly the names `require "pylon_idv"`, a
  signer, `require "pylon_idv.openresty"` and `require "pylon_idv.nginx_check"` export; each has an anchor on the Lua API page.
"""
import ast
import os
import re
import shutil
import subprocess
import zlib

import pytest
import yaml

from conftest import ROOT, setting


def _all_of(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("no __all__ in " + path)


def _inventory(site):
    data = open(os.path.join(site, "objects.inv"), "rb").read()
    pos = 0
    for _ in range(4):                       # four header lines, then zlib
        pos = data.index(b"\n", pos) + 1
    names = set()
    for line in zlib.decompress(data[pos:]).decode().splitlines():
        names.add(line.split(" ", 1)[0])
    return names


def _ids(html_path):
    return set(re.findall(r'\bid="([^"]+)"', open(html_path, encoding="utf-8").read()))


# ------------------------------------------------------------------ Python

def test_python_every_public_name_has_an_entry(site):
    pkg = os.path.join(ROOT, "bindings/python/pylon_idv")
    public = _all_of(os.path.join(pkg, "__init__.py"))
    assert public == _all_of(os.path.join(pkg, "__init__.pyi")), "__init__.py and .pyi differ"
    assert "sign" in public and "Signer" in public
    inv = _inventory(site)
    missing = [n for n in public if "pylon_idv." + n not in inv]
    assert not missing, "no entry in the Python API page for: %s" % ", ".join(missing)
    page = open(os.path.join(site, "reference/python/index.html"), encoding="utf-8").read()
    for name in public:
        assert 'id="pylon_idv.%s"' % name in page, name


def test_python_signer_methods_have_entries(site):
    inv = _inventory(site)
    for m in ("sign", "verify", "match", "fingerprint", "from_key"):
        assert "pylon_idv.Signer." + m in inv, m


# ------------------------------------------------------------------ C

def _c_public_names():
    text = open(os.path.join(ROOT, "core/include/pylon_idv.h"), encoding="utf-8").read()
    names = set(re.findall(r"#\s*define\s+(PYLON_IDV_[A-Z0-9_]+)", text))
    names.discard("PYLON_IDV_H")            # the include guard
    names |= set(re.findall(r"\b(PYLON_IDV_[A-Z0-9_]+)\s*=", text))
    names |= set(re.findall(r"typedef\s+struct\s+\w+\s+(pylon_idv_\w+)\s*;", text))
    names |= set(re.findall(r"}\s*(pylon_idv_\w+)\s*;", text))
    body = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names |= set(re.findall(r"PYLON_IDV_API(?:\s+PYLON_IDV_NODISCARD)?\s+[\w\s\*]+?\b"
                            r"(pylon_idv_\w+)\s*\(", body))
    return names


def test_c_every_public_declaration_has_an_entry(site):
    names = _c_public_names()
    for sure in ("pylon_idv_sign", "pylon_idv_signer", "PYLON_IDV_OK", "PYLON_IDV_HASH_HEX_SIZE",
                 "pylon_idv_page", "pylon_idv_json_string", "PYLON_IDV_JSON_STRING_SIZE"):
        assert sure in names, "the test's own scan lost " + sure
    ids = _ids(os.path.join(site, "reference/c/index.html"))
    missing = sorted(n for n in names if n not in ids)
    assert not missing, "no entry in the C API page for: %s" % ", ".join(missing)


def test_c_every_exported_function_is_declared():
    lib = os.path.join(setting("PYLON_DOCS_BIN", "build/c"), "libpylon_idv.so")
    if not os.path.exists(lib) or not shutil.which("nm"):
        pytest.fail("no %s (make build) or no nm (binutils)" % lib)
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    exported = {line.split()[-1] for line in out.splitlines() if " T " in line}
    exported = {n for n in exported if n.startswith("pylon_idv_")}
    assert len(exported) > 30
    assert exported <= _c_public_names(), sorted(exported - _c_public_names())


def test_c_page_keeps_the_comments(site):
    page = open(os.path.join(site, "reference/c/index.html"), encoding="utf-8").read()
    assert "Fails closed" in page                 # pylon_idv_verify's comment
    assert "Never contains any part of the secret" in page.replace("\n", " ")  # pylon_idv_message


# ------------------------------------------------------------------ Lua

LUA_LIST = r"""
package.path = ROOT .. "/bindings/lua/?.lua;" .. package.path
local function keys(t, prefix)
  local out = {}
  for k in pairs(t) do out[#out + 1] = prefix .. tostring(k) end
  table.sort(out)
  for _, k in ipairs(out) do print(k) end
end
local idv = require "pylon_idv"
keys(idv, "pylon_idv ")
local signer = assert(idv.new(string.rep("ab", 32)))
keys(getmetatable(signer).__index, "signer ")
keys(require "pylon_idv.openresty", "pylon_idv.openresty ")
keys(require "pylon_idv.nginx_check", "pylon_idv.nginx_check ")
"""


def test_lua_table_matches_the_modules(site):
    lua = shutil.which(os.environ.get("PYLON_DOCS_LUA", "lua5.4"))
    cpath = setting("PYLON_DOCS_LUA_CPATH", "build/docs-lua/lua/?.so")
    if not lua or not os.path.exists(cpath.replace("?", "pylon_idv")):
        pytest.fail("need lua5.4 and the CMake-built module at %s (nox -s test_docs builds it)"
                    % cpath)
    env = dict(os.environ, LUA_CPATH=cpath + ";;")
    out = subprocess.run([lua, "-e", "ROOT=%r" % ROOT, "-e", LUA_LIST], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 0, out.stderr
    exported = {tuple(line.split(" ", 1)) for line in out.stdout.splitlines()}
    spec = yaml.safe_load(open(os.path.join(ROOT, "docs/reference/lua_api.yml"), encoding="utf-8"))
    listed = {(m["module"], e["name"]) for m in spec["modules"] for e in m["names"]}
    assert ("pylon_idv", "sign") in exported and ("signer", "match") in exported
    missing = sorted(exported - listed)
    extra = sorted(listed - exported)
    assert not missing, "exported but not in docs/reference/lua_api.yml: %s" % missing
    assert not extra, "in docs/reference/lua_api.yml but not exported: %s" % extra
    ids = _ids(os.path.join(site, "reference/lua/index.html"))
    for module, name in listed:
        assert "%s-%s" % (module.replace(".", "-"), name) in ids, (module, name)


# ------------------------------------------------------------------ problem ids

def test_troubleshooting_lists_exactly_the_cores_problem_ids():
    """docs/troubleshooting.md's "Problem ids" table has one row per id of the core's table
    (pylon_idv_problems, read through the Python extension), no more, no fewer."""
    py = setting("PYLON_DOCS_PYTHON", "build/venv-integrations/bin/python")
    if not os.path.exists(py):
        pytest.fail("no %s: nox -s test_docs (make test-docs) makes it" % py)
    out = subprocess.run([py, "-c", "from pylon_idv._pylon_idv import _problems\n"
                          "print(' '.join(sorted({v[0] for v in _problems().values()})))"],
                         capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    core = set(out.stdout.split())
    assert {"E001", "E010", "W004"} <= core
    text = open(os.path.join(ROOT, "docs/troubleshooting.md"), encoding="utf-8").read()
    section = text.split("## Problem ids", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([EW]\d{3})` \|", section, re.M)
    assert len(rows) == len(set(rows)), "an id listed twice: %s" % rows
    assert set(rows) == core, "docs %s, core %s" % (sorted(set(rows) - core), sorted(core - set(rows)))
