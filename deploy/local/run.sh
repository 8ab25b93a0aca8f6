#!/usr/bin/env bash
# Runs bailiff's four roles as four processes on this machine, the way the cluster runs
# them: PostgreSQL and Redis on loopback, one gRPC port per service, logs in a temporary
# directory. Ctrl-C (or any role exiting) stops them all.
#
#   deploy/local/run.sh
#
# Settings (environment):
#   BAILIFF_BIN        binary to run (default target/release/bailiff, built if missing)
#   LOCAL_PG           PostgreSQL host:port, trust auth as user postgres (127.0.0.1:5432)
#   LOCAL_DB_NAME      database, created if missing (bailiff_local)
#   LOCAL_REDIS_URL    Redis (redis://127.0.0.1:6379)
#   LOCAL_PORT_OFFSET  added to every port, to run two copies side by side (0)
#   LOCAL_SERVER_NAME  Matrix server name (localhost)
# Other BAILIFF_<SECTION>__<KEY> variables in the environment reach the roles as
# configuration overrides, as they would anywhere.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

pg=${LOCAL_PG:-127.0.0.1:5432}
pg_host=${pg%:*}
pg_port=${pg##*:}
db_name=${LOCAL_DB_NAME:-bailiff_local}
redis_url=${LOCAL_REDIS_URL:-redis://127.0.0.1:6379}
offset=${LOCAL_PORT_OFFSET:-0}
server_name=${LOCAL_SERVER_NAME:-localhost}

http_port=$((8008 + offset))
declare -A grpc_port=(
  [accounts]=$((9101 + offset))
  [membership]=$((9102 + offset))
  [notices]=$((9103 + offset))
)
declare -A internal_port=(
  [gateway]=$((9090 + offset))
  [accounts]=$((9091 + offset))
  [membership]=$((9092 + offset))
  [notices]=$((9093 + offset))
)

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# --- the binary ------------------------------------------------------------------------
bin=${BAILIFF_BIN:-$repo/target/release/bailiff}
if [[ ! -x $bin ]]; then
  say "no binary at $bin; building it with cargo"
  (cd "$repo" && cargo build --release --locked -p bailiff)
  bin=$repo/target/release/bailiff
  [[ -x $bin ]] || die "cargo did not produce $bin"
fi
# Every BAILIFF_* variable is read as configuration, and unknown keys are refused: drop
# the ones that are not configuration before starting the roles.
unset BAILIFF_BIN
while IFS= read -r name; do
  unset "$name"
done < <(compgen -e | grep '^BAILIFF_TEST_' || true)

# --- ports must be free ----------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$http_port" "${grpc_port[@]}" "${internal_port[@]}"; do
  if port_open "$port"; then
    die "port $port is already in use (set LOCAL_PORT_OFFSET to move every port)"
  fi
done

# --- PostgreSQL and Redis ----------------------------------------------------------------
command -v psql >/dev/null || die "psql is needed to check and create the database"
psql_admin=(psql -X -q -h "$pg_host" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1)
"${psql_admin[@]}" -c 'SELECT 1' >/dev/null 2>&1 \
  || die "cannot reach PostgreSQL at $pg as user postgres (trust auth expected)"
if [[ -z $("${psql_admin[@]}" -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db_name'") ]]; then
  say "creating database $db_name"
  "${psql_admin[@]}" -c "CREATE DATABASE \"$db_name\""
fi
if command -v redis-cli >/dev/null; then
  [[ $(redis-cli -u "$redis_url" ping 2>/dev/null) == PONG ]] || die "Redis at $redis_url does not answer"
fi

# --- configuration -----------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/bailiff-local.XXXXXX")
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/registration_shared_secret"
chmod 600 "$work/registration_shared_secret"
cat >"$work/config.yaml" <<EOF
server_name: $server_name
registration_shared_secret_file: $work/registration_shared_secret
database:
  url: postgres://postgres@$pg_host:$pg_port/$db_name
  max_connections: 8
redis:
  url: $redis_url
  key_prefix: bailiff-local
listen:
  http: 127.0.0.1:$http_port
accounts:
  listen: 127.0.0.1:${grpc_port[accounts]}
  address: http://127.0.0.1:${grpc_port[accounts]}
membership:
  listen: 127.0.0.1:${grpc_port[membership]}
  address: http://127.0.0.1:${grpc_port[membership]}
notices:
  listen: 127.0.0.1:${grpc_port[notices]}
  address: http://127.0.0.1:${grpc_port[notices]}
EOF

# --- start and stop ----------------------------------------------------------------------
declare -A pid_of=()
stop_all() {
  local role pid waited=0
  for role in "${!pid_of[@]}"; do
    kill -TERM "${pid_of[$role]}" 2>/dev/null || true
  done
  # The roles finish in-flight work within shutdown.grace_period (25 s by default).
  for role in "${!pid_of[@]}"; do
    pid=${pid_of[$role]}
    while kill -0 "$pid" 2>/dev/null && ((waited < 300)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "$role did not stop in time; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  pid_of=()
  say "stopped; logs and configuration kept in $work"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "applying migrations (log: $work/migrate.log)"
"$bin" migrate --config "$work/config.yaml" >"$work/migrate.log" 2>&1 \
  || { tail -n 20 "$work/migrate.log" >&2; die "migrations failed"; }

# start ROLE PORT: runs one role and waits until PORT accepts connections.
start() {
  local role=$1 port=$2 tries=0
  BAILIFF_LISTEN__INTERNAL=127.0.0.1:${internal_port[$role]} \
    "$bin" serve --config "$work/config.yaml" --role "$role" >"$work/$role.log" 2>&1 &
  pid_of[$role]=$!
  until port_open "$port"; do
    if ! kill -0 "${pid_of[$role]}" 2>/dev/null; then
      tail -n 20 "$work/$role.log" >&2
      die "$role exited during start-up (log: $work/$role.log)"
    fi
    ((++tries > 300)) && die "$role is not listening on $port after 30 s (log: $work/$role.log)"
    sleep 0.1
  done
  say "$role up on 127.0.0.1:$port (pid ${pid_of[$role]}, log: $work/$role.log)"
}

start accounts "${grpc_port[accounts]}"
start membership "${grpc_port[membership]}"
start notices "${grpc_port[notices]}"
start gateway "$http_port"

cat >&2 <<EOF

bailiff is running: http://127.0.0.1:$http_port  (server name $server_name)
  metrics:  http://127.0.0.1:${internal_port[gateway]}/metrics (accounts ${internal_port[accounts]}, membership ${internal_port[membership]}, notices ${internal_port[notices]})
  logs:     $work
  an admin: printf '%s\n' 'a-long-password' >$work/admin-password
            $bin register-user --admin --user admin \\
              --password-file $work/admin-password \\
              --shared-secret-file $work/registration_shared_secret \\
              --url http://127.0.0.1:$http_port
Ctrl-C stops every role.
EOF
echo "http://127.0.0.1:$http_port"

# Wait for Ctrl-C, or for a role to exit on its own (then stop the others).
while :; do
  status=0
  wait -n "${pid_of[@]}" || status=$?
  for role in "${!pid_of[@]}"; do
    if ! kill -0 "${pid_of[$role]}" 2>/dev/null; then
      tail -n 20 "$work/$role.log" >&2
      die "$role exited (status $status); stopping the others (log: $work/$role.log)"
    fi
  done
done
