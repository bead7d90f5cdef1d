#!/usr/bin/env bash
# The prototype's demo command, kept for its users: a thin wrapper over
# `ttg demo`. No Docker or Kubernetes needed: ttg starts a private
# redis-server and its workers itself.
#
#   ./scripts/run-demo.sh [--scale small|medium|large] [--workers N] [--fault-demo]
#                         [--monitor cli|web|both|none] [--web-port P] [--skip-cleanup]
#                         [-- ttg demo flags]
#
# --monitor web|both: the dashboard of `ttg serve` at http://127.0.0.1:8080/
# (--web-port; 0 = any free port) while the demo runs, and after the verdict
# until Enter when run from a terminal.
#
# With --target pods, the same demo runs as containers: the deploy/k8s
# `local` overlay under `podman kube play` (scripts/pods-demo.sh):
#
#   ./scripts/run-demo.sh --target pods [--fault-demo] [--skip-cleanup]
set -euo pipefail
if [[ " $* " == *" --target pods "* ]]; then
  args=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --target) shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  exec "$(dirname "$0")/pods-demo.sh" "${args[@]}"
fi
source "$(dirname "$0")/ttg-bin.sh"

args=(demo)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale|--workers|--kill-at|--kernel) args+=("$1" "$2"); shift 2 ;;
    --fault-demo|--json) args+=("$1"); shift ;;
    --monitor)
      case "$2" in
        cli|web|both|none) args+=(--monitor "$2") ;;
        *) echo "run-demo.sh: --monitor takes cli, web, both or none" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --web-port) args+=("$1" "$2"); shift 2 ;;
    --skip-cleanup) args+=(--keep); shift ;;
    --) shift; args+=("$@"); break ;;
    --target)
      [[ "$2" == processes ]] || { echo "run-demo.sh: --target takes processes or pods" >&2; exit 2; }
      shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run-demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
exec "$TTG" "${args[@]}"
