#!/usr/bin/env bash
# Stripe webhook ingestion end to end (verified, stored, applied) through the
# real binary, on SQLite and on PostgreSQL, beside one-row insert-and-commit
# transactions on the same database in the same run (examples/webhook_load.rs).
#
#   scripts/bench-webhooks.sh [EVENTS] [CONCURRENCY]      (default 2000 16)
#
# Needs: psql, a PostgreSQL where we may create databases
# (TAMEIO_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
# SKIP_BUILD=1 reuses target/release; BENCH_DATABASES="sqlite" (or "postgres")
# runs one database only. Each database is fresh and removed afterwards.
set -euo pipefail

events=${1:-2000}
concurrency=${2:-16}
databases=${BENCH_DATABASES:-sqlite postgres}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
admin=${TAMEIO_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d /tmp/tameio-bench-webhooks.XXXXXX)
pg_name=tameio_bench_webhooks_$$
pg_url=${admin%/*}/$pg_name
server_pid=

stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() {
  stop_server
  rm -rf "$work"
  if [[ " $databases " == *" postgres "* ]]; then
    psql "$admin" -qXc "drop database if exists $pg_name with (force)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$root"
[[ ${SKIP_BUILD:-0} == 1 ]] || flock /tmp/cargo.lock cargo build --release --quiet --bin tameio --example webhook_load
bin=$root/target/release/tameio
load=$root/target/release/examples/webhook_load

# One database: migrate, an operator key, `tameio serve` on a free port (it
# binds port 0 and prints the address), the load, the server stopped.
bench() {
  local name=$1 url=$2 log=$work/serve-$1.log addr= key
  RUST_LOG=warn "$bin" migrate --database-url "$url" >/dev/null
  key=$(RUST_LOG=warn "$bin" operator-key create --name bench --database-url "$url" | sed -n 's/^Operator key: //p')
  [[ -n $key ]] || { echo "no operator key for $name" >&2; return 1; }
  "$bin" serve --addr 127.0.0.1:0 --database-url "$url" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    addr=$(sed -n 's/^Tameio listening on //p' "$log")
    [[ -n $addr ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $addr ]]; then
    echo "tameio serve did not start on $name:" >&2
    tail -20 "$log" >&2
    return 1
  fi
  echo "== $name: $addr" >&2
  if ! "$load" "$addr" "$url" "$key" "$events" "$concurrency" | tee "$work/out-$name.txt"; then
    echo "the load failed on $name; the server's last words:" >&2
    tail -20 "$log" >&2
    return 1
  fi
  stop_server
  [[ -z ${KEEP_SERVER_LOG:-} ]] || cp "$log" "$KEEP_SERVER_LOG-$name.log"
  tail -1 "$work/out-$name.txt" >"$work/result-$name.json"
}

for db in $databases; do
  case $db in
    sqlite) bench sqlite "sqlite://$work/sqlite/tameio.db" ;;
    postgres)
      psql "$admin" -qXc "drop database if exists $pg_name with (force)" >/dev/null
      psql "$admin" -qXc "create database $pg_name" >/dev/null
      bench postgres "$pg_url"
      ;;
    *) echo "unknown database $db (sqlite, postgres)" >&2; exit 2 ;;
  esac
done

echo
printf '%-10s %10s %10s %10s %7s  %s\n' database commit/s ingest/s applied/s ratio "target (applied >= 0.5 x commit)"
for db in $databases; do
  python3 - "$work/result-$db.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f'{r["database"]:<10} {r["commit_per_s"]:>10,.0f} {r["ingest_per_s"]:>10,.0f} {r["applied_per_s"]:>10,.0f} '
      f'{r["ratio"]:>7.2f}  {"met" if r["target_met"] else "NOT met"}')
PY
done
