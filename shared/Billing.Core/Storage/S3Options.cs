using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Billing.Core.Storage;

/// <summary>
/// Where invoice PDFs are stored, bound from the <c>S3</c> configuration section (SPEC section 12). Credentials are not
/// here: <see cref="S3ClientFactory.CredentialsFrom"/> takes static keys from configuration (Vault, or the environment
/// locally), else the AWS SDK finds them itself (the pod's IAM role through IRSA in Kubernetes); they are never logged.
/// </summary>
public sealed partial class S3Options
{
    public const string Section = "S3";

    public const string DefaultBucket = "ghasi-invoices";

    /// <summary>Seven years of 365.25 days: how long an issued invoice is kept before the lifecycle rule expires it.</summary>
    public const int DefaultRetentionDays = 2557;

    /// <summary>S3's own limit on a presigned URL's lifetime.</summary>
    public static readonly TimeSpan MaxPresignExpiry = TimeSpan.FromDays(7);

    /// <summary>Empty for AWS S3; the endpoint of an S3-compatible server otherwise (e.g. <c>http://127.0.0.1:27480</c>).</summary>
    public string ServiceUrl { get; set; } = "";

    public string Bucket { get; set; } = DefaultBucket;

    /// <summary>The KMS key id or ARN every object is encrypted with (SSE-KMS). Required.</summary>
    public string KmsKeyId { get; set; } = "";

    /// <summary><c>true</c> for local servers, which have no DNS name per bucket.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>The bucket's region; empty takes <c>AWS_REGION</c> (see <see cref="Bind"/>).</summary>
    public string Region { get; set; } = "";

    /// <summary>How long a presigned download URL handed out by the API stays valid.</summary>
    public TimeSpan PresignExpiry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Days after which the lifecycle rule expires an invoice object.</summary>
    public int RetentionDays { get; set; } = DefaultRetentionDays;

    /// <summary>True when the bucket is on AWS S3 itself (no <see cref="ServiceUrl"/>).</summary>
    public bool IsAws => string.IsNullOrWhiteSpace(ServiceUrl);

    /// <summary>
    /// The region requests are signed for and buckets are created in: <see cref="Region"/>, or for an S3-compatible
    /// server that names none, <c>us-east-1</c> (which such servers accept as their default).
    /// </summary>
    public string SigningRegion => Region is { Length: > 0 } region ? region : IsAws ? "" : "us-east-1";

    /// <summary>The server, as a report names it: the service URL, or AWS S3 and its region.</summary>
    public string Endpoint => IsAws ? $"AWS S3 ({(Region.Length > 0 ? Region : "no region")})" : ServiceUrl;

    /// <summary>
    /// Binds the <c>S3</c> section; an empty <see cref="Region"/> falls back to <c>AWS_REGION</c>, the SDK's own variable,
    /// which EKS also sets for pods with an IAM role. Throws <see cref="InvalidOperationException"/> when a value does not
    /// convert (the binder's message names the key).
    /// </summary>
    public static S3Options Bind(IConfiguration configuration)
    {
        var options = new S3Options();
        configuration.GetSection(Section).Bind(options);
        if (string.IsNullOrWhiteSpace(options.Region))
        {
            options.Region = configuration["AWS_REGION"]?.Trim() ?? "";
        }
        return options;
    }

    /// <summary>What is wrong with these options, each problem naming the environment variable to fix; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(KmsKeyId))
        {
            problems.Add("S3__KmsKeyId is not set: every invoice is encrypted with SSE-KMS under that key");
        }
        if (!IsAws && !(Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            problems.Add($"S3__ServiceUrl '{ServiceUrl}' is not an http(s) URL (leave it empty for AWS S3)");
        }
        if (!IsValidBucketName(Bucket))
        {
            problems.Add($"S3__Bucket '{Bucket}' is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-', " +
                "starting and ending with a letter or digit)");
        }
        if (IsAws && Region.Length == 0)
        {
            problems.Add("no region for AWS S3: set AWS_REGION (or S3__Region)");
        }
        if (RetentionDays < 1)
        {
            problems.Add($"S3__RetentionDays must be at least 1, not {RetentionDays.ToString(CultureInfo.InvariantCulture)}");
        }
        if (PresignExpiry <= TimeSpan.Zero || PresignExpiry > MaxPresignExpiry)
        {
            problems.Add($"S3__PresignExpiry must be more than 0 and at most 7 days, not {PresignExpiry.ToString("c", CultureInfo.InvariantCulture)}");
        }
        return problems;
    }

    /// <summary>S3's rules for a general purpose bucket name (no IP-address look-alikes, no <c>..</c>).</summary>
    public static bool IsValidBucketName(string? name) =>
        name is { Length: >= 3 and <= 63 } && BucketName().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal)
        && !IpAddressLike().IsMatch(name);

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+$")]
    private static partial Regex IpAddressLike();
}
