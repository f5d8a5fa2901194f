using Billing.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>The outcome of one <c>billing-ops</c> invocation.</summary>
public sealed record OpsResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the <c>billing-ops</c> command line in-process against a test database, at a fixed instant.</summary>
public static class Ops
{
    /// <summary>The instant "now" for CLI runs in tests: mid-November 2026, inside the sample data's validity.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    public static Task<OpsResult> RunAsync(TestDatabase database, params string[] args) =>
        RunAsync(database.ConnectionString, args);

    public static async Task<OpsResult> RunAsync(string connectionString, params string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Billing"] = connectionString })
            .Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await new OpsCli(configuration, output, error, new FakeTimeProvider(Now)).RunAsync(args, CancellationToken.None);
        return new OpsResult(exitCode, output.ToString(), error.ToString());
    }

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
            var result = await RunAsync(database, "import", kind, Sample(file));
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
        }
    }
}
