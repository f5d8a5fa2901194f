using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;

namespace Billing.Core.Storage;

/// <summary>An invoice PDF in the bucket, as <see cref="InvoiceObjectStore.PutInvoiceAsync"/> left it.</summary>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes (what the invoice row and <c>billing.invoice.generated</c> carry).</param>
/// <param name="AlreadyStored">True when an earlier run had stored these very bytes under the key already.</param>
public sealed record StoredObject(string Bucket, string Key, string Sha256, long Size, bool AlreadyStored);

/// <summary>What a HEAD request tells about a stored object.</summary>
/// <param name="Encryption">As S3 reports it: <c>aws:kms</c>, <c>AES256</c>, or null for none.</param>
/// <param name="KmsKeyId">The KMS key S3 reports for SSE-KMS (AWS reports the key's ARN).</param>
/// <param name="Sha256">Lower-case hex SHA-256: the server's full-object checksum where it keeps one, else the writer's metadata.</param>
/// <param name="Metadata">User metadata, names without the <c>x-amz-meta-</c> prefix.</param>
public sealed record ObjectHead(
    string Bucket, string Key, long Size, string? ContentType, string? Encryption, string? KmsKeyId, string? Sha256,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>True when the object is encrypted with SSE-KMS under <paramref name="kmsKeyId"/> (an id, ARN or alias).</summary>
    public bool IsEncryptedWith(string kmsKeyId) =>
        Encryption == ServerSideEncryptionMethod.AWSKMS.Value && KmsKeyIds.Match(kmsKeyId, KmsKeyId);
}

/// <summary>An issued invoice's key already holds other bytes: the store refuses to overwrite it.</summary>
public sealed class InvoiceObjectConflictException(string bucket, string key, string? storedSha256, string offeredSha256)
    : InvalidOperationException(
        $"s3://{bucket}/{key} already holds a different object (sha256 {storedSha256 ?? "unknown: it carries none"}; " +
        $"this PDF's sha256 {offeredSha256}). An issued invoice is never overwritten: find out which PDF was sent to the customer.")
{
    public string Bucket { get; } = bucket;

    public string Key { get; } = key;

    public string? StoredSha256 { get; } = storedSha256;

    public string OfferedSha256 { get; } = offeredSha256;
}

/// <summary>
/// The one place that talks to the bucket for invoices (SPEC section 8): keys, uploads that are encrypted with SSE-KMS
/// under the configured key and never overwrite, HEAD, and presigned downloads.
/// </summary>
/// <remarks>
/// Each object carries its SHA-256 twice: as the <c>x-amz-checksum-sha256</c> header, which AWS S3 verifies and keeps,
/// and as user metadata <c>sha256</c> (hex), because Ceph RGW 16 ignores the checksum header (it neither verifies nor
/// returns it). Reading back, the server's checksum wins where there is one.
/// </remarks>
public sealed partial class InvoiceObjectStore
{
    public const string PdfContentType = "application/pdf";

    /// <summary>User metadata holding the hex SHA-256 of the object's bytes (<c>x-amz-meta-sha256</c>).</summary>
    public const string Sha256MetadataKey = "sha256";

    private const string MetadataPrefix = "x-amz-meta-";

    private readonly IAmazonS3 _s3;
    private readonly S3Options _options;
    private readonly TimeProvider _time;

    /// <param name="time">The wall clock in production: a presigned URL's expiry is an instant the server compares with its own clock.</param>
    public InvoiceObjectStore(IAmazonS3 s3, S3Options options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ArgumentException($"S3 options not usable: {string.Join("; ", problems)}", nameof(options));
        }
        _s3 = s3;
        _options = options;
        _time = time;
    }

    public string Bucket => _options.Bucket;

    /// <summary>
    /// <c>invoices/YYYY/MM/&lt;accountId&gt;/&lt;invoiceNumber&gt;.pdf</c>. The account id must be one the importer accepts
    /// (letters, digits, '_', '.', ':', '-', starting with a letter or digit, at most 64), so it is one path segment, never
    /// <c>.</c> or <c>..</c>, and needs no escaping; the invoice number likewise, without ':'.
    /// </summary>
    public static string KeyFor(DateOnly periodStart, string accountId, string invoiceNumber)
    {
        if (periodStart.Day != 1)
        {
            throw new ArgumentException(
                $"an invoice period starts on the first day of a month, not on {periodStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
                nameof(periodStart));
        }
        if (accountId is not { Length: <= 64 } || !AccountId().IsMatch(accountId))
        {
            throw new ArgumentException(
                $"'{accountId}' is not an account id (letters, digits, '_', '.', ':', '-', starting with a letter or digit, at most 64)",
                nameof(accountId));
        }
        if (invoiceNumber is not { Length: <= 64 } || !InvoiceNumber().IsMatch(invoiceNumber))
        {
            throw new ArgumentException(
                $"'{invoiceNumber}' is not an invoice number (letters, digits, '_', '.', '-', starting with a letter or digit, at most 64)",
                nameof(invoiceNumber));
        }
        return string.Create(CultureInfo.InvariantCulture, $"invoices/{periodStart.Year:D4}/{periodStart.Month:D2}/{accountId}/{invoiceNumber}.pdf");
    }

    /// <summary>
    /// Stores an invoice PDF under <paramref name="key"/> with SSE-KMS (the configured key), content type
    /// <c>application/pdf</c> and its SHA-256, only if the key is free (<c>If-None-Match: *</c>). When the key is taken,
    /// as after a run that crashed once its upload had landed, the stored object's SHA-256 decides: the same bytes are
    /// taken as stored (<see cref="StoredObject.AlreadyStored"/>); other bytes throw
    /// <see cref="InvoiceObjectConflictException"/>. Nothing is ever overwritten. Throws <see cref="InvalidOperationException"/>
    /// when the server reports the object stored other than SSE-KMS under the configured key.
    /// </summary>
    /// <param name="metadata">Extra user metadata (say invoice id and number): lower-case names of letters, digits and
    /// '-', printable ASCII values; <c>sha256</c> is the store's own.</param>
    public async Task<StoredObject> PutInvoiceAsync(
        string key, byte[] pdf, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(pdf);
        ArgumentNullException.ThrowIfNull(metadata);
        if (pdf.Length == 0)
        {
            throw new ArgumentException("an invoice PDF cannot be empty", nameof(pdf));
        }
        ValidateMetadata(metadata);

        var hash = SHA256.HashData(pdf);
        var sha256 = Convert.ToHexStringLower(hash);
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = new MemoryStream(pdf, writable: false),
            ContentType = PdfContentType,
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = _options.KmsKeyId,
            ChecksumSHA256 = Convert.ToBase64String(hash),
            IfNoneMatch = "*",
            // One signed body rather than aws-chunked: Ceph RGW 16 keeps "Content-Encoding: aws-chunked" on an object
            // uploaded in chunks and serves it with every download. The PDF is in memory, so signing its hash costs nothing.
            UseChunkEncoding = false,
        };
        request.Metadata[Sha256MetadataKey] = sha256;
        foreach (var (name, value) in metadata)
        {
            request.Metadata[name] = value;
        }

        PutObjectResponse response;
        try
        {
            response = await _s3.PutObjectAsync(request, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            // The key is taken: by our own earlier upload (a crashed run, or the SDK retrying a put that had landed),
            // or by something else. Only the bytes can tell.
            return await AlreadyStoredAsync(key, sha256, cancellationToken);
        }
        EnsureEncrypted(key, response.ServerSideEncryptionMethod?.Value, response.ServerSideEncryptionKeyManagementServiceKeyId);
        return new StoredObject(_options.Bucket, key, sha256, pdf.LongLength, AlreadyStored: false);
    }

    /// <summary>The object's encryption, size, content type, SHA-256 and metadata; null when there is no such object.</summary>
    public async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        GetObjectMetadataResponse response;
        try
        {
            response = await _s3.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key, ChecksumMode = ChecksumMode.ENABLED },
                cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        var metadata = response.Metadata.Keys.ToDictionary(
            name => name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name[MetadataPrefix.Length..] : name,
            name => response.Metadata[name],
            StringComparer.OrdinalIgnoreCase);
        return new ObjectHead(
            _options.Bucket,
            key,
            response.ContentLength,
            response.Headers.ContentType,
            response.ServerSideEncryptionMethod?.Value is { Length: > 0 } method ? method : null,
            response.ServerSideEncryptionKeyManagementServiceKeyId,
            FullObjectSha256(response) ?? (metadata.TryGetValue(Sha256MetadataKey, out var hex) ? hex.ToLowerInvariant() : null),
            metadata);
    }

    /// <summary>
    /// A URL that downloads the object with a plain GET until <paramref name="expiry"/> (default
    /// <see cref="S3Options.PresignExpiry"/>) has passed. Signing needs no request, but may need to refresh credentials
    /// (an IRSA token), hence async.
    /// </summary>
    public async Task<Uri> PresignGetUrlAsync(string key, TimeSpan? expiry = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var lifetime = expiry ?? _options.PresignExpiry;
        if (lifetime <= TimeSpan.Zero || lifetime > S3Options.MaxPresignExpiry)
        {
            throw new ArgumentOutOfRangeException(nameof(expiry), lifetime, "a presigned URL lives more than 0 and at most 7 days");
        }
        var url = await _s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Expires = _time.GetUtcNow().UtcDateTime + lifetime,
            // The SDK signs https URLs unless told otherwise; a local server may speak plain http.
            Protocol = !_options.IsAws && _options.ServiceUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                ? Protocol.HTTP
                : Protocol.HTTPS,
        });
        return new Uri(url);
    }

    private async Task<StoredObject> AlreadyStoredAsync(string key, string sha256, CancellationToken cancellationToken)
    {
        var stored = await HeadAsync(key, cancellationToken) ?? throw new InvalidOperationException(
            $"S3 refused to create s3://{_options.Bucket}/{key} because it exists, then found no such object (deleted meanwhile?); run again");
        if (!string.Equals(stored.Sha256, sha256, StringComparison.Ordinal))
        {
            throw new InvoiceObjectConflictException(_options.Bucket, key, stored.Sha256, sha256);
        }
        EnsureEncrypted(key, stored.Encryption, stored.KmsKeyId);
        return new StoredObject(_options.Bucket, key, sha256, stored.Size, AlreadyStored: true);
    }

    /// <summary>
    /// Refuses to report success for an object the server did not encrypt as asked: a server that silently drops the SSE
    /// headers (some S3 look-alikes do) would otherwise hold customers' invoices in the clear.
    /// </summary>
    private void EnsureEncrypted(string key, string? method, string? keyId)
    {
        if (method == ServerSideEncryptionMethod.AWSKMS.Value && KmsKeyIds.Match(_options.KmsKeyId, keyId))
        {
            return;
        }
        var actual = method is { Length: > 0 } ? $"{method}{(keyId is null ? "" : $" (key {keyId})")}" : "no encryption";
        throw new InvalidOperationException(
            $"s3://{_options.Bucket}/{key} is stored with {actual}, not SSE-KMS under key {_options.KmsKeyId}: the S3 server at " +
            $"{_options.Endpoint} does not encrypt as asked (billing-ops preflight proves SSE-KMS). The object is left as it is.");
    }

    /// <summary>The server's SHA-256 of the whole object, as hex; null when it keeps none (RGW 16) or only a multipart composite.</summary>
    private static string? FullObjectSha256(GetObjectMetadataResponse response)
    {
        if (string.IsNullOrEmpty(response.ChecksumSHA256) || response.ChecksumType == ChecksumType.COMPOSITE
            || response.ChecksumSHA256.Contains('-', StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            return Convert.ToHexStringLower(Convert.FromBase64String(response.ChecksumSHA256));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static void ValidateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (name, value) in metadata)
        {
            if (string.Equals(name, Sha256MetadataKey, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"metadata '{Sha256MetadataKey}' is set by the store itself", nameof(metadata));
            }
            if (!MetadataName().IsMatch(name))
            {
                throw new ArgumentException($"metadata name '{name}' is not lower-case letters, digits and '-'", nameof(metadata));
            }
            // S3 sends user metadata as HTTP headers: anything but printable ASCII would be mangled or refused.
            if (value is null || value.Any(c => c is < ' ' or > '~'))
            {
                throw new ArgumentException($"metadata '{name}' must be printable ASCII", nameof(metadata));
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.:-]*\\z")]
    private static partial Regex AccountId();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*\\z")]
    private static partial Regex InvoiceNumber();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*\\z")]
    private static partial Regex MetadataName();
}

/// <summary>Compares KMS key references the way S3 reports them.</summary>
public static class KmsKeyIds
{
    /// <summary>
    /// True when <paramref name="reported"/> (what S3 says the object is encrypted with) is <paramref name="configured"/>:
    /// the same string, or the same key as id and ARN (AWS reports the ARN for a key configured by id). An alias
    /// (<c>alias/...</c>) cannot be resolved without asking KMS, so any key S3 reports for it is taken.
    /// </summary>
    public static bool Match(string configured, string? reported)
    {
        if (string.IsNullOrEmpty(reported))
        {
            return false;
        }
        return string.Equals(configured, reported, StringComparison.Ordinal)
            || IsAlias(configured)
            || string.Equals(KeyId(configured), KeyId(reported), StringComparison.Ordinal);
    }

    public static bool IsAlias(string keyReference) =>
        keyReference.StartsWith("alias/", StringComparison.Ordinal) || keyReference.Contains(":alias/", StringComparison.Ordinal);

    /// <summary>The key id of a key ARN (<c>arn:aws:kms:region:account:key/ID</c>); anything else as it is.</summary>
    private static string KeyId(string keyReference)
    {
        const string marker = ":key/";
        var at = keyReference.IndexOf(marker, StringComparison.Ordinal);
        return keyReference.StartsWith("arn:", StringComparison.Ordinal) && at >= 0 ? keyReference[(at + marker.Length)..] : keyReference;
    }
}
