"""The Python suites as nox sessions (`make test-python` runs the first four; `nox -l` lists).

    build/venv-nox/bin/nox -s tests          # or: make test-python

One cp310-abi3 wheel is built per nox run, the standard PEP 517 way (`pip wheel .` with build
isolation: the scikit-build-core pinned in pyproject.toml comes from PyPI), by Debian's python3
(nox's venv, build/venv-nox, pinned in tests/python/requirements-nox.txt), into
build/wheelhouse; every session installs that same wheel.

- tests        pytest tests/python on Debian's python3, in build/venv-py (which make
               test-browser and make bench use too; tools: tests/python/requirements.txt)
- memcheck     tests/python/valgrind_loop.py under valgrind memcheck, with a leak control
- refcount     tests/python/refcount_loop.py on Debian's python3-dbg, the extension built
               against the debug headers, with a leak control
- abi3-3.X     tests/python/smoke_abi3.py with the same wheel on each CPython >= 3.10 found
               (pyenv's, and the distribution's /usr/bin/python3.1X); on the oldest and the
               newest also a new user's `pip install .`; a 3.9 is told "requires Python >=3.10"
- integrations pylon_idv.django/.flask/.jinja against the pinned frameworks, the live examples
               in headless Chromium, nginx + pylon_idv.openresty

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
    """The one wheel of this run (built on first use)."""
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
    Django/Flask/FastAPI examples in headless Chromium, nginx + pylon_idv.openresty."""
    session.install("-q", "-r", os.path.join(ROOT, "tests", "integration", "requirements.txt"))
    _install_wheel(session)
    session.run("python", "-c", "import django, flask, fastapi, pylon_idv; "
                "print('   Django', django.__version__, '| pylon_idv', pylon_idv.__version__)")
    workdir = os.path.join(BUILD, "pytest-integrations")
    os.makedirs(workdir, exist_ok=True)
    with session.chdir(workdir):
        session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-q",
                    os.path.join(ROOT, "tests", "integration", "python"))
    session.run(SYSTEM_PYTHON, os.path.join(ROOT, "tests", "integration", "test_frameworks.py"),
                session.virtualenv.bin, external=True)
    # the LuaJIT build of the module (scripts/test-lua.sh, build only) for nginx
    env = {"LUA_VERSIONS": "luajit", "BUILD_ONLY": "1", "NGINX_TEST": "0", "CMAKE_TEST": "0",
           "VALGRIND_TEST": "0"}
    session.run(os.path.join(ROOT, "scripts", "test-lua.sh"), BUILD, env=env, external=True,
                silent=True)
    session.run(SYSTEM_PYTHON, os.path.join(ROOT, "tests", "integration", "test_openresty.py"),
                os.path.join(BUILD, "lua", "luajit", "lib", "lua", "5.1"), external=True)
