using System.CommandLine;
using Amazon.Runtime;
using Billing.Core.Data;
using Billing.Core.Storage;
using Billing.Migrations.Import;
using Billing.Migrations.Preflight;
using Billing.Migrations.Provisioning;
using Billing.Migrations.Rerating;
using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace Billing.Migrations;

/// <summary>
/// <c>billing-ops</c>, the operations CLI: the pre-launch checklist made executable (SPEC sections 10 and 12).
/// Exit codes: 0 done, 1 the operation failed or a check failed, 2 bad usage or configuration.
/// </summary>
/// <param name="s3Credentials">Null (as in production): the AWS SDK's default chain finds them (environment variables,
/// the IRSA web identity, an instance role). Tests pass their server's keys.</param>
internal sealed class OpsCli(
    IConfiguration configuration, TextWriter output, TextWriter error, TimeProvider time, AWSCredentials? s3Credentials = null)
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    /// <summary>The deployable's name: its Vault secrets are <c>secret/billing/common</c> and <c>secret/billing/billing-ops</c>.</summary>
    public const string Deployable = "billing-ops";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        BuildCommands().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);

    private RootCommand BuildCommands()
    {
        var root = new RootCommand("billing-ops: migrations, reference data and pre-launch checks for the billing service.");

        var rollback = new Option<bool>("--rollback") { Description = "Revert every migration (destructive; refused while billing tables hold data)." };
        var force = new Option<bool>("--force") { Description = "With --rollback: drop the tables even though they hold data." };
        var migrate = new Command("migrate", "Apply the EF Core migrations and create event partitions ahead of time.") { rollback, force };
        migrate.SetAction((result, ct) => result.GetValue(rollback)
            ? WithDatabase(db => RollbackAsync(db, result.GetValue(force), ct))
            : result.GetValue(force)
                ? Task.FromResult(Usage("--force is only valid with --rollback"))
                : WithDatabase(db => MigrateAsync(db, ct)));
        root.Subcommands.Add(migrate);

        var outputFile = new Option<FileInfo?>("--output") { Description = "Write the script to this file instead of standard output." };
        var sqlScript = new Command("sql-script", "Print the idempotent SQL script of every migration (what the CI pipeline applies).") { outputFile };
        sqlScript.SetAction((result, ct) => SqlScriptAsync(result.GetValue(outputFile), ct));
        root.Subcommands.Add(sqlScript);

        var kind = new Argument<string>("kind") { Description = "tiers, operators, accounts, pricing or operator-costs" };
        kind.AcceptOnlyFromAmong("tiers", "operators", "accounts", "pricing", "operator-costs");
        var file = new Argument<FileInfo>("file") { Description = "The CSV file (UTF-8, header row, ISO dates in UTC, '.' decimal point)." };
        var rerateAfterImport = new Option<bool>("--rerate") { Description = "After the import, price the events still unrated (as `rerate` does)." };
        var import = new Command("import", "Import one reference-data CSV file in one transaction.") { kind, file, rerateAfterImport };
        import.SetAction((result, ct) => ImportAsync(
            ReferenceDataImporter.ParseKind(result.GetValue(kind)!), result.GetValue(file)!, result.GetValue(rerateAfterImport), ct));
        root.Subcommands.Add(import);

        var from = new Option<DateOnly?>("--from") { Description = "First UTC day of the events to re-rate (YYYY-MM-DD)." };
        var to = new Option<DateOnly?>("--to") { Description = "UTC day after the last one to re-rate (YYYY-MM-DD, exclusive)." };
        var account = new Option<string?>("--account") { Description = "Only this account's events." };
        var includeRated = new Option<bool>("--include-rated") { Description = "Also re-price rated events of periods not yet invoiced." };
        var rerate = new Command("rerate", "Price unrated events whose rule or account now exists, correcting the summaries.")
        {
            from, to, account, includeRated,
        };
        rerate.SetAction((result, ct) => RerateAsync(new RerateScope(
            ToInstant(result.GetValue(from)), ToInstant(result.GetValue(to)), result.GetValue(account), result.GetValue(includeRated)), ct));
        root.Subcommands.Add(rerate);
        var provisionNats = new Command("nats", "Create or update the JetStream streams and the durable consumer; report and correct drift.");
        provisionNats.SetAction((_, ct) => ProvisionNatsAsync(ct));
        var provisionS3 = new Command("s3", "Create the invoice bucket if missing, ask for SSE-KMS by default, set the retention lifecycle; report and correct drift.");
        provisionS3.SetAction((_, ct) => ProvisionS3Async(ct));
        var provision = new Command("provision", "Create or update what the service needs outside its database (idempotent).")
        {
            provisionNats, provisionS3,
        };
        root.Subcommands.Add(provision);

        var preflight = new Command("preflight", "Check every pre-launch item; print PASS/FAIL per item; exit 1 on any FAIL.");
        preflight.SetAction((_, ct) => WithDatabase(db => PreflightAsync(db, ct)));
        root.Subcommands.Add(preflight);

        return root;
    }

    private async Task<int> MigrateAsync(BillingDbContext db, CancellationToken cancellationToken)
    {
        var result = await new SchemaMigrator(db, time).MigrateAsync(cancellationToken);
        output.WriteLine(result.Applied.Count == 0
            ? "schema up to date: no pending migration"
            : $"applied {result.Applied.Count} migration(s): {string.Join(", ", result.Applied)}");
        output.WriteLine($"event partitions: {result.PartitionsCreated} created, months through {SchemaMigrator.PartitionMonthsAhead} ahead exist");
        return Ok;
    }

    private async Task<int> RollbackAsync(BillingDbContext db, bool force, CancellationToken cancellationToken)
    {
        try
        {
            var reverted = await new SchemaMigrator(db, time).RollbackAsync(force, cancellationToken);
            output.WriteLine(reverted.Count == 0
                ? "nothing to roll back: no migration applied"
                : $"rolled back {reverted.Count} migration(s): {string.Join(", ", reverted)}");
            return Ok;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.RaiseException)
        {
            error.WriteLine($"rollback refused: {e.MessageText}");
            if (e.Hint is not null)
            {
                error.WriteLine(e.Hint);
            }
            return Failed;
        }
    }

    private async Task<int> SqlScriptAsync(FileInfo? file, CancellationToken cancellationToken)
    {
        // Generating the script needs the model and the migrations, not a connection.
        await using var db = CreateDbContext(ConnectionString ?? "Host=localhost");
        var script = new SchemaMigrator(db, time).GenerateIdempotentScript();
        if (file is null)
        {
            await output.WriteAsync(script);
        }
        else
        {
            await File.WriteAllTextAsync(file.FullName, script, cancellationToken);
            output.WriteLine($"wrote {file.FullName}");
        }
        return Ok;
    }

    private async Task<int> ImportAsync(ReferenceDataKind kind, FileInfo file, bool rerate, CancellationToken cancellationToken)
    {
        if (ConnectionString is null)
        {
            return MissingConnectionString();
        }
        if (!file.Exists)
        {
            return Usage($"file not found: {file.FullName}");
        }
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        try
        {
            var result = await new ReferenceDataImporter(dataSource).ImportAsync(kind, file.FullName, cancellationToken);
            output.WriteLine($"{file.Name}: {result.Rows} row(s): {result.Inserted} inserted, {result.Updated} updated, {result.Unchanged} unchanged");
            return rerate ? await RerateAsync(dataSource, new RerateScope(null, null, null, IncludeRated: false), cancellationToken) : Ok;
        }
        catch (CsvImportException e)
        {
            error.WriteLine($"import failed, nothing was changed: {e.Message}");
            return Failed;
        }
    }

    private async Task<int> RerateAsync(RerateScope scope, CancellationToken cancellationToken)
    {
        if (ConnectionString is null)
        {
            return MissingConnectionString();
        }
        if (scope.From >= scope.To)
        {
            return Usage("--from must be before --to");
        }
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        return await RerateAsync(dataSource, scope, cancellationToken);
    }

    private async Task<int> RerateAsync(NpgsqlDataSource dataSource, RerateScope scope, CancellationToken cancellationToken)
    {
        var result = await new Rerater(dataSource, time).RerateAsync(scope, cancellationToken);
        var unrated = result.StillUnrated.Count == 0
            ? "none still unrated"
            : "still unrated: " + string.Join(", ", result.StillUnrated.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Value} {r.Key}"));
        output.WriteLine($"rerate: {result.Examined} event(s) examined, {result.Rated} newly rated, {result.Repriced} re-priced; {unrated}");
        return Ok;
    }

    private static DateTimeOffset? ToInstant(DateOnly? day) =>
        day is { } d ? new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;

    private async Task<int> ProvisionNatsAsync(CancellationToken cancellationToken)
    {
        var settings = NatsSettings.From(configuration);
        if (settings.Problem is not null)
        {
            return Usage($"cannot provision NATS: {settings.Problem}");
        }
        var failed = 0;
        try
        {
            await using var connection = await NatsProvisioner.ConnectAsync(settings.Options);
            var provisioner = new NatsProvisioner(new NatsJSContext(connection), settings.Options);
            await foreach (var result in provisioner.ProvisionAsync(cancellationToken))
            {
                foreach (var difference in result.Differences)
                {
                    output.WriteLine($"{result.Object}: {difference}");
                }
                switch (result.Outcome)
                {
                    case NatsProvisionOutcome.Created:
                        output.WriteLine($"{result.Object}: created");
                        break;
                    case NatsProvisionOutcome.Updated:
                        output.WriteLine($"{result.Object}: updated");
                        break;
                    case NatsProvisionOutcome.UpToDate:
                        output.WriteLine($"{result.Object}: up to date");
                        break;
                    default:
                        error.WriteLine($"{result.Object}: {result.Problem}");
                        failed++;
                        break;
                }
            }
        }
        catch (NatsException e)
        {
            error.WriteLine($"provision nats failed: {NatsProvisioner.DescribeFailure(settings.Options, e)}");
            return Failed;
        }
        if (failed > 0)
        {
            error.WriteLine($"provision nats failed: {failed} object(s) not as wanted");
            return Failed;
        }
        return Ok;
    }

    private async Task<int> ProvisionS3Async(CancellationToken cancellationToken)
    {
        var settings = S3Settings.From(configuration);
        if (settings.Problem is not null)
        {
            return Usage($"cannot provision S3: {settings.Problem}");
        }
        var failed = 0;
        try
        {
            using var s3 = S3ClientFactory.Create(settings.Options, s3Credentials ?? S3ClientFactory.CredentialsFrom(configuration));
            var provisioner = new S3Provisioner(s3, settings.Options, time);
            await foreach (var result in provisioner.ProvisionAsync(cancellationToken))
            {
                foreach (var difference in result.Differences)
                {
                    output.WriteLine($"{result.Object}: {difference}");
                }
                switch (result.Outcome)
                {
                    case S3ProvisionOutcome.Created:
                        output.WriteLine($"{result.Object}: created");
                        break;
                    case S3ProvisionOutcome.Updated:
                        output.WriteLine($"{result.Object}: updated");
                        break;
                    case S3ProvisionOutcome.UpToDate:
                        output.WriteLine($"{result.Object}: up to date");
                        break;
                    case S3ProvisionOutcome.NotSupported:
                        output.WriteLine($"{result.Object}: {result.Problem}");
                        break;
                    default:
                        error.WriteLine($"{result.Object}: {result.Problem}");
                        failed++;
                        break;
                }
            }
        }
        catch (Exception e) when (S3Provisioner.IsS3Failure(e) && !cancellationToken.IsCancellationRequested)
        {
            error.WriteLine($"provision s3 failed: {S3Provisioner.DescribeFailure(settings.Options, e)}");
            return Failed;
        }
        if (failed > 0)
        {
            error.WriteLine($"provision s3 failed: {failed} part(s) of bucket {settings.Options.Bucket} at {settings.Options.Endpoint} not as wanted");
            return Failed;
        }
        return Ok;
    }

    private async Task<int> PreflightAsync(BillingDbContext db, CancellationToken cancellationToken)
    {
        var results = await new PreflightRunner(db, new SchemaMigrator(db, time), configuration, time, s3Credentials).RunAsync(cancellationToken);
        foreach (var result in results)
        {
            output.WriteLine(result);
        }
        var failed = results.Count(r => !r.Passed);
        var skipped = results.Count(r => r.Skipped);
        var checkedItems = results.Count - skipped;
        var skips = skipped == 0 ? "" : $", {skipped} skipped";
        output.WriteLine(failed == 0 ? $"preflight passed: {checkedItems} item(s){skips}" : $"preflight FAILED: {failed} of {checkedItems} item(s){skips}");
        return failed == 0 ? Ok : Failed;
    }

    private string? ConnectionString => configuration.GetConnectionString("Billing") is { Length: > 0 } value ? value : null;

    private async Task<int> WithDatabase(Func<BillingDbContext, Task<int>> action)
    {
        if (ConnectionString is null)
        {
            return MissingConnectionString();
        }
        await using var db = CreateDbContext(ConnectionString);
        return await action(db);
    }

    private static BillingDbContext CreateDbContext(string connectionString)
    {
        var options = new DbContextOptionsBuilder<BillingDbContext>();
        BillingDbContext.Configure(options, connectionString);
        return new BillingDbContext(options.Options);
    }

    private int MissingConnectionString() =>
        Usage("no database configured: set ConnectionStrings__Billing (a read-write Npgsql connection string)");

    private int Usage(string message)
    {
        error.WriteLine($"billing-ops: {message}");
        return BadUsage;
    }
}
