# The two commands a new user types: `make demo` and `make test`.
# Both install what is missing (scripts/setup.sh), then build: `make demo`
# only the ttg binary, `make test` everything.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_WERROR := $(if $(filter true 1 yes,$(CI)),-DTTG_WERROR=ON,)
RELEASE_DIR := build/release
DEV_DIR := build/dev
FUZZ_DIR := build/fuzz
FUZZ_TARGETS := spec param_table task_entry answer_reader
# Seconds each fuzz target runs in `make fuzz-smoke` (and so in `make test`).
FUZZ_SECONDS ?= 20
# Where `make install` puts ttg: $(DESTDIR)$(PREFIX)/bin/ttg, ...
PREFIX ?= /usr/local
DESTDIR ?=

# Configures $(RELEASE_DIR) and builds the CMake targets $(1) and what they
# need, nothing else: one line on the terminal, the compiler's output in
# $(RELEASE_DIR)/build-ttg.log (its end is shown if the build fails).
define build_targets
	@mkdir -p $(RELEASE_DIR)
	@echo "Building $(1) in $(RELEASE_DIR) (a few minutes the first time; log: $(RELEASE_DIR)/build-ttg.log)"
	@cmake --preset release -B $(RELEASE_DIR) $(CMAKE_WERROR) >$(RELEASE_DIR)/build-ttg.log 2>&1 \
	  || { tail -n 40 $(RELEASE_DIR)/build-ttg.log; exit 1; }
	@MAKEFLAGS=--no-print-directory cmake --build $(RELEASE_DIR) -j $(JOBS) --target $(1) \
	  >>$(RELEASE_DIR)/build-ttg.log 2>&1 \
	  || { tail -n 40 $(RELEASE_DIR)/build-ttg.log; echo "Build failed; whole log: $(RELEASE_DIR)/build-ttg.log"; exit 1; }
endef

.PHONY: all setup build build-ttg build-dev build-fuzz demo install test chaos sanitize \
	fuzz-smoke format format-check lint bench bench-service bench-peers bench-chunk-size image clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	cmake --preset release $(CMAKE_WERROR) >/dev/null
	cmake --build $(RELEASE_DIR) -j $(JOBS)

# The ttg binary alone: what `make demo` needs (tests/build checks that no
# test, fuzz target or benchmark is built).
build-ttg: setup
	$(call build_targets,ttg)

build-dev: setup
	cmake --preset dev $(CMAKE_WERROR) >/dev/null
	cmake --build $(DEV_DIR) -j $(JOBS)

# The libFuzzer targets of tests/fuzz/ (clang, ASan, UBSan), nothing else.
build-fuzz: setup
	cmake --preset fuzz $(CMAKE_WERROR) >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZ_TARGETS:%=%_fuzz)

demo: build-ttg
	@echo "Running $(RELEASE_DIR)/ttg demo --scale small --fault-demo --monitor cli"
	@$(RELEASE_DIR)/ttg demo --scale small --fault-demo --monitor cli

# ttg in $(DESTDIR)$(PREFIX)/bin, the plugin header in include/ttg/, the
# examples in share/ttg/examples/, the man page in share/man/man1/ (CMake's
# install rules; tests/build checks the layout).
install: setup
	$(call build_targets,ttg ttg_man)
	DESTDIR="$(DESTDIR)" cmake --install $(RELEASE_DIR) --prefix "$(PREFIX)"

# The whole suite, with the short chaos profile (label chaos; needs root,
# skips otherwise). Its figures go to build/chaos-short.jsonl.
test: build fuzz-smoke format-check lint
	@rm -f build/chaos-short.jsonl
	TTG_CHAOS_REPORT=$(CURDIR)/build/chaos-short.jsonl \
	  ctest --test-dir $(RELEASE_DIR) --output-on-failure -j $(JOBS) --timeout 600

# The chaos soak: more workers, chunks and rounds of each fault (about ten
# minutes, as root). Figures go to build/chaos-soak.jsonl.
chaos: build
	@rm -f build/chaos-soak.jsonl
	TTG_CHAOS_PROFILE=soak TTG_CHAOS_REPORT=$(CURDIR)/build/chaos-soak.jsonl \
	  ctest --test-dir $(RELEASE_DIR) -L chaos --output-on-failure --timeout 1200
	@python3 scripts/chaos-report.py build/chaos-soak.jsonl

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: build-dev
	ctest --test-dir $(DEV_DIR) --output-on-failure -j $(JOBS) --timeout 900

# Each fuzz target for FUZZ_SECONDS over a copy of its seed corpus; fails on
# any crash. tests/fuzz/README.md tells how to fuzz for longer.
fuzz-smoke: build-fuzz
	scripts/fuzz-smoke.sh --seconds $(FUZZ_SECONDS) --jobs $(JOBS) $(FUZZ_TARGETS)

format:
	git ls-files -- '*.cc' '*.h' | xargs clang-format -i

format-check: setup
	@files=$$(git ls-files -- '*.cc' '*.h'); \
	if [ -n "$$files" ]; then clang-format --dry-run --Werror $$files; fi
	@echo "format-check: ok"

# Only src/redis/ may include hiredis or OpenSSL; only src/obs/ prometheus-cpp;
# in src/, only src/http/ cpp-httplib.
lint:
	@stray=$$(git grep -l -E '#include *[<"]hiredis' -- ':!src/redis' || true); \
	if [ -n "$$stray" ]; then echo "hiredis included outside src/redis/: $$stray"; exit 1; fi
	@stray=$$(git grep -l -E '#include *[<"]openssl/' -- ':!src/redis' || true); \
	if [ -n "$$stray" ]; then echo "OpenSSL included outside src/redis/: $$stray"; exit 1; fi
	@stray=$$(git grep -l -E '#include *[<"]prometheus/' -- ':!src/obs' || true); \
	if [ -n "$$stray" ]; then echo "prometheus-cpp included outside src/obs/: $$stray"; exit 1; fi
	@stray=$$(git grep -l -E '#include *[<"]httplib' -- 'src' ':!src/http' || true); \
	if [ -n "$$stray" ]; then echo "cpp-httplib included outside src/http/: $$stray"; exit 1; fi
	@echo "lint: ok"

# The container images with podman, from Debian's packages only
# (docs/DEPLOY.md): localhost/ttg:VERSION and localhost/ttg-redis:7.0.
image: setup
	scripts/build-image.sh

# End-to-end queue benchmark; paste its report into docs/PERFORMANCE.md.
bench: build
	$(RELEASE_DIR)/bench/ttg_queue_bench | tee build/bench-report.md

# The long-lived service benchmark (takeover with the default lease, Redis
# cost per worker slot up to 10,000 slots, idle cost, memory per chunk);
# about five minutes. Not part of `make test`; paste its report into
# docs/PERFORMANCE.md.
bench-service: setup
	cmake --preset release $(CMAKE_WERROR) >/dev/null
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target ttg ttg_service_bench
	$(RELEASE_DIR)/bench/ttg_service_bench | tee build/bench-service-report.md

# TTG next to Celery and RQ (scripts/bench-peers.py): the same no-op tasks
# through 2 workers of each, and a worker killed during 100 tasks of 1 s;
# about ten minutes. Installs python3-celery and python3-rq first (only this
# target does). Writes build/bench-peers-report.md and replaces the section
# between the bench-peers markers in docs/PERFORMANCE.md.
bench-peers: setup
	@bash scripts/setup.sh --peers
	$(call build_targets,ttg)
	/usr/bin/python3 scripts/bench-peers.py --ttg $(RELEASE_DIR)/ttg --out build/bench-peers-report.md
	/usr/bin/python3 scripts/bench-peers.py --splice build/bench-peers-report.md docs/PERFORMANCE.md

# Automatic against fixed (10) chunk sizes, submit to complete, for noop,
# mandelbrot and bs_mc with 2 workers; a few minutes. Not part of `make
# test`; paste its report into docs/PERFORMANCE.md.
bench-chunk-size: setup
	cmake --preset release $(CMAKE_WERROR) >/dev/null
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target ttg ttg_chunk_size_bench
	$(RELEASE_DIR)/bench/ttg_chunk_size_bench | tee build/bench-chunk-size-report.md

clean:
	rm -rf build
