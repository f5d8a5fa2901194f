using System.Diagnostics;
using System.Globalization;

namespace Billing.ApiBench;

/// <summary>
/// The api phase driven by <c>wrk</c> (Debian's package): a C load generator whose own CPU per request is a fraction of
/// an <c>HttpClient</c> loop's, so less of the 2 cores goes to the client and more to what is measured. Each of
/// <c>--clients</c> connections sends one request at a time, as the .NET loop does; a Lua script picks the same random
/// accounts and ranges and reports wrk's own latency percentiles and CPU time (<c>os.clock()</c>, all its threads).
/// </summary>
internal sealed class WrkLoad(Settings settings, string wrk)
{
    private const string ResultTag = "api-bench-result";

    /// <summary>The <c>wrk</c> on PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => System.IO.Path.Combine(directory, "wrk"))
            .FirstOrDefault(File.Exists);

    /// <summary>One unmeasured warm-up run, then the measured one; CPU of the API and PostgreSQL is read around it.</summary>
    public async Task<Phase> MeasureAsync(Func<(TimeSpan Api, TimeSpan Postgres)> cpu)
    {
        var script = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"api-bench-{Environment.ProcessId}.lua");
        await File.WriteAllTextAsync(script, Script());
        try
        {
            await RunAsync(script, settings.Warmup);
            var (apiBefore, pgBefore) = cpu();
            var result = await RunAsync(script, settings.Duration);
            var (apiAfter, pgAfter) = cpu();
            return new Phase("api", result.Requests, result.Elapsed, result.Latency, apiAfter - apiBefore, pgAfter - pgBefore, result.Cpu);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private async Task<(long Requests, TimeSpan Elapsed, Latencies Latency, TimeSpan Cpu)> RunAsync(string script, TimeSpan duration)
    {
        var start = new ProcessStartInfo(wrk)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--threads", Math.Min(Environment.ProcessorCount, settings.Clients).ToString(CultureInfo.InvariantCulture),
            "--connections", settings.Clients.ToString(CultureInfo.InvariantCulture),
            "--duration", $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s",
            "--timeout", "30s",
            "--script", script,
            settings.Url.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new BenchmarkFailedException($"could not start {wrk}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(ResultTag, StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new BenchmarkFailedException($"wrk exited {process.ExitCode} without a result: {text}{await errors}");
        }
        var f = line[(ResultTag.Length + 1)..].Split(' ');
        long At(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        var (requests, micros, connect, read, write, status, timeout) = (At(0), At(1), At(2), At(3), At(4), At(5), At(6));
        if (connect + read + write + status + timeout > 0)
        {
            throw new BenchmarkFailedException(
                $"wrk saw failed requests: {connect} connect, {read} read, {write} write, {timeout} timeouts, {status} answers other than 2xx/3xx");
        }
        var latency = new Latencies(At(7) / 1000.0, At(8) / 1000.0, At(9) / 1000.0, At(10) / 1000.0);
        var cpu = TimeSpan.FromSeconds(double.Parse(f[11], CultureInfo.InvariantCulture));
        return (requests, TimeSpan.FromMicroseconds(micros), latency, cpu);
    }

    /// <summary>
    /// The Lua script: the same request mix as <see cref="Runner"/>'s (a random account, a random first day of the loaded
    /// year, the range's length), the client key, and a result line of wrk's summary (latencies in microseconds).
    /// </summary>
    private string Script()
    {
        var firstDay = new DateTimeOffset(settings.FirstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $$"""
            wrk.headers["Authorization"] = "Bearer {{settings.Key}}"
            local accounts, first_day, first_days, range_days, granularity = {{settings.Accounts}}, {{firstDay}}, {{settings.Days - settings.RangeDays + 1}}, {{settings.RangeDays}}, "{{settings.Granularity}}"
            local threads = 0
            function setup(thread)
              threads = threads + 1
              thread:set("thread_number", threads)
            end
            function init(args)
              math.randomseed(7919 * thread_number)
            end
            function request()
              local from = first_day + math.random(0, first_days - 1) * 86400
              return wrk.format("GET", string.format("/v1/accounts/bench_%d/usage?from=%s&to=%s&granularity=%s",
                math.random(1, accounts), os.date("!%Y-%m-%d", from), os.date("!%Y-%m-%d", from + (range_days - 1) * 86400), granularity))
            end
            function done(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("{{ResultTag}} %d %d %d %d %d %d %d %d %d %d %d %.3f\n", summary.requests, summary.duration,
                e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90),
                latency:percentile(99), latency.max, os.clock()))
            end
            """);
    }
}
