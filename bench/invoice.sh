#!/usr/bin/env bash
# The invoice benchmark (`make bench-invoice`; README, Performance). On its own PostgreSQL, nats-server and Ceph RGW,
# under .local/bench-invoice on their own ports, with PostgreSQL's durable settings (fsync, synchronous_commit,
# full_page_writes on), so it never touches the test or demo servers: builds Release, creates a fresh database (migrate,
# the sample reference data with the gap filled), provisions JetStream and the S3 bucket, runs
# bench/Billing.InvoiceBench (which imports generated accounts, operators and pricing, loads a month of rated usage,
# runs the invoice worker and the raw limits), and stops its servers however it ends. Arguments go to the benchmark
# (--accounts N, --messages N, --parallelism N, --period YYYY-MM, ...; `--help`). Re-runnable: each run starts from
# freshly reset servers.
#
# Environment: BENCH_LOCAL_DIR (.local/bench-invoice), BENCH_PG_PORT (30432), BENCH_NATS_PORT (30222),
# BENCH_NATS_HTTP_PORT (30822), BENCH_S3_PORT (30480), BENCH_CEPH_MON_PORT (30789), BENCH_CEPH_PORT_MIN/MAX
# (30800-30860), BENCH_WORKER_PORT (30881, the worker's /metrics).
set -euo pipefail
ROOT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT_DIR"

step() { printf '==> %s\n' "$*"; }

command -v dotnet >/dev/null || { echo "bench: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The benchmark's own servers: their own state directory and ports, durable PostgreSQL.
export BILLING_LOCAL_DIR=${BENCH_LOCAL_DIR:-$ROOT_DIR/.local/bench-invoice}
export BILLING_PG_PORT=${BENCH_PG_PORT:-30432}
export BILLING_NATS_PORT=${BENCH_NATS_PORT:-30222}
export BILLING_NATS_HTTP_PORT=${BENCH_NATS_HTTP_PORT:-30822}
export BILLING_S3_PORT=${BENCH_S3_PORT:-30480}
export BILLING_CEPH_MON_PORT=${BENCH_CEPH_MON_PORT:-30789}
export BILLING_CEPH_PORT_MIN=${BENCH_CEPH_PORT_MIN:-30800}
export BILLING_CEPH_PORT_MAX=${BENCH_CEPH_PORT_MAX:-30860}
export BILLING_PG_DURABLE=1
WORKER_PORT=${BENCH_WORKER_PORT:-30881}
servers() { scripts/local-servers.sh "$1" pg nats s3; }

cleanup() {
    local pid
    # The worker runs to completion; this catches one left behind by a crash or an interrupt.
    if [[ -f $BILLING_LOCAL_DIR/worker.pid ]]; then
        pid=$(<"$BILLING_LOCAL_DIR/worker.pid")
        if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dotnet ]] \
            && grep -qa invoice-worker.dll "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
        rm -f "$BILLING_LOCAL_DIR/worker.pid"
    fi
    servers stop 2>/dev/null || true
}
trap cleanup EXIT

step "Building (Release)"
dotnet build migrations/Billing.Migrations.csproj -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/Billing.InvoiceBench/Billing.InvoiceBench.csproj -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly
OPS_DLL=$ROOT_DIR/migrations/bin/Release/net10.0/billing-ops.dll
ops() { dotnet "$OPS_DLL" "$@"; }

step "Starting the benchmark's own PostgreSQL (durable), nats-server and Ceph RGW, fresh, in $BILLING_LOCAL_DIR"
servers reset
servers start >/dev/null
mkdir -p "$BILLING_LOCAL_DIR"
eval "$(scripts/local-servers.sh env 2>/dev/null)"

PSQL=/usr/lib/postgresql/15/bin/psql
DB=invoice_bench
"$PSQL" -h 127.0.0.1 -p "$BILLING_PG_PORT" -U postgres -d postgres -XqAt -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export ConnectionStrings__Billing="Host=127.0.0.1;Port=$BILLING_PG_PORT;Database=$DB;Username=postgres"

step "Database $DB: migrate, import the sample reference data (gap filled)"
ops migrate
for kind in tiers operators accounts pricing operator-costs; do
    ops import "$kind" "sample/$kind.csv"
done
ops import pricing sample/pricing-gap-fill.csv

step "JetStream and the S3 bucket: provision nats, provision s3"
ops provision nats
ops provision s3

step "Benchmark"
dotnet bench/Billing.InvoiceBench/bin/Release/net10.0/invoice-bench.dll \
    --worker services/invoice-worker/bin/Release/net10.0/invoice-worker.dll --ops "$OPS_DLL" \
    --worker-port "$WORKER_PORT" --log-dir "$BILLING_LOCAL_DIR" \
    --pg-pid-file "$BILLING_LOCAL_DIR/pg/data/postmaster.pid" --nats-pid-file "$BILLING_LOCAL_DIR/nats/nats.pid" \
    --ceph-run-dir "$BILLING_LOCAL_DIR/ceph/run" "$@"
