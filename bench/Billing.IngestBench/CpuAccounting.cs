using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Billing.IngestBench;

/// <summary>
/// CPU time used by the processes of a phase, from <c>/proc/PID/stat</c>. Wall-clock rates on a shared machine measure
/// the other tenants too; CPU time per event barely does, so it says what each phase costs and which process pays.
/// </summary>
internal static class CpuAccounting
{
    // Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>
    /// CPU time of a process and its children: its own, what its reaped children used (PostgreSQL's postmaster reaps
    /// every backend that ends), and what its living children have used so far (the backends, checkpointer, WAL writer).
    /// </summary>
    public static TimeSpan OfTree(int pid)
    {
        var (own, reaped) = Read(pid);
        var total = own + reaped;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var child) && child != pid && ParentOf(child) == pid)
            {
                total += Read(child).Own;
            }
        }
        return TimeSpan.FromSeconds(total / TicksPerSecond);
    }

    /// <summary>
    /// How the machine stood at a moment: its 1, 5 and 15 minute load averages, and how fast one core runs a fixed piece
    /// of work (SHA-256 over 64 MiB, the fastest of five passes, about 0.2 s in all). The second tells runs apart that
    /// the first cannot: on a virtual machine whose host is busy, the same code runs slower with a low load average.
    /// </summary>
    public static string MachineState()
    {
        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
        return string.Create(CultureInfo.InvariantCulture, $"load average {load}, one core hashes {OneCoreMebibytesPerSecond():N0} MiB/s (SHA-256)");
    }

    private static double OneCoreMebibytesPerSecond()
    {
        const int Mebibytes = 64;
        var block = new byte[1024 * 1024];
        Random.Shared.NextBytes(block);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var fastest = TimeSpan.MaxValue;
        for (var pass = 0; pass < 5; pass++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < Mebibytes; i++)
            {
                SHA256.HashData(block, hash);
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            fastest = elapsed < fastest ? elapsed : fastest;
        }
        return Mebibytes / fastest.TotalSeconds;
    }

    /// <summary>The process's own CPU time.</summary>
    public static TimeSpan Of(int pid) => TimeSpan.FromSeconds(Read(pid).Own / TicksPerSecond);

    /// <summary>Reads the pid in a pid file (PostgreSQL's postmaster.pid has it on its first line); null when there is none.</summary>
    public static int? PidFrom(string? pidFile)
    {
        if (string.IsNullOrEmpty(pidFile) || !File.Exists(pidFile))
        {
            return null;
        }
        var first = File.ReadLines(pidFile).FirstOrDefault()?.Trim();
        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null; // The process has gone.
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int? ParentOf(int pid) => Fields(pid) is { } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : null;

    // Fields after the comm: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime.
    private static (long Own, long Reaped) Read(int pid) =>
        Fields(pid) is { } f
            ? (Long(f[11]) + Long(f[12]), Long(f[13]) + Long(f[14]))
            : (0, 0);

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);
}

/// <summary>The CPU time of the benchmark's processes at one instant.</summary>
internal sealed record CpuSnapshot(TimeSpan Bench, TimeSpan Nats, TimeSpan Postgres, TimeSpan Worker)
{
    public static CpuSnapshot Take(int? natsPid, int? postgresPid, int? workerPid) => new(
        System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime,
        natsPid is { } n ? CpuAccounting.Of(n) : TimeSpan.Zero,
        postgresPid is { } p ? CpuAccounting.OfTree(p) : TimeSpan.Zero,
        workerPid is { } w ? CpuAccounting.Of(w) : TimeSpan.Zero);

    public static CpuSnapshot operator -(CpuSnapshot end, CpuSnapshot start) =>
        new(end.Bench - start.Bench, end.Nats - start.Nats, end.Postgres - start.Postgres, end.Worker - start.Worker);
}
