using Amazon;
using Amazon.Runtime;
using Amazon.S3;

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
