#!/usr/bin/env python3
"""run_cases.py -- the command line's table of cases (tests/vectors/cli_cases.json).

    run_cases.py [--cases FILE] -- COMMAND...      e.g.  -- build/c/pylon-idv
                                                   or    -- python3 -m pylon_idv

Runs every case through COMMAND and compares stdout, stderr and the exit status exactly
with the table; exits 1 on any difference (each printed). ctest runs it for the C pylon-idv,
tests/python/test_cli.py imports it for python -m pylon_idv and the pylon-idv console
script: the same table, so both commands behave identically, texts included.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CASES = os.path.join(HERE, os.pardir, "vectors", "cli_cases.json")
REPO = os.path.join(HERE, os.pardir, os.pardir)


def version():
    with open(os.path.join(REPO, "core", "include", "pylon_idv.h")) as f:
        return re.search(r'#define PYLON_IDV_VERSION_STRING "([^"]+)"', f.read()).group(1)


def load(path=DEFAULT_CASES):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _subst(text, table, d):
    values = {"S": table["secret"], "dir": d, "VERSION": version()}
    values.update(table["texts"])
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)] if m.group(1) in values
                  else m.group(0), text)


def run_case(command, case, table):
    """(status, stdout, stderr) of one case; stdout is None when it went elsewhere."""
    d = tempfile.mkdtemp(prefix="pylon-idv-cli-")
    try:
        for name, content in case.get("files", {}).items():
            if isinstance(content, dict):
                data = content["repeat"].encode() * content["count"]
            else:
                data = _subst(content, table, d).encode()
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        for k, v in case.get("env", {}).items():
            env[k] = _subst(v, table, d)
        args = [_subst(a, table, d) for a in case["args"]]
        stdin = case.get("stdin")
        close = []
        if stdin == "<closed>":
            close.append(0)
            stdin_arg, data = subprocess.DEVNULL, None
        elif stdin is None:
            stdin_arg, data = subprocess.DEVNULL, None
        else:
            stdin_arg, data = subprocess.PIPE, _subst(stdin, table, d).encode()
        to = case.get("stdout_to", "pipe")
        out_file = None
        if to == "full":
            out_file = open("/dev/full", "wb")
            stdout_arg = out_file
        elif to == "closed":
            close.append(1)
            stdout_arg = subprocess.DEVNULL
        else:
            stdout_arg = subprocess.PIPE

        def preexec():
            for fd in close:
                os.close(fd)
        try:
            p = subprocess.Popen(list(command) + args, stdin=stdin_arg, stdout=stdout_arg,
                                 stderr=subprocess.PIPE, env=env, cwd=d,
                                 preexec_fn=preexec if close else None)
            out, err = p.communicate(data, timeout=60)
        finally:
            if out_file:
                out_file.close()
        return p.returncode, (out.decode("utf-8", "replace") if out is not None else None), \
            err.decode("utf-8", "replace")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def check_case(command, case, table):
    """A list of differences (empty: the case passes)."""
    status, out, err = run_case(command, case, table)
    want = case["expect"]
    diffs = []
    if status != want["status"]:
        diffs.append(f"exit status {status}, want {want['status']}")
    want_err = _subst(want["stderr"], table, "")
    if err != want_err:
        diffs.append(f"stderr {err!r}, want {want_err!r}")
    if case.get("stdout_to", "pipe") == "pipe":
        if "stdout_re" in want:
            if not re.search(want["stdout_re"], out):
                diffs.append(f"stdout {out!r} does not match {want['stdout_re']!r}")
        else:
            want_out = _subst(want["stdout"], table, "")
            if out != want_out:
                diffs.append(f"stdout {out!r}, want {want_out!r}")
    return diffs


def main(argv):
    cases_path = DEFAULT_CASES
    if argv[:1] == ["--cases"]:
        cases_path, argv = argv[1], argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    if os.path.exists(argv[0]):
        argv = [os.path.abspath(argv[0])] + argv[1:]   # the cases run in their own directory
    table = load(cases_path)
    failed = 0
    for case in table["cases"]:
        diffs = check_case(argv, case, table)
        if diffs:
            failed += 1
            print(f"FAIL {case['name']}: " + "; ".join(diffs))
    print(f"run_cases: {len(table['cases'])} cases through {' '.join(argv)}, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
