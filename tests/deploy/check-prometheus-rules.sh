#!/usr/bin/env bash
# The offline check of deploy/prometheus and deploy/grafana/provisioning
# (ctest: DeployPrometheusRules, label deploy):
#   1. yamllint over their YAML files;
#   2. promtool check rules on ttg-rules.yml, and check config on the example
#      prometheus.yml (which loads the rules too);
#   3. promtool test rules: the alerts' unit tests (ttg-rules.test.yml), on
#      made-up series, for what a live test cannot wait for;
#   4. proof that step 2 and 3 catch what they claim: a broken copy of the
#      rules must be refused.
# The live check, every expression against a real Prometheus scraping real
# workers and ttg serve, is the integration test GrafanaPromql.*.
# Needs promtool (Debian package prometheus); skips (exit 77) without it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
skip() { echo "SKIP: $*"; exit 77; }
command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian package prometheus)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# 1. yamllint (the manifests' rules; the rule tests' series names are long)
if command -v yamllint >/dev/null 2>&1; then
  if yamllint -d "{extends: default, rules: {document-start: disable, line-length: {max: 130},
      truthy: {check-keys: false}}}" "$repo/deploy/prometheus" "$repo/deploy/grafana/provisioning"; then
    echo "yamllint: ok"
  else
    fail "yamllint found problems in deploy/prometheus or deploy/grafana/provisioning"
  fi
else
  echo "yamllint is not installed: YAML style not checked"
fi

# 2. and 3.
cd "$repo/deploy/prometheus"
promtool check rules ttg-rules.yml || fail "promtool check rules ttg-rules.yml"
promtool check config prometheus.yml || fail "promtool check config prometheus.yml"
promtool test rules ttg-rules.test.yml || fail "promtool test rules ttg-rules.test.yml"

# 4. Broken copies.
refuses() {  # refuses NAME SED-EDIT COMMAND...
  local name="$1" edit="$2"; shift 2
  mkdir -p "$work/$name"
  cp ttg-rules.yml ttg-rules.test.yml "$work/$name/"
  sed -i -e "$edit" "$work/$name/ttg-rules.yml"
  if cmp -s ttg-rules.yml "$work/$name/ttg-rules.yml"; then
    fail "negative case $name: the edit '$edit' changed nothing"
  elif (cd "$work/$name" && "$@" >"$work/$name.out" 2>&1); then
    fail "negative case $name was accepted: $*"
  else
    echo "refused as it should be: $name"
  fi
}
refuses bad-promql 's/changes(ttg_job_chunks_done\[15m\])/changes(ttg_job_chunks_done[15m]/' \
  promtool check rules ttg-rules.yml
refuses stalled-window 's/changes(ttg_job_chunks_done\[15m\])/changes(ttg_job_chunks_done[30m])/' \
  promtool test rules ttg-rules.test.yml
refuses straggler-factor 's/10 \* histogram_quantile/1000 * histogram_quantile/' \
  promtool test rules ttg-rules.test.yml

if [[ $failed -ne 0 ]]; then
  echo "prometheus rules: FAILED"
  exit 1
fi
echo "prometheus rules: ok"
