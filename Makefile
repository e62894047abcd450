# pylon_idv -- the two commands a newcomer needs:
#   make demo    install what is missing, build, and show the library doing its job
#   make test    install what is missing, build everything, run every suite
# Also: make bench (benchmarks), make fuzz (FUZZ_SECONDS=60), make clean.

BUILD   ?= build
JOBS    ?= 2
CMAKE   ?= cmake
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all deps deps-minimal build demo test test-c test-c-variants test-consumer \
        test-python test-browser test-lua test-integrations bench test-bench fuzz test-fuzz clean

all: build

deps:
	@scripts/install-deps.sh

deps-minimal:
	@scripts/install-deps.sh --minimal

$(BUILD)/c/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD)/c -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYLON_IDV_WERROR=ON

build: $(BUILD)/c/CMakeCache.txt
	$(CMAKE) --build $(BUILD)/c -j$(JOBS)

demo: deps-minimal build
	@scripts/demo.sh $(BUILD)

test: deps build
	@$(MAKE) --no-print-directory test-c test-c-variants test-consumer test-python test-browser test-lua test-integrations test-fuzz test-bench
	@echo "make test: every suite passed"

test-c: build
	cd $(BUILD)/c && ctest --output-on-failure -j$(JOBS)

# The C suite again: built by clang with ASan+UBSan, with ThreadSanitizer, and with the
# EVP fallback (OpenSSL without deprecated APIs), static.
test-c-variants:
	CC=clang $(CMAKE) -S . -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=OFF \
	    -DCMAKE_C_FLAGS="$(SAN_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="$(SAN_FLAGS)" >/dev/null
	$(CMAKE) --build $(BUILD)/asan -j$(JOBS)
	cd $(BUILD)/asan && ctest --output-on-failure -E 'alloc|memcheck|ctgrind'
	CC=clang $(CMAKE) -S . -B $(BUILD)/tsan -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=OFF \
	    -DCMAKE_C_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
	$(CMAKE) --build $(BUILD)/tsan -j$(JOBS) --target test_core
	cd $(BUILD)/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R '^core$$'
	$(CMAKE) -S . -B $(BUILD)/evp -DPYLON_IDV_USE_EVP=ON -DBUILD_SHARED_LIBS=OFF -DPYLON_IDV_BUILD_BENCH=OFF \
	    -DPYLON_IDV_WERROR=ON \
	    -DCMAKE_C_FLAGS="-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED" >/dev/null
	$(CMAKE) --build $(BUILD)/evp -j$(JOBS)
	cd $(BUILD)/evp && ctest --output-on-failure -E memcheck

test-consumer:
	tests/consumer/run.sh . $(BUILD)/consumer

# One cp310-abi3 wheel: pytest on Debian's python3, a smoke test on every pyenv CPython >= 3.10.
test-python: build
	PYLON_IDV_REQUIRE_C_CLI=1 scripts/test-python.sh

# The Flask example in headless Chromium: chat_settings read from the live page, hostile users
# inert (the nginx page gets the same check inside test-lua).
test-browser:
	PYLON_IDENTITY_SECRET=8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812 \
	    /usr/bin/python3 tests/integration/test_browser.py flask $(BUILD)/venv-py/bin/python

# Lua 5.1, 5.3, 5.4 and LuaJIT through luarocks, the CMake-built module, and nginx for real.
test-lua:
	scripts/test-lua.sh $(BUILD)

# Django, Flask, FastAPI (pinned from PyPI into build/venv-integrations) and nginx +
# pylon_idv.openresty, live on 127.0.0.1, read back by headless Chromium.
test-integrations:
	scripts/test-integrations.sh $(BUILD)

# libFuzzer targets under ASan+UBSan (clang): each for FUZZ_SECONDS (60 in `make test`).
FUZZ_SECONDS ?= 60
fuzz test-fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# A benchmark, not a timed test: `make test` only proves it runs (--quick).
bench: deps build
	@bench/run.sh $(BUILD)

test-bench: build
	@bench/run.sh --quick $(BUILD) >$(BUILD)/bench-quick.txt && echo "bench --quick: ok"

clean:
	rm -rf $(BUILD)
