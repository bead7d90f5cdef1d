# The two commands a new user types: `make demo` and `make test`.
# Both install what is missing (scripts/setup.sh), then build.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_WERROR := $(if $(filter true 1 yes,$(CI)),-DTTG_WERROR=ON,)
RELEASE_DIR := build/release
DEV_DIR := build/dev

.PHONY: all setup build build-dev demo test test-dev sanitize format format-check bench chaos clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	cmake --preset release $(CMAKE_WERROR) >/dev/null
	cmake --build $(RELEASE_DIR) -j $(JOBS)

build-dev: setup
	cmake --preset dev $(CMAKE_WERROR) >/dev/null
	cmake --build $(DEV_DIR) -j $(JOBS)

demo: build
	$(RELEASE_DIR)/ttg demo

test: build format-check
	ctest --test-dir $(RELEASE_DIR) --output-on-failure -j $(JOBS) --timeout 600

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: build-dev
	ctest --test-dir $(DEV_DIR) --output-on-failure -j $(JOBS) --timeout 900

format:
	git ls-files -- '*.cc' '*.h' | xargs clang-format -i

format-check: setup
	@files=$$(git ls-files -- '*.cc' '*.h'); \
	if [ -n "$$files" ]; then clang-format --dry-run --Werror $$files; fi
	@echo "format-check: ok"

clean:
	rm -rf build
