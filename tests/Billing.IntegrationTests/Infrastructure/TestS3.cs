using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Billing.Core.Storage;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// A fixture's own bucket on the shared S3 server (<c>t-&lt;fixture&gt;-&lt;8 hex&gt;</c>; buckets are cheap on RGW), so
/// fixtures never see each other's objects or lifecycle rules. The bucket and everything in it are deleted at the end.
/// </summary>
public sealed class TestS3 : IAsyncDisposable
{
    private TestS3(S3Options options, AWSCredentials credentials)
    {
        Options = options;
        Credentials = credentials;
        Client = S3ClientFactory.Create(options, credentials);
    }

    /// <summary>Options as a worker or CLI of this fixture is configured (bind them to <c>S3:*</c>).</summary>
    public S3Options Options { get; }

    /// <summary>The test server's keys, which production code would find through the SDK's default chain.</summary>
    public AWSCredentials Credentials { get; }

    /// <summary>A client configured as production's, for arranging and reading back what the code under test did.</summary>
    public AmazonS3Client Client { get; }

    public string Bucket => Options.Bucket;

    /// <summary>A fixture's bucket name, not yet created: <c>provision s3</c> or <see cref="CreateBucketAsync"/> does that.</summary>
    public static async Task<TestS3> CreateAsync(string fixture)
    {
        var server = await TestServers.S3Async();
        var name = new string(fixture.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').Take(40).ToArray()).Trim('-');
        var options = new S3Options
        {
            ServiceUrl = server.ServiceUrl,
            Bucket = $"t-{name}-{Guid.NewGuid().ToString("N")[..8]}",
            KmsKeyId = server.KmsKeyId,
            ForcePathStyle = true,
            Region = "us-east-1",
        };
        return new TestS3(options, new BasicAWSCredentials(server.AccessKey, server.SecretKey));
    }

    public async Task CreateBucketAsync() => await Client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });

    public InvoiceObjectStore Store(TimeProvider? time = null) => new(Client, Options, time ?? TimeProvider.System);

    /// <summary>The settings a CLI or worker of this fixture needs, as configuration keys (credentials aside).</summary>
    public IEnumerable<KeyValuePair<string, string?>> Configuration() =>
    [
        new("S3:ServiceUrl", Options.ServiceUrl),
        new("S3:Bucket", Options.Bucket),
        new("S3:KmsKeyId", Options.KmsKeyId),
        new("S3:ForcePathStyle", "true"),
        new("AWS_REGION", Options.Region),
    ];

    /// <summary>Runs <c>billing-ops provision s3</c> for this bucket and fails the test unless it succeeds.</summary>
    public async Task ProvisionAsync()
    {
        var result = await Ops.RunAsync(this, "provision", "s3");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }

    public async Task<List<LifecycleRule>> LifecycleRulesAsync() =>
        (await Client.GetLifecycleConfigurationAsync(new GetLifecycleConfigurationRequest { BucketName = Bucket })).Configuration?.Rules ?? [];

    public Task PutLifecycleRulesAsync(params LifecycleRule[] rules) =>
        Client.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = Bucket,
            Configuration = new LifecycleConfiguration { Rules = [.. rules] },
        });

    /// <summary>A lifecycle rule expiring objects under a prefix after some days, as an operator might have set one.</summary>
    public static LifecycleRule Rule(string id, string prefix, int days, bool enabled = true) => new()
    {
        Id = id,
        Status = enabled ? LifecycleRuleStatus.Enabled : LifecycleRuleStatus.Disabled,
        Filter = new LifecycleFilter { LifecycleFilterPredicate = new LifecyclePrefixPredicate { Prefix = prefix } },
        Expiration = new LifecycleRuleExpiration { Days = days },
    };

    public async Task<List<string>> KeysAsync(string prefix = "")
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        ListObjectsV2Response page;
        do
        {
            page = await Client.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return keys;
    }

    public async Task<byte[]> GetBytesAsync(string key)
    {
        using var response = await Client.GetObjectAsync(Bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // One by one: a fixture holds a handful of objects, and DeleteObjects needs a checksum RGW 16 does not take.
            foreach (var key in await KeysAsync())
            {
                await Client.DeleteObjectAsync(Bucket, key);
            }
            await Client.DeleteBucketAsync(Bucket);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Never created by this fixture.
        }
        Client.Dispose();
    }
}
