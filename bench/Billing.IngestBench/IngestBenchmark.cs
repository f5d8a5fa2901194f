using System.Diagnostics;
using System.Globalization;
using Billing.Core.Data;
using Billing.Core.Domain;
using Billing.Core.Rating;
using Billing.EventGenerator;
using Billing.IngestWorker;
using Microsoft.EntityFrameworkCore;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace Billing.IngestBench;

/// <summary>
/// One run, in order: (1) publish the backlog; (2) raw limit A, a bare fetch+ack loop over it; (3) raw limit B, a bare
/// binary COPY of its rows; (4) the worker drains it; (5) a fresh worker under live traffic at a moderate rate, for
/// latency; (6) the figures against the targets. Each phase has the machine to itself (nothing else of the benchmark
/// runs meanwhile but a 10 ms poll of the database), and a CHECKPOINT before each database phase keeps one
/// phase's dirty pages from being written during the next.
/// </summary>
internal sealed class IngestBenchmark(BenchSettings settings, TextWriter output)
{
    public const double DrainTarget = 30_000;
    public const double RatioTarget = 1.0 / 3;
    public const long RssTarget = 300L * 1024 * 1024;
    public static readonly TimeSpan LatencyTarget = TimeSpan.FromSeconds(1);

    private const string RawConsumer = "ingest-bench-raw";
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Returns false on a correctness failure (events lost or stored twice, summaries off); throws on errors.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(settings.ConnectionString);
        await using var nats = new NatsConnection(new NatsOpts { Url = settings.Nats.Url, Name = "ingest-bench" });
        await nats.ConnectAsync();
        var js = new NatsJSContext(nats);
        var stream = await js.GetStreamAsync(settings.Nats.EventsStream, cancellationToken: cancellationToken);
        if (stream.Info.State.Messages != 0)
        {
            throw new BenchmarkException($"stream {settings.Nats.EventsStream} is not empty ({stream.Info.State.Messages:N0} messages): give the run fresh stream names");
        }
        var workerConsumer = await js.GetConsumerAsync(settings.Nats.EventsStream, settings.Nats.EventsConsumer, cancellationToken);

        await PrintHeaderAsync(dataSource, nats, cancellationToken);
        var reference = TrafficReferenceData.LoadCsv(
            Path.Combine(settings.SampleDirectory, "accounts.csv"),
            Path.Combine(settings.SampleDirectory, "operators.csv"),
            Path.Combine(settings.SampleDirectory, "pricing.csv"));

        // 1. The backlog: valid events only (no faulty copies), so every message is one event to store.
        var backlogPlan = new TrafficPlan { Seed = settings.Seed, Events = settings.Events, ReferenceData = reference, Window = TrafficWindow.Live(TimeProvider.System) };
        var backlog = await new EventPublisher(js, new EventPublisherOptions { SubjectPrefix = settings.Nats.SubjectPrefix, MaxInFlight = settings.InFlight }, TimeProvider.System)
            .PublishAsync(TrafficGenerator.Generate(backlogPlan), cancellationToken);
        await stream.RefreshAsync(cancellationToken);
        var messages = (long)stream.Info.State.Messages;
        if (messages != settings.Events || backlog.StoredByServer != settings.Events)
        {
            throw new BenchmarkException($"the stream holds {messages:N0} messages after publishing {settings.Events:N0} events ({backlog.StoredByServer:N0} stored by the server)");
        }
        Line("1 backlog", $"published {backlog.Published:N0} events ({Window(backlogPlan.Window)}, seed {settings.Seed}) in {Seconds(backlog.Elapsed)}: {backlog.Rate:N0} events/s, {settings.InFlight:N0} publishes in flight");

        // 2. Raw limit A.
        var cpu = Cpu();
        var rawNats = await RawFetchAck.RunAsync(js, settings.Nats, RawConsumer, messages, settings.BatchSize, cancellationToken);
        var rawNatsCpu = Cpu() - cpu;
        Line("2 raw NATS", $"fetch+ack of {rawNats.Count:N0} messages, batches of {settings.BatchSize:N0}, second durable consumer: {Seconds(rawNats.Elapsed)}, {rawNats.Rate:N0} events/s");
        CpuLine("2 raw NATS", messages, ("bench loop", rawNatsCpu.Bench), ("nats-server", rawNatsCpu.Nats));

        // 3. Raw limit B: the same rows, regenerated from the same plan (each enumeration gives the same publications).
        var catalog = await LoadCatalogAsync(dataSource, cancellationToken);
        var rows = RawCopy.Decode(TrafficGenerator.Generate(backlogPlan), catalog);
        var decodedIds = rows.Select(r => r.Event.EventId).ToHashSet();
        if (!decodedIds.SetEquals(backlog.Expected.EventIds))
        {
            throw new BenchmarkException("the regenerated backlog differs from the published one");
        }
        await RawCopy.CreateTableAsync(dataSource, cancellationToken);
        await CheckpointAsync(dataSource, cancellationToken);
        cpu = Cpu();
        var rawCopy = await RawCopy.RunAsync(dataSource, rows, settings.BatchSize, cancellationToken);
        var rawCopyCpu = Cpu() - cpu;
        await ExpectCopiedAsync(dataSource, rows.Count, cancellationToken);
        Line("3 raw COPY", $"binary COPY of the same {rawCopy.Count:N0} rows into an unindexed table, {Transactions(rows.Count, settings.BatchSize)} of {settings.BatchSize:N0}: {Seconds(rawCopy.Elapsed)}, {rawCopy.Rate:N0} events/s");
        CpuLine("3 raw COPY", rows.Count, ("bench loop", rawCopyCpu.Bench), ("postgres", rawCopyCpu.Postgres));
        await RawCopy.TruncateAsync(dataSource, cancellationToken);
        await CheckpointAsync(dataSource, cancellationToken);
        var oneCopy = await RawCopy.RunAsync(dataSource, rows, rows.Count, cancellationToken);
        await ExpectCopiedAsync(dataSource, rows.Count, cancellationToken);
        Line("3 raw COPY", $"the same rows as one COPY in one transaction: {Seconds(oneCopy.Elapsed)}, {oneCopy.Rate:N0} events/s (for reference)");
        await RawCopy.DropTableAsync(dataSource, cancellationToken);
        var lastEventId = rows[^1].Event.EventId; // published last, so at the stream's last sequence
        rows = null;

        // 4. The worker drains the backlog.
        await CheckpointAsync(dataSource, cancellationToken);
        var drain = await DrainAsync(dataSource, workerConsumer, messages, lastEventId, cancellationToken);
        Line("4 worker", $"drained {messages:N0} events in {Seconds(drain.Elapsed)}: {drain.Rate:N0} events/s (first fetch to last commit), peak RSS {Megabytes(drain.PeakRss)}, batch size {settings.BatchSize:N0}");
        Line("4 worker", $"window: first delivery (consumer state) to last commit (database), each polled every {StoreWatch.Interval.TotalMilliseconds:N0} ms; cross-check: received_at spans {Seconds(drain.ReceivedAtSpan)} (first to last batch's write)");
        CpuLine("4 worker", messages, ("worker", drain.Cpu.Worker), ("nats-server", drain.Cpu.Nats), ("postgres", drain.Cpu.Postgres));
        var drained = await Verification.RunAsync(dataSource, backlog.Expected.EventIds, cancellationToken);
        Line("4 check", drained.Describe(settings.Events));

        // 5. Latency at a moderate live rate, through a fresh worker so its latency histogram sees this phase only.
        var latency = await LiveAsync(dataSource, js, workerConsumer, reference, cancellationToken);
        Line("5 latency", $"{latency.Events:N0} live events at {latency.PublishRate:N0}/s for {Seconds(latency.PublishElapsed)}: publish-to-commit p50 {Seconds(latency.P50, 3)}, p90 {Seconds(latency.P90, 3)}, p99 {Seconds(latency.P99, 3)}; peak RSS {Megabytes(latency.PeakRss)}");
        Line("5 latency", $"from the worker's billing_ingest_publish_to_commit_seconds ({latency.Observations:N0} observations: the stream's receipt of each message to the commit that stored it; quantiles estimated within its buckets as histogram_quantile does)");
        Line("5 latency", $"cross-check by the benchmark, publish to the start of the batch's write (received_at): p50 {Seconds(latency.WriteStartP50, 3)}, p99 {Seconds(latency.WriteStartP99, 3)}");
        var all = backlog.Expected.EventIds.Concat(latency.Expected).ToHashSet();
        var afterLive = await Verification.RunAsync(dataSource, all, cancellationToken);
        Line("5 check", afterLive.Describe(all.Count));

        // 6. Summary.
        var slower = rawNats.Rate <= rawCopy.Rate ? (Name: "raw NATS", Rate: rawNats.Rate) : (Name: "raw COPY", Rate: rawCopy.Rate);
        var ratio = drain.Rate / slower.Rate;
        var peakRss = Math.Max(drain.PeakRss, latency.PeakRss);
        output.WriteLine("[6 summary]");
        Target("drain rate", $"{drain.Rate:N0} events/s", $">= {DrainTarget:N0} events/s", drain.Rate >= DrainTarget);
        Target("vs raw limit", $"{ratio:N2} of {slower.Name} ({slower.Rate:N0}/s, the slower)", $">= {RatioTarget:N2}", ratio >= RatioTarget);
        Target("worker peak RSS", Megabytes(peakRss), $"< {Megabytes(RssTarget)}", peakRss < RssTarget);
        Target("p99 latency", $"{Seconds(latency.P99, 3)} at {settings.LiveRate:N0}/s", $"< {Seconds(LatencyTarget)}", latency.P99 < LatencyTarget);
        var correct = drained.Passed && afterLive.Passed;
        Target("correctness", correct ? "no loss, no duplicate, summaries = sums" : "see the checks above", "exact", correct);
        Line("machine", $"{CpuAccounting.MachineState()} at the end (other processes on the machine share its {Environment.ProcessorCount} cores)");
        return correct;
    }

    private sealed record DrainResult(long Events, TimeSpan Elapsed, long PeakRss, TimeSpan ReceivedAtSpan, CpuSnapshot Cpu)
    {
        public double Rate => Events / Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Starts the worker and measures its drain, from its first fetch to its last commit. The start is the first delivery
    /// to the worker's consumer (its <c>delivered</c> sequence leaves 0: the server is answering the first fetch), seen by
    /// polling the consumer's state every 10 ms while the worker starts. The end is the commit of the last batch, seen by
    /// polling the database every 10 ms: a primary-key lookup of the stream's last event, then an exact count of the
    /// stored ids (the consumer is not polled during the drain: on nats-server 2.9 that cost more CPU than the drain's own
    /// fetches). Each instant is seen at most ~10 ms late, so the window is exact to within about 10 ms, under 0.3 % of a
    /// drain of several seconds. Process start-up (runtime, catalog, binding) is outside it, as it should be. The
    /// database's received_at (when each batch's write began) is an independent cross-check: its span runs from the
    /// first batch's write to the last one's, so it is shorter than the window by about one batch.
    /// </summary>
    private async Task<DrainResult> DrainAsync(NpgsqlDataSource dataSource, INatsJSConsumer consumer, long messages, Guid lastEventId, CancellationToken cancellationToken)
    {
        await using var worker = StartWorker("worker-drain.log");
        try
        {
            var first = await ConsumerWatch.WaitUntilAsync(consumer, info => info.Delivered.ConsumerSeq > 0, StoreWatch.Interval, TimeSpan.FromMinutes(2),
                "the worker's first fetch", cancellationToken, () => Exited(worker));
            var cpu = Cpu(worker.Id);
            var end = await StoreWatch.WaitForStoredAsync(dataSource, lastEventId, messages, DrainTimeout, "the worker's drain", () => Exited(worker), cancellationToken);
            cpu = Cpu(worker.Id) - cpu;
            // Not timed: every message acked once its batch committed.
            await ConsumerWatch.WaitUntilAsync(consumer, info => info.NumPending == 0 && info.NumAckPending == 0, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(30),
                "the worker's acks", cancellationToken, () => Exited(worker));
            var peak = worker.PeakRssBytes();
            var span = await ReceivedAtSpanAsync(dataSource, cancellationToken);
            await worker.StopAsync(TimeSpan.FromSeconds(30));
            return new DrainResult(messages, Stopwatch.GetElapsedTime(first, end), peak, span, cpu);
        }
        catch (BenchmarkException e)
        {
            throw new BenchmarkException($"{e.Message}\nlast lines of {worker.LogPath}:\n{worker.Tail}");
        }
    }

    private sealed record LiveResult(
        int Events, double PublishRate, TimeSpan PublishElapsed, TimeSpan P50, TimeSpan P90, TimeSpan P99, long Observations,
        TimeSpan WriteStartP50, TimeSpan WriteStartP99, long PeakRss, IReadOnlySet<Guid> Expected);

    private async Task<LiveResult> LiveAsync(NpgsqlDataSource dataSource, NatsJSContext js, INatsJSConsumer consumer, TrafficReferenceData reference, CancellationToken cancellationToken)
    {
        var events = (int)Math.Round(settings.LiveRate * settings.LiveDuration.TotalSeconds);
        await using var worker = StartWorker("worker-live.log");
        try
        {
            await WaitReadyAsync(worker, cancellationToken);
            var plan = new TrafficPlan { Seed = settings.Seed + 1, Events = events, ReferenceData = reference, Window = TrafficWindow.Live(TimeProvider.System) };
            var publisher = new EventPublisher(js, new EventPublisherOptions
            {
                SubjectPrefix = settings.Nats.SubjectPrefix,
                TargetRate = settings.LiveRate,
                RecordPublishTimes = true,
            }, TimeProvider.System);
            var summary = await publisher.PublishAsync(TrafficGenerator.Generate(plan), cancellationToken);
            await ConsumerWatch.WaitUntilAsync(consumer, info => info.NumPending == 0 && info.NumAckPending == 0, TimeSpan.FromMilliseconds(50), DrainTimeout,
                "the live traffic's drain", cancellationToken, () => Exited(worker));
            var metrics = await ScrapeAsync(cancellationToken);
            var peak = worker.PeakRssBytes();
            await worker.StopAsync(TimeSpan.FromSeconds(30));

            const string name = "billing_ingest_publish_to_commit_seconds";
            var observations = (long)PrometheusText.Value(metrics, $"{name}_count");
            if (observations != events)
            {
                throw new BenchmarkException($"the worker's {name} counted {observations:N0} messages, not the {events:N0} published");
            }
            var (startP50, startP99) = await WriteStartLatencyAsync(dataSource, summary.PublishTimes!, cancellationToken);
            return new LiveResult(
                events, summary.Rate, summary.Elapsed,
                TimeSpan.FromSeconds(PrometheusText.HistogramQuantile(metrics, name, 0.5)),
                TimeSpan.FromSeconds(PrometheusText.HistogramQuantile(metrics, name, 0.9)),
                TimeSpan.FromSeconds(PrometheusText.HistogramQuantile(metrics, name, 0.99)),
                observations, startP50, startP99, peak, summary.Expected.EventIds);
        }
        catch (BenchmarkException e)
        {
            throw new BenchmarkException($"{e.Message}\nlast lines of {worker.LogPath}:\n{worker.Tail}");
        }
    }

    private WorkerProcess StartWorker(string logName)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Billing"] = settings.ConnectionString,
            ["Nats__Url"] = settings.Nats.Url,
            ["Nats__SubjectPrefix"] = settings.Nats.SubjectPrefix,
            ["Nats__EventsStream"] = settings.Nats.EventsStream,
            ["Nats__EventsConsumer"] = settings.Nats.EventsConsumer,
            ["Nats__InvoicesStream"] = settings.Nats.InvoicesStream,
            [IngestExtensions.ConsumerEnabledVariable] = "true",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{settings.WorkerPort}",
            ["Serilog__MinimumLevel__Default"] = "Information",
        };
        if (settings.BatchSizeGiven)
        {
            environment["Ingest__BatchSize"] = settings.BatchSize.ToString(CultureInfo.InvariantCulture);
        }
        var worker = WorkerProcess.Start(settings.WorkerDll, environment, Path.Combine(settings.LogDirectory, logName));
        File.WriteAllText(Path.Combine(settings.LogDirectory, "worker.pid"), worker.Id.ToString(CultureInfo.InvariantCulture));
        return worker;
    }

    private static string? Exited(WorkerProcess worker) => worker.HasExited ? "the worker exited" : null;

    private async Task WaitReadyAsync(WorkerProcess worker, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        while (true)
        {
            if (worker.HasExited)
            {
                throw new BenchmarkException("the worker exited before it was ready");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{settings.WorkerPort}/readyz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Timed out: not up yet.
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new BenchmarkException($"the worker was not ready on port {settings.WorkerPort} within 60 s");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task<string> ScrapeAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync($"http://127.0.0.1:{settings.WorkerPort}/metrics", cancellationToken);
    }

    private async Task PrintHeaderAsync(NpgsqlDataSource dataSource, NatsConnection nats, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes'), current_setting('shared_buffers')");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (version, fsync, synchronousCommit, fullPageWrites, sharedBuffers) =
            (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
        var batch = settings.BatchSizeGiven ? $"{settings.BatchSize:N0} (Ingest__BatchSize)" : $"{settings.BatchSize:N0} (the worker's default)";
        Line("machine", $"{Environment.ProcessorCount} cores, {CpuAccounting.MachineState()} at the start; .NET {Environment.Version}; every server local");
        Line("servers", $"PostgreSQL {version} (fsync={fsync}, synchronous_commit={synchronousCommit}, full_page_writes={fullPageWrites}, shared_buffers={sharedBuffers}); nats-server {nats.ServerInfo?.Version} (file storage)");
        Line("run", $"{settings.Events:N0} events, batch size {batch}, stream {settings.Nats.EventsStream}, consumer {settings.Nats.EventsConsumer}, subjects {settings.Nats.EventsSubjects}");
        if (fsync != "on" || synchronousCommit != "on" || fullPageWrites != "on")
        {
            Line("WARNING", "PostgreSQL is not running with durable settings (BILLING_PG_DURABLE=1): the targets do not apply to these figures");
        }
    }

    private static async Task<RatingCatalog> LoadCatalogAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var options = new DbContextOptionsBuilder<BillingDbContext>();
        BillingDbContext.Configure(options, dataSource);
        await using var db = new BillingDbContext(options.Options);
        return await RatingCatalogLoader.LoadAsync(db, cancellationToken);
    }

    private static async Task CheckpointAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("CHECKPOINT");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExpectCopiedAsync(NpgsqlDataSource dataSource, int rows, CancellationToken cancellationToken)
    {
        var copied = await RawCopy.CountAsync(dataSource, cancellationToken);
        if (copied != rows)
        {
            throw new BenchmarkException($"raw COPY: {RawCopy.Table} holds {copied:N0} rows, not {rows:N0}");
        }
    }

    private static async Task<TimeSpan> ReceivedAtSpanAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT extract(epoch FROM max(received_at) - min(received_at))::float8 FROM billing.billing_events");
        return TimeSpan.FromSeconds((double)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>The benchmark's own view: from handing each event to the publisher to the start of its batch's write.</summary>
    private static async Task<(TimeSpan P50, TimeSpan P99)> WriteStartLatencyAsync(
        NpgsqlDataSource dataSource, IReadOnlyDictionary<Guid, DateTimeOffset> published, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT event_id, received_at FROM billing.billing_events WHERE event_id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", published.Keys.ToArray());
        var latencies = new List<double>(published.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            latencies.Add((reader.GetFieldValue<DateTimeOffset>(1) - published[reader.GetGuid(0)]).TotalSeconds);
        }
        latencies.Sort();
        return (TimeSpan.FromSeconds(Quantile(latencies, 0.5)), TimeSpan.FromSeconds(Quantile(latencies, 0.99)));
    }

    private static double Quantile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    private void Line(string label, string text) => output.WriteLine($"[{label}] {text}");

    private CpuSnapshot Cpu(int? workerPid = null) => CpuSnapshot.Take(settings.NatsPid, settings.PostgresPid, workerPid);

    /// <summary>CPU time per event of the processes that did the phase's work (the benchmark's own polling excluded).</summary>
    private void CpuLine(string label, long events, params (string Process, TimeSpan Time)[] parts)
    {
        if (settings.NatsPid is null || settings.PostgresPid is null)
        {
            return;
        }
        var total = parts.Aggregate(TimeSpan.Zero, (sum, part) => sum + part.Time);
        Line(label, $"CPU {Micros(total, events)} per event: {string.Join(", ", parts.Select(p => $"{p.Process} {Micros(p.Time, events)}"))}");
    }

    private static string Micros(TimeSpan time, long events) => $"{time.TotalMicroseconds / events:N1} µs";

    private void Target(string what, string measured, string target, bool met) =>
        output.WriteLine($"  {what,-16} {measured,-44} target {target,-18} {(met ? "PASS" : "FAIL")}");

    private static string Seconds(TimeSpan t, int decimals = 2) => t.TotalSeconds.ToString($"N{decimals}", CultureInfo.InvariantCulture) + " s";

    private static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024):N0} MB";

    private static string Window(TrafficWindow window) => $"occurring {window.Start:HH:mm}-{window.End:HH:mm} UTC";

    private static string Transactions(int rows, int batchSize) => $"{(rows + batchSize - 1) / batchSize:N0} transactions";
}
