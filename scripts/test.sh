#!/usr/bin/env bash
# The whole test suite: unit, store (SQLite and PostgreSQL), gRPC and end-to-end tests,
# including third-party Matrix clients. Needs PostgreSQL and Redis on their default
# local ports (started here when installed but stopped) and python3 for the clients.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
scripts/python-env.sh
cargo test --workspace --locked
