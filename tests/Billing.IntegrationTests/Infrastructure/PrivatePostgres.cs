using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL server of a test's own (started by <c>scripts/local-servers.sh</c> in a directory and on a port of its
/// own), which the test may stop and start without disturbing the fixtures that share the run's server.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _directory;
    private readonly int _port;

    private PrivatePostgres(string directory, int port)
    {
        _directory = directory;
        _port = port;
    }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=5";

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={_port};Username=postgres;Database={database};Timeout=5;Command Timeout=30";

    /// <summary>Null where servers come from elsewhere (environment variables or Docker): then the test cannot stop one.</summary>
    public static async Task<PrivatePostgres?> StartAsync()
    {
        if (!TestServers.UsesLocalScript)
        {
            return null;
        }
        var directory = Directory.CreateTempSubdirectory("billing-private-pg-").FullName;
        var postgres = new PrivatePostgres(directory, FreePort());
        await postgres.RunScriptAsync("start");
        return postgres;
    }

    public Task StopAsync() => RunScriptAsync("stop");

    public Task StartAgainAsync() => RunScriptAsync("start");

    public async ValueTask DisposeAsync()
    {
        await RunScriptAsync("reset");
        Directory.Delete(_directory, recursive: true);
    }

    private async Task RunScriptAsync(string command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepositoryRoot.Combine("scripts", "local-servers.sh"));
        start.ArgumentList.Add(command);
        start.ArgumentList.Add("pg");
        start.Environment["BILLING_LOCAL_DIR"] = _directory;
        start.Environment["BILLING_PG_PORT"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-servers.sh {command} pg failed: {await stderr}{await stdout}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
