#!/usr/bin/env bash
# `make demo` builds the ttg binary and the libraries it links, and no test,
# fuzz target, benchmark or example. The build command that `make -n demo`
# prints is run with make's dry-run flags (-n -B: every command a build from
# scratch would run, none of them run), and the commands are checked: every
# compiled file is under src/, and every linked target is ttg or one of its
# libraries.
#
# Usage: demo_build_test.sh SOURCE_DIR BUILD_DIR (a build tree generated for
# make, as the presets do). Exit 77 (skipped) for other generators.
set -euo pipefail
src=$1
bin=$2
if [[ ! -f $bin/Makefile ]]; then
  echo "SKIP: $bin was not generated for make (the check reads make's dry run)"
  exit 77
fi

plan=$(make -s -n -C "$src" demo RELEASE_DIR="$bin")
builds=$(grep -c -- 'cmake --build' <<<"$plan" || true)
if [[ $builds -ne 1 ]]; then
  echo "FAIL: make demo runs $builds cmake --build commands, expected 1:"
  echo "$plan"
  exit 1
fi
targets=$(grep -oE -- '--target( [A-Za-z0-9_]+)+' <<<"$plan" | sed 's/--target //' || true)
echo "make demo builds the targets: $targets"
if [[ $targets != ttg ]]; then
  echo "FAIL: expected the target ttg alone"
  exit 1
fi

# shellcheck disable=SC2086 # one word per target
dry=$(MAKEFLAGS= cmake --build "$bin" --target $targets -- -n -B)
compiled=$(grep -oE -- ' -c [^ ]+' <<<"$dry" | sed 's/^ -c //' | sort -u)
linked=$(grep -oE -- 'CMakeFiles/[A-Za-z0-9_]+\.dir/link\.txt' <<<"$dry" \
  | sed -E 's|CMakeFiles/(.*)\.dir/link\.txt|\1|' | sort -u)
echo "$(wc -l <<<"$compiled") files compiled; targets linked: $(tr '\n' ' ' <<<"$linked")"

status=0
if ! grep -qx "$src/src/cli/main.cc" <<<"$compiled"; then
  echo "FAIL: src/cli/main.cc is not compiled"
  status=1
fi
if ! grep -qx ttg <<<"$linked"; then
  echo "FAIL: ttg is not linked"
  status=1
fi
while read -r file; do
  case $file in
    "$src"/src/*) ;;
    # The web pages' files, turned into C++ by src/web/CMakeLists.txt.
    "$bin"/src/web/*) ;;
    *) echo "FAIL: make demo compiles $file"; status=1 ;;
  esac
done <<<"$compiled"
while read -r target; do
  case $target in
    ttg | ttg_util | ttg_core | ttg_redis | ttg_obs | ttg_queue | ttg_kernels | ttg_worker | ttg_cli \
      | ttg_report | ttg_verify | ttg_demo | ttg_web | ttg_http | ttg_serve | ttg_sizing) ;;
    *) echo "FAIL: make demo links $target"; status=1 ;;
  esac
done <<<"$linked"
for word in /tests/ /bench/ /examples/ _fuzz gtest; do
  if grep -q -- "$word" <<<"$dry"; then
    echo "FAIL: the build commands mention $word:"
    grep -- "$word" <<<"$dry" | head -n 5
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "ok: make demo builds ttg and its libraries only"
exit $status
