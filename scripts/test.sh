#!/usr/bin/env bash
# Runs the whole test suite on real local servers: installs and starts PostgreSQL 15, nats-server (JetStream) and
# Ceph RGW (S3) if needed, builds the solution (warnings are errors), runs every NUnit project, and prints one
# closing line "N passed, N failed". Exit status is non-zero when anything fails. Idempotent.
set -euo pipefail
ROOT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT_DIR"

command -v dotnet >/dev/null || { echo "test: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }

# Start every server once, up front, so that a broken install fails here with its own message; the test
# fixtures find them running (starting is idempotent) and give each fixture its own database, streams and bucket prefix.
scripts/local-servers.sh start >/dev/null

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Billing.sln -c Release -warnaserror -nologo -v minimal

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test Billing.sln -c Release --no-build --nologo --logger "trx" --results-directory "$results" \
    | tee "$results/console.log" || status=$?

# One plain closing line for whoever reads the log: the totals over every test project.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
    [[ -f $trx ]] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); passed=$((passed + ${p:-0}))
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$((failed + ${f:-0}))
    n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$((skipped + ${n:-0}))
done
if (( passed == 0 && status == 0 )); then
    echo "test: no test ran" >&2
    status=1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
