#!/usr/bin/env bash
# The ingest benchmark (`make bench-ingest`; README, Performance). On its own PostgreSQL and nats-server, under
# .local/bench on their own ports, with PostgreSQL's durable settings (fsync, synchronous_commit, full_page_writes on),
# so it never touches the test or demo servers: builds Release, creates a fresh database (migrate, sample reference data
# with the gap filled), provisions JetStream under fresh names, runs bench/Billing.IngestBench, and stops its servers
# however it ends. Arguments go to the benchmark (--events N, --batch-size N, --live-rate R, --live-seconds S, ...;
# `--help`). Re-runnable: each run starts from freshly reset servers.
#
# Environment: BENCH_LOCAL_DIR (.local/bench), BENCH_PG_PORT (29432), BENCH_NATS_PORT (29222),
# BENCH_NATS_HTTP_PORT (29822), BENCH_WORKER_PORT (29881, the worker's /metrics).
set -euo pipefail
ROOT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT_DIR"

step() { printf '==> %s\n' "$*"; }

command -v dotnet >/dev/null || { echo "bench: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The benchmark's own servers: their own state directory and ports, durable PostgreSQL.
export BILLING_LOCAL_DIR=${BENCH_LOCAL_DIR:-$ROOT_DIR/.local/bench}
export BILLING_PG_PORT=${BENCH_PG_PORT:-29432}
export BILLING_NATS_PORT=${BENCH_NATS_PORT:-29222}
export BILLING_NATS_HTTP_PORT=${BENCH_NATS_HTTP_PORT:-29822}
export BILLING_PG_DURABLE=1
WORKER_PORT=${BENCH_WORKER_PORT:-29881}
servers() { scripts/local-servers.sh "$1" pg nats; }

cleanup() {
    local pid
    # The benchmark stops its workers itself; this catches one left behind by a crash or an interrupt.
    if [[ -f $BILLING_LOCAL_DIR/worker.pid ]]; then
        pid=$(<"$BILLING_LOCAL_DIR/worker.pid")
        if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dotnet ]] \
            && grep -qa ingest-worker.dll "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
        rm -f "$BILLING_LOCAL_DIR/worker.pid"
    fi
    servers stop 2>/dev/null || true
}
trap cleanup EXIT

step "Building (Release)"
dotnet build migrations/Billing.Migrations.csproj -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/Billing.IngestBench/Billing.IngestBench.csproj -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly
ops() { dotnet "$ROOT_DIR/migrations/bin/Release/net10.0/billing-ops.dll" "$@"; }

step "Starting the benchmark's own PostgreSQL (durable) and nats-server, fresh, in $BILLING_LOCAL_DIR"
servers reset
servers start >/dev/null
mkdir -p "$BILLING_LOCAL_DIR"

PSQL=/usr/lib/postgresql/15/bin/psql
DB=ingest_bench
"$PSQL" -h 127.0.0.1 -p "$BILLING_PG_PORT" -U postgres -d postgres -XqAt -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export ConnectionStrings__Billing="Host=127.0.0.1;Port=$BILLING_PG_PORT;Database=$DB;Username=postgres"

# Fresh names for every run, so nothing of an earlier run can be in the stream or the consumer.
RUN=$(date -u +%Y%m%d%H%M%S)
export Nats__Url="nats://127.0.0.1:$BILLING_NATS_PORT"
export Nats__SubjectPrefix="bench$RUN."
export Nats__EventsStream="BENCH_${RUN}_EVENTS"
export Nats__EventsConsumer="bench-$RUN-consumer"
export Nats__InvoicesStream="BENCH_${RUN}_INVOICES"

step "Database $DB: migrate, import the sample reference data (gap filled)"
ops migrate
for kind in tiers operators accounts pricing operator-costs; do
    ops import "$kind" "sample/$kind.csv"
done
ops import pricing sample/pricing-gap-fill.csv

step "JetStream: provision nats ($Nats__EventsStream, $Nats__EventsConsumer, subjects ${Nats__SubjectPrefix}billing.events.>)"
ops provision nats

step "Benchmark"
dotnet bench/Billing.IngestBench/bin/Release/net10.0/ingest-bench.dll \
    --worker services/ingest-worker/bin/Release/net10.0/ingest-worker.dll \
    --worker-port "$WORKER_PORT" --log-dir "$BILLING_LOCAL_DIR" --sample sample \
    --nats-pid-file "$BILLING_LOCAL_DIR/nats/nats.pid" --pg-pid-file "$BILLING_LOCAL_DIR/pg/data/postmaster.pid" "$@"
