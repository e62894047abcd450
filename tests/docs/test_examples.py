"""Every example in docs/ and README.md is run (see blocks.py for the rules and the marks).

PYLON_DOCS_PYTHON   the Python with pylon_idv and the frameworks (build/venv-integrations)
PYLON_DOCS_LUA      lua5.4; PYLON_DOCS_LUA_CPATH the module built for it
PYLON_DOCS_BIN      the folder of the pylon-idv command (build/c)
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

from blocks import RUN, all_blocks
from conftest import ROOT, setting

BLOCKS = [b for b in all_blocks() if b.lang in RUN]
SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"


def _env():
    py = setting("PYLON_DOCS_PYTHON", "build/venv-integrations/bin/python")
    if not os.path.exists(py):
        pytest.fail("no %s: nox -s test_docs (make test-docs) makes it" % py)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([setting("PYLON_DOCS_BIN", "build/c"), os.path.dirname(py),
                                   env.get("PATH", "")])
    env["PYLON_IDENTITY_SECRET"] = SECRET
    env["LUA_CPATH"] = setting("PYLON_DOCS_LUA_CPATH", "build/docs-lua/lua/?.so") + ";;"
    env["LUA_PATH"] = os.path.join(ROOT, "bindings/lua/?.lua") + ";;"
    env.pop("VIRTUAL_ENV", None)
    return env, py


def test_the_docs_have_examples_of_each_kind():
    langs = {b.lang for b in BLOCKS}
    assert {"python", "lua", "sh", "console"} <= langs
    assert sum(1 for b in BLOCKS if b.server_url) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_example(block, tmp_path):
    if block.skip_reason:
        pytest.skip("%s: %s" % (block.id, block.skip_reason))
    env, py = _env()
    if block.server_url:
        script = tmp_path / "block.sh"
        script.write_text("cd %s\n%s" % (ROOT, block.code))
        r = subprocess.run(["unshare", "-n", sys.executable,
                            os.path.join(ROOT, "tests/docs/serve_block.py"),
                            block.server_url, "420", str(script)],
                           env=env, capture_output=True, text=True, timeout=600)
        print(r.stdout, r.stderr)
        assert r.returncode == 0, "%s: the server did not answer:\n%s%s" % (
            block.id, r.stdout[-3000:], r.stderr[-2000:])
        return
    if block.lang == "python":
        f = tmp_path / "example.py"
        f.write_text(block.code)
        r = subprocess.run([py, str(f)], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    elif block.lang == "lua":
        f = tmp_path / "example.lua"
        f.write_text(block.code)
        lua = os.environ.get("PYLON_DOCS_LUA", "lua5.4")
        r = subprocess.run([lua, str(f)], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    elif block.lang == "sh":
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
    else:  # console: $ lines run, the rest is what they must print
        cmds, want = [], []
        for line in block.code.splitlines():
            if line.startswith("$ "):
                cmds.append(line[2:])
            elif line.strip():
                want.append(line)
        r = subprocess.run(["bash", "-c", "\n".join(cmds)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
        norm = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731
        assert norm(r.stdout) == norm("\n".join(want)), "%s printed:\n%s%s" % (
            block.id, r.stdout, r.stderr)
        assert not r.stderr.strip(), "%s wrote to stderr: %s" % (block.id, r.stderr)
        return
    assert r.returncode == 0, "%s failed (exit %d):\n%s\n%s" % (
        block.id, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    assert SECRET not in r.stdout + r.stderr, "%s printed the secret" % block.id
