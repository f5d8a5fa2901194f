using System.CommandLine;
using Billing.Core.Messaging;
using Billing.Core.Storage;
using Billing.IngestBench;
using Billing.InvoiceWorker.Invoicing;
using Microsoft.Extensions.Configuration;

namespace Billing.InvoiceBench;

/// <summary>What one run measures and where it finds its servers, the worker and <c>billing-ops</c>.</summary>
internal sealed record BenchSettings
{
    public required InvoicePeriod Period { get; init; }

    /// <summary>Generated accounts, one invoice each.</summary>
    public required int Accounts { get; init; }

    /// <summary>Messages per account and operator (each a submitted event and its receipt).</summary>
    public required int Messages { get; init; }

    public required int Seed { get; init; }

    /// <summary>The worker's <c>Invoicing:Parallelism</c>; also the raw loops' parallelism.</summary>
    public required int Parallelism { get; init; }

    /// <summary>True when the parallelism was given, so the worker is started with <c>Invoicing__Parallelism</c>.</summary>
    public required bool ParallelismGiven { get; init; }

    public string ParallelismText => ParallelismGiven ? $"{Parallelism} (Invoicing__Parallelism)" : $"{Parallelism} (the worker's default)";

    /// <summary>The worker's <c>Invoicing:IssueBatchSize</c> when given; null for its default.</summary>
    public int? IssueBatchSize { get; init; }

    public required string WorkerDll { get; init; }

    public required string OpsDll { get; init; }

    public required int WorkerPort { get; init; }

    public required string LogDirectory { get; init; }

    public required string ConnectionString { get; init; }

    public required NatsOptions Nats { get; init; }

    public required S3Options S3 { get; init; }

    /// <summary>The postmaster's pid (its backends are its children), for CPU accounting; null to leave it out.</summary>
    public int? PostgresPid { get; init; }

    public int? NatsPid { get; init; }

    /// <summary>ceph-mon, ceph-osd and radosgw: the S3 server's processes.</summary>
    public required IReadOnlyList<int> CephPids { get; init; }
}

/// <summary>
/// <c>invoice-bench</c>: the invoice benchmark (README, Performance). The servers and the database come from the
/// environment that <c>bench/invoice.sh</c> prepares: <c>ConnectionStrings__Billing</c>, <c>Nats__*</c>, <c>S3__*</c> and
/// the AWS SDK's variables. Exit codes: 0 measured (whether or not the targets were met), 1 an error or a run that did
/// not do its job (an invoice not issued, stored or announced once, a PDF that differs when rendered again), 2 bad usage.
/// </summary>
internal static class BenchCli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var defaults = new InvoiceOptions();
        var period = new Option<string?>("--period") { Description = "The month to invoice, YYYY-MM (default: the previous month, UTC, as the worker's)." };
        var accounts = new Option<int>("--accounts") { Description = "Generated accounts (one invoice each).", DefaultValueFactory = _ => 10_000 };
        var messages = new Option<int>("--messages") { Description = "Messages per account and operator (a submitted event and its receipt each).", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated accounts and usage.", DefaultValueFactory = _ => 42 };
        var parallelism = new Option<int?>("--parallelism") { Description = $"The worker's Invoicing__Parallelism, also the raw loops' (default: the worker's, {defaults.Parallelism})." };
        var issueBatch = new Option<int?>("--issue-batch-size") { Description = $"The worker's Invoicing__IssueBatchSize (default: the worker's, {defaults.IssueBatchSize})." };
        var worker = new Option<FileInfo>("--worker") { Description = "The built invoice-worker.dll.", Required = true };
        var ops = new Option<FileInfo>("--ops") { Description = "The built billing-ops.dll (imports the generated reference data).", Required = true };
        var workerPort = new Option<int>("--worker-port") { Description = "Port of the worker's /metrics (127.0.0.1).", DefaultValueFactory = _ => 30881 };
        var logDirectory = new Option<DirectoryInfo>("--log-dir") { Description = "Where the generated CSVs and the worker's log go.", DefaultValueFactory = _ => new DirectoryInfo(Path.GetTempPath()) };
        var postgresPidFile = new Option<string?>("--pg-pid-file") { Description = "PostgreSQL's postmaster.pid, to count the CPU time of the server and its backends." };
        var natsPidFile = new Option<string?>("--nats-pid-file") { Description = "nats-server's pid file, to count its CPU time." };
        var cephRunDir = new Option<DirectoryInfo?>("--ceph-run-dir") { Description = "The directory of ceph-mon's, ceph-osd's and radosgw's pid files, to count their CPU time." };

        var root = new RootCommand("invoice-bench: the invoice run's rate, per-invoice time, PDF size and peak RSS, next to the raw render and upload limits.")
        {
            period, accounts, messages, seed, parallelism, issueBatch, worker, ops, workerPort, logDirectory, postgresPidFile, natsPidFile, cephRunDir,
        };
        root.SetAction(async (result, ct) =>
        {
            var problems = new List<string>();
            var chosen = InvoicePeriod.PreviousMonth(TimeProvider.System);
            if (result.GetValue(period) is { } text && !InvoicePeriod.TryParse(text, out chosen))
            {
                problems.Add($"--period must be YYYY-MM, not '{text}'");
            }
            Require(result.GetValue(accounts) is >= 1 and <= 99_999, "--accounts must be 1 to 99,999");
            Require(result.GetValue(messages) is >= 1 and <= 1_000, "--messages must be 1 to 1,000");
            Require(result.GetValue(parallelism) is null or (>= 1 and <= 256), "--parallelism must be 1 to 256");
            Require(result.GetValue(issueBatch) is null or (>= 1 and <= 100_000), "--issue-batch-size must be 1 to 100,000");
            Require(result.GetValue(worker)!.Exists, $"worker not found: {result.GetValue(worker)!.FullName} (build it: dotnet build -c Release)");
            Require(result.GetValue(ops)!.Exists, $"billing-ops not found: {result.GetValue(ops)!.FullName} (build it: dotnet build -c Release)");
            var connectionString = configuration.GetConnectionString("Billing");
            Require(!string.IsNullOrWhiteSpace(connectionString), "set ConnectionStrings__Billing (bench/invoice.sh does)");
            Require(!string.IsNullOrWhiteSpace(configuration["Nats:Url"]), "set Nats__Url (bench/invoice.sh does)");
            var s3 = S3Options.Bind(configuration);
            foreach (var problem in s3.Validate())
            {
                problems.Add(problem);
            }
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"invoice-bench: {problem}");
                }
                return BadUsage;
            }

            var nats = new NatsOptions();
            configuration.GetSection(NatsOptions.Section).Bind(nats);
            var cephPids = result.GetValue(cephRunDir) is { } run
                ? new[] { "mon.a", "osd.0", "client.rgw.a" }.Select(name => CpuAccounting.PidFrom(Path.Combine(run.FullName, $"{name}.pid"))).OfType<int>().ToList()
                : [];
            var settings = new BenchSettings
            {
                Period = chosen,
                Accounts = result.GetValue(accounts),
                Messages = result.GetValue(messages),
                Seed = result.GetValue(seed),
                Parallelism = result.GetValue(parallelism) ?? defaults.Parallelism,
                ParallelismGiven = result.GetValue(parallelism) is not null,
                IssueBatchSize = result.GetValue(issueBatch),
                WorkerDll = result.GetValue(worker)!.FullName,
                OpsDll = result.GetValue(ops)!.FullName,
                WorkerPort = result.GetValue(workerPort),
                LogDirectory = result.GetValue(logDirectory)!.FullName,
                ConnectionString = connectionString!,
                Nats = nats,
                S3 = s3,
                PostgresPid = CpuAccounting.PidFrom(result.GetValue(postgresPidFile)),
                NatsPid = CpuAccounting.PidFrom(result.GetValue(natsPidFile)),
                CephPids = cephPids,
            };
            try
            {
                return await new InvoiceBenchmark(settings, output).RunAsync(ct) ? Ok : Failed;
            }
            catch (BenchmarkException e)
            {
                await error.WriteLineAsync($"invoice-bench: {e.Message}");
                return Failed;
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or Npgsql.NpgsqlException or Amazon.Runtime.AmazonServiceException or IOException)
            {
                await error.WriteLineAsync($"invoice-bench: {e.GetType().Name}: {e.Message}");
                return Failed;
            }

            void Require(bool condition, string problem)
            {
                if (!condition)
                {
                    problems.Add(problem);
                }
            }
        });

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync($"invoice-bench: {parseError.Message}");
            }
            return BadUsage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }
}

/// <summary>The run cannot go on (a server, the worker or a precondition failed); the message says what happened.</summary>
internal sealed class BenchmarkException(string message, Exception? inner = null) : Exception(message, inner);
