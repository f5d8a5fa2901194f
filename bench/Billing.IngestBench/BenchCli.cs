using System.CommandLine;
using Billing.Core.Messaging;
using Billing.IngestWorker;
using Microsoft.Extensions.Configuration;

namespace Billing.IngestBench;

/// <summary>What one run measures and where it finds its servers and the worker.</summary>
internal sealed record BenchSettings
{
    /// <summary>Events in the backlog (distinct, valid, no faulty copies).</summary>
    public required int Events { get; init; }

    /// <summary>The worker's <c>Ingest:BatchSize</c>; also the raw loops' fetch and COPY batch size.</summary>
    public required int BatchSize { get; init; }

    /// <summary>True when the batch size was given, so the worker is started with <c>Ingest__BatchSize</c>.</summary>
    public required bool BatchSizeGiven { get; init; }

    public required int Seed { get; init; }

    public required int InFlight { get; init; }

    public required double LiveRate { get; init; }

    public required TimeSpan LiveDuration { get; init; }

    public required string WorkerDll { get; init; }

    public required int WorkerPort { get; init; }

    public required string LogDirectory { get; init; }

    public required string SampleDirectory { get; init; }

    public required string ConnectionString { get; init; }

    public required NatsOptions Nats { get; init; }

    /// <summary>nats-server's pid, for CPU accounting; null to leave it out.</summary>
    public int? NatsPid { get; init; }

    /// <summary>The postmaster's pid (its backends are its children), for CPU accounting; null to leave it out.</summary>
    public int? PostgresPid { get; init; }
}

/// <summary>
/// <c>ingest-bench</c>: the ingest benchmark (README, Performance). The servers, the database, the streams and the
/// consumer come from the environment that <c>bench/ingest.sh</c> prepares: <c>ConnectionStrings__Billing</c> and the
/// <c>Nats__*</c> variables. Exit codes: 0 measured (whether or not the targets were met), 1 an error or a correctness
/// failure (events lost or stored twice, summaries not equal to their sums), 2 bad usage.
/// </summary>
internal static class BenchCli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var events = new Option<int>("--events") { Description = "Events in the backlog.", DefaultValueFactory = _ => 200_000 };
        var batchSize = new Option<int?>("--batch-size") { Description = $"The worker's Ingest__BatchSize, also the raw loops' batch size (default: the worker's, {new IngestOptions().BatchSize:N0})." };
        var seed = new Option<int>("--seed") { Description = "Seed of the backlog's traffic (the live phase uses seed + 1).", DefaultValueFactory = _ => 42 };
        var inFlight = new Option<int>("--in-flight") { Description = "Backlog publishes awaiting their ack at once.", DefaultValueFactory = _ => 1024 };
        var liveRate = new Option<double>("--live-rate") { Description = "Events per second in the latency phase.", DefaultValueFactory = _ => 2000 };
        var liveSeconds = new Option<int>("--live-seconds") { Description = "Length of the latency phase.", DefaultValueFactory = _ => 30 };
        var worker = new Option<FileInfo>("--worker") { Description = "The built ingest-worker.dll.", Required = true };
        var workerPort = new Option<int>("--worker-port") { Description = "Port of the worker's /metrics and /readyz (127.0.0.1).", DefaultValueFactory = _ => 29881 };
        var logDirectory = new Option<DirectoryInfo>("--log-dir") { Description = "Where the workers' logs go.", DefaultValueFactory = _ => new DirectoryInfo(Path.GetTempPath()) };
        var natsPidFile = new Option<string?>("--nats-pid-file") { Description = "nats-server's pid file, to count its CPU time." };
        var postgresPidFile = new Option<string?>("--pg-pid-file") { Description = "PostgreSQL's postmaster.pid, to count the CPU time of the server and its backends." };
        var sample = new Option<DirectoryInfo>("--sample") { Description = "The sample reference data (accounts.csv, operators.csv, pricing.csv).", DefaultValueFactory = _ => new DirectoryInfo("sample") };

        var root = new RootCommand("ingest-bench: the ingest worker's drain rate, peak RSS and latency, next to the raw NATS and COPY limits.")
        {
            events, batchSize, seed, inFlight, liveRate, liveSeconds, worker, workerPort, logDirectory, sample, natsPidFile, postgresPidFile,
        };
        root.SetAction(async (result, ct) =>
        {
            var problems = new List<string>();
            Require(result.GetValue(events) >= 1, "--events must be positive");
            Require(result.GetValue(batchSize) is null or (>= 1 and <= NatsTopology.MaxAckPending), $"--batch-size must be 1 to {NatsTopology.MaxAckPending:N0} (the consumer's max_ack_pending)");
            Require(result.GetValue(inFlight) >= 1, "--in-flight must be positive");
            Require(result.GetValue(liveRate) is > 0 and < 1e6, "--live-rate must be a positive number");
            Require(result.GetValue(liveSeconds) >= 1, "--live-seconds must be positive");
            Require(result.GetValue(worker)!.Exists, $"worker not found: {result.GetValue(worker)!.FullName} (build it: dotnet build -c Release)");
            Require(result.GetValue(sample)!.Exists, $"sample directory not found: {result.GetValue(sample)!.FullName}");
            var connectionString = configuration.GetConnectionString("Billing");
            Require(!string.IsNullOrWhiteSpace(connectionString), "set ConnectionStrings__Billing (bench/ingest.sh does)");
            Require(!string.IsNullOrWhiteSpace(configuration["Nats:Url"]), "set Nats__Url (bench/ingest.sh does)");
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"ingest-bench: {problem}");
                }
                return BadUsage;
            }

            var nats = new NatsOptions();
            configuration.GetSection(NatsOptions.Section).Bind(nats);
            var settings = new BenchSettings
            {
                Events = result.GetValue(events),
                BatchSize = result.GetValue(batchSize) ?? new IngestOptions().BatchSize,
                BatchSizeGiven = result.GetValue(batchSize) is not null,
                Seed = result.GetValue(seed),
                InFlight = result.GetValue(inFlight),
                LiveRate = result.GetValue(liveRate),
                LiveDuration = TimeSpan.FromSeconds(result.GetValue(liveSeconds)),
                WorkerDll = result.GetValue(worker)!.FullName,
                WorkerPort = result.GetValue(workerPort),
                LogDirectory = result.GetValue(logDirectory)!.FullName,
                SampleDirectory = result.GetValue(sample)!.FullName,
                ConnectionString = connectionString!,
                Nats = nats,
                NatsPid = CpuAccounting.PidFrom(result.GetValue(natsPidFile)),
                PostgresPid = CpuAccounting.PidFrom(result.GetValue(postgresPidFile)),
            };
            try
            {
                return await new IngestBenchmark(settings, output).RunAsync(ct) ? Ok : Failed;
            }
            catch (BenchmarkException e)
            {
                await error.WriteLineAsync($"ingest-bench: {e.Message}");
                return Failed;
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or Npgsql.NpgsqlException or IOException)
            {
                await error.WriteLineAsync($"ingest-bench: {e.GetType().Name}: {e.Message}");
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
                await error.WriteLineAsync($"ingest-bench: {parseError.Message}");
            }
            return BadUsage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }
}

/// <summary>The run cannot go on (a server, the worker or a precondition failed); the message says what happened.</summary>
internal sealed class BenchmarkException(string message, Exception? inner = null) : Exception(message, inner);
