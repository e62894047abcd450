# pylon_idv -- the two commands a newcomer needs:
#   make demo    install what is missing, build, and show the library doing its job
#   make test    install what is missing, build everything, run every suite
# Also: make bench (benchmarks), make fuzz (FUZZ_SECONDS=60), make clean.

BUILD   ?= build
JOBS    ?= 2
CMAKE   ?= cmake
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all deps deps-minimal deps-c build demo test test-c test-c-variants test-consumer \
        test-python test-browser test-lua lua-trees test-integrations bench test-bench fuzz test-fuzz \
        test-cross clean dist dist-python dist-aarch64 dist-lua test-dist test-dist-python test-dist-check \
        openresty-example docs test-docs

all: build

deps:
	@scripts/install-deps.sh

deps-minimal:
	@scripts/install-deps.sh --minimal

deps-c:
	@scripts/install-deps.sh --c

$(BUILD)/c/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD)/c -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYLON_IDV_WERROR=ON

build: $(BUILD)/c/CMakeCache.txt
	$(CMAKE) --build $(BUILD)/c -j$(JOBS)

demo: deps-minimal build
	@scripts/demo.sh $(BUILD)

test: deps build
	@$(MAKE) --no-print-directory test-c test-c-variants test-cross test-consumer test-python test-dist-check test-browser test-lua test-integrations test-docs test-fuzz test-bench
	@echo "make test: every suite passed"

# The C library's own suite (ctest -L unit, memcheck, ctgrind; `ctest --print-labels`):
# installs only what it needs (valgrind, groff, python3 for the CLI's table), so it runs on its
# own on any release, Debian 11's CMake 3.18 and OpenSSL 1.1.1 too. ctest adds a test only
# where its tool was found; PYLON_IDV_REQUIRE_TEST_TOOLS=ON makes the configure insist on each.
test-c: deps-c build
	@$(CMAKE) -S . -B $(BUILD)/c -DPYLON_IDV_REQUIRE_TEST_TOOLS=ON >/dev/null
	@$(CMAKE) --build $(BUILD)/c -j$(JOBS) >/dev/null
	cd $(BUILD)/c && ctest --output-on-failure -j$(JOBS) -L 'unit|memcheck|ctgrind'

# The C suite again: built by clang with ASan+UBSan, with ThreadSanitizer, with the EVP
# fallback (OpenSSL without deprecated APIs), static, and as a plain cmake build (Release).
test-c-variants:
	@command -v clang >/dev/null || exec scripts/why-missing.sh test-c-variants clang clang
	CC=clang $(CMAKE) -S . -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=OFF \
	    -DCMAKE_C_FLAGS="$(SAN_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="$(SAN_FLAGS)" >/dev/null
	$(CMAKE) --build $(BUILD)/asan -j$(JOBS)
	cd $(BUILD)/asan && ctest --output-on-failure -L unit -E alloc
	CC=clang $(CMAKE) -S . -B $(BUILD)/tsan -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=OFF \
	    -DCMAKE_C_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
	$(CMAKE) --build $(BUILD)/tsan -j$(JOBS) --target test_core
	cd $(BUILD)/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R "^core$$"
	$(CMAKE) -S . -B $(BUILD)/evp -DPYLON_IDV_USE_EVP=ON -DBUILD_SHARED_LIBS=OFF -DPYLON_IDV_BUILD_BENCH=OFF \
	    -DPYLON_IDV_WERROR=ON \
	    -DCMAKE_C_FLAGS="-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED" >/dev/null
	$(CMAKE) --build $(BUILD)/evp -j$(JOBS)
	cd $(BUILD)/evp && ctest --output-on-failure -LE memcheck
	@# the default build a plain `cmake -S . -B b && cmake --build b && cd b && ctest` makes
	@# (Release, -O3): the hygiene test's dead-stack scan sees what its optimiser spills
	$(CMAKE) -S . -B $(BUILD)/plain >/dev/null
	$(CMAKE) --build $(BUILD)/plain -j$(JOBS)
	cd $(BUILD)/plain && ctest --output-on-failure -j$(JOBS)

# The C suite cross-built for aarch64 and big-endian s390x against Debian sysroots (cached in
# $(BUILD)/cross) through cmake/cross-linux.cmake, run by plain `ctest -L cross` under qemu-user
# (CMAKE_CROSSCOMPILING_EMULATOR): the ARMv8 SHA-2 path, and the OpenSSL and portable ones.
test-cross:
	scripts/test-cross.sh $(BUILD)

test-consumer:
	tests/consumer/run.sh . $(BUILD)/consumer

# The Python suites are nox sessions (noxfile.py; `$(NOX) -l` lists them): one cp310-abi3 wheel,
# pytest on Debian's python3, memcheck, refcounts on python3-dbg, the abi3 smoke on every
# CPython >= 3.10 found (pyenv's and /usr/bin/python3.1X). nox itself: pinned, in build/venv-nox.
NOX = $(BUILD)/venv-nox/bin/nox
$(NOX): tests/python/requirements-nox.txt
	rm -rf $(BUILD)/venv-nox
	/usr/bin/python3 -m venv $(BUILD)/venv-nox
	$(BUILD)/venv-nox/bin/pip install -q --disable-pip-version-check -r tests/python/requirements-nox.txt

# CTest runs them (tests/python/CMakeLists.txt, -DPYLON_IDV_TEST_PYTHON=ON, in $(BUILD)/suite-python):
# `ctest -L python` (the wheel once, then tests, memcheck, refcount, abi3), `-L integration`.
PY_CMAKE = $(CMAKE) -S . -B $(BUILD)/suite-python -DPYLON_IDV_TEST_PYTHON=ON -DPYLON_IDV_BUILD_TESTS=OFF \
           -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_BUILD_BENCH=OFF -DPYLON_IDV_REQUIRE_TEST_TOOLS=ON \
           -DPYLON_IDV_NOX=$(abspath $(NOX)) -DPYLON_IDV_SUITE_BUILD=$(abspath $(BUILD))
test-python: build $(NOX)
	@$(PY_CMAKE) >/dev/null
	cd $(BUILD)/suite-python && ctest --output-on-failure -L python

# Release files: dist/ holds what a Python release tool uploads (`twine check dist/*`): the sdist
# and the manylinux cp310-abi3 wheels, x86-64 and aarch64 (scikit-build-core through
# `python -m build`, auditwheel, abi3audit --strict; libcrypto linked in); the Lua source rock
# goes beside it, in dist-lua/ (a folder inside dist/ would fail `twine check dist/*`).
# test-dist installs the Python files in fresh Debian roots, the wheel with no compiler and no
# libcrypto (.ci/run runs it after `make test`).
# The aarch64 wheel is cross-built (gcc-aarch64-linux-gnu, a Debian arm64 sysroot,
# cmake/cross-linux.cmake) and installed and run by Debian's arm64 python3 under qemu-aarch64.
dist: dist-python dist-aarch64 dist-lua
dist-python: $(NOX)
	BUILD=$(BUILD) $(NOX) -s dist
dist-aarch64: dist-python
	BUILD=$(BUILD) $(NOX) -s dist_aarch64
test-dist: test-dist-python dist-aarch64 dist-lua
	$(BUILD)/nox/dist/bin/twine check --strict dist/*
# the wheel (no compiler, no libcrypto) and the sdist (then its tests) in fresh Debian 12 roots
# (scripts/fresh-root.sh; nox -s dist_fresh): needs root and network, takes minutes.
test-dist-python: dist-python
	BUILD=$(BUILD) $(NOX) -s dist_fresh
# In make test: dist/ holds only what a Python release tool uploads, and twine accepts it.
test-dist-check: dist-python
	$(BUILD)/nox/dist/bin/twine check --strict dist/*

# The Flask example in headless Chromium: chat_settings read from the live page, hostile users
# inert (the nginx page gets the same check in test-lua, ctest -L integration); pylon-chat.js and the inline forms
# case by case; every page of tests/vectors/hostile/ in both modes (tests/integration/hostile.py).
test-browser:
	PYLON_IDENTITY_SECRET=8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812 \
	    /usr/bin/python3 tests/integration/test_browser.py flask $(BUILD)/venv-py/bin/python

# The Lua suites are CTest tests (tests/lua/CMakeLists.txt, -DPYLON_IDV_TEST_LUA=ON) in
# $(BUILD)/lua: `ctest -L lua` installs the source rock offline for Lua 5.1, 5.3, 5.4, 5.5 (where
# the release has it) and LuaJIT into $(BUILD)/lua/<v> and runs luarocks test (busted) on each,
# busted on the CMake-built module, the error paths under valgrind, luarocks make + make clean;
# `ctest -L integration`: nginx + lua-nginx-module and the OpenResty quick start, one at a time.
LUA_CMAKE = $(CMAKE) -S . -B $(BUILD)/lua -DPYLON_IDV_TEST_LUA=ON -DPYLON_IDV_BUILD_TESTS=OFF \
            -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_BUILD_BENCH=OFF
test-lua:
	@$(LUA_CMAKE) -DPYLON_IDV_REQUIRE_TEST_TOOLS=ON >/dev/null
	cd $(BUILD)/lua && ctest --output-on-failure -j$(JOBS) -L 'lua|integration'

# Only the source rock installed in $(BUILD)/lua/<v> for each Lua of LUA_TREES (what
# bench/bench_lua.sh, examples/openresty-proxy/run.sh and `nox -s integrations` load).
LUA_TREES ?= 5.4 luajit
empty :=
space := $(empty) $(empty)
lua-trees:
	@$(LUA_CMAKE) -DPYLON_IDV_REQUIRE_TEST_TOOLS=OFF >/dev/null
	cd $(BUILD)/lua && ctest --no-tests=error -j$(JOBS) \
	    -R '^lua-($(subst $(space),|,$(strip $(LUA_TREES))))-rock-install$$'

# Django, Flask, FastAPI (pinned from PyPI, tests/integration/requirements.txt) and nginx +
# pylon_idv.openresty, live on 127.0.0.1, read back by headless Chromium (nox -s integrations,
# as the ctest test python-integrations, label integration).
test-integrations: $(NOX)
	@$(PY_CMAKE) >/dev/null
	cd $(BUILD)/suite-python && ctest --output-on-failure -L integration

# The docs site (docs/, mkdocs.yml), nox sessions: `make docs` builds it into site/ (mkdocs build
# --strict, the tools pinned in docs/requirements.txt, in nox's venv build/nox/docs); `make
# test-docs` also checks that the reference pages cover every public name, runs every example of
# the pages, checks the PyPI page the build backend assembles from README.md and docs/
# (pyproject.toml: hatch-fancy-pypi-readme), and follows the site's navigation in headless Chromium.
docs: $(NOX)
	@BUILD=$(BUILD) $(NOX) -s docs

test-docs: build $(NOX)
	@BUILD=$(BUILD) $(NOX) -s test_docs

# libFuzzer targets under ASan+UBSan (clang, -DPYLON_IDV_FUZZ=ON): `make test-fuzz` replays each
# seed corpus (ctest -L fuzz) and runs each target for FUZZ_SECONDS (60) on a copy of it.
FUZZ_SECONDS ?= 60
fuzz test-fuzz:
	@command -v clang >/dev/null || exec scripts/why-missing.sh fuzz clang clang
	CC=clang $(CMAKE) -S . -B $(BUILD)/fuzz -DPYLON_IDV_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	    -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_BUILD_BENCH=OFF >/dev/null
	$(CMAKE) --build $(BUILD)/fuzz -j$(JOBS) --target fuzz_secret fuzz_sign fuzz_page
	cd $(BUILD)/fuzz && ctest --output-on-failure -L fuzz
	@[ "$(FUZZ_SECONDS)" != 0 ] || exit 0; for t in fuzz_secret fuzz_sign fuzz_page; do \
	    rm -rf $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/artifacts && mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/artifacts; \
	    cp tests/fuzz/corpus/$$t/* $(BUILD)/fuzz/corpus/$$t/; \
	    dict=; [ ! -f tests/fuzz/$$t.dict ] || dict=-dict=tests/fuzz/$$t.dict; \
	    len=1024; [ $$t != fuzz_secret ] || len=512; \
	    echo "== $$t for $(FUZZ_SECONDS)s (log: $(BUILD)/fuzz/$$t.log)"; \
	    $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$len -timeout=10 \
	        -rss_limit_mb=2048 -print_final_stats=1 $$dict -artifact_prefix=$(BUILD)/fuzz/artifacts/$$t- \
	        $(BUILD)/fuzz/corpus/$$t >$(BUILD)/fuzz/$$t.log 2>&1 \
	        || { tail -n 40 $(BUILD)/fuzz/$$t.log >&2; echo "fuzz: $$t FAILED (input in $(BUILD)/fuzz/artifacts)" >&2; exit 1; }; \
	    grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/$$t.log; \
	done

# A benchmark, not a timed test: `make test` only proves it runs (--quick).
# It also writes the Performance page's figures (docs/snippets/bench-results.md, with the run's
# date, commit and machine: bench/page.sh); commit that file with the run.
bench: deps build
	@bench/run.sh $(BUILD) | tee $(BUILD)/bench.md
	@bench/page.sh $(BUILD)/bench.md docs/snippets/bench-results.md
	@echo "bench: docs/snippets/bench-results.md written"

test-bench: build
	@bench/run.sh --quick $(BUILD) >$(BUILD)/bench-quick.txt
	@grep -q '^| 30 KB page | pylon_idv.openresty | [0-9]' $(BUILD)/bench-quick.txt \
	    || { echo "test-bench: no nginx table in $(BUILD)/bench-quick.txt" >&2; exit 1; }
	@bench/page.sh $(BUILD)/bench-quick.txt $(BUILD)/bench-page.md --quick
	@grep -q '^| commit | `[0-9a-f]' $(BUILD)/bench-page.md && grep -q '^### nginx' $(BUILD)/bench-page.md \
	    || { echo "test-bench: bench/page.sh wrote no page in $(BUILD)/bench-page.md" >&2; exit 1; }
	@grep -q '^| FastAPI | async | [0-9]' $(BUILD)/bench-quick.txt \
	    || { echo "test-bench: no web table in $(BUILD)/bench-quick.txt" >&2; exit 1; }
	@echo "bench --quick: ok"

# The OpenResty quick start's build step (README): the Lua module for LuaJIT in
# build/openresty/lua/, the pure-Lua modules and pylon-chat.js in build/openresty/share/ (where
# examples/openresty/nginx.conf looks, relative to -p "$$PWD"), its temp folder, and
# build/c/pylon-idv for generate-secret.
LUAJIT_INC ?= /usr/include/luajit-2.1
openresty-example: build
	@[ -f $(LUAJIT_INC)/lua.h ] || { echo "openresty-example: no $(LUAJIT_INC)/lua.h (apt install libluajit2-5.1-dev, or LUAJIT_INC=...)" >&2; exit 1; }
	$(CMAKE) -S . -B build/openresty -DPYLON_IDV_BUILD_LUA=ON -DLUA_INCLUDE_DIR=$(LUAJIT_INC) \
	    -DPYLON_IDV_BUILD_TESTS=OFF -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_BUILD_BENCH=OFF >/dev/null
	$(CMAKE) --build build/openresty -j$(JOBS) --target pylon_idv_lua
	@mkdir -p build/openresty/temp build/openresty/share/pylon_idv/static
	@# the pure-Lua modules and pylon-chat.js where the rock would put them (lua_package_path)
	@if [ -d bindings/lua/pylon_idv ]; then cp -R bindings/lua/pylon_idv/. build/openresty/share/pylon_idv/; fi
	cp web/pylon-chat.js build/openresty/share/pylon_idv/static/
	@echo 'now: PYLON_IDENTITY_SECRET=$$(build/c/pylon-idv generate-secret) nginx -p "$$PWD" -c examples/openresty/nginx.conf'

# dist-lua/pylon_idv-<version>-1.src.rock, offline, from the tracked files of this checkout
# (`luarocks install dist-lua/pylon_idv-<version>-1.src.rock` builds it in a temporary directory).
dist-lua:
	@scripts/dist-lua.sh dist-lua

# Everything any build leaves: build/ and dist/, and what `luarocks make` (pylon_idv.so,
# core/src/*.o) and Python (__pycache__) drop into the checkout.
clean:
	rm -rf $(BUILD) build dist dist-lua site *.egg-info bindings/python/*.egg-info .pytest_cache .hypothesis \
	    luarocks-tree lua_modules tests/fuzz/corpus-run crash-* leak-* timeout-*
	find . -path ./.git -prune -o -path './.venv*' -prune -o \
	    \( -name '*.o' -o -name '*.so' -o -name '__pycache__' \) -print | xargs rm -rf
