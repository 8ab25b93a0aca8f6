#!/usr/bin/env bash
# The whole test suite: unit, store (SQLite and PostgreSQL), gRPC and end-to-end tests,
# including third-party Matrix clients and the admin web UIs in headless Chromium. Needs
# PostgreSQL and Redis on their default local ports (started here when installed but
# stopped), python3 for the clients and Chromium (installed here when apt is there).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
# The browser tests (tests/e2e/ui_compat/browser.rs) need Debian's Chromium; they fail,
# never skip, without it.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
scripts/python-env.sh
cargo test --workspace --locked
