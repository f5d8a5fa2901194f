using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Billing.InvoiceBench;

/// <summary>One invoice's line in the worker's log: when it was marked stored, its size and its steps.</summary>
internal sealed record StoredInvoiceLog(
    string Number, DateTimeOffset At, long Size, bool AlreadyStored, double RenderMs, double QueuedMs, double UploadMs, double MarkMs)
{
    /// <summary>From the start of the render to the commit that marked the invoice stored.</summary>
    public double TotalMs => RenderMs + QueuedMs + UploadMs + MarkMs;
}

/// <summary>What one run of the worker did, seen from outside: exit code, wall time, peak RSS, CPU, its log.</summary>
internal sealed record WorkerResult(
    int ExitCode, DateTimeOffset Started, DateTimeOffset Exited, long PeakRssBytes, TimeSpan Cpu, string Summary,
    IReadOnlyList<StoredInvoiceLog> Stored, DateTimeOffset? StoreStarted, string LogPath, string Tail)
{
    public TimeSpan Elapsed => Exited - Started;
}

/// <summary>
/// Runs the built <c>invoice-worker</c> as the CronJob does, a separate process that runs to completion
/// (<c>dotnet invoice-worker.dll --period ...</c>: the host runs the app in its own process, so the pid is the worker's),
/// with its compact JSON log to a file, and measures it from outside.
/// </summary>
/// <remarks>
/// Peak RSS is the kernel's own figure for the reaped child: <c>getrusage(RUSAGE_CHILDREN).ru_maxrss</c>, the largest
/// resident set any child of this process reached (the worker is the benchmark's only child while it runs), so no
/// sample can miss the peak; its CPU time likewise (<c>ru_utime + ru_stime</c> of the children, before and after).
/// <c>VmHWM</c>, sampled every 50 ms while the worker runs, stands in should an earlier child have been larger.
/// </remarks>
internal static partial class WorkerRun
{
    /// <param name="onStoring">Called with the worker's pid as soon as its storer logs that it starts (the end of plan and issue).</param>
    public static async Task<WorkerResult> RunAsync(string dll, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment,
        string logPath, Action<int> onStoring, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var before = ChildrenUsage();
        var lines = new List<string>();
        var gate = new Lock();
        await using var log = new StreamWriter(logPath, append: false);
        var started = DateTimeOffset.UtcNow;
        using var process = Process.Start(start) ?? throw new BenchmarkException($"could not start dotnet {dll}");
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(logPath)!, "worker.pid"), process.Id.ToString(CultureInfo.InvariantCulture), cancellationToken);
        var pid = process.Id;
        void Record(string? line)
        {
            if (line is not null)
            {
                if (line.Contains("\"PendingInvoices\"", StringComparison.Ordinal))
                {
                    onStoring(pid);
                }
                lock (gate)
                {
                    lines.Add(line);
                }
            }
        }
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        long sampledHwm = 0;
        try
        {
            while (!process.HasExited)
            {
                sampledHwm = Math.Max(sampledHwm, ReadHwm(process.Id));
                try
                {
                    await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken);
                }
                catch (TimeoutException)
                {
                    // Still running: sample again.
                }
            }
            await process.WaitForExitAsync(cancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        var exited = DateTimeOffset.UtcNow;
        // The reaped worker's CPU time (user + system) and peak RSS, as the kernel counted them.
        var after = ChildrenUsage();
        var cpu = after.Cpu - before.Cpu;
        var peak = after.MaxRss;
        if (peak <= before.MaxRss && sampledHwm > peak)
        {
            peak = sampledHwm; // An earlier, larger child would mask the worker's figure: keep the sampled one.
        }

        List<string> all;
        lock (gate)
        {
            all = [.. lines];
        }
        foreach (var line in all)
        {
            await log.WriteLineAsync(line);
        }
        var stored = new List<StoredInvoiceLog>();
        DateTimeOffset? storeStarted = null;
        var summary = "";
        foreach (var line in all)
        {
            if (line.StartsWith("invoice run ", StringComparison.Ordinal))
            {
                summary = line;
            }
            if (!line.StartsWith('{'))
            {
                continue;
            }
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("RenderMs", out var render))
            {
                stored.Add(new StoredInvoiceLog(
                    root.GetProperty("InvoiceNumber").GetString()!, root.GetProperty("@t").GetDateTimeOffset(), root.GetProperty("Size").GetInt64(),
                    root.GetProperty("AlreadyStored").GetBoolean(), render.GetDouble(), root.GetProperty("QueuedMs").GetDouble(),
                    root.GetProperty("UploadMs").GetDouble(), root.GetProperty("MarkMs").GetDouble()));
            }
            else if (root.TryGetProperty("PendingInvoices", out _))
            {
                storeStarted = root.GetProperty("@t").GetDateTimeOffset();
            }
        }
        return new WorkerResult(process.ExitCode, started, exited, peak, cpu, summary, stored, storeStarted, logPath,
            string.Join('\n', all.TakeLast(20)));
    }

    private static long ReadHwm(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Exited between the check and the read.
        }
        return 0;
    }

    /// <summary>The reaped children's largest resident set and their total CPU time.</summary>
    private static (long MaxRss, TimeSpan Cpu) ChildrenUsage()
    {
        if (GetRUsage(RUsageChildren, out var usage) != 0)
        {
            throw new BenchmarkException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }
        var microseconds = ((usage.UserSeconds + usage.SystemSeconds) * 1_000_000) + usage.UserMicroseconds + usage.SystemMicroseconds;
        return (usage.MaxRssKilobytes * 1024, TimeSpan.FromMicroseconds(microseconds));
    }

    private const int RUsageChildren = -1;

    /// <summary>Linux <c>struct rusage</c> on 64-bit: two timevals, then fourteen longs (ru_maxrss first, in kilobytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRssKilobytes;
        public long IxRss;
        public long IdRss;
        public long IsRss;
        public long MinFlt;
        public long MajFlt;
        public long NSwap;
        public long InBlock;
        public long OuBlock;
        public long MsgSnd;
        public long MsgRcv;
        public long NSignals;
        public long NvCsw;
        public long NivCsw;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRUsage(int who, out RUsage usage);
}
