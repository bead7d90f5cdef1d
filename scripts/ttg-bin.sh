# Sourced by the wrapper scripts: sets TTG to the ttg binary, building it
# (make build-ttg: the binary alone) when this checkout has none yet.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -x "$repo/build/release/ttg" ]]; then
  TTG="$repo/build/release/ttg"
elif command -v ttg >/dev/null 2>&1; then
  TTG="$(command -v ttg)"
else
  make -C "$repo" build-ttg >&2
  TTG="$repo/build/release/ttg"
fi
