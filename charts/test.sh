#!/usr/bin/env bash
# Chart checks (called by `npm test`): for every charts/trellis/ci/*-values.yaml scenario,
#   1. helm lint --strict
#   2. helm template
#   3. validate every rendered object against the Kubernetes JSON schemas (strict: unknown
#      fields refused) of the oldest and newest Kubernetes versions the chart supports.
# Tools: Helm from tools/setup/helm.sh (go install from the Go module proxy); the schemas from
# the PyPI package kubernetes-validate, installed once into .trellis/venv. The checks themselves
# use no network. The Jest specs in charts/test/ run with the unit tests (jest.unit.config.cjs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/env.sh"
CHART="$ROOT/charts/trellis"
# Supported range: Chart.yaml kubeVersion >=1.31; validated against both ends.
KUBE_VERSIONS=(${TRELLIS_KUBE_VERSIONS:-1.31.0 1.35.0})
OUT="$TRELLIS_HOME/charts"
VENV="$TRELLIS_HOME/venv/kubernetes-validate"
REQ="$ROOT/charts/requirements-validate.txt"

log() { echo "[charts] $*"; }

bash "$ROOT/tools/setup/helm.sh" >&2
HELM="$TRELLIS_HOME/bin/helm"

stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing kubernetes-validate schemas into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$REQ"
  echo "$want" > "$stamp"
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.yaml
passed=0
failed=0
kube_args=()
for v in "${KUBE_VERSIONS[@]}"; do kube_args+=(--kube-version "$v"); done
rendered=()
for values in "$CHART"/ci/*-values.yaml; do
  name="$(basename "$values" .yaml)"
  for v in "${KUBE_VERSIONS[@]}"; do
    if "$HELM" lint --strict --quiet --kube-version "$v" "$CHART" -f "$values" >"$OUT/$name.lint.log" 2>&1; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); log "FAIL helm lint --strict $name (Kubernetes $v)"; cat "$OUT/$name.lint.log"
    fi
  done
  if "$HELM" template trellis "$CHART" --namespace trellis --kube-version "${KUBE_VERSIONS[0]}" \
      -f "$values" >"$OUT/$name.yaml" 2>"$OUT/$name.template.log"; then
    passed=$((passed + 1))
    rendered+=("$OUT/$name.yaml")
    log "rendered $name: $(grep -c '^kind:' "$OUT/$name.yaml") objects"
  else
    failed=$((failed + 1)); log "FAIL helm template $name"; cat "$OUT/$name.template.log"
  fi
done

if [ "${#rendered[@]}" -gt 0 ]; then
  if "$VENV/bin/python" "$ROOT/charts/validate-manifests.py" "${kube_args[@]}" "${rendered[@]}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); log "FAIL Kubernetes schema validation"
  fi
fi

echo "charts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
