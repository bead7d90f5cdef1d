#!/usr/bin/env bash
# Installs every build, test and run-time dependency of TTG from Debian 12's
# packages, and from nowhere else.
#
# Idempotent and fast when everything is present: it asks dpkg what is
# installed and calls apt-get (with one `apt-get update` first) only for what
# is missing. Uses sudo when not run as root.
#
# TTG never uses a system Redis service: it starts its own redis-server
# processes, so the packaged service is stopped and disabled where this script
# installs it.
set -euo pipefail

packages=(
  build-essential cmake pkg-config make git
  clang clang-format libclang-rt-14-dev
  libhiredis-dev libssl-dev openssl libexpected-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libcpp-httplib-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  redis-server redis-tools
  iproute2 iptables procps python3
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
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

# A packaged redis-server starts a system service on port 6379; TTG does not
# use it, so do not leave it running.
if printf '%s\n' "${missing[@]}" | grep -qx redis-server; then
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    "${sudo_cmd[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    "${sudo_cmd[@]}" service redis-server stop >/dev/null 2>&1 || true
  fi
fi
echo "setup: done" >&2
