"""Build the pylon_idv CPython extension from the C core (core/src) and bindings/python.

One stable-ABI extension (Py_LIMITED_API for 3.10): the wheel is tagged cp310-abi3 and
imports on every CPython >= 3.10. Metadata is in pyproject.toml; this file adds what must be
computed: the version (read from core/include/pylon_idv.h, the single source of truth), the
extension's sources, and where OpenSSL's libcrypto is.

OpenSSL, first match wins:
  1. PYLON_IDV_OPENSSL_CFLAGS / PYLON_IDV_OPENSSL_LIBS: compiler and linker flags, verbatim
     (e.g. "-I/opt/ssl/include" and "-L/opt/ssl/lib -lcrypto");
  2. OPENSSL_INCLUDE_DIR / OPENSSL_LIB_DIR (or OPENSSL_DIR, meaning DIR/include, DIR/lib);
  3. pkg-config libcrypto (PKG_CONFIG names another pkg-config);
  4. the compiler's default paths and -lcrypto.
Before compiling anything, the build checks that <openssl/sha.h> compiles and stops with a
clear message naming the package to install when it does not.

PYLON_IDV_OPENSSL_STATIC=1 (Linux; what `make dist` uses for the manylinux wheel) links
libcrypto.a from the same place into the extension instead of -lcrypto, with
-Wl,--exclude-libs,ALL: every OpenSSL symbol becomes local to the extension (which exports
only PyInit__pylon_idv, bindings/python/exports.map), so the wheel needs no libcrypto on the
machine and can neither interpose on nor be interposed by another OpenSSL in the process.

Nothing is read from system folders other than OpenSSL's and the compiler's own; the build
backend (setuptools, pinned in pyproject.toml) comes from PyPI through PEP 517 isolation.
"""

import os
import re
import shlex
import subprocess
import sys
import tempfile
from glob import glob

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist


HERE = os.path.dirname(os.path.abspath(__file__))
LIMITED_API = 0x030A0000          # Python 3.10: the oldest CPython the wheel supports
ABI_TAG = "cp310"


def read_version():
    path = os.path.join(HERE, "core", "include", "pylon_idv.h")
    with open(path, encoding="ascii") as f:
        m = re.search(r'#define\s+PYLON_IDV_VERSION_STRING\s+"([^"]+)"', f.read())
    if not m:
        sys.exit(f"setup.py: no PYLON_IDV_VERSION_STRING in {path}")
    return m.group(1)


def split_flags(flags):
    """Sort compiler/linker flags into setuptools' lists."""
    out = {"include_dirs": [], "library_dirs": [], "libraries": [], "extra_compile_args": [],
           "extra_link_args": [], "define_macros": []}
    for f in flags:
        if f.startswith("-I"):
            out["include_dirs"].append(f[2:])
        elif f.startswith("-L"):
            out["library_dirs"].append(f[2:])
        elif f.startswith("-l"):
            out["libraries"].append(f[2:])
        elif f.startswith("-D"):
            name, _, value = f[2:].partition("=")
            out["define_macros"].append((name, value or None))
        else:
            out["extra_compile_args" if not f.startswith("-Wl,") else "extra_link_args"].append(f)
    return out


def openssl_flags():
    """(where the flags came from, flags dict)."""
    env = os.environ
    if env.get("PYLON_IDV_OPENSSL_CFLAGS") is not None or env.get("PYLON_IDV_OPENSSL_LIBS"):
        flags = shlex.split(env.get("PYLON_IDV_OPENSSL_CFLAGS", ""))
        flags += shlex.split(env.get("PYLON_IDV_OPENSSL_LIBS", "") or "-lcrypto")
        return "PYLON_IDV_OPENSSL_CFLAGS/LIBS", split_flags(flags)
    inc, lib = env.get("OPENSSL_INCLUDE_DIR"), env.get("OPENSSL_LIB_DIR")
    if env.get("OPENSSL_DIR"):
        inc = inc or os.path.join(env["OPENSSL_DIR"], "include")
        lib = lib or os.path.join(env["OPENSSL_DIR"], "lib")
    if inc or lib:
        flags = ([f"-I{inc}"] if inc else []) + ([f"-L{lib}"] if lib else []) + ["-lcrypto"]
        d = split_flags(flags)
        if lib:
            d["extra_link_args"].append(f"-Wl,-rpath,{lib}")
        return "OPENSSL_INCLUDE_DIR/OPENSSL_LIB_DIR", d
    pkg_config = env.get("PKG_CONFIG", "pkg-config")
    try:
        out = subprocess.run([pkg_config, "--cflags", "--libs", "libcrypto"],
                             capture_output=True, text=True, check=True).stdout
        return "pkg-config libcrypto", split_flags(shlex.split(out))
    except (OSError, subprocess.CalledProcessError):
        return "the compiler's default paths", split_flags(["-lcrypto"])


MISSING_OPENSSL = """
pylon_idv: cannot compile against OpenSSL: <openssl/sha.h> was not found
(flags from {source}).

The extension needs OpenSSL's libcrypto headers (OpenSSL 1.1.1 or 3.x):
  Debian/Ubuntu:  apt-get install libssl-dev
  Fedora/RHEL:    dnf install openssl-devel
  Alpine:         apk add openssl-dev
  macOS:          brew install openssl@3, then OPENSSL_DIR=$(brew --prefix openssl@3)
Or point the build at an OpenSSL: OPENSSL_INCLUDE_DIR=... OPENSSL_LIB_DIR=... (or
OPENSSL_DIR=...), or PYLON_IDV_OPENSSL_CFLAGS="-I..." PYLON_IDV_OPENSSL_LIBS="-L... -lcrypto".

Compiler output:
{output}"""


class BuildExt(build_ext):
    """build_ext that checks for the OpenSSL headers first, with a useful message."""

    def build_extensions(self):
        self._check_openssl()
        super().build_extensions()

    def _check_openssl(self):
        ext = self.extensions[0]
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "check_openssl.c")
            with open(src, "w") as f:
                f.write("#include <openssl/sha.h>\n#include <openssl/crypto.h>\n"
                        "int main(void) { return 0; }\n")
            try:
                self.compiler.compile([src], output_dir=tmp, include_dirs=ext.include_dirs,
                                      extra_postargs=ext.extra_compile_args)
            except Exception as e:   # CompileError, with the compiler's output on stderr
                raise SystemExit(MISSING_OPENSSL.format(source=OPENSSL_SOURCE,
                                                        output=str(e))) from None


def static_libcrypto(ssl):
    """Turn the flags into a static link of libcrypto.a (PYLON_IDV_OPENSSL_STATIC=1)."""
    if not sys.platform.startswith("linux"):
        sys.exit("setup.py: PYLON_IDV_OPENSSL_STATIC=1 is supported on Linux only")
    pkg_config = os.environ.get("PKG_CONFIG", "pkg-config")

    def pkg(*args):
        try:
            return subprocess.run([pkg_config, *args, "libcrypto"], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    dirs = list(ssl["library_dirs"])
    if not dirs and pkg("--variable=libdir"):
        dirs.append(pkg("--variable=libdir"))
    archive = next((os.path.join(d, "libcrypto.a") for d in dirs
                    if os.path.isfile(os.path.join(d, "libcrypto.a"))), None)
    if archive is None:   # the compiler's own search path (Debian: /usr/lib/<triplet>)
        cc = shlex.split(os.environ.get("CC", "cc"))
        try:
            found = subprocess.run(cc + ["-print-file-name=libcrypto.a"], capture_output=True,
                                   text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            found = ""
        if os.path.isabs(found) and os.path.isfile(found):
            archive = found
    if archive is None:
        sys.exit("setup.py: PYLON_IDV_OPENSSL_STATIC=1 but no libcrypto.a was found "
                 "(Debian: apt-get install libssl-dev; or set OPENSSL_LIB_DIR)")
    ssl = dict(ssl)
    ssl["libraries"] = [lib for lib in ssl["libraries"] if lib != "crypto"]
    # libcrypto.a's own dependencies (-ldl -pthread), after the archive.
    private = split_flags(shlex.split(pkg("--static", "--libs-only-l")) or ["-ldl", "-pthread"])
    ssl["libraries"] += [lib for lib in private["libraries"] if lib != "crypto"]
    ssl["extra_link_args"] = [a for a in ssl["extra_link_args"] if "-rpath" not in a]
    ssl["extra_link_args"] += private["extra_compile_args"] + ["-Wl,--exclude-libs,ALL"]
    ssl["extra_objects"] = [archive]
    return ssl


class BuildPy(build_py):
    """build_py that ships web/pylon-chat.js (its one place in the tree) as
    pylon_idv/static/pylon-chat.js, where static_path() looks."""

    def run(self):
        super().run()
        static = os.path.join(self.build_lib, "pylon_idv", "static")
        self.mkpath(static)
        self.copy_file(os.path.join("web", "pylon-chat.js"), static)


class SDist(sdist):
    """sdist without the egg-info's SOURCES.txt, which setuptools adds by its path (under
    build/python here): the sdist holds sources and PKG-INFO, no build output."""

    def make_release_tree(self, base_dir, files):
        files = [f for f in files
                 if os.path.normpath(f).split(os.sep)[0] not in ("build", "dist")]
        super().make_release_tree(base_dir, files)


OPENSSL_SOURCE, ssl = openssl_flags()
OPENSSL_STATIC = os.environ.get("PYLON_IDV_OPENSSL_STATIC", "") not in ("", "0")
if OPENSSL_STATIC:
    ssl = static_libcrypto(ssl)
BUILD_BASE = os.path.join("build", "python")
os.makedirs(BUILD_BASE, exist_ok=True)

compile_args = list(ssl["extra_compile_args"])
link_args = list(ssl["extra_link_args"])
if os.name == "posix":
    compile_args += ["-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    link_args += ["-pthread"]
if sys.platform.startswith("linux"):
    # Export only PyInit__pylon_idv: the core's pylon_idv_* symbols stay private to the
    # extension, so they can never interpose on (or be interposed by) a libpylon_idv.so.
    link_args += ["-Wl,--version-script=" + os.path.join("bindings", "python", "exports.map")]

core_sources = sorted(os.path.relpath(p, HERE)
                      for p in glob(os.path.join(HERE, "core", "src", "*.c")))

extension = Extension(
    "pylon_idv._pylon_idv",
    sources=core_sources + [os.path.join("bindings", "python", f)
                            for f in ("_pylon_idv.c", "args.c", "hash.c", "page.c")],
    include_dirs=[os.path.join("core", "include")] + ssl["include_dirs"],
    library_dirs=ssl["library_dirs"],
    libraries=ssl["libraries"] or ([] if OPENSSL_STATIC else ["crypto"]),
    extra_objects=ssl.get("extra_objects", []),
    # PYLON_IDV_EMBED: the core's API hidden in the extension on every platform (macOS too).
    define_macros=[("Py_LIMITED_API", hex(LIMITED_API)), ("PYLON_IDV_EMBED", None)] + ssl["define_macros"],
    extra_compile_args=compile_args,
    extra_link_args=link_args,
    depends=glob(os.path.join("core", "src", "*.h")) + [
        os.path.join("core", "include", "pylon_idv.h"),
        os.path.join("bindings", "python", "_pylon_idv.h")],
    py_limited_api=True,
)

setup(
    version=read_version(),
    # pylon_idv and its subpackages (integrations), all under bindings/python.
    packages=find_packages(os.path.join("bindings", "python"), include=["pylon_idv*"]),
    package_dir={"": os.path.join("bindings", "python")},
    # Stubs, the PEP 561 marker, pylon-chat.js (static/) and any templates of subpackages;
    # MANIFEST.in puts the same files into the sdist.
    package_data={"": ["py.typed", "*.pyi", "static/*", "templates/*/*", "templates/*"]},
    exclude_package_data={"": ["*.so", "*.o", "*.pyc"]},
    ext_modules=[extension],
    cmdclass={"build_ext": BuildExt, "build_py": BuildPy, "sdist": SDist},
    options={
        "bdist_wheel": {"py_limited_api": ABI_TAG},
        # Every build output under build/python (gitignored), none at the top level.
        "build": {"build_base": BUILD_BASE},
        "egg_info": {"egg_base": BUILD_BASE},
    },
)
