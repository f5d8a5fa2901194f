using System.Diagnostics;
using Billing.IngestWorker;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// A built program of the solution (<c>ingest-worker</c>, <c>invoice-worker</c>) as a separate operating-system process,
/// so a test can SIGKILL it.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _standardOutput = [];

    private WorkerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            Record(e.Data);
            if (e.Data is not null)
            {
                lock (_output)
                {
                    _standardOutput.Add(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote (for failure messages).</summary>
    public string Tail
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(30));
            }
        }
    }

    /// <summary>Starts the ingest worker on a test database and a fixture's streams, consuming.</summary>
    public static WorkerProcess Start(string connectionString, TestNats nats, IDictionary<string, string>? settings = null) =>
        StartProgram("ingest-worker", [],
        [
            new("ConnectionStrings:Billing", connectionString),
            .. nats.Configuration(),
            new(IngestExtensions.ConsumerEnabledVariable, "true"),
            .. (settings ?? new Dictionary<string, string>()).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)),
        ]);

    /// <summary>
    /// Starts <paramref name="program"/> (<c>&lt;program&gt;.dll</c> beside the tests) with these arguments and settings;
    /// setting keys may use <c>:</c> or <c>__</c>. Its web host listens on a free port and logs warnings and worse.
    /// </summary>
    public static WorkerProcess StartProgram(string program, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, $"{program}.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        return new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}"));
    }

    /// <summary>Waits for a program that runs to completion; its exit code, standard output, and everything it wrote.</summary>
    public async Task<OpsResult> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the process did not exit within {timeout}:\n{Tail}");
        }
        // Exited: flush the asynchronous readers before reading what they collected.
        _process.WaitForExit();
        lock (_output)
        {
            return new OpsResult(_process.ExitCode, string.Join('\n', _standardOutput), string.Join('\n', _output));
        }
    }

    /// <summary>SIGKILL: no shutdown, no last acks, whatever it was doing.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>Waits until the process has written a line containing <paramref name="text"/> (its structured logs).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.Any(line => line.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }
            _waiters.Add((text, seen));
        }
        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the worker did not write '{text}' within {timeout}:\n{Tail}");
        }
    }

    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Add(line);
            foreach (var waiter in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}
