#!/usr/bin/env bash
# The prototype's recovery command, kept for its users: a thin wrapper over
# `ttg recover` (checks Redis, recreates missing consumer groups, hands back
# the chunks of workers that are gone, deletes consumers that hold nothing).
#
#   ./scripts/recover-infra.sh [--redis URL] [--lease-ms MS]
set -euo pipefail
source "$(dirname "$0")/ttg-bin.sh"
case "${1:-}" in -h|--help) sed -n '2,7p' "$0"; exit 0 ;; esac
exec "$TTG" recover "$@"
