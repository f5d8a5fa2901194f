using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Configuration;

namespace Billing.Core.Storage;

/// <summary>Builds the one correctly configured <see cref="AmazonS3Client"/> for AWS S3 or an S3-compatible server.</summary>
public static class S3ClientFactory
{
    /// <summary>A dead endpoint fails within this; the SDK's own retries and request timeout apply after connecting.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A client for <paramref name="options"/>. Without <paramref name="credentials"/> the SDK's default chain finds them
    /// (environment variables locally, the IRSA web identity token in Kubernetes, a profile or instance role elsewhere);
    /// tests pass their server's keys. Nothing here logs or formats a credential.
    /// </summary>
    /// <remarks>
    /// Checksums are calculated and validated only when an operation requires them (<c>WHEN_REQUIRED</c>). AWSSDK.S3 4.x
    /// otherwise sends every upload as aws-chunked with a trailing CRC checksum, which S3-compatible servers such as Ceph
    /// RGW 16 refuse (<c>400 XAmzContentSHA256Mismatch</c>). Uploads still carry integrity: <see cref="InvoiceObjectStore"/>
    /// sends the SHA-256 of each object, and over plain HTTP the SDK signs the payload's hash.
    /// </remarks>
    /// <summary>
    /// A client for <paramref name="options"/> with the keys <see cref="CredentialsFrom"/> finds in
    /// <paramref name="configuration"/> (Vault or the key-per-file directory), else the SDK's default chain (IRSA).
    /// </summary>
    public static AmazonS3Client Create(S3Options options, IConfiguration configuration) => Create(options, CredentialsFrom(configuration));

    /// <summary>
    /// Static keys from configuration: <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c> (and <c>AWS_SESSION_TOKEN</c>
    /// if present), where Vault or the Vault Agent's files put them; the SDK itself reads only the process environment. Null
    /// when they are not both set, so the SDK's default chain applies (the IRSA web identity in Kubernetes). Set only in the
    /// environment, they give the same keys either way.
    /// </summary>
    public static AWSCredentials? CredentialsFrom(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var accessKey = configuration["AWS_ACCESS_KEY_ID"]?.Trim();
        var secretKey = configuration["AWS_SECRET_ACCESS_KEY"]?.Trim();
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(secretKey))
        {
            return null;
        }
        return configuration["AWS_SESSION_TOKEN"]?.Trim() is { Length: > 0 } sessionToken
            ? new SessionAWSCredentials(accessKey, secretKey, sessionToken)
            : new BasicAWSCredentials(accessKey, secretKey);
    }

    public static AmazonS3Client Create(S3Options options, AWSCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            ForcePathStyle = options.ForcePathStyle,
            ConnectTimeout = ConnectTimeout,
        };
        if (options.IsAws)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.SigningRegion);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.SigningRegion;
        }
        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
