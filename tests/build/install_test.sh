#!/usr/bin/env bash
# `make install DESTDIR=... PREFIX=/usr/local` lays out ttg, its plugin
# header, its examples and its man page, and nothing else. The install
# command that `make -n install` prints is run as printed, into a temporary
# DESTDIR, on this build tree (whose ttg and ttg.1 are built first if they
# are not yet); then the installed binary runs an installed example.
#
# Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
dest=$(mktemp -d "${TMPDIR:-/tmp}/ttg-install-test-XXXXXX")
trap 'rm -rf "$dest"' EXIT
prefix=/usr/local
root=$dest$prefix

plan=$(make -s -n -C "$src" install RELEASE_DIR="$bin" DESTDIR="$dest" PREFIX="$prefix")
install_line=$(grep -E -- 'cmake --install' <<<"$plan" || true)
if [[ -z $install_line ]]; then
  echo "FAIL: make install runs no cmake --install:"
  echo "$plan"
  exit 1
fi
echo "make install runs: $install_line"

MAKEFLAGS= cmake --build "$bin" --target ttg ttg_man >/dev/null
(cd "$src" && eval "$install_line") >/dev/null

status=0
fail() {
  echo "FAIL: $*"
  status=1
}
expect_file() {
  [[ -f $root/$1 ]] || fail "$prefix/$1 is not installed"
}
expect_file bin/ttg
expect_file include/ttg/kernel.h
expect_file share/man/man1/ttg.1
expect_file share/ttg/examples/exec/square.py
expect_file share/ttg/examples/sir-sweep.yaml
expect_file share/ttg/examples/grid.json
expect_file share/ttg/examples/points.csv
expect_file share/ttg/examples/plugin/quadratic.cc
[[ -x $root/bin/ttg ]] || fail "bin/ttg is not executable"
[[ -x $root/share/ttg/examples/exec/square.py ]] || fail "examples/exec/square.py is not executable"
cmp -s "$src/include/ttg/kernel.h" "$root/include/ttg/kernel.h" || fail "kernel.h differs from the source"

# Only those folders; no build files (CMakeLists.txt) among the examples.
while read -r file; do
  case ${file#"$root"/} in
    bin/ttg | include/ttg/kernel.h | share/man/man1/ttg.1) ;;
    share/ttg/examples/CMakeLists.txt | share/ttg/examples/*/CMakeLists.txt)
      fail "installs the build file $file" ;;
    share/ttg/examples/*) ;;
    *) fail "installs $file, outside bin/ttg, include/ttg, share/ttg and share/man" ;;
  esac
done < <(find "$dest" -type f)

if [[ -x $root/bin/ttg ]]; then
  version=$("$root/bin/ttg" --version)
  [[ $version == "ttg "* ]] || fail "installed ttg --version printed '$version'"
  "$root/bin/ttg" submit --spec "$root/share/ttg/examples/sir-sweep.yaml" --dry-run >/dev/null \
    || fail "the installed ttg rejects the installed examples/sir-sweep.yaml"
fi

# The man page names every command and renders without warnings.
if [[ -f $root/share/man/man1/ttg.1 ]]; then
  for command in submit worker status results kernels; do
    grep -q "^\.SS \"ttg $command\"" "$root/share/man/man1/ttg.1" \
      || fail "ttg.1 has no section for ttg $command"
  done
  if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$root/share/man/man1/ttg.1" 2>&1)
    [[ -z $warnings ]] || fail "groff warns about ttg.1: $warnings"
  else
    echo "groff is not installed: the man page is not rendered"
  fi
fi

[[ $status -eq 0 ]] && echo "ok: $(find "$dest" -type f | wc -l) files installed under $prefix"
exit $status
