#!/usr/bin/env bash
# Debt-roll import speed, end to end through the real binary, on SQLite and on
# PostgreSQL, beside PostgreSQL's own `\copy` of the same file in the same run.
#
#   scripts/bench-import.sh [ROWS]          (default 100000)
#
# Needs: hyperfine, psql, python3, a PostgreSQL where we may create databases
# (TAMEIO_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
# Each run imports into a fresh database (hyperfine --prepare), so every row is new.
set -euo pipefail

rows=${1:-100000}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
admin=${TAMEIO_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d /tmp/tameio-bench-import.XXXXXX)
trap 'rm -rf "$work"; psql "$admin" -qXc "drop database if exists tameio_bench_import with (force)" >/dev/null 2>&1 || true' EXIT

cd "$root"
[[ ${SKIP_BUILD:-0} == 1 ]] || flock /tmp/cargo.lock cargo build --release --quiet --bin tameio
bin=$root/target/release/tameio
csv=$work/roll.csv
python3 "$root/../shared/gen/gen_debts.py" "$rows" "$csv" --roll >/dev/null
echo "roll: $rows rows, $(du -h "$csv" | cut -f1)"

pg_url=${admin%/*}/tameio_bench_import
tenant_args=(tenant create --slug bench --name-el "Δήμος Μετρήσεων" --name-en "Bench" --creditor-name "DIMOS METRISEON"
  --iban GR1601101250000000012300695 --rf-prefix BENCH)

# Fresh stores with the tenant in place, so each timed run is the import alone.
cat >"$work/prepare-sqlite.sh" <<SH
rm -rf "$work/sqlite" && "$bin" ${tenant_args[*]@Q} --data "$work/sqlite" >/dev/null
SH
cat >"$work/prepare-postgres.sh" <<SH
psql "$admin" -qXc "drop database if exists tameio_bench_import with (force)" >/dev/null
psql "$admin" -qXc "create database tameio_bench_import" >/dev/null
"$bin" ${tenant_args[*]@Q} --database-url "$pg_url" >/dev/null
SH
cat >"$work/prepare-copy.sh" <<SH
psql "$admin" -qXc "drop database if exists tameio_bench_import with (force)" >/dev/null
psql "$admin" -qXc "create database tameio_bench_import" >/dev/null
psql "$pg_url" -qXc "create table roll (source_id text, party_source_id text, party_kind text, tax_id text, tax_country text,
  name text, address text, email text, kind text, fiscal_year text, revenue_code text, property_id text, description text,
  principal text, assessed_on text, due_on text, rf text)" >/dev/null
SH

hyperfine --runs "${BENCH_RUNS:-5}" --export-json "$work/result.json" \
  --prepare "bash $work/prepare-copy.sh" -n "postgres \\copy (baseline)" \
  "psql '$pg_url' -qXc \"\\\\copy roll from '$csv' with (format csv, header true)\"" \
  --prepare "bash $work/prepare-sqlite.sh" -n "tameio import-debts, SQLite" \
  "$bin import-debts --tenant bench --data $work/sqlite $csv" \
  --prepare "bash $work/prepare-postgres.sh" -n "tameio import-debts, PostgreSQL" \
  "$bin import-debts --tenant bench --database-url $pg_url $csv"

python3 - "$work/result.json" "$rows" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
rows = int(sys.argv[2])
base = res[0]["median"]
for r in res:
    print(f'{r["command"]:<32} median {r["median"]:.3f} s  {rows / r["median"]:>9,.0f} rows/s  {r["median"] / base:.2f}x the \\copy time')
PY
