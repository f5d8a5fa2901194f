using Billing.Core.Messaging;
using Billing.IntegrationTests.Infrastructure;
using NATS.Client.JetStream;

namespace Billing.IntegrationTests.Operations;

/// <summary><c>billing-ops preflight</c>: PASS/FAIL per checklist item, non-zero exit on any FAIL.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class PreflightTests
{
    [Test]
    public async Task Preflight_reports_the_sample_datas_deliberate_pricing_gap_and_passes_once_it_is_filled()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_gap");
        await using var nats = await TestNats.CreateAsync("preflight_gap");
        await using var s3 = await TestS3.CreateAsync("preflight_gap");
        await Ops.ImportSampleAsync(database);
        var provision = await Ops.RunAsync(nats.Configuration(), "provision", "nats");
        Assert.That(provision.ExitCode, Is.Zero, provision.ToString());
        await s3.ProvisionAsync();

        var before = await Ops.RunAsync(database, nats, s3, "preflight");

        Assert.That(before.ExitCode, Is.EqualTo(1), before.ToString());
        Assert.That(before.Output, Does.Contain("PASS  billing schema migrations applied"));
        Assert.That(before.Output, Does.Contain("FAIL  pricing rules cover active tiers x active operators: 3 gap(s)"));
        Assert.That(before.Output, Does.Contain("tier=business operator=20801 currency=EUR")
            .And.Contain("tier=business operator=20801 currency=KES")
            .And.Contain("tier=business operator=20801 currency=USD"));
        Assert.That(before.Output, Does.Contain("PASS  operator costs cover active operators"));

        var fill = await Ops.RunAsync(database, "import", "pricing", Ops.Sample("pricing-gap-fill.csv"));
        Assert.That(fill.ExitCode, Is.Zero, fill.ToString());

        var after = await Ops.RunAsync(database, nats, s3, "preflight");
        Assert.That(after.ExitCode, Is.Zero, after.ToString());
        Assert.That(after.Output, Does.Not.Contain("FAIL"));
        Assert.That(after.Output, Does.Contain("PASS  pricing rules cover active tiers x active operators"));
        Assert.That(after.OutputLines, Does.Contain("SKIP  Vault reachable and secret/billing/* readable: Vault not configured (Vault__Address unset)"));
        Assert.That(after.OutputLines[^1], Is.EqualTo("preflight passed: 8 item(s), 1 skipped"), "a skipped item does not fail preflight");
    }

    [Test]
    public async Task Preflight_reports_missing_then_drifted_NATS_objects_and_passes_once_they_are_provisioned()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_nats");
        await using var nats = await TestNats.CreateAsync("preflight_nats");
        await using var s3 = await TestS3.CreateAsync("preflight_nats");
        await s3.ProvisionAsync();
        var (stream, consumer, invoices) = (nats.Options.EventsStream, nats.Options.EventsConsumer, nats.Options.InvoicesStream);

        var missing = await Ops.RunAsync(database, nats, s3, "preflight");

        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        Assert.That(missing.OutputLines, Does.Contain(
            $"FAIL  NATS stream {stream} and consumer {consumer} as wanted: stream {stream} missing; consumer {consumer} missing; run billing-ops provision nats"));
        Assert.That(missing.OutputLines, Does.Contain($"FAIL  NATS stream {invoices} as wanted: stream {invoices} missing; run billing-ops provision nats"));
        // An empty reference-data set has nothing to cover: only the NATS items fail.
        Assert.That(missing.Output, Does.Contain("preflight FAILED: 2 of 8 item(s)"));

        await nats.JetStream.CreateStreamAsync(NatsTopology.EventsStream(nats.Options) with { MaxAge = TimeSpan.FromDays(1) });
        await nats.JetStream.CreateConsumerAsync(stream, NatsTopology.EventsConsumer(nats.Options) with { AckWait = TimeSpan.FromSeconds(10) });

        var drifted = await Ops.RunAsync(database, nats, s3, "preflight");

        Assert.That(drifted.ExitCode, Is.EqualTo(1), drifted.ToString());
        Assert.That(drifted.OutputLines, Does.Contain(
            $"FAIL  NATS stream {stream} and consumer {consumer} as wanted: stream {stream}: max_age 1.00:00:00 -> 7.00:00:00; " +
            $"consumer {consumer}: ack_wait 00:00:10 -> 00:00:30; run billing-ops provision nats"));

        var provision = await Ops.RunAsync(nats.Configuration(), "provision", "nats");
        Assert.That(provision.ExitCode, Is.Zero, provision.ToString());
        var after = await Ops.RunAsync(database, nats, s3, "preflight");

        Assert.That(after.ExitCode, Is.Zero, after.ToString());
        Assert.That(after.OutputLines, Does.Contain($"PASS  NATS stream {stream} and consumer {consumer} as wanted: checked at {nats.Options.Url}, every setting as wanted")
            .And.Contain($"PASS  NATS stream {invoices} as wanted: checked at {nats.Options.Url}, every setting as wanted"));
        Assert.That(after.Output, Does.Contain("preflight passed: 8 item(s)"));
    }

    [Test]
    public async Task Preflight_without_Nats_Url_fails_the_NATS_items_saying_what_to_set()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_no_nats");

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.OutputLines, Does.Contain("FAIL  NATS stream BILLING_EVENTS and consumer billing-consumer as wanted: not configured: set Nats__Url")
            .And.Contain("FAIL  NATS stream BILLING_INVOICES as wanted: not configured: set Nats__Url"));
        Assert.That(result.Output, Does.Contain("PASS  billing schema migrations applied"));
    }

    [Test]
    public async Task Preflight_fails_the_NATS_items_naming_the_url_when_NATS_is_unreachable()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_nats_down");

        var result = await Ops.RunAsync([new("ConnectionStrings:Billing", database.ConnectionString), new("Nats:Url", "nats://127.0.0.1:1")], "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("FAIL  NATS stream BILLING_EVENTS and consumer billing-consumer as wanted: cannot reach NATS at nats://127.0.0.1:1")
            .And.Contain("FAIL  NATS stream BILLING_INVOICES as wanted: cannot reach NATS at nats://127.0.0.1:1"));
        Assert.That(result.Output, Does.Contain("PASS  database reachable"));
    }

    private static Task<OpsResult> PreflightAsync(TestDatabase database, TestS3 s3, params KeyValuePair<string, string?>[] overrides)
    {
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Billing"] = database.ConnectionString };
        foreach (var (key, value) in s3.Configuration().Concat(overrides))
        {
            settings[key] = value;
        }
        return Ops.RunAsync(settings, s3.Credentials, "preflight");
    }

    [Test]
    public async Task Preflight_fails_the_S3_items_on_a_missing_bucket_and_passes_them_once_it_is_provisioned()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_s3");
        await using var s3 = await TestS3.CreateAsync("preflight_s3");

        var missing = await PreflightAsync(database, s3);

        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        Assert.That(missing.OutputLines, Does.Contain($"FAIL  S3 bucket {s3.Bucket}: missing at {s3.Options.ServiceUrl}; run billing-ops provision s3")
            .And.Contain($"FAIL  S3 SSE-KMS proven: not checked: bucket {s3.Bucket} missing"));

        await s3.ProvisionAsync();
        var after = await PreflightAsync(database, s3);

        Assert.That(after.OutputLines, Does.Contain($"PASS  S3 bucket {s3.Bucket}: exists, lifecycle expires invoices after 2557 days"), after.ToString());
        var proof = after.OutputLines.Single(l => l.StartsWith("PASS  S3 SSE-KMS proven: ", StringComparison.Ordinal));
        Assert.That(proof, Does.Match(@"probe preflight/probe-20261115T120000Z-[0-9a-f]{8} written, HEAD shows aws:kms with key " + s3.Options.KmsKeyId + ", deleted$"));
        Assert.That(await s3.KeysAsync(), Is.Empty, "the probe is deleted");
    }

    [Test]
    public async Task Preflight_fails_the_bucket_on_lifecycle_drift_and_on_a_rule_that_would_expire_invoices_sooner()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_s3_drift");
        await using var s3 = await TestS3.CreateAsync("preflight_s3_drift");
        await s3.CreateBucketAsync();
        await s3.PutLifecycleRulesAsync(TestS3.Rule("expire-invoices-7y", "invoices/", 30), TestS3.Rule("cleanup", "invoices/tmp/", 7));

        var result = await PreflightAsync(database, s3);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.OutputLines, Does.Contain(
            $"FAIL  S3 bucket {s3.Bucket}: exists, but lifecycle expire-invoices-7y: expiration 30 -> 2557 days; run billing-ops provision s3; " +
            "lifecycle cleanup: also expires objects under invoices/ after 7 days, before the 2557 days invoices are kept: " +
            "narrow its filter or remove it (provision s3 changes only expire-invoices-7y)"));
        Assert.That(result.Output, Does.Contain("PASS  S3 SSE-KMS proven"), "the bucket is there, so SSE-KMS is still proven");
    }

    [Test]
    public async Task Preflight_fails_SSE_KMS_with_the_servers_reason_when_it_does_not_know_the_key()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_s3_key");
        await using var s3 = await TestS3.CreateAsync("preflight_s3_key");
        await s3.ProvisionAsync();

        var result = await PreflightAsync(database, s3, new KeyValuePair<string, string?>("S3:KmsKeyId", "no-such-key"));

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        var line = result.OutputLines.Single(l => l.Contains("S3 SSE-KMS proven", StringComparison.Ordinal));
        Assert.That(line, Does.StartWith("FAIL  S3 SSE-KMS proven: probe preflight/probe-").And.Contain("not written: S3 refused: ")
            .And.Contain("no-such-key"));
        Assert.That(await s3.KeysAsync(), Is.Empty);
    }

    [Test]
    public async Task Preflight_without_S3_configuration_fails_the_S3_items_saying_what_to_set()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_no_s3");

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.OutputLines, Does.Contain(
                "FAIL  S3 bucket ghasi-invoices: not configured: set S3__KmsKeyId (and S3__ServiceUrl for an S3-compatible server)")
            .And.Contain("FAIL  S3 SSE-KMS proven: not configured: set S3__KmsKeyId (and S3__ServiceUrl for an S3-compatible server)"));
    }

    [Test]
    public async Task Preflight_fails_the_S3_items_naming_the_endpoint_when_S3_is_unreachable()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_s3_down");
        await using var s3 = await TestS3.CreateAsync("preflight_s3_down");

        var result = await PreflightAsync(database, s3, new KeyValuePair<string, string?>("S3:ServiceUrl", "http://127.0.0.1:1"));

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain($"FAIL  S3 bucket {s3.Bucket}: cannot reach S3 at http://127.0.0.1:1 (bucket {s3.Bucket})")
            .And.Contain($"FAIL  S3 SSE-KMS proven: cannot reach S3 at http://127.0.0.1:1 (bucket {s3.Bucket})"));
        Assert.That(result.Output, Does.Contain("PASS  database reachable"));
    }

    [Test]
    public async Task Preflight_fails_on_an_unmigrated_database_and_says_what_to_run()
    {
        await using var database = await TestDatabase.CreateEmptyAsync("preflight_empty");

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("PASS  database reachable"));
        Assert.That(result.Output, Does.Contain("FAIL  billing schema migrations applied: no migration applied; run billing-ops migrate"));
    }

    [Test]
    public async Task Preflight_lists_an_active_operator_without_a_cost_and_a_tier_without_accounts()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_cost_gap");
        await Ops.ImportSampleAsync(database);
        await database.ExecuteAsync("""
            UPDATE billing.operators SET active = true WHERE mccmnc = '64110';
            UPDATE billing.account_tiers SET active = true WHERE code = 'legacy';
            """);

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("FAIL  operator costs cover active operators: 1 operator(s) without a cost").And.Contain("64110 (MTN Uganda)"));
        // The legacy tier has no active account, so any currency would do: the gap carries no currency.
        Assert.That(result.Output, Does.Contain("tier=legacy operator=63902;"));
    }

    [Test]
    public async Task Preflight_fails_when_the_database_is_unreachable()
    {
        var result = await Ops.RunAsync("Host=127.0.0.1;Port=1;Username=postgres;Database=nowhere;Timeout=2", "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("FAIL  database reachable"));
        Assert.That(result.Output, Does.Contain("FAIL  NATS stream BILLING_EVENTS and consumer billing-consumer as wanted: not configured"),
            "the NATS items do not depend on the database and are still checked");
    }
}
