using Amazon.Runtime;
using Billing.Core.Data;
using Billing.Core.Secrets;
using Billing.Core.Storage;
using Billing.Migrations.Provisioning;
using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Billing.Migrations.Preflight;

/// <summary>One line of the pre-launch checklist. A skipped item (not configured for this installation) does not fail it.</summary>
internal sealed record PreflightResult(string Item, bool Passed, string Detail, bool Skipped = false)
{
    public static PreflightResult Skip(string item, string why) => new(item, Passed: true, why, Skipped: true);

    public override string ToString() => $"{(Skipped ? "SKIP" : Passed ? "PASS" : "FAIL")}  {Item}: {Detail}";
}

/// <summary>
/// Makes the pre-launch checklist (seed section 2) executable: every item is checked and reported, and a failed item
/// never stops the others from being checked.
/// </summary>
/// <param name="s3Credentials">Null: the AWS SDK's default chain (see <see cref="OpsCli"/>).</param>
internal sealed class PreflightRunner(
    BillingDbContext db, SchemaMigrator migrator, IConfiguration configuration, TimeProvider time, AWSCredentials? s3Credentials = null)
{
    /// <summary>How many gaps a FAIL line lists before it summarises the rest.</summary>
    private const int MaxListed = 25;

    public async Task<IReadOnlyList<PreflightResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<PreflightResult>();
        await CheckDatabaseAsync(results, cancellationToken);
        results.AddRange(await CheckNatsAsync(cancellationToken));
        results.AddRange(await CheckS3Async(cancellationToken));
        results.Add(await CheckVaultAsync(cancellationToken));
        return results;
    }

    /// <summary>
    /// Vault answers, the login works, and every secret <c>billing-ops</c> is configured to read is readable (seed: "Vault
    /// policy: billing-service reads secret/billing/*"). Skipped where no Vault is configured.
    /// </summary>
    private async Task<PreflightResult> CheckVaultAsync(CancellationToken cancellationToken)
    {
        VaultOptions options;
        try
        {
            options = VaultOptions.Bind(configuration);
        }
        catch (InvalidOperationException e)
        {
            return new("Vault reachable and secret/billing/* readable", false, $"misconfigured: {e.Message}");
        }
        var item = $"Vault reachable and {options.KvMount}/{VaultOptions.Folder}/* readable";
        if (!options.IsConfigured)
        {
            return PreflightResult.Skip(item, "Vault not configured (Vault__Address unset)");
        }
        var problems = options.Validate(OpsCli.Deployable);
        if (problems.Count > 0)
        {
            return new(item, false, $"misconfigured: {string.Join("; ", problems)}");
        }

        using var client = new VaultClient(options, time);
        try
        {
            await client.LoginAsync(cancellationToken);
        }
        catch (VaultException e)
        {
            return new(item, false, e.Message);
        }
        var read = new List<string>();
        var failures = new List<string>();
        foreach (var name in options.SecretNames(OpsCli.Deployable))
        {
            try
            {
                var secret = await client.ReadSecretAsync(name, cancellationToken);
                read.Add($"{secret.Path} ({secret.Values.Count} key(s))");
            }
            catch (VaultException e)
            {
                failures.Add(e.Message);
            }
        }
        return failures.Count == 0
            ? new(item, true, $"logged in at {client.Address} with {options.AuthDescription}; read {string.Join(", ", read)}")
            : new(item, false, string.Join("; ", failures));
    }

    /// <summary>The database items; those that need the schema are reported unchecked when it is not current.</summary>
    private async Task CheckDatabaseAsync(List<PreflightResult> results, CancellationToken cancellationToken)
    {
        SchemaState schema;
        try
        {
            schema = await migrator.GetStateAsync(cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
        {
            results.Add(new PreflightResult("database reachable", false, e.Message));
            return;
        }
        results.Add(new PreflightResult("database reachable", true, db.Database.GetDbConnection().DataSource));
        results.Add(CheckSchema(schema));

        var now = time.GetUtcNow();
        if (!schema.IsCurrent)
        {
            results.Add(new PreflightResult("pricing rules cover active tiers x active operators", false, "not checked: schema not current"));
            results.Add(new PreflightResult("operator costs cover active operators", false, "not checked: schema not current"));
            return;
        }

        var pricingGaps = await ReferenceDataCoverage.FindPricingGapsAsync(db, now, cancellationToken);
        results.Add(new PreflightResult(
            "pricing rules cover active tiers x active operators",
            pricingGaps.Count == 0,
            pricingGaps.Count == 0
                ? $"every active tier x active operator has a rule valid at {now:O}"
                : $"{pricingGaps.Count} gap(s) at {now:O}: " + List(pricingGaps.Select(g =>
                    $"tier={g.Tier} operator={g.Operator}{(g.Currency is null ? "" : $" currency={g.Currency}")}"))));

        var costGaps = await ReferenceDataCoverage.FindOperatorCostGapsAsync(db, now, cancellationToken);
        results.Add(new PreflightResult(
            "operator costs cover active operators",
            costGaps.Count == 0,
            costGaps.Count == 0
                ? $"every active operator has a cost valid at {now:O}"
                : $"{costGaps.Count} operator(s) without a cost at {now:O}: " + List(costGaps.Select(g => $"{g.Operator} ({g.Name})"))));
    }

    /// <summary>The JetStream objects, compared with the wanted configuration as <c>provision nats</c> compares them.</summary>
    private async Task<IReadOnlyList<PreflightResult>> CheckNatsAsync(CancellationToken cancellationToken)
    {
        var settings = NatsSettings.From(configuration);
        var options = settings.Options;
        var eventsItem = $"NATS stream {options.EventsStream} and consumer {options.EventsConsumer} as wanted";
        var invoicesItem = $"NATS stream {options.InvoicesStream} as wanted";
        if (settings.Problem is not null)
        {
            return [new(eventsItem, false, settings.Problem), new(invoicesItem, false, settings.Problem)];
        }

        try
        {
            await using var connection = await NatsProvisioner.ConnectAsync(options);
            var provisioner = new NatsProvisioner(new NatsJSContext(connection), options);
            var url = NatsProvisioner.Redacted(options.Url);
            return
            [
                CheckNatsObjects(eventsItem, url, await provisioner.InspectEventsAsync(cancellationToken)),
                CheckNatsObjects(invoicesItem, url, [await provisioner.InspectInvoicesAsync(cancellationToken)]),
            ];
        }
        catch (NatsException e)
        {
            var problem = NatsProvisioner.DescribeFailure(options, e);
            return [new(eventsItem, false, problem), new(invoicesItem, false, problem)];
        }
    }

    /// <summary>
    /// The bucket and its lifecycle, compared as <c>provision s3</c> compares them, and SSE-KMS proven with a probe object:
    /// Ceph RGW cannot encrypt a bucket by default, so what matters is that an upload asking for SSE-KMS gets it.
    /// </summary>
    private async Task<IReadOnlyList<PreflightResult>> CheckS3Async(CancellationToken cancellationToken)
    {
        var settings = S3Settings.From(configuration);
        var options = settings.Options;
        var bucketItem = $"S3 bucket {options.Bucket}";
        const string sseItem = "S3 SSE-KMS proven";
        if (settings.Problem is not null)
        {
            return [new(bucketItem, false, settings.Problem), new(sseItem, false, settings.Problem)];
        }

        try
        {
            using var s3 = S3ClientFactory.Create(options, s3Credentials ?? S3ClientFactory.CredentialsFrom(configuration));
            var provisioner = new S3Provisioner(s3, options, time);
            var state = await provisioner.InspectBucketAsync(cancellationToken);
            var bucket = CheckBucket(bucketItem, options, state);
            if (!state.Exists)
            {
                return [bucket, new(sseItem, false, $"not checked: bucket {options.Bucket} missing")];
            }
            var (proven, detail) = await provisioner.ProveSseKmsAsync(cancellationToken);
            return [bucket, new(sseItem, proven, detail)];
        }
        catch (Exception e) when (S3Provisioner.IsS3Failure(e) && !cancellationToken.IsCancellationRequested)
        {
            var problem = S3Provisioner.DescribeFailure(options, e);
            return [new(bucketItem, false, problem), new(sseItem, false, problem)];
        }
    }

    private static PreflightResult CheckBucket(string item, S3Options options, S3BucketState state)
    {
        const string provision = "run billing-ops provision s3";
        if (!state.Exists)
        {
            return new(item, false, $"missing at {options.Endpoint}; {provision}");
        }
        if (state.IsAsWanted)
        {
            return new(item, true, $"exists, lifecycle expires invoices after {options.RetentionDays} days");
        }
        var problems = new List<string>();
        if (!state.HasLifecycleRule)
        {
            problems.Add($"no lifecycle rule {S3Provisioner.LifecycleRuleId} (invoices would never expire); {provision}");
        }
        else if (state.Differences.Count > 0)
        {
            problems.Add($"lifecycle {S3Provisioner.LifecycleRuleId}: {string.Join(", ", state.Differences)}; {provision}");
        }
        problems.AddRange(state.Conflicts.Select(c => c.ToString()));
        return new(item, false, $"exists, but {string.Join("; ", problems)}");
    }

    private static PreflightResult CheckNatsObjects(string item, string url, IReadOnlyList<NatsObjectState> states)
    {
        if (states.All(s => s.IsAsWanted))
        {
            return new(item, true, $"checked at {url}, every setting as wanted");
        }
        var problems = states.Where(s => !s.IsAsWanted)
            .Select(s => s.Exists ? $"{s.Object}: {string.Join(", ", s.Differences)}" : $"{s.Object} missing");
        return new(item, false, $"{string.Join("; ", problems)}; run billing-ops provision nats");
    }

    private static PreflightResult CheckSchema(SchemaState schema)
    {
        const string item = "billing schema migrations applied";
        if (schema.Unknown.Count > 0)
        {
            return new(item, false, $"the database has migrations this build does not know: {string.Join(", ", schema.Unknown)} (deploy the newer build)");
        }
        if (schema.Applied.Count == 0)
        {
            return new(item, false, "no migration applied; run billing-ops migrate (or apply migrations/billing-schema.sql)");
        }
        return schema.Pending.Count > 0
            ? new(item, false, $"{schema.Pending.Count} pending: {string.Join(", ", schema.Pending)}")
            : new(item, true, $"{schema.Applied.Count} applied, none pending (latest {schema.Applied[^1]})");
    }

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        var shown = string.Join("; ", all.Take(MaxListed));
        return all.Count > MaxListed ? $"{shown}; and {all.Count - MaxListed} more" : shown;
    }
}
