using System.Diagnostics;
using System.Text.RegularExpressions;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Testcontainers.PostgreSql;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>Where the real PostgreSQL server for this test run listens.</summary>
public sealed record PostgresServer(string AdminConnectionString);

/// <summary>Where the real NATS server (JetStream enabled) for this test run listens.</summary>
public sealed record NatsServer(string Url);

/// <summary>Where the real S3-compatible server for this test run listens, and how to reach it.</summary>
public sealed record S3Server(string ServiceUrl, string AccessKey, string SecretKey, string KmsKeyId);

/// <summary>
/// Starts each real server at most once per test run, on first use, and shares it between fixtures (each fixture gets
/// its own database, stream names and bucket prefix). Where the servers come from, in order:
/// <list type="number">
/// <item>servers named by environment variables (<c>BILLING_TEST_PG_ADMIN</c>, <c>BILLING_TEST_NATS_URL</c>,
/// <c>BILLING_TEST_S3_URL</c> with <c>BILLING_TEST_S3_ACCESS_KEY</c>/<c>_SECRET_KEY</c>/<c>_KMS_KEY_ID</c>);</item>
/// <item>Testcontainers, when a Docker engine answers (a developer laptop), unless <c>BILLING_TEST_SERVERS=local</c>;</item>
/// <item>the project's own <c>scripts/local-servers.sh</c>, which installs and starts PostgreSQL 15, nats-server and
/// Ceph RGW on this machine (CI and the development machines here have no Docker).</item>
/// </list>
/// </summary>
public static partial class TestServers
{
    private static readonly Lazy<Task<PostgresServer>> PostgresServer = new(StartPostgresAsync);
    private static readonly Lazy<Task<NatsServer>> NatsServer = new(StartNatsAsync);
    private static readonly Lazy<Task<S3Server>> S3Server = new(StartS3Async);
    private static readonly List<IAsyncDisposable> Containers = [];
    private static readonly Lazy<bool> UseDocker = new(DockerIsAvailable);

    public static Task<PostgresServer> PostgresAsync() => PostgresServer.Value;

    /// <summary>True when PostgreSQL comes from <c>scripts/local-servers.sh</c> (neither environment variables nor Docker).</summary>
    public static bool UsesLocalScript =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BILLING_TEST_PG_ADMIN")) && !UseDocker.Value;

    public static Task<NatsServer> NatsAsync() => NatsServer.Value;

    public static Task<S3Server> S3Async() => S3Server.Value;

    /// <summary>Stops containers this run started; servers from the local script keep running for the next run.</summary>
    public static async Task StopAsync()
    {
        foreach (var container in Containers)
        {
            await container.DisposeAsync();
        }
        Containers.Clear();
    }

    private static async Task<PostgresServer> StartPostgresAsync()
    {
        if (Environment.GetEnvironmentVariable("BILLING_TEST_PG_ADMIN") is { Length: > 0 } admin)
        {
            return new PostgresServer(admin);
        }
        if (UseDocker.Value)
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            await StartContainerAsync(container);
            return new PostgresServer(container.GetConnectionString());
        }
        var env = await LocalServersAsync("pg");
        return new PostgresServer(env["BILLING_PG_ADMIN"]);
    }

    private static async Task<NatsServer> StartNatsAsync()
    {
        if (Environment.GetEnvironmentVariable("BILLING_TEST_NATS_URL") is { Length: > 0 } url)
        {
            return new NatsServer(url);
        }
        if (UseDocker.Value)
        {
            var container = new ContainerBuilder("nats:2.10")
                .WithCommand("-js")
                .WithPortBinding(4222, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Server is ready"))
                .Build();
            await StartContainerAsync(container);
            return new NatsServer($"nats://{container.Hostname}:{container.GetMappedPublicPort(4222)}");
        }
        var env = await LocalServersAsync("nats");
        return new NatsServer(env["Nats__Url"]);
    }

    private static async Task<S3Server> StartS3Async()
    {
        if (Environment.GetEnvironmentVariable("BILLING_TEST_S3_URL") is { Length: > 0 } url)
        {
            return new S3Server(url,
                Required("BILLING_TEST_S3_ACCESS_KEY"), Required("BILLING_TEST_S3_SECRET_KEY"), Required("BILLING_TEST_S3_KMS_KEY_ID"));
        }
        if (UseDocker.Value)
        {
            // MinIO with a static KMS key: SSE-KMS works with that key id.
            const string keyId = "billing-test-key";
            var accessKey = Guid.NewGuid().ToString("N");
            var secretKey = Guid.NewGuid().ToString("N");
            var container = new ContainerBuilder("minio/minio:latest")
                .WithCommand("server", "/data")
                .WithEnvironment("MINIO_ROOT_USER", accessKey)
                .WithEnvironment("MINIO_ROOT_PASSWORD", secretKey)
                .WithEnvironment("MINIO_KMS_SECRET_KEY", $"{keyId}:{Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}")
                .WithPortBinding(9000, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPath("/minio/health/ready").ForPort(9000)))
                .Build();
            await StartContainerAsync(container);
            return new S3Server($"http://{container.Hostname}:{container.GetMappedPublicPort(9000)}", accessKey, secretKey, keyId);
        }
        var env = await LocalServersAsync("s3");
        return new S3Server(env["S3__ServiceUrl"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["S3__KmsKeyId"]);
    }

    private static async Task StartContainerAsync(IContainer container)
    {
        lock (Containers)
        {
            Containers.Add(container);
        }
        await container.StartAsync();
    }

    private static bool DockerIsAvailable()
    {
        var choice = Environment.GetEnvironmentVariable("BILLING_TEST_SERVERS");
        if (string.Equals(choice, "local", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (string.Equals(choice, "docker", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        try
        {
            return DockerCli.IsAvailable();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            return false;
        }
    }

    private static readonly SemaphoreSlim ScriptLock = new(1, 1);

    /// <summary>Runs <c>scripts/local-servers.sh start SERVER</c> (idempotent) and returns its exported variables.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> LocalServersAsync(string server)
    {
        await ScriptLock.WaitAsync();
        try
        {
            var script = RepositoryRoot.Combine("scripts", "local-servers.sh");
            var (exitCode, stdout, stderr) = await RunAsync("bash", script, "start", server);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"{script} start {server} failed with exit code {exitCode}:\n{stderr}");
            }
            TestContext.Progress.WriteLine($"local servers: started {server}");
            return ParseExports(stdout);
        }
        finally
        {
            ScriptLock.Release();
        }
    }

    internal static IReadOnlyDictionary<string, string> ParseExports(string text) =>
        ExportLine().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} must be set when BILLING_TEST_S3_URL is");

    [GeneratedRegex(@"^export (?<name>[A-Za-z_][A-Za-z0-9_]*)='(?<value>[^']*)'$", RegexOptions.Multiline)]
    private static partial Regex ExportLine();
}

/// <summary>Asks the Docker CLI whether an engine answers; a missing CLI or engine means no Docker.</summary>
internal static class DockerCli
{
    public static bool IsAvailable()
    {
        if (!File.Exists("/var/run/docker.sock") && Environment.GetEnvironmentVariable("DOCKER_HOST") is null)
        {
            return false;
        }
        var (exitCode, _, _) = TestServers.RunAsync("docker", "info", "--format", "{{.ServerVersion}}").GetAwaiter().GetResult();
        return exitCode == 0;
    }
}
