#!/usr/bin/env bash
# The whole job end to end on local real servers:
#   installs what is missing; starts PostgreSQL, NATS (JetStream) and Ceph RGW (S3); migrates; provisions NATS and S3;
#   imports the sample reference data (preflight shows the deliberate pricing gap); starts the ingest worker and the
#   API as separate processes with the consumer flag on; publishes a month of traffic for the sample accounts
#   (including events on the unpriced pair, stored as pricing_not_found); waits until the consumer is drained; imports
#   the missing rule with --rerate; runs the invoice worker for that month; shows the invoices, downloads one PDF
#   through the API and prints the curl line to query the API.
# Idempotent: run it again and it finds the work done (the traffic has a fixed seed, so nothing is counted twice).
#
#   scripts/demo.sh          the whole job (make demo)
#   scripts/demo.sh stop     stops the worker and the API the demo started (make stop also stops the servers)
set -euo pipefail
ROOT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT_DIR"

STATE_DIR=$(realpath -m -- "${BILLING_LOCAL_DIR:-$ROOT_DIR/.local}")
DEMO_DIR=$STATE_DIR/demo
API_PORT=${BILLING_DEMO_API_PORT:-28080}
WORKER_PORT=${BILLING_DEMO_WORKER_PORT:-28081}
EVENTS=${BILLING_DEMO_EVENTS:-60000}
BIN=Release/net10.0

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# stop_app NAME: stops a process this script started (SIGTERM, then SIGKILL after 30 s).
stop_app() {
    local pidfile=$DEMO_DIR/$1.pid pid
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

if [[ ${1:-} == stop ]]; then
    stop_app billing-api
    stop_app ingest-worker
    exit 0
fi
[[ $# -eq 0 ]] || die "usage: scripts/demo.sh [stop]"

# start_app NAME DLL: starts a built program in the background, logging to $DEMO_DIR/NAME.log.
start_app() {
    local name=$1 dll=$2
    stop_app "$name"
    setsid dotnet "$dll" >"$DEMO_DIR/$name.log" 2>&1 < /dev/null &
    echo $! >"$DEMO_DIR/$name.pid"
}

# wait_ready NAME URL: waits until URL answers 200 (the process's /readyz), or fails showing the log's tail.
wait_ready() {
    local name=$1 url=$2
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        kill -0 "$(<"$DEMO_DIR/$name.pid")" 2>/dev/null || { tail -n 20 "$DEMO_DIR/$name.log" >&2; die "$name exited"; }
        sleep 0.1
    done
    tail -n 20 "$DEMO_DIR/$name.log" >&2
    die "$name did not become ready at $url within 60 s"
}

command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH"
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$DEMO_DIR"

step "Starting local servers (PostgreSQL 15, nats-server with JetStream, Ceph RGW as S3)"
scripts/local-servers.sh start >/dev/null
eval "$(scripts/local-servers.sh env)"
PSQL=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${BILLING_PG_PORT:-25432}" -U postgres -d billing)

step "Building (Release)"
dotnet build Billing.sln -c Release -nologo -v quiet -clp:ErrorsOnly
ops() { dotnet "migrations/bin/$BIN/billing-ops.dll" "$@"; }

step "billing-ops migrate"
ops migrate

step "billing-ops provision nats"
ops provision nats

step "billing-ops provision s3 (RGW has no bucket default encryption: every upload asks for SSE-KMS itself)"
ops provision s3

step "billing-ops import (sample reference data)"
for kind in tiers operators accounts pricing operator-costs; do
    ops import "$kind" "sample/$kind.csv"
done

step "billing-ops preflight (the sample data leaves business x Orange France (20801) unpriced on purpose)"
if ops preflight; then
    echo "(no gap: an earlier demo run imported the missing rule)"
else
    echo "(preflight exits non-zero while a gap exists, as it must)"
fi

step "Starting the ingest worker (consumer flag on) and the API as separate processes"
# The API reads through a read-only login role (member of billing_reader), as in production.
"${PSQL[@]}" -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'billing_api') THEN CREATE ROLE billing_api LOGIN; END IF;
    GRANT billing_reader TO billing_api; END \$\$;"
# A demo API key, made once and kept outside the repository; the API is configured with its SHA-256 only.
[[ -s $DEMO_DIR/api-key ]] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DEMO_DIR/api-key")
API_KEY=$(<"$DEMO_DIR/api-key")
BILLING_CONSUMER_ENABLED=true Worker__HttpPort=$WORKER_PORT \
    start_app ingest-worker "services/ingest-worker/bin/$BIN/ingest-worker.dll"
ConnectionStrings__BillingReadOnly="Host=127.0.0.1;Port=${BILLING_PG_PORT:-25432};Database=billing;Username=billing_api" \
    Api__Clients__demo__KeySha256=$(printf '%s' "$API_KEY" | sha256sum | cut -d' ' -f1) \
    ASPNETCORE_URLS=http://127.0.0.1:$API_PORT \
    start_app billing-api "services/billing-api/bin/$BIN/billing-api.dll"
wait_ready ingest-worker "http://127.0.0.1:$WORKER_PORT/readyz"
wait_ready billing-api "http://127.0.0.1:$API_PORT/readyz"
echo "ingest-worker: http://127.0.0.1:$WORKER_PORT/metrics   billing-api: http://127.0.0.1:$API_PORT   logs: $DEMO_DIR/*.log"
api() { curl -fsS -H "Authorization: Bearer $API_KEY" "http://127.0.0.1:$API_PORT$1"; }

MONTH=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
step "Publishing a month of traffic ($MONTH, $EVENTS events, fixed seed) and waiting until the consumer is drained"
dotnet "tools/event-generator/bin/$BIN/event-generator.dll" --count "$EVENTS" --month "$MONTH" --seed 2026 \
    --unpriced 0.01 --unknown-accounts 0.002 --duplicates 0.01 --redeliveries 0.005 --poison 0.0002 --wait-drained 300

step "GET /v1/ops/status: what could not be priced, and what was dead-lettered"
api /v1/ops/status; echo

step "billing-ops import pricing sample/pricing-gap-fill.csv --rerate (the missing rule arrives; its events are priced)"
ops import pricing sample/pricing-gap-fill.csv --rerate
ops preflight

step "invoice-worker --period $MONTH"
Serilog__MinimumLevel__Default=Warning dotnet "services/invoice-worker/bin/$BIN/invoice-worker.dll" --period "$MONTH"

step "The invoices of $MONTH"
"${PSQL[@]}" -c "SELECT number, account_id AS account, currency, to_char(total, 'FM999G999G990D00') AS total, status
    FROM billing.invoices WHERE period_start = '$MONTH-01' ORDER BY number"

step "One invoice PDF, downloaded through the API (a presigned S3 URL) and checked against the invoice's SHA-256"
read -r INVOICE_ID NUMBER SHA256 < <("${PSQL[@]}" -At -F ' ' -c "SELECT id, number, pdf_sha256 FROM billing.invoices
    WHERE period_start = '$MONTH-01' ORDER BY number LIMIT 1")
LOCATION=$(curl -fsS -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $API_KEY" \
    "http://127.0.0.1:$API_PORT/v1/invoices/$INVOICE_ID/pdf")
PDF=$DEMO_DIR/$NUMBER.pdf
if [[ -n $LOCATION ]]; then curl -fsS -o "$PDF" "$LOCATION"; else api "/v1/invoices/$INVOICE_ID/pdf" >"$PDF"; fi
[[ $(sha256sum "$PDF" | cut -d' ' -f1) == "$SHA256" ]] || die "the downloaded PDF does not match the invoice's SHA-256"
echo "$PDF ($(stat -c %s "$PDF") bytes, SHA-256 matches the invoice row)"

step "Done"
ACCOUNT=$("${PSQL[@]}" -At -c "SELECT account_id FROM billing.invoices WHERE id = '$INVOICE_ID'")
FROM=$MONTH-01
TO=$(date -u -d "$FROM +1 month -1 day" +%F)
echo "The servers, the ingest worker and the API keep running; 'make stop' stops them all. Query the API:"
echo "  curl -H \"Authorization: Bearer \$(cat $DEMO_DIR/api-key)\" \"http://127.0.0.1:$API_PORT/v1/accounts/$ACCOUNT/usage?from=$FROM&to=$TO&granularity=month\""
echo "  (and /v1/accounts/$ACCOUNT/invoices, /v1/invoices/$INVOICE_ID, /v1/pricing/gaps, /v1/ops/status, /openapi/v1.json)"
echo "To use the servers from this shell: eval \"\$(scripts/local-servers.sh env)\""
