#!/usr/bin/env bash
# The prototype's demo command, kept for its users: a thin wrapper over
# `ttg demo`. No Docker or Kubernetes needed: ttg starts a private
# redis-server and its workers itself.
#
#   ./scripts/run-demo.sh [--scale small|medium|large] [--workers N] [--fault-demo]
#                         [--monitor cli|web|both|none] [--skip-cleanup] [-- ttg demo flags]
set -euo pipefail
source "$(dirname "$0")/ttg-bin.sh"

args=(demo)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale|--workers|--kill-at|--kernel) args+=("$1" "$2"); shift 2 ;;
    --fault-demo|--json) args+=("$1"); shift ;;
    --monitor)
      case "$2" in
        cli|none) args+=(--monitor "$2") ;;
        web|both)
          echo "run-demo.sh: the web monitor is not part of ttg; using the CLI monitor" >&2
          args+=(--monitor cli) ;;
        *) echo "run-demo.sh: --monitor takes cli, web, both or none" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --skip-cleanup) args+=(--keep); shift ;;
    --) shift; args+=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run-demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
exec "$TTG" "${args[@]}"
