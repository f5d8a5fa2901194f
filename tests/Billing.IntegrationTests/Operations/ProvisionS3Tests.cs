using Amazon.S3.Model;
using Billing.IntegrationTests.Infrastructure;
using Billing.Migrations.Provisioning;

namespace Billing.IntegrationTests.Operations;

/// <summary>
/// <c>billing-ops provision s3</c> against a real S3 server (Ceph RGW): creates the bucket and the lifecycle rule, says
/// plainly that the server has no bucket default encryption, changes nothing on a second run, reports and corrects drift,
/// and leaves other lifecycle rules alone.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class ProvisionS3Tests
{
    private const string RuleId = "expire-invoices-7y";
    private const string EncryptionUnsupported =
        "bucket default encryption: not supported by this S3 server; every upload sets SSE-KMS itself";

    [Test]
    public async Task Provisioning_a_fresh_server_creates_the_bucket_and_the_lifecycle_rule_and_says_default_encryption_is_unsupported()
    {
        await using var s3 = await TestS3.CreateAsync("provision_fresh");

        var result = await Ops.RunAsync(s3, "provision", "s3");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.OutputLines, Is.EqualTo(new[]
        {
            $"bucket {s3.Bucket}: created",
            EncryptionUnsupported,
            $"lifecycle {RuleId}: created",
        }));
        Assert.That(result.Error, Is.Empty);
        var rule = (await s3.LifecycleRulesAsync()).Single();
        Assert.Multiple(() =>
        {
            Assert.That(rule.Id, Is.EqualTo(RuleId));
            Assert.That(rule.Status, Is.EqualTo(Amazon.S3.LifecycleRuleStatus.Enabled));
            Assert.That((rule.Filter.LifecycleFilterPredicate as LifecyclePrefixPredicate)?.Prefix, Is.EqualTo("invoices/"));
            Assert.That(rule.Expiration.Days, Is.EqualTo(2557));
        });
    }

    [Test]
    public async Task A_second_run_reports_up_to_date_and_changes_nothing()
    {
        await using var s3 = await TestS3.CreateAsync("provision_twice");
        await s3.ProvisionAsync();

        var second = await Ops.RunAsync(s3, "provision", "s3");

        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.OutputLines, Is.EqualTo(new[]
        {
            $"bucket {s3.Bucket}: up to date",
            EncryptionUnsupported,
            $"lifecycle {RuleId}: up to date",
        }));
        Assert.That(second.Error, Is.Empty);
        Assert.That((await s3.LifecycleRulesAsync()).Single().Expiration.Days, Is.EqualTo(2557));
    }

    [Test]
    public async Task A_drifted_expiration_is_reported_and_corrected()
    {
        await using var s3 = await TestS3.CreateAsync("provision_drift");
        // As an operator's earlier run with S3__RetentionDays=30 would have left it.
        var shortRetention = await Ops.RunAsync([.. s3.Configuration(), new("S3:RetentionDays", "30")], s3.Credentials, "provision", "s3");
        Assert.That(shortRetention.ExitCode, Is.Zero, shortRetention.ToString());
        Assert.That((await s3.LifecycleRulesAsync()).Single().Expiration.Days, Is.EqualTo(30));

        var result = await Ops.RunAsync(s3, "provision", "s3");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.OutputLines, Is.EqualTo(new[]
        {
            $"bucket {s3.Bucket}: up to date",
            EncryptionUnsupported,
            $"lifecycle {RuleId}: expiration 30 -> 2557 days",
            $"lifecycle {RuleId}: updated",
        }));
        Assert.That((await s3.LifecycleRulesAsync()).Single().Expiration.Days, Is.EqualTo(2557));
        var again = await Ops.RunAsync(s3, "provision", "s3");
        Assert.That(again.OutputLines, Does.Contain($"lifecycle {RuleId}: up to date"), again.ToString());
    }

    [Test]
    public async Task A_disabled_rule_with_another_filter_is_corrected_and_other_rules_are_kept()
    {
        await using var s3 = await TestS3.CreateAsync("provision_drift_rules");
        await s3.CreateBucketAsync();
        await s3.PutLifecycleRulesAsync(
            TestS3.Rule("tmp-cleanup", "tmp/", 1),
            TestS3.Rule(RuleId, "invoice/", 2557, enabled: false));

        var result = await Ops.RunAsync(s3, "provision", "s3");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.OutputLines, Is.EqualTo(new[]
        {
            $"bucket {s3.Bucket}: up to date",
            EncryptionUnsupported,
            $"lifecycle {RuleId}: status Disabled -> Enabled",
            $"lifecycle {RuleId}: filter prefix invoice/ -> prefix invoices/",
            $"lifecycle {RuleId}: updated",
        }));
        var rules = await s3.LifecycleRulesAsync();
        Assert.That(rules.Select(r => r.Id), Is.EquivalentTo(new[] { "tmp-cleanup", RuleId }));
        var other = rules.Single(r => r.Id == "tmp-cleanup");
        Assert.That((other.Filter.LifecycleFilterPredicate as LifecyclePrefixPredicate)?.Prefix, Is.EqualTo("tmp/"));
        Assert.That(other.Expiration.Days, Is.EqualTo(1), "a rule provision s3 does not own is left as it was");
    }

    [Test]
    public async Task Another_rule_that_would_expire_invoices_sooner_fails_provisioning_and_is_left_alone()
    {
        await using var s3 = await TestS3.CreateAsync("provision_conflict");
        await s3.CreateBucketAsync();
        await s3.PutLifecycleRulesAsync(TestS3.Rule("expire-everything-90d", "", 90));

        var result = await Ops.RunAsync(s3, "provision", "s3");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.OutputLines, Does.Contain($"lifecycle {RuleId}: created"));
        Assert.That(result.Error, Does.Contain(
            "lifecycle expire-everything-90d: also expires objects under invoices/ after 90 days, before the 2557 days invoices are kept: " +
            $"narrow its filter or remove it (provision s3 changes only {RuleId})"));
        Assert.That((await s3.LifecycleRulesAsync()).Single(r => r.Id == "expire-everything-90d").Expiration.Days, Is.EqualTo(90));
    }

    [Test]
    public async Task Without_a_KMS_key_provisioning_is_a_configuration_error_that_says_what_to_set()
    {
        var result = await Ops.RunAsync([new("S3:ServiceUrl", "http://127.0.0.1:1")], "provision", "s3");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("cannot provision S3: not configured: set S3__KmsKeyId"));
    }

    [TestCase("S3:Bucket", "Invoices_Bucket", "S3__Bucket 'Invoices_Bucket' is not a valid bucket name")]
    [TestCase("S3:RetentionDays", "seven years", "bad S3 configuration: Failed to convert configuration value")]
    [TestCase("S3:ServiceUrl", "localhost:9000", "S3__ServiceUrl 'localhost:9000' is not an http(s) URL")]
    public async Task A_bad_setting_is_a_configuration_error_naming_it(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { ["S3:ServiceUrl"] = "http://127.0.0.1:1", ["S3:KmsKeyId"] = "key", [key] = value };

        var result = await Ops.RunAsync(settings, "provision", "s3");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain(message));
    }

    [Test]
    public async Task An_unreachable_server_fails_naming_the_endpoint_and_the_bucket()
    {
        var result = await Ops.RunAsync(
            [new("S3:ServiceUrl", "http://127.0.0.1:1"), new("S3:KmsKeyId", "key")],
            new Amazon.Runtime.BasicAWSCredentials("AKIDEXAMPLE", "not-a-real-secret"), "provision", "s3");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain("provision s3 failed: cannot reach S3 at http://127.0.0.1:1 (bucket ghasi-invoices)"));
        Assert.That(result.ToString(), Does.Not.Contain("not-a-real-secret"));
    }

    [Test]
    public async Task Credentials_the_server_refuses_fail_naming_the_endpoint_and_bucket_without_the_secret()
    {
        await using var s3 = await TestS3.CreateAsync("provision_bad_keys");

        var result = await Ops.RunAsync(s3.Configuration(),
            new Amazon.Runtime.BasicAWSCredentials("AKIDEXAMPLE", "not-a-real-secret"), "provision", "s3");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain($"bucket {s3.Bucket}: access denied at {s3.Options.ServiceUrl}").And.Contain("(403)"));
        Assert.That(result.ToString(), Does.Not.Contain("not-a-real-secret"));
    }

    [Test]
    public void The_wanted_rule_compares_equal_to_itself_and_each_setting_is_compared()
    {
        var options = new Billing.Core.Storage.S3Options { KmsKeyId = "key", Region = "us-east-1" };
        // Comparing needs no server: the client is never called.
        using var client = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.AnonymousAWSCredentials(), Amazon.RegionEndpoint.USEast1);
        var provisioner = new S3Provisioner(client, options, TimeProvider.System);

        Assert.That(provisioner.Compare(provisioner.WantedRule()), Is.Empty);
        var drifted = TestS3.Rule(RuleId, "", 30, enabled: false);
        Assert.That(provisioner.Compare(drifted).Select(d => d.ToString()), Is.EqualTo(new[]
        {
            "status Disabled -> Enabled",
            "filter prefix (all objects) -> prefix invoices/",
            "expiration 30 -> 2557 days",
        }));
        Assert.That(provisioner.Compare(provisioner.WithWantedSettings(drifted)), Is.Empty);
    }
}
