# The two commands: `make demo` runs the main job end to end on local servers, `make test` runs the whole suite.
# Both install what is missing and are idempotent. `make stop` stops the local servers.
.PHONY: demo test stop build sql-script servers clean bench-ingest bench-api

demo:
	scripts/demo.sh

test:
	scripts/test.sh

stop:
	scripts/demo.sh stop
	scripts/local-servers.sh stop

build:
	dotnet build Billing.sln -warnaserror

servers:
	scripts/local-servers.sh start

# The ingest benchmark on its own durable servers (README, Performance); not a test. BENCH_ARGS go to the benchmark.
bench-ingest:
	bench/ingest.sh $(BENCH_ARGS)

# The API benchmark: the usage route against its raw query on a year of summaries (README, Performance); not a test.
bench-api:
	bench/api.sh $(BENCH_ARGS)

# Regenerates the idempotent SQL script the CI migration pipeline applies (a test fails while it is stale).
sql-script:
	dotnet run --project migrations -- sql-script --output migrations/billing-schema.sql

clean:
	dotnet clean Billing.sln -v quiet
