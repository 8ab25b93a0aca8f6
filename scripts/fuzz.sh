#!/usr/bin/env bash
# Fuzzes the whole HTTP surface with schemathesis against the embedded server, as CI does:
# the OpenAPI document the server serves (docs/http-api.md, "OpenAPI") drives the requests,
# once with an admin's token and once with an ordinary user's. Fails on any 5xx answer,
# any answer that breaks the document's own schema, or any panic in the server log.
#
# Knobs: FUZZ_SECONDS (time budget per token, default 90), FUZZ_PORT (HTTP port, default a
# free one), FUZZ_SCHEMA (a local OpenAPI file to use instead of the served document).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SCHEMATHESIS_VERSION=4.32.5
FUZZ_SECONDS=${FUZZ_SECONDS:-90}
# Checks that hold for any operation of the document. The other built-in checks judge
# policy (e.g. negative_data_rejection wants 4xx for every schema violation, but unknown
# body keys are ignored by design) rather than correctness.
CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
# Logout operations revoke the token they are called with; they get their own short run
# with a token nothing else needs.
LOGOUT_PATHS='/logout(/all)?$'
venv=target/fuzz-venv

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
python="$root/$venv/bin/python"

work=$(mktemp -d -t bailiff-fuzz.XXXXXX)
server_pid=""
failed=0
passed=0
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$passed" = 1 ]; then
    rm -rf "$work"
  else
    echo "fuzz: logs kept in $work" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The `bailiff` binary the end-to-end tests run, built as the README's test command builds
# it: `cargo build --bin bailiff` alone resolves the dependencies' features for one
# package instead of the whole workspace with its dev-dependencies, and so compiled the
# whole dependency tree a second time (12 minutes of CI). After the test command this
# is a no-op. The shared target directory's binary may be replaced by another build at
# any moment, so run a private copy.
cargo test --workspace --locked --no-run --test e2e
cp "${CARGO_TARGET_DIR:-target}/debug/bailiff" "$work/bailiff"

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=${FUZZ_PORT:-$(free_port)}
internal_port=$(free_port)
base="http://127.0.0.1:$port"
secret=$("$python" -c 'import secrets; print(secrets.token_hex(16))')

cat > "$work/bailiff.yaml" <<YAML
server_name: fuzz.test
registration_shared_secret: "$secret"
database:
  url: "sqlite://$work/bailiff.db"
listen:
  http: "127.0.0.1:$port"
  internal: "127.0.0.1:$internal_port"
server_notices:
  enabled: true
telemetry:
  log_level: info
YAML

"$work/bailiff" serve --config "$work/bailiff.yaml" > "$work/server.log" 2>&1 &
server_pid=$!

fetch() {
  "$python" - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
        sys.stdout.buffer.write(response.read())
except OSError as error:
    sys.exit(f"GET {sys.argv[1]}: {error}")
PY
}

ready=0
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    break
  fi
  if fetch "$base/_matrix/client/versions" > /dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ "$ready" = 0 ]; then
  echo "fuzz: the server did not become ready; its log:" >&2
  tail -n 50 "$work/server.log" >&2
  exit 1
fi

"$python" scripts/fuzz/seed.py "$base" "$secret" > "$work/seed.json"
field() {
  "$python" -c 'import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    value = value[key]
print(value if isinstance(value, str) else json.dumps(value))' "$work/seed.json" "$@"
}
field ids admin > "$work/ids-admin.json"
field ids user > "$work/ids-user.json"

if [ -n "${FUZZ_SCHEMA:-}" ]; then
  cp "$FUZZ_SCHEMA" "$work/openapi.json"
elif ! fetch "$base/_bailiff/openapi.json" > "$work/openapi.json"; then
  echo "fuzz: cannot fetch $base/_bailiff/openapi.json" >&2
  exit 1
fi
has_logout=$("$python" - "$work/openapi.json" "$LOGOUT_PATHS" <<'PY'
import json, re, sys
paths = json.load(open(sys.argv[1])).get("paths", {})
print(1 if any(re.search(sys.argv[2], path) for path in paths) else 0)
PY
)

# One schemathesis run: label, token, ID pool, time budget, then extra arguments. One
# worker: with two, hypothesis's lambda-source cache raced between the worker threads and
# failed runs with an internal "Runtime Error" (KeyError / "AST constructor recursion
# depth mismatch") on operations that had answered correctly.
results=()
fuzz() {
  local label=$1 token=$2 ids=$3 seconds=$4
  shift 4
  mkdir -p "$work/$label"
  echo "== fuzz: $label (up to ${seconds}s)"
  local status=0
  (
    cd "$work/$label"
    FUZZ_IDS_FILE="$ids" SCHEMATHESIS_HOOKS="$root/scripts/fuzz/hooks.py" \
      timeout --kill-after=10 $((seconds + 60)) \
      "$root/$venv/bin/schemathesis" run "$work/openapi.json" \
      --url "$base" \
      --header "Authorization: Bearer $token" \
      --checks "$CHECKS" \
      --phases examples,coverage,fuzzing \
      --max-time "$seconds" \
      --max-examples 100 \
      --workers 1 \
      --request-timeout 20 \
      --generation-database none \
      --report junit --report-dir "$work/$label/report" \
      --no-color \
      "$@"
  ) 2>&1 | tee "$work/$label.log" || status=$?
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "fuzz: $label overran its time budget and was stopped" >&2
  fi
  results+=("$label: exit $status")
  [ "$status" = 0 ] || failed=1
}

exclude=()
[ "$has_logout" = 1 ] && exclude=(--exclude-path-regex "$LOGOUT_PATHS")
fuzz admin "$(field admin access_token)" "$work/ids-admin.json" "$FUZZ_SECONDS" "${exclude[@]}"
fuzz user "$(field user access_token)" "$work/ids-user.json" "$FUZZ_SECONDS" "${exclude[@]}"
if [ "$has_logout" = 1 ]; then
  fuzz logout "$(field throwaway access_token)" "$work/ids-user.json" 15 \
    --include-path-regex "$LOGOUT_PATHS"
fi

# Independent of schemathesis's verdict: the server's own count of 5xx answers, and panics.
fetch "http://127.0.0.1:$internal_port/metrics" > "$work/metrics.txt"
statuses=$("$python" - "$work/metrics.txt" <<'PY'
import re, sys
counts = {}
for line in open(sys.argv[1]):
    match = re.match(r'^\w*http_requests_total\{(.*)\} (\S+)', line)
    if match:
        status = re.search(r'status="(\d+)"', match.group(1))
        if status:
            counts[status.group(1)] = counts.get(status.group(1), 0) + int(float(match.group(2)))
print(" ".join(f"{status}:{count}" for status, count in sorted(counts.items())))
PY
)
server_errors=$(tr ' ' '\n' <<< "$statuses" | awk -F: '$1 >= 500 { n += $2 } END { print n + 0 }')
panics=$(grep -c panicked "$work/server.log" || true)

echo "== fuzz summary"
printf '  %s\n' "${results[@]}"
echo "  answers by status: $statuses"
echo "  5xx answers: $server_errors"
echo "  panics in the server log: $panics"
if [ "$server_errors" != 0 ] || [ "$panics" != 0 ]; then
  failed=1
  grep -n -A5 panicked "$work/server.log" | head -n 40 >&2 || true
fi
if [ "$failed" != 0 ]; then
  echo "fuzz: FAILED" >&2
  exit 1
fi
passed=1
echo "fuzz: passed"
