using Billing.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace Billing.Core.Tests.Storage;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class S3OptionsTests
{
    private static S3Options Bind(params (string Key, string Value)[] settings) =>
        S3Options.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Test]
    public void Defaults_are_the_contracts_bucket_five_minute_urls_and_seven_years_of_retention()
    {
        var options = Bind(("S3:KmsKeyId", "key"), ("AWS_REGION", "eu-west-1"));

        Assert.Multiple(() =>
        {
            Assert.That(options.Bucket, Is.EqualTo("ghasi-invoices"));
            Assert.That(options.PresignExpiry, Is.EqualTo(TimeSpan.FromMinutes(5)));
            Assert.That(options.RetentionDays, Is.EqualTo(2557));
            Assert.That(options.IsAws, Is.True);
            Assert.That(options.Region, Is.EqualTo("eu-west-1"), "the region falls back to AWS_REGION");
            Assert.That(options.Endpoint, Is.EqualTo("AWS S3 (eu-west-1)"));
            Assert.That(options.Validate(), Is.Empty);
        });
    }

    [Test]
    public void Every_setting_binds_from_the_S3_section_and_S3_Region_wins_over_AWS_REGION()
    {
        var options = Bind(
            ("S3:ServiceUrl", "http://127.0.0.1:27480"), ("S3:Bucket", "other-bucket"), ("S3:KmsKeyId", "local-key"),
            ("S3:ForcePathStyle", "true"), ("S3:Region", "af-south-1"), ("AWS_REGION", "us-east-1"),
            ("S3:PresignExpiry", "00:15:00"), ("S3:RetentionDays", "30"));

        Assert.Multiple(() =>
        {
            Assert.That(options.ServiceUrl, Is.EqualTo("http://127.0.0.1:27480"));
            Assert.That(options.Bucket, Is.EqualTo("other-bucket"));
            Assert.That(options.KmsKeyId, Is.EqualTo("local-key"));
            Assert.That(options.ForcePathStyle, Is.True);
            Assert.That(options.Region, Is.EqualTo("af-south-1"));
            Assert.That(options.PresignExpiry, Is.EqualTo(TimeSpan.FromMinutes(15)));
            Assert.That(options.RetentionDays, Is.EqualTo(30));
            Assert.That(options.IsAws, Is.False);
            Assert.That(options.Validate(), Is.Empty);
        });
    }

    [Test]
    public void An_S3_compatible_server_without_a_region_is_signed_for_us_east_1()
    {
        var options = Bind(("S3:ServiceUrl", "http://127.0.0.1:27480"), ("S3:KmsKeyId", "key"));

        Assert.That(options.SigningRegion, Is.EqualTo("us-east-1"));
        Assert.That(options.Validate(), Is.Empty);
    }

    [Test]
    public void Each_problem_names_the_variable_to_fix()
    {
        var options = Bind(("S3:Bucket", "Not_A_Bucket"), ("S3:RetentionDays", "0"), ("S3:PresignExpiry", "8.00:00:00"));

        Assert.That(options.Validate(), Is.EquivalentTo(new[]
        {
            "S3__KmsKeyId is not set: every invoice is encrypted with SSE-KMS under that key",
            "S3__Bucket 'Not_A_Bucket' is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit)",
            "no region for AWS S3: set AWS_REGION (or S3__Region)",
            "S3__RetentionDays must be at least 1, not 0",
            "S3__PresignExpiry must be more than 0 and at most 7 days, not 8.00:00:00",
        }));
    }

    [Test]
    public void A_service_url_must_be_http_or_https() =>
        Assert.That(Bind(("S3:ServiceUrl", "127.0.0.1:27480"), ("S3:KmsKeyId", "key")).Validate(),
            Is.EqualTo(new[] { "S3__ServiceUrl '127.0.0.1:27480' is not an http(s) URL (leave it empty for AWS S3)" }));

    [TestCase("ghasi-invoices", true)]
    [TestCase("t-provision-0a1b2c3d", true)]
    [TestCase("a.b.c", true)]
    [TestCase("ab", false)]
    [TestCase("-abc", false)]
    [TestCase("abc-", false)]
    [TestCase("Abc", false)]
    [TestCase("a..b", false)]
    [TestCase("a_b", false)]
    [TestCase("192.168.1.1", false)]
    public void Bucket_names_follow_S3s_rules(string name, bool valid) =>
        Assert.That(S3Options.IsValidBucketName(name), Is.EqualTo(valid));
}
