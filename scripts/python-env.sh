#!/usr/bin/env bash
# Creates target/pyenv with the third-party Matrix clients the end-to-end tests drive
# (matrix-nio, Synapse's register_new_matrix_user, synadm) and playwright, which drives
# Debian's chromium in the browser tests (no browser of its own is downloaded). Safe to
# run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pyenv
stamp="$venv/.installed-v3"
if [ -f "$stamp" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "matrix-nio==0.26.0" "matrix-synapse==1.163.2" "synadm==0.49.2" "playwright==1.65.2"
touch "$stamp"
echo "python clients installed in $venv"
