#!/usr/bin/env bash
# The API benchmark (`make bench-api`; README, Performance). On its own PostgreSQL (durable settings), under
# .local/bench-api on its own port, so it never touches the test or demo servers: builds Release, creates a fresh
# database (migrate), loads a year of daily usage summaries for 1,000 accounts x 20 operators (7.3 million rows,
# generated in the database), creates the API's read-only login role, starts the Release API as its own process,
# runs bench/Billing.ApiBench (the usage route with 64 concurrent clients for 30 s, driven by wrk, then the route's SQL
# straight through Npgsql with the same concurrency), and stops everything however it ends. Arguments go to the benchmark
# (--clients N, --seconds S, --range-days D, --granularity day|month, ...; `--help`). Re-runnable.
#
# Environment: BENCH_LOCAL_DIR (.local/bench-api), BENCH_PG_PORT (29532), BENCH_API_PORT (29580),
# BENCH_ACCOUNTS (1000), BENCH_OPERATORS (20), BENCH_DAYS (365), BENCH_PG_SHARED_BUFFERS (2GB: the loaded summaries, 1.3 GB
# with their key, fit in PostgreSQL's own cache, as a production database sized for its working set holds them),
# BENCH_API_CONNECTIONS (the API's Api__DatabaseConnections, and the raw phase's pool; 8, the API's default).
set -euo pipefail
ROOT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT_DIR"

step() { printf '==> %s\n' "$*"; }

command -v dotnet >/dev/null || { echo "bench: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

export BILLING_LOCAL_DIR=${BENCH_LOCAL_DIR:-$ROOT_DIR/.local/bench-api}
export BILLING_PG_PORT=${BENCH_PG_PORT:-29532}
export BILLING_PG_DURABLE=1
export BILLING_PG_SHARED_BUFFERS=${BENCH_PG_SHARED_BUFFERS:-2GB}
API_PORT=${BENCH_API_PORT:-29580}
ACCOUNTS=${BENCH_ACCOUNTS:-1000}
OPERATORS=${BENCH_OPERATORS:-20}
DAYS=${BENCH_DAYS:-365}
CONNECTIONS=${BENCH_API_CONNECTIONS:-8}
FIRST_DAY=2025-12-01
API_PID_FILE=$BILLING_LOCAL_DIR/api.pid
servers() { scripts/local-servers.sh "$1" pg; }

cleanup() {
    local pid
    if [[ -f $API_PID_FILE ]]; then
        pid=$(<"$API_PID_FILE")
        if [[ $pid =~ ^[0-9]+$ ]] && grep -qa billing-api.dll "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$API_PID_FILE"
    fi
    servers stop 2>/dev/null || true
}
trap cleanup EXIT

# wrk (Debian's package) drives the api phase: its own CPU per request is a fifth of an HttpClient loop's.
if ! command -v wrk >/dev/null; then
    step "Installing wrk"
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 wrk; } </dev/null >/dev/null 2>&1 \
        || echo "bench: could not install wrk; an HttpClient loop drives the api phase instead" >&2
fi

step "Building (Release)"
dotnet build migrations/Billing.Migrations.csproj -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly
dotnet build services/billing-api/Billing.Api.csproj -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/Billing.ApiBench/Billing.ApiBench.csproj -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly

step "Starting the benchmark's own PostgreSQL (durable), fresh, in $BILLING_LOCAL_DIR"
servers reset
servers start >/dev/null
mkdir -p "$BILLING_LOCAL_DIR"

PSQL=(/usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p "$BILLING_PG_PORT" -U postgres -XqAt -v ON_ERROR_STOP=1)
DB=api_bench
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
ConnectionStrings__Billing="Host=127.0.0.1;Port=$BILLING_PG_PORT;Database=$DB;Username=postgres" \
    dotnet migrations/bin/Release/net10.0/billing-ops.dll migrate

step "Loading $ACCOUNTS accounts x $OPERATORS operators x $DAYS days of usage summaries into usage_summaries"
started=$SECONDS
# Generated in the database, account by account (the table's key order), with varied counts and exact amounts.
"${PSQL[@]}" -d "$DB" <<SQL
INSERT INTO billing.usage_summaries AS u
    (account_id, usage_date, operator, currency, submitted_count, delivered_count, failed_count, expired_count,
     billable_segments, amount, cost, unrated_count, updated_at)
SELECT 'bench_' || a, d::date, (62100 + o)::text, 'USD', s, s * 9 / 10, s / 20, s - s * 9 / 10 - s / 20,
       s * (1 + a % 3), (s * (1 + a % 3)) * (0.010000 + o * 0.000125), (s * (1 + a % 3)) * 0.004000, 0, now()
FROM generate_series(1, $ACCOUNTS) a
CROSS JOIN generate_series(DATE '$FIRST_DAY', DATE '$FIRST_DAY' + ($DAYS - 1), interval '1 day') d
CROSS JOIN generate_series(1, $OPERATORS) o
CROSS JOIN LATERAL (SELECT 20 + (a * 7919 + extract(doy FROM d)::int * 104729 + o * 31) % 400 AS s) x
ORDER BY 1, 2, 3;
VACUUM (ANALYZE) billing.usage_summaries;
-- Read into shared_buffers now, so the first measured seconds do not pay for it.
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
DO \$\$ BEGIN PERFORM pg_prewarm('billing.usage_summaries'); PERFORM pg_prewarm('billing.pk_usage_summaries'); END \$\$;
SQL
rows=$("${PSQL[@]}" -d "$DB" -c "SELECT count(*) FROM billing.usage_summaries")
size=$("${PSQL[@]}" -d "$DB" -c "SELECT pg_size_pretty(pg_total_relation_size('billing.usage_summaries'))")
printf '[data] usage_summaries: %s rows (%s with its key), loaded in %d s\n' "$rows" "$size" "$((SECONDS - started))"

step "The API's read-only login role (a member of billing_reader) and a client key"
"${PSQL[@]}" -d "$DB" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_api') THEN CREATE ROLE bench_api LOGIN; END IF; END \$\$" \
    -c "GRANT billing_reader TO bench_api"
KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
READ_ONLY="Host=127.0.0.1;Port=$BILLING_PG_PORT;Database=$DB;Username=bench_api"

step "Starting the Release API as its own process on 127.0.0.1:$API_PORT (log: $BILLING_LOCAL_DIR/api.log)"
ConnectionStrings__BillingReadOnly=$READ_ONLY \
Api__Clients__bench__KeySha256=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1) \
Api__RateLimit__TokenLimit=1000000000 Api__RateLimit__TokensPerPeriod=1000000000 \
Api__DatabaseConnections=$CONNECTIONS \
S3__ServiceUrl=http://127.0.0.1:9 S3__Bucket=bench S3__KmsKeyId=bench S3__ForcePathStyle=true \
ASPNETCORE_URLS=http://127.0.0.1:$API_PORT \
    dotnet services/billing-api/bin/Release/net10.0/billing-api.dll >"$BILLING_LOCAL_DIR/api.log" 2>&1 &
echo $! >"$API_PID_FILE"
for _ in $(seq 300); do
    curl -fsS "http://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$(<"$API_PID_FILE")" 2>/dev/null || { echo "bench: the API exited; its log:" >&2; tail -n 30 "$BILLING_LOCAL_DIR/api.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$API_PORT/readyz" >/dev/null || { echo "bench: the API is not ready after 30 s" >&2; exit 1; }

step "Benchmark"
dotnet bench/Billing.ApiBench/bin/Release/net10.0/api-bench.dll \
    --url "http://127.0.0.1:$API_PORT" --key "$KEY" --connection "$READ_ONLY" \
    --accounts "$ACCOUNTS" --first-day "$FIRST_DAY" --days "$DAYS" --connections "$CONNECTIONS" \
    --api-pid "$(<"$API_PID_FILE")" --pg-pid-file "$BILLING_LOCAL_DIR/pg/data/postmaster.pid" "$@"
