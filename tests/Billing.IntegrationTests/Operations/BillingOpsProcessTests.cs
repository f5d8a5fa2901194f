using System.Diagnostics;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Operations;

/// <summary>The built <c>billing-ops</c> program as operators run it: configuration from environment variables, exit codes.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class BillingOpsProcessTests
{
    private static Task<OpsResult> RunProcessAsync(string? connectionString, params string[] args) =>
        RunProcessAsync(connectionString, nats: null, s3: null, args);

    /// <summary>
    /// Runs the program with the database and (when given) a fixture's NATS streams and bucket as environment variables,
    /// the S3 server's keys as the AWS SDK's own variables (its default chain finds them, as in production), and none of
    /// the billing or AWS variables the test runner's own environment may hold.
    /// </summary>
    private static Task<OpsResult> RunProcessAsync(string? connectionString, TestNats? nats, TestS3? s3, params string[] args) =>
        RunProcessAsync(connectionString, nats, s3, environment: [], args);

    private static async Task<OpsResult> RunProcessAsync(
        string? connectionString, TestNats? nats, TestS3? s3, IEnumerable<KeyValuePair<string, string?>> environment, params string[] args)
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
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("Nats__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("S3__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("AWS_", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("Vault__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Secrets__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        start.Environment.Remove("ConnectionStrings__Billing");
        if (connectionString is not null)
        {
            start.Environment["ConnectionStrings__Billing"] = connectionString;
        }
        // No Vault Agent directory: a developer machine might have /vault/secrets.
        start.Environment["Secrets__Directory"] = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}");
        foreach (var (key, value) in (nats?.Configuration() ?? []).Concat(s3?.Configuration() ?? []).Concat(environment))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        if (s3 is not null)
        {
            var credentials = await s3.Credentials.GetCredentialsAsync();
            start.Environment["AWS_ACCESS_KEY_ID"] = credentials.AccessKey;
            start.Environment["AWS_SECRET_ACCESS_KEY"] = credentials.SecretKey;
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
        await using var s3 = await TestS3.CreateAsync("ops_process");

        var migrate = await RunProcessAsync(database.ConnectionString, "migrate");
        var import = await RunProcessAsync(database.ConnectionString, "import", "tiers", Ops.Sample("tiers.csv"));
        var provision = await RunProcessAsync(connectionString: null, nats, s3: null, "provision", "nats");
        var provisionS3 = await RunProcessAsync(connectionString: null, nats: null, s3, "provision", "s3");
        var preflight = await RunProcessAsync(database.ConnectionString, nats, s3, "preflight");

        Assert.That(migrate.ExitCode, Is.Zero, migrate.ToString());
        Assert.That(import.Output, Does.Contain("tiers.csv: 4 row(s): 4 inserted"), import.ToString());
        Assert.That(provision.ExitCode, Is.Zero, provision.ToString());
        Assert.That(provision.Output, Does.Contain($"stream {nats.Options.EventsStream}: created"));
        Assert.That(provisionS3.ExitCode, Is.Zero, provisionS3.ToString());
        Assert.That(provisionS3.Output, Does.Contain($"bucket {s3.Bucket}: created"));
        // Active tiers but no operators: nothing to cover yet, so every item passes, the NATS and S3 items included.
        Assert.That(preflight.ExitCode, Is.Zero, preflight.ToString());
        Assert.That(preflight.Output, Does.Contain($"PASS  S3 bucket {s3.Bucket}").And.Contain("PASS  S3 SSE-KMS proven"));
        Assert.That(preflight.Output, Does.Contain("preflight passed: 8 item(s)"));
    }

    [Test]
    public async Task Billing_ops_takes_its_secrets_from_Vault_with_token_auth()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("ops_process_vault");
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?> { ["Nats__Url"] = "nats://127.0.0.1:1" });
        vault.PutSecret("billing-ops", new Dictionary<string, string?> { ["ConnectionStrings__Billing"] = database.ConnectionString });
        var token = vault.CreateToken(TimeSpan.FromHours(1), renewable: true);

        var preflight = await RunProcessAsync(connectionString: null, nats: null, s3: null,
            [new("Vault__Address", vault.Address), new("Vault__AuthMethod", "token"), new("Vault__Token", token)], "preflight");

        Assert.That(preflight.Output, Does.Contain("PASS  database reachable").And.Contain("PASS  billing schema migrations applied"),
            "ConnectionStrings__Billing came from secret/billing/billing-ops: " + preflight);
        Assert.That(preflight.Output, Does.Contain("cannot reach NATS at nats://127.0.0.1:1"), "Nats__Url came from secret/billing/common");
        Assert.That(preflight.Output, Does.Contain("PASS  Vault reachable and secret/billing/* readable: ")
            .And.Contain("token auth (Vault__Token); read secret/billing/common (1 key(s)), secret/billing/billing-ops (1 key(s))"));
        Assert.That(preflight.Output + preflight.Error, Does.Not.Contain(token));
    }

    [Test]
    public async Task Billing_ops_stops_when_Vault_denies_a_secret_except_preflight_which_reports_it()
    {
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?>());
        vault.Denied["billing-ops"] = true;
        var token = vault.CreateToken(TimeSpan.FromHours(1), renewable: true);
        KeyValuePair<string, string?>[] environment = [new("Vault__Address", vault.Address), new("Vault__Token", token)];

        var migrate = await RunProcessAsync(connectionString: "Host=127.0.0.1;Port=1", nats: null, s3: null, environment, "migrate");
        var preflight = await RunProcessAsync(connectionString: "Host=127.0.0.1;Port=1;Timeout=2", nats: null, s3: null, environment, "preflight");

        var denied = $"Vault at {vault.Address} denied reading secret/billing/billing-ops (403: permission denied)";
        Assert.That(migrate.ExitCode, Is.EqualTo(1), migrate.ToString());
        Assert.That(migrate.Error, Does.StartWith($"billing-ops: {denied}"));
        Assert.That(migrate.Output, Is.Empty, "nothing was migrated");
        Assert.That(preflight.ExitCode, Is.EqualTo(1), preflight.ToString());
        Assert.That(preflight.Error, Does.Contain($"billing-ops: Vault secrets not loaded, preflight goes on without them: {denied}"));
        Assert.That(preflight.Output, Does.Contain($"FAIL  Vault reachable and secret/billing/* readable: {denied}")
            .And.Contain("FAIL  database reachable"));
    }

    [Test]
    public async Task Provision_s3_without_S3_KmsKeyId_is_a_configuration_error_that_names_the_variable()
    {
        var result = await RunProcessAsync(null, "provision", "s3");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("not configured: set S3__KmsKeyId"));
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
