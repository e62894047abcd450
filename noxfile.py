"""The Python suites, the release files and the docs as nox sessions (`make test-python` runs
the first four; `nox -l` lists them).

    build/venv-nox/bin/nox -s tests          # or: make test-python

One cp310-abi3 wheel is built per nox run, the standard PEP 517 way (`pip wheel .` with build
isolation: the scikit-build-core pinned in pyproject.toml comes from PyPI), by Debian's python3
(nox's venv, build/venv-nox, pinned in tests/python/requirements-nox.txt), into
build/wheelhouse; every session installs that same wheel.

- wheel        the cp310-abi3 wheel alone (ctest -L python builds it once with this)
- tests        pytest tests/python on Debian's python3, in build/venv-py (which make
               test-browser and make bench use too; tools: tests/python/requirements.txt)
- memcheck     tests/python/valgrind_loop.py under valgrind memcheck, with a leak control
- refcount     tests/python/refcount_loop.py on Debian's python3-dbg, the extension built
               against the debug headers, with a leak control
- abi3(3.X)    tests/python/smoke_abi3.py with the same wheel on each CPython >= 3.10 found
               (pyenv's, and the distribution's /usr/bin/python3.1X); on the oldest and the
               newest also a new user's `pip install .`; a 3.9 is told "requires Python >=3.10"
- integrations pylon_idv.django/.flask/.jinja against the pinned frameworks, the live examples
               in headless Chromium, nginx + pylon_idv.openresty
- dist         (make dist) the sdist and the manylinux x86-64 wheel in dist/, checked
- dist_aarch64 the manylinux aarch64 wheel, cross-built from the sdist and run under qemu
- dist_fresh   (make test-dist-python) the wheel and the sdist of dist/ in fresh Debian roots
- docs         (make docs) the site into site/: mkdocs build --strict (docs/requirements.txt)
- test_docs    (make test-docs) the site, then tests/docs and the site in headless Chromium

Every output stays under build/ (nox's own venvs in build/nox). A tool a session needs and
does not find fails it, naming the Debian package; only one this release cannot offer skips it,
with a "not available on this release" line (scripts/why-missing.sh).
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time

import nox

ROOT = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
WHEELHOUSE = os.path.join(BUILD, "wheelhouse")
SYSTEM_PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
REQUIREMENTS = os.path.join(ROOT, "tests", "python", "requirements.txt")

nox.options.envdir = os.path.join(BUILD, "nox")
nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"
nox.options.sessions = ["tests", "memcheck", "refcount", "abi3"]


def _version(python):
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def _cpythons():
    """{"3.X": interpreter} for every CPython >= 3.9 found: pyenv's, then the distribution's."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = {}
    candidates = sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))
    candidates += sorted(glob.glob("/usr/bin/python3.[0-9]*"))
    for python in candidates:
        if not re.search(r"python3(\.\d+)?$", python) or not os.access(python, os.X_OK):
            continue
        v = _version(python)
        if v and tuple(map(int, v.split("."))) >= (3, 9):
            found.setdefault(v, python)
    return dict(sorted(found.items(), key=lambda kv: tuple(map(int, kv[0].split(".")))))


CPYTHONS = _cpythons()
ABI3 = {v: p for v, p in CPYTHONS.items() if v != "3.9"}
_wheel_built = []


def _wheel(session):
    """The one wheel of this run (built on first use; under ctest, tests/python/CMakeLists.txt,
    python-wheel builds it once and PYLON_IDV_REUSE_WHEEL=1 has the other sessions take it)."""
    if not _wheel_built and os.environ.get("PYLON_IDV_REUSE_WHEEL") == "1":
        _wheel_built.extend(glob.glob(os.path.join(WHEELHOUSE, "pylon_idv-*-cp310-abi3-*.whl")))
        if len(_wheel_built) != 1:
            session.error(f"PYLON_IDV_REUSE_WHEEL: expected one wheel in {WHEELHOUSE} (ctest -R "
                          f"python-wheel builds it), found {_wheel_built}")
    if not _wheel_built:
        shutil.rmtree(WHEELHOUSE, ignore_errors=True)
        # nox's own interpreter (build/venv-nox, over Debian's python3) has pip
        session.run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                    "-q", "-w", WHEELHOUSE, ROOT, external=True)
        wheels = glob.glob(os.path.join(WHEELHOUSE, "pylon_idv-*-cp310-abi3-*.whl"))
        if len(wheels) != 1:
            session.error(f"expected one cp310-abi3 wheel in {WHEELHOUSE}, found {wheels}")
        _no_strays(session)
        _wheel_built.append(wheels[0])
    return _wheel_built[0]


def _no_strays(session):
    for pattern in ("pylon_idv.egg-info", "pylon_idv*.so", "_pylon_idv*.so",
                    "bindings/python/pylon_idv/_pylon_idv*.so"):
        if glob.glob(os.path.join(ROOT, pattern)):
            session.error(f"build output outside build/: {pattern}")


def _missing(session, what, packages):
    """A tool is missing: skip the session only when the release cannot offer it (with
    scripts/why-missing.sh's "not available on this release" line), else fail it."""
    why = subprocess.run([os.path.join(ROOT, "scripts", "why-missing.sh"), session.name, what,
                          packages], capture_output=True, text=True).stderr.strip()
    if "not available on this release" in why:
        session.skip(why)
    session.error(why)


def _install_wheel(session, python="python"):
    session.run(python, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                "--force-reinstall", "--disable-pip-version-check", _wheel(session))


def _venv_py(session):
    """build/venv-py: a plain venv over Debian's python3 with the wheel and the suite's tools
    (make test-browser and make bench use it too); the tools again only when pinned anew."""
    venv = os.path.join(BUILD, "venv-py")
    python = os.path.join(venv, "bin", "python")
    cfg = os.path.join(venv, "pyvenv.cfg")
    if not os.access(python, os.X_OK) or "include-system-site-packages = true" in open(cfg).read():
        shutil.rmtree(venv, ignore_errors=True)
        session.run(SYSTEM_PYTHON, "-m", "venv", venv)
    _install_wheel(session, python)
    stamp = os.path.join(venv, "requirements.installed")
    wanted = open(REQUIREMENTS).read()
    if not os.path.isfile(stamp) or open(stamp).read() != wanted:
        session.run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-r", REQUIREMENTS)
        with open(stamp, "w") as f:
            f.write(wanted)
    return python


@nox.session(python=False, default=False)
def wheel(session):
    """The cp310-abi3 wheel alone, into build/wheelhouse (ctest's python_wheel fixture)."""
    session.log(_wheel(session))


@nox.session(python=False)
def tests(session):
    """pytest tests/python against the wheel, on Debian's python3 (build/venv-py)."""
    python = _venv_py(session)
    workdir = os.path.join(BUILD, "pytest")   # hypothesis keeps its database in the cwd
    os.makedirs(workdir, exist_ok=True)
    with session.chdir(workdir):
        session.run(python, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                    os.path.join(ROOT, "tests", "python"), *session.posargs)


def _lost_blocks(log):
    found = re.findall(r"definitely lost: [\d,]+ bytes in ([\d,]+) blocks", open(log).read())
    return int(found[-1].replace(",", "")) if found else 0


@nox.session(python=False)
def memcheck(session):
    """valgrind memcheck on a loop over every entry point: no error, no growing leak.

    PYTHONMALLOC=malloc with Debian's CPython suppressions; the loop runs R/2 and R rounds and
    the definitely-lost blocks must not grow (CPython 3.12+ keeps a constant amount at exit);
    a control that leaks one object per round on purpose must show the growth."""
    supp = next((f for f in ("/usr/lib/valgrind/python3.supp", "/usr/lib/valgrind/python.supp")
                 if os.path.isfile(f)), None)
    if not shutil.which("valgrind") or not supp:
        _missing(session, "valgrind (with /usr/lib/valgrind/python3.supp)", "valgrind")
    python = _venv_py(session)
    logdir = os.path.join(BUILD, "pytest")
    os.makedirs(logdir, exist_ok=True)
    rounds = int(os.environ.get("VALGRIND_ROUNDS", "2000"))

    def vg(name, *args):
        log = os.path.join(logdir, f"valgrind_loop.{name}.log")
        env = {"PYTHONHASHSEED": "0", "PYTHONMALLOC": "malloc"}
        with session.chdir(BUILD):
            with open(log, "w") as out:
                rc = subprocess.call(
                    ["valgrind", "--tool=memcheck", f"--suppressions={supp}", "--leak-check=full",
                     "--show-leak-kinds=definite", "--errors-for-leak-kinds=none",
                     "--error-exitcode=99", "--num-callers=40",
                     python, os.path.join(ROOT, "tests", "python", "valgrind_loop.py"), *args],
                    stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})
        if rc != 0:
            session.error(f"memcheck found memory errors, or the loop failed (log: {log})")
        return _lost_blocks(log)

    half, full = vg("half", str(rounds // 2)), vg("full", str(rounds))
    session.log(f"definitely lost: {half} blocks after {rounds // 2} rounds, {full} after {rounds}")
    if half != full:
        session.error(f"definitely-lost blocks grow with the rounds ({half} -> {full}): a leak")
    c1, c2 = vg("control1", "20", "--leak-control"), vg("control2", "40", "--leak-control")
    if c2 - c1 < 20:
        session.error(f"the deliberate leak did not grow the lost blocks ({c1} -> {c2}): "
                      "the memcheck proves nothing")
    session.log(f"control: a deliberate leak of one object per round is seen ({c1} -> {c2})")


@nox.session(python=False)
def refcount(session):
    """Reference counts on Debian's debug CPython (python3-dbg), with a leak control.

    The extension is built again against the debug headers (Py_DEBUG: with the limited API,
    Py_INCREF/Py_DECREF call Py_IncRef/_Py_IncRef, so sys.gettotalrefcount() counts ours)."""
    dbg_python = os.environ.get("PYTHON_DBG", "python3-dbg")
    if not shutil.which(dbg_python):
        _missing(session, dbg_python, "python3-dbg")
    dbg = os.path.join(BUILD, "py-dbg")
    shutil.rmtree(dbg, ignore_errors=True)
    venv_python = os.path.join(dbg, "venv", "bin", "python")
    session.run(dbg_python, "-m", "venv", os.path.join(dbg, "venv"))
    session.run(venv_python, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
                "-w", os.path.join(dbg, "wheel"), f"--config-settings=build-dir={dbg}/cmake", ROOT)
    session.run(venv_python, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                "--disable-pip-version-check", *glob.glob(os.path.join(dbg, "wheel", "*.whl")))
    _no_strays(session)
    so = glob.glob(os.path.join(dbg, "venv", "lib", "python3*", "site-packages", "pylon_idv",
                                "_pylon_idv*.so"))
    symbols = subprocess.run(["nm", "-D", *so], capture_output=True, text=True).stdout
    if not re.search(r" _?Py_IncRef$", symbols, re.MULTILINE):
        session.error("the debug build does not count references (neither _Py_IncRef nor Py_IncRef)")
    loop = os.path.join(ROOT, "tests", "python", "refcount_loop.py")
    with session.chdir(BUILD):
        session.run(venv_python, loop, "500")
        rc = subprocess.call([venv_python, loop, "100", "--leak-control"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rc != 1:
        session.error(f"refcount_loop.py missed a deliberate leak (exit {rc})")
    session.log("control: a deliberate leak of one reference per round fails the check")


@nox.session(python=False)
@nox.parametrize("version", [nox.param(v, id=v) for v in ABI3])
def abi3(session, version):
    """The same wheel on one CPython >= 3.10: smoke_abi3.py; a `pip install .` on the ends."""
    python = ABI3[version]
    venv = os.path.join(BUILD, f"venv-py{version}")
    shutil.rmtree(venv, ignore_errors=True)
    session.run(python, "-m", "venv", venv)
    _install_wheel(session, os.path.join(venv, "bin", "python"))
    with session.chdir(BUILD):
        session.run(os.path.join(venv, "bin", "python"),
                    os.path.join(ROOT, "tests", "python", "smoke_abi3.py"))
    versions = list(ABI3)
    if version in (versions[0], versions[-1]):
        # a new user's plain venv (no setuptools in it on 3.12+): build isolation does the rest
        fresh = os.path.join(BUILD, f"venv-fresh{version}")
        shutil.rmtree(fresh, ignore_errors=True)
        session.run(python, "-m", "venv", fresh)
        session.run(os.path.join(fresh, "bin", "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", ROOT)
        with session.chdir(BUILD):
            session.run(os.path.join(fresh, "bin", "python"), "-c",
                        "import pylon_idv; s = pylon_idv.generate_secret(); "
                        "h = pylon_idv.sign('jane@example.com', s); "
                        "assert pylon_idv.verify('jane@example.com', s, h); print('  ', h)")
        _no_strays(session)
        shutil.rmtree(fresh)
    if version == versions[-1] and "3.9" in CPYTHONS:
        # An older CPython is told plainly: pip reads requires-python from the metadata the
        # pinned backend writes and stops with "requires a different Python" (no build error).
        old = os.path.join(BUILD, "venv-py3.9")
        shutil.rmtree(old, ignore_errors=True)
        session.run(CPYTHONS["3.9"], "-m", "venv", old)
        out = subprocess.run([os.path.join(old, "bin", "python"), "-m", "pip", "install",
                              "--disable-pip-version-check", ROOT], capture_output=True, text=True)
        said = re.search(r"requires a different Python: 3\.9\.\d+ not in '>=3\.10'", out.stderr)
        if out.returncode == 0 or not said:
            session.error(f"CPython 3.9 was not told 'requires Python >= 3.10':\n{out.stderr}")
        session.log(f"CPython 3.9: {said.group(0)}")
        shutil.rmtree(old)


@nox.session(python=SYSTEM_PYTHON)
def integrations(session):
    """The drop-ins against the pinned frameworks (tests/integration/requirements.txt), the live
    Django (runserver; uvicorn with async views; gunicorn), Flask (gunicorn -w 2), FastAPI,
    Quart and Litestar (uvicorn) examples in headless Chromium; policies built by pylon_idv.csp
    in Chromium (no violation for any widget source); Django 6 and its own CSP; nginx +
    pylon_idv.openresty."""
    integration = os.path.join(ROOT, "tests", "integration")
    session.install("-q", "-r", os.path.join(integration, "requirements.txt"))
    _install_wheel(session)
    session.run("python", "-c", "import django, flask, fastapi, quart, litestar, pylon_idv; "
                "print('   Django', django.__version__, '| pylon_idv', pylon_idv.__version__)")
    workdir = os.path.join(BUILD, "pytest-integrations")
    os.makedirs(workdir, exist_ok=True)
    with session.chdir(workdir):
        session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-q",
                    os.path.join(integration, "python"))
    session.run(SYSTEM_PYTHON, os.path.join(integration, "test_frameworks.py"),
                session.virtualenv.bin, external=True)
    session.run(SYSTEM_PYTHON, os.path.join(integration, "test_csp_browser.py"),
                session.virtualenv.bin, external=True)
    # Django 6 needs Python >= 3.12: a venv over the first CPython found that has it
    py312 = next((p for v, p in CPYTHONS.items() if tuple(map(int, v.split("."))) >= (3, 12)),
                 None)
    if py312 is None:
        session.log("Django 6: not available on this release (needs Python >= 3.12)")
    else:
        venv6 = os.path.join(BUILD, "venv-django6")
        python6 = os.path.join(venv6, "bin", "python")
        if not os.access(python6, os.X_OK):
            session.run(py312, "-m", "venv", venv6, external=True)
        session.run(python6, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                    os.path.join(integration, "django6", "requirements.txt"), external=True)
        _install_wheel(session, python6)
        workdir6 = os.path.join(BUILD, "pytest-django6")
        os.makedirs(workdir6, exist_ok=True)
        with session.chdir(workdir6):
            session.run(python6, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                        os.path.join(integration, "django6"), external=True)
        session.run(SYSTEM_PYTHON, os.path.join(integration, "test_frameworks.py"),
                    os.path.join(venv6, "bin"), "django6", external=True)
    # the LuaJIT build of the module (the source rock in build/lua/luajit: make lua-trees) for nginx
    session.run("make", "-C", ROOT, "--no-print-directory", "BUILD=" + BUILD, "lua-trees",
                "LUA_TREES=luajit", external=True, silent=True)
    session.run(SYSTEM_PYTHON, os.path.join(ROOT, "tests", "integration", "test_openresty.py"),
                os.path.join(BUILD, "lua", "luajit", "lib", "lua", "5.1"), external=True)


# ---- release files (make dist, make test-dist): dist/ holds what a Python release tool uploads

DIST = os.path.join(ROOT, "dist")
DIST_TOOLS = os.path.join(ROOT, "tests", "python", "requirements-dist.txt")


def _tool(session, name):
    return os.path.join(session.virtualenv.bin, name)


def _sh(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, check=True, **kw).stdout


def _check_wheel(session, wheel, machine):
    """The manylinux wheel holds the package, stubs, pylon-chat.js and one stripped extension
    that needs no shared OpenSSL and exports only PyInit__pylon_idv; abi3audit --strict passes."""
    show = _sh(_tool(session, "auditwheel"), "show", wheel)
    session.log(" ".join(show.split()))
    if 'consistent with the following platform tag: "manylinux_' not in " ".join(show.split()):
        session.error("auditwheel show names no manylinux policy")
    x = os.path.join(BUILD, "dist-check", machine)
    shutil.rmtree(x, ignore_errors=True)
    session.run("python", "-m", "zipfile", "-e", wheel, x, silent=True)
    for f in ("__init__.py", "__init__.pyi", "__main__.py", "py.typed", "_pylon_idv.abi3.so"):
        if not os.path.isfile(os.path.join(x, "pylon_idv", f)):
            session.error(f"the wheel lacks pylon_idv/{f}")
    js = os.path.join(x, "pylon_idv", "static", "pylon-chat.js")
    if not os.path.isfile(js) or open(js, "rb").read() != open(os.path.join(ROOT, "web", "pylon-chat.js"), "rb").read():
        session.error("the wheel lacks pylon_idv/static/pylon-chat.js (web/pylon-chat.js)")
    if glob.glob(os.path.join(x, "*.libs")) or glob.glob(os.path.join(x, "**", "libcrypto*"), recursive=True):
        session.error("the wheel carries a shared library besides the extension")
    so = os.path.join(x, "pylon_idv", "_pylon_idv.abi3.so")
    if machine not in _sh("readelf", "-h", so).replace("AArch64", "aarch64").replace("X86-64", "x86_64"):
        session.error(f"the extension is not built for {machine}")
    needed = re.findall(r"\(NEEDED\).*\[(.*)\]", _sh("readelf", "-d", so))
    exports = [line.split()[-1] for line in _sh("nm", "-D", "--defined-only", so).splitlines()]
    session.log(f"NEEDED: {needed}; exported: {exports}")
    if any("libcrypto" in n or "libssl" in n for n in needed):
        session.error(f"the extension still needs a shared OpenSSL: {needed}")
    if exports != ["PyInit__pylon_idv"]:
        session.error(f"the extension exports more than PyInit__pylon_idv: {exports}")
    if re.search(r"\.symtab|\.debug_", _sh("readelf", "-S", so)):
        session.error("the extension is not stripped")
    if "OpenSSL Default Provider" not in _sh("strings", "-a", so).splitlines():
        session.error("libcrypto is not inside the extension")
    report = os.path.join(BUILD, "dist-check", f"abi3audit-{machine}.json")
    with open(report, "w") as out:
        if subprocess.call([_tool(session, "abi3audit"), "--strict", "--report", wheel], stdout=out):
            session.error(f"abi3audit --strict: symbols outside the 3.10 stable ABI ({report})")
    session.log(f"{os.path.basename(wheel)}: stripped, libcrypto inside, abi3audit --strict clean")
    return x


def _repair(session, raw_wheel, machine, env=None):
    for old in glob.glob(os.path.join(DIST, f"pylon_idv-*_{machine}.whl")):
        os.remove(old)
    session.run(_tool(session, "auditwheel"), "repair", "--strip", "-w", DIST, raw_wheel,
                env=env, silent=True)
    wheels = glob.glob(os.path.join(DIST, f"pylon_idv-*-cp310-abi3-*manylinux*_{machine}.whl"))
    if len(wheels) != 1:
        session.error(f"expected one manylinux {machine} wheel in dist/, found {wheels}")
    return wheels[0]


@nox.session(python=SYSTEM_PYTHON, default=False)
def dist(session):
    """dist/: the sdist and, built from it, the manylinux cp310-abi3 x86-64 wheel
    (python -m build: scikit-build-core, libcrypto.a linked in; auditwheel repair --strip)."""
    session.install("-q", "-r", DIST_TOOLS)
    raw = os.path.join(BUILD, "dist-python")
    shutil.rmtree(raw, ignore_errors=True)
    os.makedirs(DIST, exist_ok=True)
    for old in glob.glob(os.path.join(DIST, "pylon_idv-*.tar.gz")):
        os.remove(old)
    # the sdist, then the wheel FROM it: a file missing from the sdist fails here
    session.run("python", "-m", "build", "-C", "cmake.define.PYLON_IDV_OPENSSL_STATIC=ON",
                "-o", raw, ROOT, silent=True)
    (sdist,) = glob.glob(os.path.join(raw, "pylon_idv-*.tar.gz"))
    (raw_wheel,) = glob.glob(os.path.join(raw, "pylon_idv-*-cp310-abi3-linux_x86_64.whl"))
    wheel = _repair(session, raw_wheel, "x86_64")
    shutil.copy(sdist, DIST)
    x = _check_wheel(session, wheel, "x86_64")
    # Private for real: with the system libcrypto.so.3 loaded RTLD_GLOBAL first, the extension
    # binds no symbol to it (LD_DEBUG=bindings), and signs correctly.
    if glob.glob("/usr/lib/*/libcrypto.so.3"):
        debug = os.path.join(raw, "ld-debug")
        session.run("python", "-c", "import ctypes, hashlib, hmac; "
                    "ctypes.CDLL('libcrypto.so.3', mode=ctypes.RTLD_GLOBAL); import pylon_idv; "
                    "s = pylon_idv.generate_secret(); assert pylon_idv.sign('a@b.c', s) == "
                    "hmac.new(bytes.fromhex(s), b'a@b.c', hashlib.sha256).hexdigest()",
                    env={"PYTHONPATH": x, "LD_DEBUG": "bindings", "LD_DEBUG_OUTPUT": debug})
        log = "".join(open(f).read() for f in glob.glob(debug + ".*"))
        ours = re.findall(r"binding file \S*_pylon_idv\.abi3\.so .* to (\S+)", log)
        if not ours:
            session.error("LD_DEBUG=bindings saw no binding of the extension")
        if any(re.search(r"lib(crypto|ssl)", lib) for lib in ours):
            session.error("the extension binds symbols to a shared OpenSSL")
        session.log(f"with libcrypto.so.3 loaded RTLD_GLOBAL first: {len(ours)} bindings, "
                    "none to a shared OpenSSL")
    # the sdist: sources, nothing built
    import tarfile
    names = tarfile.open(sdist).getnames()
    top = names[0].split("/")[0]
    wanted = ["PKG-INFO", "pyproject.toml", "CMakeLists.txt", "cmake/pylon_idv_version.cmake",
              "LICENSE", "README.md", "bindings/python/CMakeLists.txt", "bindings/python/exports.map",
              "bindings/python/pylon_idv/__init__.py", "docs/python.md", "docs/integrations.md",
              "docs/django.md", "docs/flask.md", "docs/fastapi.md", "docs/csp.md",
              "web/pylon-chat.js", "tests/python/test_api.py", "tests/python/requirements.txt",
              "tests/vectors/hmac_sha256.tsv"]
    wanted += [os.path.relpath(f, ROOT) for f in glob.glob(os.path.join(ROOT, "core", "*", "*.[ch]"))
               + glob.glob(os.path.join(ROOT, "bindings", "python", "*.[ch]"))]
    for f in wanted:
        if f"{top}/{f}" not in names:
            session.error(f"the sdist lacks {f}")
    built = [n for n in names if re.search(r"/(build|dist)/|\.egg-info|\.so$|\.o$|\.pyc$|__pycache__|\.whl$", n)]
    if built:
        session.error(f"build output in the sdist: {built}")
    session.log(f"sdist: {len(names)} entries, sources only")
    # the long description (the PyPI page, assembled by the backend from README.md and docs/):
    # the wheel, built from the sdist, says what the sdist says, the whole page
    import email
    pkg_info = email.message_from_bytes(tarfile.open(sdist).extractfile(f"{top}/PKG-INFO").read())
    metadata = email.message_from_bytes(_wheel_file(wheel, "METADATA"))
    if pkg_info.get_payload() != metadata.get_payload() or len(metadata.get_payload()) < 10000:
        session.error("the wheel's long description is not the sdist's")
    if metadata["Description-Content-Type"] != "text/markdown":
        session.error("the long description is not text/markdown")
    session.log(f"long description: {len(metadata.get_payload())} characters, the same in the "
                "sdist and the wheel built from it")
    session.run(_tool(session, "twine"), "check", "--strict", sdist, wheel)


def _wheel_file(wheel, name):
    import zipfile
    with zipfile.ZipFile(wheel) as z:
        (path,) = [n for n in z.namelist() if n.endswith(".dist-info/" + name)]
        return z.read(path)


def _sysroot(session, arch, packages, where):
    """A Debian bookworm sysroot for ARCH (mmdebstrap --variant=extract), made once."""
    if not os.path.isfile(os.path.join(where, "usr", "include", "openssl", "hmac.h")):
        shutil.rmtree(where, ignore_errors=True)
        session.run("mmdebstrap", "--quiet", "--variant=extract", f"--architectures={arch}",
                    f"--include={','.join(packages)}", "bookworm", where, silent=True)
    return where


@nox.session(python=SYSTEM_PYTHON, default=False)
def dist_aarch64(session):
    """dist/: the manylinux aarch64 wheel, cross-built from the sdist through
    cmake/cross-linux.cmake against a Debian arm64 sysroot, then installed by Debian's arm64
    python3 under qemu-aarch64 -cpu max, which checks every shared vector and signs."""
    for tool, package in (("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
                          ("qemu-aarch64", "qemu-user"), ("mmdebstrap", "mmdebstrap")):
        if not shutil.which(tool):
            _missing(session, tool, package)
    sdists = glob.glob(os.path.join(DIST, "pylon_idv-*.tar.gz"))
    if len(sdists) != 1:
        session.error("no sdist in dist/ (nox -s dist first: make dist-python)")
    session.install("-q", "-r", DIST_TOOLS)
    sr = _sysroot(session, "arm64", ["libc6-dev", "libssl-dev", "python3-dev", "python3",
                                     "python3-pip"], os.path.join(BUILD, "arm64-sysroot"))
    raw = os.path.join(BUILD, "dist-python-aarch64")
    shutil.rmtree(raw, ignore_errors=True)
    # the wheel's tag is given (_PYTHON_HOST_PLATFORM would make pip fetch an aarch64 CMake)
    session.run("python", "-m", "build", "--wheel", "-o", raw,
                "-C", f"cmake.toolchain-file={ROOT}/cmake/cross-linux.cmake",
                "-C", "cmake.define.PYLON_IDV_OPENSSL_STATIC=ON",
                "-C", f"cmake.define.Python_INCLUDE_DIR={sr}/usr/include/python3.11",
                "-C", f"build-dir={raw}/cmake", "-C", "wheel.tags=cp310-abi3-linux_aarch64",
                sdists[0], env={"PYLON_IDV_CROSS": "aarch64-linux-gnu", "PYLON_IDV_SYSROOT": sr},
                silent=True)
    (raw_wheel,) = glob.glob(os.path.join(raw, "pylon_idv-*-cp310-abi3-linux_aarch64.whl"))
    # auditwheel runs `strip` from PATH: the cross binutils' one first
    os.makedirs(os.path.join(raw, "bin"))
    os.symlink(shutil.which("aarch64-linux-gnu-strip"), os.path.join(raw, "bin", "strip"))
    path = os.pathsep.join([os.path.join(raw, "bin"), session.virtualenv.bin, os.environ["PATH"]])
    wheel = _repair(session, raw_wheel, "aarch64", env={"PATH": path})
    _check_wheel(session, wheel, "aarch64")
    session.run(_tool(session, "twine"), "check", "--strict", wheel)
    # Debian's arm64 python3 under qemu: pip installs it (offline: pip checks the tag against
    # that glibc), then every shared vector, sign/verify with a fresh secret, a Signer
    site = os.path.join(raw, "site")
    qpy = ["qemu-aarch64", "-cpu", "max", "-L", sr, f"{sr}/usr/bin/python3.11"]
    env = {"QEMU_LD_PREFIX": sr, "PIP_ROOT_USER_ACTION": "ignore"}
    session.run(*qpy, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                "--disable-pip-version-check", "--target", site, wheel, env=env)
    with session.chdir(raw):
        session.run(*qpy, "-c", AARCH64_CHECK, env={**env, "PYTHONPATH": os.pathsep.join(
            [site, os.path.join(ROOT, "tests", "python")])})


AARCH64_CHECK = """
import hashlib, hmac, platform
import pylon_idv
from vectors import crossref_vectors, hmac_vectors
assert platform.machine() == "aarch64", platform.machine()
n = 0
for source, vid, expect, key_hex, msg, tag in hmac_vectors():
    if expect == "sign":
        assert pylon_idv.Signer.from_key(bytes.fromhex(key_hex)).sign(msg) == tag, (source, vid)
        n += 1
for name, email, secret, h in crossref_vectors():
    try:
        got = pylon_idv.sign(email, secret)
    except pylon_idv.InvalidSecretError:
        continue
    assert got == h, name
    n += 1
secret = pylon_idv.generate_secret()
h = pylon_idv.sign("jane@example.com", secret)
assert h == hmac.new(bytes.fromhex(secret), b"jane@example.com", hashlib.sha256).hexdigest()
assert pylon_idv.verify("jane@example.com", secret, h)
assert not pylon_idv.verify("mallory@example.com", secret, h)
assert pylon_idv.Signer(secret).verify("jane@example.com", h)
print(f"   {platform.machine()} Python {platform.python_version()}: {n} vectors, "
      f"sign/verify with a fresh secret ok ({pylon_idv.__file__})")
"""


@nox.session(python=False, default=False)
def dist_fresh(session):
    """(make test-dist-python) what `make dist-python` put into dist/, each in a brand-new
    minimal Debian 12 root (scripts/test-fresh.sh over fresh-root.sh; it clones the committed HEAD
    and copies the file in): the manylinux wheel on a machine with NO compiler and NO libcrypto
    (FRESH_WHEEL), the sdist on one with a compiler and headers, then the sdist's own test suite
    (FRESH_SDIST). Needs root (chroot) and network access to Debian and PyPI; 1-3 minutes a root."""
    version = _sh("cmake", "-P", os.path.join(ROOT, "cmake", "pylon_idv_version.cmake")).strip()
    wheels = glob.glob(os.path.join(DIST, f"pylon_idv-{version}-cp310-abi3-manylinux*_x86_64.whl"))
    sdists = glob.glob(os.path.join(DIST, f"pylon_idv-{version}.tar.gz"))
    if len(wheels) != 1:
        session.error("expected one manylinux x86_64 wheel in dist/ (make dist-python)")
    if len(sdists) != 1:
        session.error("expected the sdist in dist/ (make dist-python)")
    commit = _sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD").strip()
    session.log(f"commit {commit} (fresh-root clones it; the wheel and sdist are copied in)")

    # scripts/test-fresh.sh: a Debian 12 root (fresh-root.sh, or FRESH_ROOT), with this
    # machine's pip CA bundle where it has one of its own, the files of FRESH_COPY in /root/in
    def fresh(what, copy, command):
        t0 = time.monotonic()
        session.log(what)
        if subprocess.call([os.path.join(ROOT, "scripts", "test-fresh.sh"), "bookworm", command],
                           cwd=ROOT, env={**os.environ, "FRESH_COPY": " ".join(copy)}):
            session.error(f"{what}: failed in a fresh root")
        return round(time.monotonic() - t0)

    t_wheel = fresh(f"fresh root, no compiler and no libcrypto: pip install "
                    f"{os.path.basename(wheels[0])} (offline)", wheels, FRESH_WHEEL)
    t_sdist = fresh(f"fresh root with a compiler and headers: pip install "
                    f"{os.path.basename(sdists[0])}, then its tests", sdists, FRESH_SDIST)
    session.log(f"dist proven in fresh Debian roots: wheel {t_wheel}s, sdist {t_sdist}s")


# 1. the wheel: python3 and python3-venv from apt, then libssl3 removed (dpkg --force-depends:
# Python needs it only for its own _ssl/_hashlib); `ldconfig -p` lists no libcrypto and there is
# no compiler. The wheel is installed offline (--no-index, the copied file) into a venv; a fresh
# secret signs and verifies, the hash equals Python's pure hmac (no _hashlib there), no
# libcrypto is mapped into the process, the console script works, and smoke_abi3.py passes.
FRESH_WHEEL = r"""set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
python3 -m venv /root/venv
dpkg --purge --force-depends libssl3 >/dev/null 2>&1
ldconfig
if ldconfig -p | grep libcrypto; then echo "libcrypto is still installed" >&2; exit 1; fi
for cc in cc gcc clang tcc; do
    if command -v $cc >/dev/null 2>&1; then echo "a compiler is installed: $cc" >&2; exit 1; fi
done
if python3 -c 'import _hashlib' 2>/dev/null; then echo "_hashlib still loads" >&2; exit 1; fi
echo "   no libcrypto (ldconfig -p), no compiler, Python's _hashlib gone"
/root/venv/bin/pip install -q --no-index --disable-pip-version-check /root/in/pylon_idv-*.whl
cd /tmp
/root/venv/bin/python - <<'PY'
import hmac, hashlib, sys
import pylon_idv
secret = pylon_idv.generate_secret()
email = "jane@example.com"
h = pylon_idv.sign(email, secret)
assert h == hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()
assert pylon_idv.verify(email, secret, h) and not pylon_idv.verify("mallory@example.com", secret, h)
s = pylon_idv.Signer(secret, previous=[pylon_idv.generate_secret()])
assert s.sign(email) == h and s.match(email, h) == 0
maps = open("/proc/self/maps").read()
assert "libcrypto" not in maps and "libssl" not in maps, "a shared libcrypto is mapped"
print("   sign/verify with a fresh secret: ok (hash == pure-Python hmac; no libcrypto mapped)")
print("   " + pylon_idv.__file__)
PY
s=$(/root/venv/bin/python -c 'import pylon_idv; print(pylon_idv.generate_secret())')
h=$(PYLON_IDENTITY_SECRET=$s /root/venv/bin/pylon-idv sign jane@example.com)
PYLON_IDENTITY_SECRET=$s /root/venv/bin/pylon-idv verify jane@example.com "$h"
echo "   console script pylon-idv sign/verify: ok"
/root/venv/bin/python /root/p/tests/python/smoke_abi3.py
"""

# 2. the sdist: build-essential, libssl-dev, python3-dev, python3-venv; `pip install` it in a
# plain venv (build isolation: the pinned scikit-build-core and hatch-fancy-pypi-readme, and
# CMake >= 3.26 as the root has none, from PyPI), then the sdist's own test suite (pytest and
# friends at the pins of its tests/python/requirements.txt) against the install.
FRESH_SDIST = r"""set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends build-essential libssl-dev python3-dev python3-venv >/dev/null
python3 -m venv /root/venv
/root/venv/bin/pip install -q --disable-pip-version-check /root/in/pylon_idv-*.tar.gz
mkdir /root/sdist && tar -C /root/sdist -xzf /root/in/pylon_idv-*.tar.gz
src=$(echo /root/sdist/pylon_idv-*)
/root/venv/bin/pip install -q --disable-pip-version-check -r "$src/tests/python/requirements.txt"
mkdir /tmp/run && cd /tmp/run
/root/venv/bin/python -c 'import pylon_idv, sys; s = pylon_idv.generate_secret(); h = pylon_idv.sign("jane@example.com", s); assert pylon_idv.verify("jane@example.com", s, h); print("   built from the sdist:", pylon_idv.__file__)'
/root/venv/bin/python -m pytest -p no:cacheprovider -q -rs "$src/tests/python"   # skips: the C CLI parity (no build/c here)
"""


# ---- the docs site (make docs, make test-docs): docs/, mkdocs.yml, tests/docs

DOCS_REQUIREMENTS = os.path.join(ROOT, "docs", "requirements.txt")


def _mkdocs(session):
    """site/ by `mkdocs build --strict` with the tools at the pins of docs/requirements.txt
    (this session's venv, kept between runs); a warning in its log fails it too."""
    session.install("-q", "--disable-pip-version-check", "-r", DOCS_REQUIREMENTS)
    os.makedirs(BUILD, exist_ok=True)
    log = os.path.join(BUILD, "mkdocs.log")
    with open(log, "w") as out:
        rc = subprocess.call([_tool(session, "mkdocs"), "build", "--strict"], cwd=ROOT,
                             stdout=out, stderr=subprocess.STDOUT,
                             env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    text = open(log).read()
    if rc:
        session.error(f"mkdocs build failed:\n{text}")
    warned = [line for line in text.splitlines() if re.search(r"WARNING|ERROR", line)]
    if warned:
        session.error("mkdocs build printed a warning:\n" + "\n".join(warned))
    session.log(text.strip().splitlines()[-1])


@nox.session(python=SYSTEM_PYTHON, reuse_venv=True, default=False)
def docs(session):
    """(make docs) the site into site/: mkdocs build --strict."""
    _mkdocs(session)


@nox.session(python=SYSTEM_PYTHON, reuse_venv=True, default=False)
def test_docs(session):
    """(make test-docs) the site, then tests/docs: the reference pages cover every public name
    (test_reference.py); every python, lua, sh and console block of docs/ and README.md runs
    (test_examples.py); README.md <= 150 lines with working links, and the PyPI page the build
    backend assembles holds the docs' parts (test_readme.py); headless Chromium follows the
    navigation to every page, the search finds "email_hash", screenshots BUILD/docs-home.png and
    docs-django.png (check_site.py). The examples run against the CMake-built Lua module for
    lua5.4 (BUILD/docs-lua), BUILD/c (make build: pylon-idv, libpylon_idv.so) and
    BUILD/venv-integrations (pylon_idv and the pinned frameworks; made here when missing)."""
    _mkdocs(session)
    lua_build = os.path.join(BUILD, "docs-lua")
    session.log(f"the Lua module for lua5.4 (CMake) -> {lua_build}")
    session.run("cmake", "-S", ROOT, "-B", lua_build, "-DPYLON_IDV_BUILD_LUA=ON",
                "-DLUA_INCLUDE_DIR=/usr/include/lua5.4", "-DPYLON_IDV_BUILD_TESTS=OFF",
                "-DPYLON_IDV_BUILD_CLI=OFF", "-DPYLON_IDV_BUILD_BENCH=OFF", external=True, silent=True)
    session.run("cmake", "--build", lua_build, f"-j{os.environ.get('JOBS', '2')}", "--target",
                "pylon_idv_lua", external=True, silent=True)
    venv = os.path.join(BUILD, "venv-integrations")
    pyint = os.path.join(venv, "bin", "python")
    if not os.access(pyint, os.X_OK) or subprocess.call(
            [pyint, "-c", "import django, flask, fastapi, pylon_idv"], stderr=subprocess.DEVNULL):
        session.log(f"venv {venv}: the pinned frameworks and pylon_idv")
        if not os.access(pyint, os.X_OK):
            session.run(SYSTEM_PYTHON, "-m", "venv", venv, external=True)
        session.run(pyint, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                    os.path.join(ROOT, "tests", "integration", "requirements.txt"), external=True)
        session.run(pyint, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--no-deps", ROOT, external=True)
    if not os.access(os.path.join(BUILD, "c", "pylon-idv"), os.X_OK):
        session.error(f"no {BUILD}/c/pylon-idv (make build)")
    site = os.path.join(ROOT, "site")
    env = {"PYLON_DOCS_SITE": site, "PYLON_DOCS_PYTHON": pyint,
           "PYLON_DOCS_BIN": os.path.join(BUILD, "c"), "PYLON_DOCS_LUA": "lua5.4",
           "PYLON_DOCS_LUA_CPATH": os.path.join(lua_build, "lua", "?.so")}
    with session.chdir(os.path.join(ROOT, "tests", "docs")):
        session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", ".",
                    *session.posargs, env=env)
    session.log("the site in headless Chromium")
    session.run(SYSTEM_PYTHON, os.path.join(ROOT, "tests", "docs", "check_site.py"), site, BUILD,
                external=True)
