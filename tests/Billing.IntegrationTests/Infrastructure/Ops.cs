using Amazon.Runtime;
using Billing.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>The outcome of one <c>billing-ops</c> invocation.</summary>
public sealed record OpsResult(int ExitCode, string Output, string Error)
{
    /// <summary>Standard output line by line, for asserting on whole lines.</summary>
    public IReadOnlyList<string> OutputLines => Output.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the <c>billing-ops</c> command line in-process against a test database, at a fixed instant.</summary>
public static class Ops
{
    /// <summary>The instant "now" for CLI runs in tests: mid-November 2026, inside the sample data's validity.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    public static Task<OpsResult> RunAsync(TestDatabase database, params string[] args) =>
        RunAsync(database.ConnectionString, args);

    public static Task<OpsResult> RunAsync(string connectionString, params string[] args) =>
        RunAsync(Settings(connectionString), args);

    /// <summary>Runs against a test database and a fixture's own NATS streams.</summary>
    public static Task<OpsResult> RunAsync(TestDatabase database, TestNats nats, params string[] args) =>
        RunAsync(Settings(database.ConnectionString).Concat(nats.Configuration()), args);

    /// <summary>Runs against a test database, a fixture's own NATS streams and its own bucket.</summary>
    public static Task<OpsResult> RunAsync(TestDatabase database, TestNats nats, TestS3 s3, params string[] args) =>
        RunAsync(Settings(database.ConnectionString).Concat(nats.Configuration()).Concat(s3.Configuration()), s3.Credentials, args);

    /// <summary>Runs against a fixture's own bucket only (<c>provision s3</c>).</summary>
    public static Task<OpsResult> RunAsync(TestS3 s3, params string[] args) => RunAsync(s3.Configuration(), s3.Credentials, args);

    /// <summary>Runs with exactly these configuration keys (<c>Nats:Url</c>, ...), as the environment would give them.</summary>
    public static Task<OpsResult> RunAsync(IEnumerable<KeyValuePair<string, string?>> settings, params string[] args) =>
        RunAsync(settings, s3Credentials: null, args);

    /// <summary>As above, with the S3 server's keys (which operators' environments give the SDK's default chain).</summary>
    public static async Task<OpsResult> RunAsync(
        IEnumerable<KeyValuePair<string, string?>> settings, AWSCredentials? s3Credentials, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await new OpsCli(configuration, output, error, new FakeTimeProvider(Now), s3Credentials)
            .RunAsync(args, CancellationToken.None);
        return new OpsResult(exitCode, output.ToString(), error.ToString());
    }

    private static IEnumerable<KeyValuePair<string, string?>> Settings(string connectionString) =>
        [new("ConnectionStrings:Billing", connectionString)];

    public static string Sample(string file) => RepositoryRoot.Combine("sample", file);

    /// <summary>Imports the sample reference data (all five files) and fails the test if any import fails.</summary>
    public static async Task ImportSampleAsync(TestDatabase database)
    {
        foreach (var (kind, file) in new[]
                 {
                     ("tiers", "tiers.csv"), ("operators", "operators.csv"), ("accounts", "accounts.csv"),
                     ("pricing", "pricing.csv"), ("operator-costs", "operator-costs.csv"),
                 })
        {
            await ImportAsync(database, kind, Sample(file));
        }
    }

    /// <summary>Imports a CSV with <c>billing-ops import</c> (and any options, e.g. <c>--rerate</c>); fails the test if the import fails.</summary>
    public static async Task ImportAsync(TestDatabase database, string kind, string file, params string[] options)
    {
        var result = await RunAsync(database, ["import", kind, file, .. options]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }
}
