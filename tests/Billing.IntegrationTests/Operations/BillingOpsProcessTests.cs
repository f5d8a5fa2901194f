using System.Diagnostics;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Operations;

/// <summary>The built <c>billing-ops</c> program as operators run it: configuration from environment variables, exit codes.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class BillingOpsProcessTests
{
    private static Task<OpsResult> RunProcessAsync(string? connectionString, params string[] args) =>
        RunProcessAsync(connectionString, nats: null, args);

    /// <summary>
    /// Runs the program with the database and (when given) a fixture's NATS streams as environment variables, and none
    /// of the billing variables the test runner's own environment may hold.
    /// </summary>
    private static async Task<OpsResult> RunProcessAsync(string? connectionString, TestNats? nats, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "billing-ops.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("Nats__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        start.Environment.Remove("ConnectionStrings__Billing");
        if (connectionString is not null)
        {
            start.Environment["ConnectionStrings__Billing"] = connectionString;
        }
        foreach (var (key, value) in nats?.Configuration() ?? [])
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new OpsResult(process.ExitCode, await output, await error);
    }

    [Test]
    public async Task Migrate_then_import_then_provision_then_preflight_through_environment_variables()
    {
        await using var database = await TestDatabase.CreateEmptyAsync("ops_process");
        await using var nats = await TestNats.CreateAsync("ops_process");

        var migrate = await RunProcessAsync(database.ConnectionString, "migrate");
        var import = await RunProcessAsync(database.ConnectionString, "import", "tiers", Ops.Sample("tiers.csv"));
        var provision = await RunProcessAsync(connectionString: null, nats, "provision", "nats");
        var preflight = await RunProcessAsync(database.ConnectionString, nats, "preflight");

        Assert.That(migrate.ExitCode, Is.Zero, migrate.ToString());
        Assert.That(import.Output, Does.Contain("tiers.csv: 4 row(s): 4 inserted"), import.ToString());
        Assert.That(provision.ExitCode, Is.Zero, provision.ToString());
        Assert.That(provision.Output, Does.Contain($"stream {nats.Options.EventsStream}: created"));
        // Active tiers but no operators: nothing to cover yet, so every item passes, the two NATS items included.
        Assert.That(preflight.ExitCode, Is.Zero, preflight.ToString());
        Assert.That(preflight.Output, Does.Contain("preflight passed: 6 item(s)"));
    }

    [Test]
    public async Task Missing_connection_string_is_a_configuration_error_that_names_the_variable()
    {
        var result = await RunProcessAsync(null, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("ConnectionStrings__Billing"));
    }

    [Test]
    public async Task Sql_script_needs_no_database_and_matches_the_checked_in_file()
    {
        var result = await RunProcessAsync(null, "sql-script");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output.ReplaceLineEndings("\n"),
            Is.EqualTo((await File.ReadAllTextAsync(RepositoryRoot.Combine("migrations", "billing-schema.sql"))).ReplaceLineEndings("\n")));
    }
}
