using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Billing.Core.Storage;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Storage;

/// <summary>
/// <see cref="InvoiceObjectStore"/> against a real S3 server (Ceph RGW with SSE-KMS): what lands in the bucket, read back
/// through the SDK and over plain HTTP, and that an issued invoice is never overwritten. One bucket for the fixture; each
/// test uses its own keys.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class InvoiceObjectStoreTests
{
    private TestS3 _s3 = null!;

    [OneTimeSetUp]
    public async Task CreateBucket()
    {
        _s3 = await TestS3.CreateAsync("invoice_store");
        await _s3.CreateBucketAsync();
    }

    [OneTimeTearDown]
    public async Task DeleteBucket() => await _s3.DisposeAsync();

    private static string NewKey() => InvoiceObjectStore.KeyFor(new DateOnly(2026, 11, 1), "acc_1001", $"INV-2026-{Guid.NewGuid():N}");

    private static byte[] Pdf(string text) => System.Text.Encoding.ASCII.GetBytes($"%PDF-1.7\n% {text}\n%%EOF\n");

    private static readonly Dictionary<string, string> Metadata = new() { ["invoice-number"] = "INV-2026-000001" };

    [Test]
    public async Task A_stored_invoice_is_encrypted_with_the_configured_KMS_key_and_carries_its_content_type_and_SHA_256()
    {
        var store = _s3.Store();
        var key = NewKey();
        var pdf = Pdf("stored");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(pdf));

        var stored = await store.PutInvoiceAsync(key, pdf, Metadata, CancellationToken.None);

        Assert.That(stored, Is.EqualTo(new StoredObject(_s3.Bucket, key, sha256, pdf.Length, AlreadyStored: false)));
        var head = await store.HeadAsync(key, CancellationToken.None);
        Assert.That(head, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(head!.Encryption, Is.EqualTo("aws:kms"));
            Assert.That(head.KmsKeyId, Is.EqualTo(_s3.Options.KmsKeyId));
            Assert.That(head.IsEncryptedWith(_s3.Options.KmsKeyId), Is.True);
            Assert.That(head.ContentType, Is.EqualTo("application/pdf"));
            Assert.That(head.Size, Is.EqualTo(pdf.Length));
            Assert.That(head.Sha256, Is.EqualTo(sha256));
            Assert.That(head.Metadata["invoice-number"], Is.EqualTo("INV-2026-000001"));
        });
        // The same, asked of the server without the store in between.
        var raw = await _s3.Client.GetObjectMetadataAsync(_s3.Bucket, key);
        Assert.That(raw.ServerSideEncryptionMethod, Is.EqualTo(ServerSideEncryptionMethod.AWSKMS));
        Assert.That(raw.ServerSideEncryptionKeyManagementServiceKeyId, Is.EqualTo(_s3.Options.KmsKeyId));
        Assert.That(raw.Metadata["x-amz-meta-sha256"], Is.EqualTo(sha256));
        Assert.That(await _s3.GetBytesAsync(key), Is.EqualTo(pdf));
    }

    [Test]
    public async Task The_server_itself_refuses_a_second_put_to_an_issued_key_with_412()
    {
        var key = NewKey();
        await _s3.Store().PutInvoiceAsync(key, Pdf("first"), Metadata, CancellationToken.None);

        var refused = Assert.ThrowsAsync<AmazonS3Exception>(() => _s3.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _s3.Bucket,
            Key = key,
            ContentBody = "second",
            IfNoneMatch = "*",
            UseChunkEncoding = false,
        }));

        Assert.That(refused!.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That(await _s3.GetBytesAsync(key), Is.EqualTo(Pdf("first")));
    }

    [Test]
    public async Task A_second_put_of_different_bytes_is_refused_naming_the_key_and_never_overwrites()
    {
        var store = _s3.Store();
        var key = NewKey();
        var first = Pdf("first");
        var second = Pdf("second, different");
        await store.PutInvoiceAsync(key, first, Metadata, CancellationToken.None);

        var conflict = Assert.ThrowsAsync<InvoiceObjectConflictException>(() => store.PutInvoiceAsync(key, second, Metadata, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(conflict!.Key, Is.EqualTo(key));
            Assert.That(conflict.Message, Does.Contain($"s3://{_s3.Bucket}/{key} already holds a different object"));
            Assert.That(conflict.StoredSha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(first))));
            Assert.That(conflict.OfferedSha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(second))));
        });
        Assert.That(await _s3.GetBytesAsync(key), Is.EqualTo(first));
    }

    [Test]
    public async Task A_re_put_of_identical_bytes_after_a_crash_is_taken_as_already_stored_and_changes_nothing()
    {
        var store = _s3.Store();
        var key = NewKey();
        var pdf = Pdf("rendered again, byte for byte");
        var first = await store.PutInvoiceAsync(key, pdf, Metadata, CancellationToken.None);
        var etag = (await _s3.Client.GetObjectMetadataAsync(_s3.Bucket, key)).ETag;

        var again = await store.PutInvoiceAsync(key, pdf, Metadata, CancellationToken.None);

        Assert.That(again, Is.EqualTo(first with { AlreadyStored = true }));
        Assert.That((await _s3.Client.GetObjectMetadataAsync(_s3.Bucket, key)).ETag, Is.EqualTo(etag));
    }

    [Test]
    public async Task An_object_someone_else_put_without_a_SHA_256_is_never_overwritten()
    {
        var key = NewKey();
        await _s3.Client.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, ContentBody = "not ours", UseChunkEncoding = false });

        var conflict = Assert.ThrowsAsync<InvoiceObjectConflictException>(() =>
            _s3.Store().PutInvoiceAsync(key, Pdf("ours"), Metadata, CancellationToken.None));

        Assert.That(conflict!.StoredSha256, Is.Null);
        Assert.That(conflict.Message, Does.Contain("unknown: it carries none"));
        Assert.That(await _s3.GetBytesAsync(key), Is.EqualTo("not ours"u8.ToArray()));
    }

    [Test]
    public async Task Identical_bytes_already_stored_without_encryption_are_not_reported_as_stored()
    {
        var key = NewKey();
        var pdf = Pdf("stored in the clear by a misconfigured server");
        var request = new PutObjectRequest { BucketName = _s3.Bucket, Key = key, InputStream = new MemoryStream(pdf), UseChunkEncoding = false };
        request.Metadata["sha256"] = Convert.ToHexStringLower(SHA256.HashData(pdf));
        await _s3.Client.PutObjectAsync(request);

        var refused = Assert.ThrowsAsync<InvalidOperationException>(() => _s3.Store().PutInvoiceAsync(key, pdf, Metadata, CancellationToken.None));

        Assert.That(refused!.Message, Does.Contain($"s3://{_s3.Bucket}/{key} is stored with no encryption, not SSE-KMS under key {_s3.Options.KmsKeyId}"));
    }

    [Test]
    public async Task A_presigned_GET_downloads_the_PDF_over_plain_HttpClient_until_it_expires()
    {
        var store = _s3.Store();
        var key = NewKey();
        var pdf = Pdf("downloaded");
        await store.PutInvoiceAsync(key, pdf, Metadata, CancellationToken.None);
        using var http = new HttpClient();

        var url = await store.PresignGetUrlAsync(key);
        using var response = await http.GetAsync(url);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(pdf));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/pdf"));
        Assert.That(response.Content.Headers.ContentEncoding, Is.Empty, "the object carries no aws-chunked encoding to confuse a browser");
        Assert.That(response.Headers.GetValues("x-amz-server-side-encryption"), Is.EqualTo(new[] { "aws:kms" }));
        // Five minutes by default; the SDK counts them from its own clock (corrected for the server's skew), so give or take one.
        var lifetime = int.Parse(System.Web.HttpUtility.ParseQueryString(url.Query)["X-Amz-Expires"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(lifetime, Is.InRange(298, 302));

        var shortLived = await store.PresignGetUrlAsync(key, TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using var expired = await http.GetAsync(shortLived);
        Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task HEAD_of_a_key_that_holds_nothing_is_null() =>
        Assert.That(await _s3.Store().HeadAsync(NewKey(), CancellationToken.None), Is.Null);

    [Test]
    public void Metadata_the_store_owns_or_that_HTTP_headers_cannot_carry_is_refused()
    {
        var store = _s3.Store();

        Assert.That(() => store.PutInvoiceAsync(NewKey(), Pdf("x"), new Dictionary<string, string> { ["sha256"] = "0" }, CancellationToken.None),
            Throws.ArgumentException.With.Message.Contains("set by the store itself"));
        Assert.That(() => store.PutInvoiceAsync(NewKey(), Pdf("x"), new Dictionary<string, string> { ["account-name"] = "Ελληνικά" }, CancellationToken.None),
            Throws.ArgumentException.With.Message.Contains("printable ASCII"));
        Assert.That(() => store.PutInvoiceAsync(NewKey(), Pdf("x"), new Dictionary<string, string> { ["Invoice_Number"] = "1" }, CancellationToken.None),
            Throws.ArgumentException.With.Message.Contains("lower-case"));
    }

    [Test]
    public void A_store_is_not_made_from_options_without_a_KMS_key() =>
        Assert.That(() => new InvoiceObjectStore(_s3.Client, new S3Options { ServiceUrl = _s3.Options.ServiceUrl }, TimeProvider.System),
            Throws.ArgumentException.With.Message.Contains("S3__KmsKeyId is not set"));
}
