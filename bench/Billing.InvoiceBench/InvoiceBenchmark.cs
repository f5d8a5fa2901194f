using System.Globalization;
using Amazon.S3.Model;
using Billing.Core.Messaging;
using Billing.Core.Storage;
using Billing.IngestBench;
using Billing.InvoiceWorker.Invoicing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace Billing.InvoiceBench;

/// <summary>
/// One run, in order: (1) a month of usage for the generated accounts; (2) the worker invoices the month as the CronJob
/// does, measured from outside and from its log, then checked; (3) raw limit A, rendering the same invoices' PDFs alone;
/// (4) raw limit B, uploading the same bytes alone; (5) the figures against the targets. Each phase has the benchmark's
/// servers to itself, and a CHECKPOINT before the worker's run keeps the data load's dirty pages out of it.
/// </summary>
internal sealed class InvoiceBenchmark(BenchSettings settings, TextWriter output)
{
    public const int TargetInvoices = 10_000;
    public static readonly TimeSpan TargetTime = TimeSpan.FromSeconds(60);
    public const double RatioTarget = 0.5;
    public const long PdfSizeTarget = 120 * 1024;

    /// <summary>Returns false when the run did not do its job (exit code, invoices, objects, announcements); throws on errors.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(settings.ConnectionString);
        await using var nats = new NatsConnection(new NatsOpts { Url = settings.Nats.Url, Name = "invoice-bench" });
        await nats.ConnectAsync();
        var js = new NatsJSContext(nats);
        await PrintHeaderAsync(dataSource, nats, cancellationToken);

        // 1. Reference data and usage.
        await RequireFreshAsync(dataSource, cancellationToken);
        var imported = await ImportReferenceDataAsync(cancellationToken);
        Line("1 reference", $"generated {settings.Accounts:N0} accounts, {BenchData.Operators.Count} operators, their pricing and costs; billing-ops import {Seconds(imported)}");
        await RequireAccountsAsync(dataSource, cancellationToken);
        var loadStarted = DateTimeOffset.UtcNow;
        var (events, billable) = await BenchData.CopyUsageAsync(dataSource, settings.Period, settings.Accounts, settings.Messages, settings.Seed, cancellationToken);
        Line("1 usage", $"{events:N0} rated events ({billable:N0} billable) of {settings.Period}: {settings.Accounts:N0} accounts x {BenchData.Operators.Count} operators x {settings.Messages} messages (submitted + receipt), COPY + ANALYZE {Seconds(DateTimeOffset.UtcNow - loadStarted)}");
        await CheckpointAsync(dataSource, cancellationToken);

        // 2. The run.
        var cpu = Cpu();
        CpuSample? atStoring = null;
        var run = await WorkerRun.RunAsync(settings.WorkerDll, ["--period", settings.Period.ToString()], WorkerEnvironment(),
            Path.Combine(settings.LogDirectory, "invoice-worker.log"), pid => atStoring = Cpu(pid), cancellationToken);
        var runCpu = Cpu() - cpu;
        if (run.ExitCode != 0)
        {
            throw new BenchmarkException($"the worker exited {run.ExitCode}; last lines of {run.LogPath}:\n{run.Tail}");
        }
        var invoices = run.Stored.Count;
        if (invoices == 0)
        {
            throw new BenchmarkException($"the worker stored no invoice; last lines of {run.LogPath}:\n{run.Tail}");
        }
        var rate = invoices / run.Elapsed.TotalSeconds;
        Line("2 run", run.Summary);
        Line("2 run", $"{invoices:N0} invoices in {Seconds(run.Elapsed)} (process start to exit): {rate:N1} invoices/s; peak RSS {Megabytes(run.PeakRssBytes)}; parallelism {settings.ParallelismText}");
        var phases = await PhasesAsync(dataSource, run, cancellationToken);
        Line("2 run", phases.Describe());
        var total = Quantiles(run.Stored.Select(s => s.TotalMs));
        Line("2 run", $"per invoice (render + queue + upload + mark stored, each invoice's log line): p50 {total.P50:N0} ms, p90 {total.P90:N0} ms, p99 {total.P99:N0} ms, max {total.Max:N0} ms");
        string Step(string name, Func<StoredInvoiceLog, double> ms)
        {
            var step = Quantiles(run.Stored.Select(ms));
            return $"{name} p50 {step.P50:N0} / p99 {step.P99:N0} ms";
        }
        Line("2 run", $"  {Step("render", s => s.RenderMs)}, {Step("queued for upload", s => s.QueuedMs)}, " +
                       $"{Step("upload", s => s.UploadMs)}, {Step("mark", s => s.MarkMs)}");
        CpuLine("2 run", invoices, ("worker", run.Cpu), ("postgres", runCpu.Postgres), ("ceph", runCpu.Ceph), ("nats-server", runCpu.Nats));
        if (atStoring is { } split)
        {
            // The worker's share up to its 'storing' line, read from /proc while it ran; the rest is the store phase and after.
            var before = split - cpu;
            CpuLine("2 run", invoices, ("of which start-up, plan + issue: worker", split.Worker), ("postgres", before.Postgres));
            CpuLine("2 run", invoices, ("of which store + publish: worker", run.Cpu - split.Worker), ("postgres", runCpu.Postgres - before.Postgres),
                ("ceph", runCpu.Ceph - before.Ceph), ("nats-server", runCpu.Nats - before.Nats));
        }
        var check = await CheckAsync(dataSource, js, run, cancellationToken);
        Line("2 check", check.Describe());

        // 3. Raw limit A: the same PDFs rendered alone.
        var documents = await RawLimits.LoadAsync(dataSource, settings.Period, cancellationToken);
        cpu = Cpu();
        var renders = InvoiceStorer.RenderParallelism(settings.Parallelism);
        var (render, pdfs) = RawLimits.Render(documents, renders);
        var renderCpu = Cpu() - cpu;
        var same = RawLimits.SameAsStored(documents, pdfs);
        Line("3 raw render", $"{render.Count:N0} PDFs, {renders} at once (as the worker renders), no I/O: {Seconds(render.Elapsed)}, {render.Rate:N1} PDFs/s; byte for byte the PDFs the run stored: {same:N0} of {documents.Count:N0}");
        CpuLine("3 raw render", render.Count, ("bench", renderCpu.Bench));

        // 4. Raw limit B: the same bytes uploaded alone.
        var prefix = $"bench-raw-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}";
        cpu = Cpu();
        var upload = await RawLimits.UploadAsync(settings.S3, documents, pdfs, settings.Parallelism, prefix, cancellationToken);
        var uploadCpu = Cpu() - cpu;
        Line("4 raw upload", $"{upload.Count:N0} PUTs of the same bytes ({Kilobytes(pdfs.Sum(p => (long)p.Length) / pdfs.Length)} on average), SSE-KMS, If-None-Match, {settings.Parallelism} in flight, fresh keys under {prefix}/: {Seconds(upload.Elapsed)}, {upload.Rate:N1} PUTs/s");
        CpuLine("4 raw upload", upload.Count, ("bench", uploadCpu.Bench), ("ceph", uploadCpu.Ceph));

        // 5. Summary.
        var slower = render.Rate <= upload.Rate ? (Name: "raw render", render.Rate) : (Name: "raw upload", upload.Rate);
        var ratio = rate / slower.Rate;
        var targetRate = TargetInvoices / TargetTime.TotalSeconds;
        output.WriteLine("[5 summary]");
        if (invoices == TargetInvoices)
        {
            Target("run time", $"{Seconds(run.Elapsed)} for {invoices:N0} invoices ({rate:N1}/s)", $"< {Seconds(TargetTime, 0)}", run.Elapsed < TargetTime);
        }
        else
        {
            Target("invoice rate", $"{rate:N1} invoices/s ({invoices:N0} in {Seconds(run.Elapsed)})", $">= {targetRate:N1}/s", rate >= targetRate);
        }
        Target("vs raw limit", $"{ratio:N2} of {slower.Name} ({slower.Rate:N1}/s, the slower)", $">= {RatioTarget:N2}", ratio >= RatioTarget);
        Target("average PDF", Kilobytes(check.AverageSize), $"< {Kilobytes(PdfSizeTarget)}", check.AverageSize < PdfSizeTarget);
        output.WriteLine($"  {"p99 per invoice",-16} {$"{total.P99:N0} ms (render + queue + upload + mark stored)",-50} (no target)");
        output.WriteLine($"  {"worker peak RSS",-16} {Megabytes(run.PeakRssBytes),-50} (no target)");
        Target("correctness", check.Passed ? "every invoice issued, stored, announced once" : "see the check above", "exact", check.Passed);
        Line("machine", $"{CpuAccounting.MachineState()} at the end (other processes on the machine share its {Environment.ProcessorCount} cores)");
        return check.Passed && same == documents.Count;
    }

    private Dictionary<string, string> WorkerEnvironment()
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Billing"] = settings.ConnectionString,
            ["Nats__Url"] = settings.Nats.Url,
            ["Nats__SubjectPrefix"] = settings.Nats.SubjectPrefix,
            ["Nats__InvoicesStream"] = settings.Nats.InvoicesStream,
            ["S3__ServiceUrl"] = settings.S3.ServiceUrl,
            ["S3__Bucket"] = settings.S3.Bucket,
            ["S3__KmsKeyId"] = settings.S3.KmsKeyId,
            ["S3__ForcePathStyle"] = settings.S3.ForcePathStyle ? "true" : "false",
            ["S3__Region"] = settings.S3.Region,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{settings.WorkerPort}",
            ["Serilog__MinimumLevel__Default"] = "Information",
        };
        if (settings.ParallelismGiven)
        {
            environment["Invoicing__Parallelism"] = settings.Parallelism.ToString(CultureInfo.InvariantCulture);
        }
        if (settings.IssueBatchSize is { } batch)
        {
            environment["Invoicing__IssueBatchSize"] = batch.ToString(CultureInfo.InvariantCulture);
        }
        return environment;
    }

    private static async Task RequireFreshAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT (SELECT count(*) FROM billing.invoices) + (SELECT count(*) FROM billing.billing_events) + (SELECT count(*) FROM billing.accounts WHERE account_id LIKE 'bench-%')");
        if ((long)(await command.ExecuteScalarAsync(cancellationToken))! != 0)
        {
            throw new BenchmarkException("the database already holds invoices, events or generated accounts: give the benchmark a fresh one (bench/invoice.sh does)");
        }
    }

    private async Task RequireAccountsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM billing.accounts WHERE account_id LIKE 'bench-%' AND active");
        var count = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (count != settings.Accounts)
        {
            throw new BenchmarkException($"the database has {count:N0} generated accounts after the import, not {settings.Accounts:N0}");
        }
    }

    /// <summary>
    /// Writes the generated reference data as CSV files and loads them with <c>billing-ops import</c>, as an operator
    /// would: the importer validates every row (and refuses a file with a bad one).
    /// </summary>
    private async Task<TimeSpan> ImportReferenceDataAsync(CancellationToken cancellationToken)
    {
        var directory = new DirectoryInfo(Path.Combine(settings.LogDirectory, "reference"));
        BenchData.WriteCsv(directory, settings.Accounts, settings.Seed, BenchData.ValidFrom);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var kind in new[] { "operators", "pricing", "operator-costs", "accounts" })
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                ArgumentList = { settings.OpsDll, "import", kind, Path.Combine(directory.FullName, $"{kind}.csv") },
            };
            using var process = System.Diagnostics.Process.Start(start) ?? throw new BenchmarkException("could not start billing-ops");
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new BenchmarkException($"billing-ops import {kind} exited {process.ExitCode}:\n{await stdout}{await stderr}");
            }
        }
        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    private sealed record Phases(TimeSpan StartUp, TimeSpan PlanAndIssue, TimeSpan Store, TimeSpan Publish, TimeSpan Finish)
    {
        public string Describe() =>
            $"phases: start-up {Seconds(StartUp)}, plan + issue {Seconds(PlanAndIssue)}, store (render + upload + mark) {Seconds(Store)}, " +
            $"publish {Seconds(Publish)}, end {Seconds(Finish)} (from invoice_runs, the storer's log and outbox sent_at)";
    }

    /// <summary>Where the run's time went, from the worker's own clock: the run row, the storer's log, the outbox.</summary>
    private static async Task<Phases> PhasesAsync(NpgsqlDataSource dataSource, WorkerResult run, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT r.started_at, r.finished_at, (SELECT max(sent_at) FROM billing.outbox_messages)
            FROM billing.invoice_runs r ORDER BY r.started_at DESC LIMIT 1
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new BenchmarkException("no invoice_runs row");
        }
        var started = reader.GetFieldValue<DateTimeOffset>(0);
        var finished = reader.GetFieldValue<DateTimeOffset>(1);
        var lastSent = reader.GetFieldValue<DateTimeOffset>(2);
        var storeStarted = run.StoreStarted ?? throw new BenchmarkException("the worker's log has no 'storing' line with PendingInvoices");
        var storeEnded = run.Stored.Max(s => s.At);
        return new Phases(started - run.Started, storeStarted - started, storeEnded - storeStarted, lastSent - storeEnded, run.Exited - lastSent);
    }

    private sealed record Check(int Invoices, int Expected, long WithTenLines, long Stored, long Sent, long StreamMessages, int Objects, long AverageSize, int LoggedStored)
    {
        public bool Passed => Invoices == Expected && WithTenLines == Expected && Stored == Expected && Sent == Expected
            && StreamMessages == Expected && Objects == Expected && LoggedStored == Expected;

        public string Describe() =>
            $"{Invoices:N0} invoices for {Expected:N0} accounts, {WithTenLines:N0} with one usage line per operator, {Stored:N0} stored; " +
            $"{Sent:N0} announcements sent, {StreamMessages:N0} in the stream; {Objects:N0} PDFs in the bucket, {Kilobytes(AverageSize)} on average: {(Passed ? "PASS" : "FAIL")}";
    }

    private async Task<Check> CheckAsync(NpgsqlDataSource dataSource, NatsJSContext js, WorkerResult run, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT count(*),
                   count(*) FILTER (WHERE (SELECT count(*) FROM billing.invoice_lines l WHERE l.invoice_id = i.id AND l.kind = 'usage') = {BenchData.Operators.Count}),
                   count(*) FILTER (WHERE status = 'stored'),
                   (SELECT count(*) FROM billing.outbox_messages o WHERE o.sent_at IS NOT NULL)
            FROM billing.invoices i WHERE i.period_start = @period
            """);
        command.Parameters.AddWithValue("period", settings.Period.Start);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (count, tenLines, stored, sent) = ((int)reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));

        var stream = await js.GetStreamAsync(settings.Nats.InvoicesStream, cancellationToken: cancellationToken);
        var (objects, bytes) = await ListAsync($"invoices/{settings.Period.Start:yyyy}/{settings.Period.Start:MM}/", cancellationToken);
        return new Check(count, settings.Accounts, tenLines, stored, sent, stream.Info.State.Messages, objects, objects == 0 ? 0 : bytes / objects,
            run.Stored.Count(s => !s.AlreadyStored));
    }

    /// <summary>Objects and bytes under a prefix, as the bucket lists them.</summary>
    private async Task<(int Objects, long Bytes)> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        using var client = S3ClientFactory.Create(settings.S3);
        var request = new ListObjectsV2Request { BucketName = settings.S3.Bucket, Prefix = prefix };
        var (objects, bytes) = (0, 0L);
        ListObjectsV2Response response;
        do
        {
            response = await client.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in response.S3Objects ?? [])
            {
                objects++;
                bytes += item.Size ?? 0;
            }
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
        return (objects, bytes);
    }

    private async Task PrintHeaderAsync(NpgsqlDataSource dataSource, NatsConnection nats, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes'), current_setting('shared_buffers')");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (version, fsync, synchronousCommit, fullPageWrites, sharedBuffers) =
            (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
        Line("machine", $"{Environment.ProcessorCount} cores, {CpuAccounting.MachineState()} at the start; .NET {Environment.Version}; every server local");
        Line("servers", $"PostgreSQL {version} (fsync={fsync}, synchronous_commit={synchronousCommit}, full_page_writes={fullPageWrites}, shared_buffers={sharedBuffers}); " +
                        $"nats-server {nats.ServerInfo?.Version}; S3 {settings.S3.ServiceUrl} (Ceph RGW, bucket {settings.S3.Bucket}, SSE-KMS key {settings.S3.KmsKeyId})");
        Line("run", $"period {settings.Period}, {settings.Accounts:N0} accounts x {BenchData.Operators.Count} operators, parallelism {settings.ParallelismText}, " +
                    $"issue batch {(settings.IssueBatchSize is { } b ? $"{b:N0} (Invoicing__IssueBatchSize)" : $"{new InvoiceOptions().IssueBatchSize:N0} (the worker's default)")}, seed {settings.Seed}");
        if (fsync != "on" || synchronousCommit != "on" || fullPageWrites != "on")
        {
            Line("WARNING", "PostgreSQL is not running with durable settings (BILLING_PG_DURABLE=1): the targets do not apply to these figures");
        }
    }

    private static async Task CheckpointAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("CHECKPOINT");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private readonly record struct QuantileSet(double P50, double P90, double P99, double Max);

    private static QuantileSet Quantiles(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return sorted.Count == 0 ? new(double.NaN, double.NaN, double.NaN, double.NaN) : new(At(0.5), At(0.9), At(0.99), sorted[^1]);
    }

    private sealed record CpuSample(TimeSpan Bench, TimeSpan Postgres, TimeSpan Ceph, TimeSpan Nats, TimeSpan Worker)
    {
        public static CpuSample operator -(CpuSample end, CpuSample start) =>
            new(end.Bench - start.Bench, end.Postgres - start.Postgres, end.Ceph - start.Ceph, end.Nats - start.Nats, end.Worker - start.Worker);
    }

    private CpuSample Cpu(int? workerPid = null) => new(
        System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime,
        settings.PostgresPid is { } pg ? CpuAccounting.OfTree(pg) : TimeSpan.Zero,
        settings.CephPids.Aggregate(TimeSpan.Zero, (sum, pid) => sum + CpuAccounting.Of(pid)),
        settings.NatsPid is { } n ? CpuAccounting.Of(n) : TimeSpan.Zero,
        workerPid is { } w ? CpuAccounting.Of(w) : TimeSpan.Zero);

    /// <summary>CPU time per invoice of the processes that did the phase's work.</summary>
    private void CpuLine(string label, long count, params (string Process, TimeSpan Time)[] parts)
    {
        var total = parts.Aggregate(TimeSpan.Zero, (sum, part) => sum + part.Time);
        Line(label, $"CPU {PerInvoice(total, count)} per invoice: {string.Join(", ", parts.Select(p => $"{p.Process} {PerInvoice(p.Time, count)}"))}");
    }

    private static string PerInvoice(TimeSpan time, long count) => $"{time.TotalMilliseconds / count:N2} ms";

    private void Line(string label, string text) => output.WriteLine($"[{label}] {text}");

    private void Target(string what, string measured, string target, bool met) =>
        output.WriteLine($"  {what,-16} {measured,-50} target {target,-10} {(met ? "PASS" : "FAIL")}");

    private static string Seconds(TimeSpan t, int decimals = 2) => t.TotalSeconds.ToString($"N{decimals}", CultureInfo.InvariantCulture) + " s";

    private static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024):N0} MB";

    private static string Kilobytes(long bytes) => $"{bytes / 1024.0:N1} KB";
}
