using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Billing.Api;
using Billing.Api.Endpoints;
using Billing.IngestBench;
using Npgsql;

namespace Billing.ApiBench;

/// <summary>
/// Drives <c>GET /v1/accounts/{id}/usage</c> of a running API with N concurrent clients for a while (through wrk, or
/// an HttpClient loop), then issues the route's own SQL (<see cref="UsageApi.CreateCommand"/>) straight through Npgsql
/// with the same concurrency, the same connection string (the API's read-only login), the API's pool size and the same
/// random requests, and prints requests/s, p50 and p99 of both and their ratio. A benchmark, not a test: it exits 0 whatever the figures, 1 only when a request fails.
/// </summary>
internal static class ApiBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var url = new Option<string>("--url") { Description = "The API's base URL.", Required = true };
        var key = new Option<string>("--key") { Description = "A configured client's API key.", Required = true };
        var connection = new Option<string>("--connection") { Description = "The API's read-only connection string.", Required = true };
        var accounts = new Option<int>("--accounts") { Description = "Accounts loaded (bench_1..bench_N).", DefaultValueFactory = _ => 1000 };
        var firstDay = new Option<string>("--first-day") { Description = "First day loaded.", DefaultValueFactory = _ => "2025-12-01" };
        var days = new Option<int>("--days") { Description = "Days loaded.", DefaultValueFactory = _ => 365 };
        var rangeDays = new Option<int>("--range-days") { Description = "Days each request asks for (a random range of this length).", DefaultValueFactory = _ => 31 };
        var granularity = new Option<string>("--granularity") { Description = "day or month.", DefaultValueFactory = _ => "day" };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 64 };
        var connections = new Option<int>("--connections")
        {
            Description = "Database connections of the raw phase's pool: the API's own bound (Api__DatabaseConnections), so both phases queue the same way.",
            DefaultValueFactory = _ => ApiExtensions.DefaultDatabaseConnections,
        };
        var seconds = new Option<int>("--seconds") { Description = "Measured seconds per phase.", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured seconds before each phase.", DefaultValueFactory = _ => 5 };
        var load = new Option<string>("--load")
        {
            Description = "The api phase's load generator: wrk (Debian's package; the default when it is on PATH) or dotnet (an HttpClient loop).",
            DefaultValueFactory = _ => WrkLoad.Find() is null ? "dotnet" : "wrk",
        };
        load.AcceptOnlyFromAmong("wrk", "dotnet");
        var apiPid = new Option<int?>("--api-pid") { Description = "The API process, for its CPU time." };
        var pgPidFile = new Option<string?>("--pg-pid-file") { Description = "PostgreSQL's postmaster.pid, for its CPU time." };
        var root = new RootCommand("api-bench: the usage route against its raw query")
        {
            url, key, connection, accounts, firstDay, days, rangeDays, granularity, clients, connections, load, seconds, warmup, apiPid, pgPidFile,
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"api-bench: {error.Message}");
            }
            return 2;
        }
        var settings = new Settings(
            new Uri(parsed.GetValue(url)!), parsed.GetValue(key)!, parsed.GetValue(connection)!, parsed.GetValue(accounts),
            DateOnly.ParseExact(parsed.GetValue(firstDay)!, "yyyy-MM-dd", CultureInfo.InvariantCulture), parsed.GetValue(days),
            parsed.GetValue(rangeDays), parsed.GetValue(granularity)!, parsed.GetValue(clients), parsed.GetValue(connections), parsed.GetValue(load)!, TimeSpan.FromSeconds(parsed.GetValue(seconds)),
            TimeSpan.FromSeconds(parsed.GetValue(warmup)), parsed.GetValue(apiPid), CpuAccounting.PidFrom(parsed.GetValue(pgPidFile)));
        try
        {
            await new Runner(settings).RunAsync();
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or NpgsqlException or BenchmarkFailedException)
        {
            await Console.Error.WriteLineAsync($"api-bench: {e.Message}");
            return 1;
        }
    }
}

internal sealed record Settings(
    Uri Url, string Key, string ConnectionString, int Accounts, DateOnly FirstDay, int Days, int RangeDays, string Granularity,
    int Clients, int Connections, string Load, TimeSpan Duration, TimeSpan Warmup, int? ApiPid, int? PostgresPid);

internal sealed class BenchmarkFailedException(string message) : Exception(message);

/// <summary>Latency percentiles of a phase, in milliseconds.</summary>
internal sealed record Latencies(double P50, double P90, double P99, double Max)
{
    /// <summary>Nearest-rank percentiles of <paramref name="sorted"/> Stopwatch ticks.</summary>
    public static Latencies FromSortedTicks(long[] sorted)
    {
        double At(double p) => sorted.Length == 0 ? double.NaN
            : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
        return new Latencies(At(0.50), At(0.90), At(0.99), At(1.0));
    }
}

/// <summary>One measured phase: requests done, their latencies and the CPU the processes spent (the load client's included).</summary>
internal sealed record Phase(string Name, long Requests, TimeSpan Elapsed, Latencies Latency, TimeSpan ApiCpu, TimeSpan PostgresCpu, TimeSpan ClientCpu)
{
    public double Rate => Requests / Elapsed.TotalSeconds;
}

internal sealed class Runner(Settings settings)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public async Task RunAsync()
    {
        Console.WriteLine($"[machine] {Environment.ProcessorCount} cores, {CpuAccounting.MachineState()} at the start; .NET {Environment.Version}; every server local");
        var last = settings.FirstDay.AddDays(settings.Days - 1);
        Console.WriteLine($"[scenario] GET /v1/accounts/bench_{{1..{settings.Accounts:N0}}}/usage?from=D&to=D+{settings.RangeDays - 1}&granularity={settings.Granularity}, " +
            $"D a random day of {settings.FirstDay:yyyy-MM-dd}..{last.AddDays(-(settings.RangeDays - 1)):yyyy-MM-dd}; {settings.Clients} clients, " +
            $"{settings.Duration.TotalSeconds:0} s measured after {settings.Warmup.TotalSeconds:0} s warm-up");

        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.Clients,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
        })
        { BaseAddress = settings.Url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Key);
        var sample = await http.GetAsync(Path(new Random(1)));
        var body = await sample.Content.ReadAsByteArrayAsync();
        if (sample.StatusCode != HttpStatusCode.OK)
        {
            throw new BenchmarkFailedException($"GET {sample.RequestMessage!.RequestUri} answered {(int)sample.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        }
        Console.WriteLine($"[scenario] a response: {body.Length:N0} bytes of JSON ({Count(body, "\"operator\""):N0} operator entries)");

        var api = settings.Load == "wrk"
            ? await new WrkLoad(settings, WrkLoad.Find() ?? throw new BenchmarkFailedException("--load wrk: no wrk on PATH (apt-get install wrk)"))
                .MeasureAsync(() => { var (a, p, _) = Cpu(); return (a, p); })
            : await MeasureAsync("api", async random =>
            {
                using var response = await http.GetAsync(Path(random), HttpCompletionOption.ResponseContentRead);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new BenchmarkFailedException($"GET {response.RequestMessage!.RequestUri} answered {(int)response.StatusCode}");
                }
            });
        Report(api);

        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString);
        // As the API's data source does (ApiExtensions): commands are prepared once per connection, and the clients share
        // a bounded pool, waiting for a free connection.
        builder.ConnectionStringBuilder.MaxAutoPrepare = Math.Max(builder.ConnectionStringBuilder.MaxAutoPrepare, 20);
        builder.ConnectionStringBuilder.MaxPoolSize = settings.Connections;
        await using var dataSource = builder.Build();
        var raw = await MeasureAsync("raw", async random =>
        {
            var (account, from, to) = Request(random);
            await using var command = UsageApi.CreateCommand(dataSource, account, from, to, settings.Granularity);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                // Read every column, as the route does.
                _ = reader.GetFieldValue<DateOnly>(0);
                _ = reader.GetString(1);
                _ = reader.GetString(2);
                for (var i = 3; i <= 7; i++)
                {
                    _ = reader.GetInt64(i);
                }
                _ = reader.GetDecimal(8);
                _ = reader.GetInt64(9);
            }
        });
        Report(raw);

        var ratio = api.Rate / raw.Rate;
        Console.WriteLine("[summary]");
        Console.WriteLine($"  api rate       {api.Rate,9:N0} requests/s, p50 {api.Latency.P50:0.0} ms, p99 {api.Latency.P99:0.0} ms");
        Console.WriteLine($"  raw query      {raw.Rate,9:N0} queries/s,  p50 {raw.Latency.P50:0.0} ms, p99 {raw.Latency.P99:0.0} ms");
        Console.WriteLine($"  p99 latency    {api.Latency.P99,6:0.0} ms            target < 50 ms    {(api.Latency.P99 < 50 ? "PASS" : "FAIL")}");
        Console.WriteLine($"  vs raw query   {ratio,6:0.00} of the raw rate  target >= 0.50    {(ratio >= 0.5 ? "PASS" : "FAIL")}");
        Console.WriteLine($"[machine] {CpuAccounting.MachineState()} at the end (other processes on the machine share its cores)");
    }

    private async Task<Phase> MeasureAsync(string name, Func<Random, Task> request)
    {
        // Warm-up: connections opened, statements prepared, code jitted; nothing recorded.
        await LoopAsync(request, settings.Warmup, record: false);
        var (apiBefore, pgBefore, benchBefore) = Cpu();
        var start = Stopwatch.GetTimestamp();
        var latencies = await LoopAsync(request, settings.Duration, record: true);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var (apiAfter, pgAfter, benchAfter) = Cpu();
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new Phase(name, all.LongLength, elapsed, Latencies.FromSortedTicks(all), apiAfter - apiBefore, pgAfter - pgBefore, benchAfter - benchBefore);
    }

    private async Task<List<long>[]> LoopAsync(Func<Random, Task> request, TimeSpan duration, bool record)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var latencies = Enumerable.Range(0, settings.Clients).Select(_ => new List<long>(100_000)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client * 7919 + (record ? 1 : 0));
            while (Stopwatch.GetTimestamp() < until)
            {
                var started = Stopwatch.GetTimestamp();
                await request(random);
                if (record)
                {
                    latencies[client].Add(Stopwatch.GetTimestamp() - started);
                }
            }
        })));
        return latencies;
    }

    private void Report(Phase phase)
    {
        var what = phase.Name == "api" ? $"GET the usage route over HTTP ({(settings.Load == "wrk" ? "wrk" : "an HttpClient loop")})"
            : $"the route's SQL through Npgsql (read-only login, auto-prepared, {settings.Connections} pooled connections)";
        Console.WriteLine($"[{phase.Name}] {what}: {phase.Requests:N0} in {phase.Elapsed.TotalSeconds:0.0} s: {phase.Rate:N0}/s, " +
            $"p50 {phase.Latency.P50:0.0} ms, p90 {phase.Latency.P90:0.0} ms, p99 {phase.Latency.P99:0.0} ms, max {phase.Latency.Max:0.0} ms");
        var perRequest = (TimeSpan cpu) => phase.Requests == 0 ? 0 : cpu.TotalMicroseconds / phase.Requests;
        Console.WriteLine($"[{phase.Name}] CPU per request: " +
            (phase.Name == "api" && settings.ApiPid is not null ? $"api {perRequest(phase.ApiCpu):0} µs, " : "") +
            (settings.PostgresPid is not null ? $"postgres {perRequest(phase.PostgresCpu):0} µs, " : "") +
            $"load client {perRequest(phase.ClientCpu):0} µs");
    }

    private (TimeSpan Api, TimeSpan Postgres, TimeSpan Bench) Cpu() => (
        settings.ApiPid is { } api ? CpuAccounting.Of(api) : TimeSpan.Zero,
        settings.PostgresPid is { } pg ? CpuAccounting.OfTree(pg) : TimeSpan.Zero,
        CpuAccounting.Of(Environment.ProcessId));

    private (string Account, DateOnly From, DateOnly To) Request(Random random)
    {
        var from = settings.FirstDay.AddDays(random.Next(settings.Days - settings.RangeDays + 1));
        return ($"bench_{random.Next(1, settings.Accounts + 1)}", from, from.AddDays(settings.RangeDays - 1));
    }

    private string Path(Random random)
    {
        var (account, from, to) = Request(random);
        return string.Create(Invariant, $"/v1/accounts/{account}/usage?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity={settings.Granularity}");
    }

    private static int Count(byte[] body, string text)
    {
        var json = System.Text.Encoding.UTF8.GetString(body);
        var count = 0;
        for (var at = json.IndexOf(text, StringComparison.Ordinal); at >= 0; at = json.IndexOf(text, at + text.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
