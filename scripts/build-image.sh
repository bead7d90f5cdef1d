#!/usr/bin/env bash
# Builds the ttg image (deploy/Containerfile) and the Redis image of the pods
# demo (deploy/redis/Containerfile) with podman, from Debian's packages only:
# when the Debian base image that the Containerfiles name is not in podman's
# store, it is made here with mmdebstrap and `podman import`ed under that
# name, so no registry is needed.
#
#   scripts/build-image.sh [--if-missing] [--tag TAG] [--redis-tag TAG]
#
# The ttg image is tagged localhost/ttg:VERSION (the project's version, the
# tag the manifests name) and localhost/ttg:latest. --if-missing builds only
# the images that are not there yet (the pods demo and its test use it).
# Prints each image's size. Podman runs with deploy/podman/containers.conf
# (through CONTAINERS_CONF), never /etc.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
version=$(sed -n 's/^project(ttg VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
tag=localhost/ttg:${version:?no version in CMakeLists.txt}
redis_tag=localhost/ttg-redis:7.0
if_missing=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --if-missing) if_missing=1; shift ;;
    --tag) tag="$2"; shift 2 ;;
    --redis-tag) redis_tag="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build-image.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for tool in podman mmdebstrap; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "build-image.sh: $tool is missing; scripts/setup.sh installs it" >&2
    exit 1
  }
done
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/deploy/podman/containers.conf}"

# The base image both Containerfiles start from: the default of ARG DEBIAN.
base=$(sed -n 's/^ARG DEBIAN=//p' "$repo/deploy/Containerfile" | head -n 1)
[[ -n "$base" ]] || { echo "build-image.sh: no ARG DEBIAN in deploy/Containerfile" >&2; exit 1; }

if ! podman image exists "$base"; then
  echo "build-image.sh: making $base from Debian's packages (mmdebstrap)" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # minbase is the Essential set plus apt, as in Debian's slim image; the
  # merged-usr hook avoids the usrmerge package (and the perl it pulls in).
  mmdebstrap --quiet --variant=minbase --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$work/rootfs.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  # A root file system carries no image configuration: give it the PATH and
  # command of Debian's own image.
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.opencontainers.image.description=Debian 12 minbase made by mmdebstrap' \
    "$work/rootfs.tar" "$base" >/dev/null
  rm -rf "$work"
  trap - EXIT
fi

# What the ttg image is built from: an image whose label differs was built
# from other sources, and --if-missing builds it again (the cached layers of
# the base and its packages are reused; ttg is compiled anew).
sources=$(cd "$repo" && find CMakeLists.txt cmake include src examples deploy/Containerfile \
  -type f -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-16)

build() {  # build TAG CONTAINERFILE [LABEL]
  if [[ $if_missing -eq 1 ]] && podman image exists "$1"; then
    local have
    have=$(podman image inspect --format '{{index .Labels "ttg.sources"}}' "$1" 2>/dev/null || true)
    if [[ -z "${3:-}" || "$have" == "$3" ]]; then
      return 0
    fi
    echo "build-image.sh: $1 was built from other sources; building it again" >&2
  fi
  echo "build-image.sh: building $1 from ${2#"$repo"/}" >&2
  local started=$SECONDS
  local label=()
  [[ -n "${3:-}" ]] && label=(--label "ttg.sources=$3")
  # --pull=never: the base comes from the store, never a registry. The
  # host's network lets apt-get in the RUN steps reach Debian's mirrors.
  podman build --pull=never --network=host --layers "${label[@]}" -f "$2" -t "$1" "$repo"
  echo "build-image.sh: built $1 in $((SECONDS - started)) s" >&2
}
build "$tag" "$repo/deploy/Containerfile" "$sources"
[[ "$tag" == localhost/ttg:* ]] && podman tag "$tag" localhost/ttg:latest
build "$redis_tag" "$repo/deploy/redis/Containerfile"

for image in "$tag" "$redis_tag" "$base"; do
  printf '%-45s %s\n' "$image" "$(podman image inspect --format '{{.Size}}' "$image" |
    awk '{ printf "%.1f MB", $1 / 1e6 }')"
done
