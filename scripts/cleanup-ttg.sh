#!/usr/bin/env bash
# The prototype's clean-up command, kept for its users: a thin wrapper over
# `ttg cleanup`, which deletes only TTG's keys (prefix ttg:) and never
# anything else.
#
#   ./scripts/cleanup-ttg.sh [--all | --redis | --job NAME] [--dry-run] [--force] [--redis-url URL]
#
# --all and --redis remove every TTG key; --pods has nothing to remove (ttg
# workers are processes, not pods, and stop by themselves).
set -euo pipefail
source "$(dirname "$0")/ttg-bin.sh"

args=(cleanup)
scope=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --all|--redis) scope=--all; shift ;;
    --pods) echo "cleanup-ttg.sh: no pods to remove: ttg workers are plain processes"; exit 0 ;;
    --job) scope="--job $2"; shift 2 ;;
    --dry-run|--force) args+=("$1"); shift ;;
    --redis-url) args+=(--redis "$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "cleanup-ttg.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$scope" ]] || scope=--all
# shellcheck disable=SC2086
exec "$TTG" "${args[@]}" $scope
