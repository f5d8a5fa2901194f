using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Billing.Core.Storage;

namespace Billing.Migrations.Provisioning;

/// <summary>A setting of the live bucket that differs from the wanted one, named as in S3's API.</summary>
internal sealed record S3Difference(string Setting, string Live, string Wanted, string Unit = "")
{
    public override string ToString() => Unit.Length == 0 ? $"{Setting} {Live} -> {Wanted}" : $"{Setting} {Live} -> {Wanted} {Unit}";
}

internal enum S3ProvisionOutcome
{
    Created,
    Updated,
    UpToDate,
    /// <summary>The server does not offer this (Ceph RGW 16 and bucket default encryption); not a failure.</summary>
    NotSupported,
    Failed,
}

/// <summary>What provisioning did with one part of the bucket: the differences it found and, unless done, why not.</summary>
internal sealed record S3ProvisionResult(
    string Object, S3ProvisionOutcome Outcome, IReadOnlyList<S3Difference> Differences, string? Problem = null);

/// <summary>Another lifecycle rule that would expire invoices before the retention period.</summary>
internal sealed record S3Conflict(string Object, string Problem)
{
    public override string ToString() => $"{Object}: {Problem}";
}

/// <summary>The bucket as <c>preflight</c> finds it: there or not, and how its lifecycle differs from the wanted one.</summary>
internal sealed record S3BucketState(bool Exists, bool HasLifecycleRule, IReadOnlyList<S3Difference> Differences, IReadOnlyList<S3Conflict> Conflicts)
{
    public bool IsAsWanted => Exists && HasLifecycleRule && Differences.Count == 0 && Conflicts.Count == 0;
}

/// <summary>
/// <c>billing-ops provision s3</c>: creates the invoice bucket when missing, asks for SSE-KMS as its default encryption
/// (where the server offers it), and creates or corrects the lifecycle rule that expires invoices after the retention
/// period; <c>preflight</c> uses the same comparison, and proves SSE-KMS with a probe object. Only this service's own rule is
/// changed: other lifecycle rules are kept, and one that would expire invoices sooner is reported, not touched.
/// </summary>
internal sealed class S3Provisioner(IAmazonS3 s3, S3Options options, TimeProvider time)
{
    public const string LifecycleRuleId = "expire-invoices-7y";
    public const string InvoicePrefix = "invoices/";
    public const string ProbePrefix = "preflight/probe-";
    public const string EncryptionObject = "bucket default encryption";
    public const string EncryptionNotSupported = "not supported by this S3 server; every upload sets SSE-KMS itself";

    private string BucketObject => $"bucket {options.Bucket}";

    private static string LifecycleObject(string? ruleId) => $"lifecycle {ruleId}";

    /// <summary>The bucket, its default encryption and its lifecycle, in that order; nothing after a bucket that could not be had.</summary>
    public async IAsyncEnumerable<S3ProvisionResult> ProvisionAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var bucket = await ProvisionBucketAsync(cancellationToken);
        yield return bucket;
        if (bucket.Outcome == S3ProvisionOutcome.Failed)
        {
            yield break;
        }
        yield return await ProvisionDefaultEncryptionAsync(cancellationToken);
        foreach (var result in await ProvisionLifecycleAsync(cancellationToken))
        {
            yield return result;
        }
    }

    /// <summary>The bucket and its lifecycle as found (for <c>preflight</c>).</summary>
    public async Task<S3BucketState> InspectBucketAsync(CancellationToken cancellationToken)
    {
        if (!await BucketExistsAsync(cancellationToken))
        {
            return new(false, false, [], []);
        }
        var rules = await GetLifecycleRulesAsync(cancellationToken);
        var ours = rules.FirstOrDefault(r => r.Id == LifecycleRuleId);
        return new(true, ours is not null, ours is null ? [] : Compare(ours), Conflicts(rules));
    }

    /// <summary>
    /// Proves that the server encrypts with SSE-KMS under the configured key: stores a small probe object through
    /// <see cref="InvoiceObjectStore"/> (the very request the invoice worker sends), reads its encryption back with HEAD,
    /// and deletes it. Returns whether it is proven and what was seen.
    /// </summary>
    public async Task<(bool Proven, string Detail)> ProveSseKmsAsync(CancellationToken cancellationToken)
    {
        var key = string.Create(CultureInfo.InvariantCulture,
            $"{ProbePrefix}{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}");
        var (proven, detail, written) = await ProbeAsync(key, cancellationToken);
        // Whatever was seen, a probe that landed is removed: above all one the server stored in the clear.
        return (proven, written ? detail + await DeleteProbeAsync(key) : detail);
    }

    private async Task<(bool Proven, string Detail, bool Written)> ProbeAsync(string key, CancellationToken cancellationToken)
    {
        var store = new InvoiceObjectStore(s3, options, time);
        try
        {
            await store.PutInvoiceAsync(key, "billing-ops preflight probe: safe to delete"u8.ToArray(),
                new Dictionary<string, string> { ["purpose"] = "preflight-probe" }, cancellationToken);
        }
        catch (AmazonS3Exception e)
        {
            return (false, $"probe {key} not written: S3 refused: {Describe(e)}", false);
        }
        catch (InvalidOperationException e)
        {
            // The store's own check: the server answered the upload with other encryption than asked.
            return (false, e.Message, true);
        }

        try
        {
            var head = await store.HeadAsync(key, cancellationToken);
            if (head is null)
            {
                return (false, $"probe {key} was written, but HEAD finds no such object", true);
            }
            if (!head.IsEncryptedWith(options.KmsKeyId))
            {
                return (false, $"probe {key} is stored with {head.Encryption ?? "no encryption"}" +
                    $"{(head.KmsKeyId is null ? "" : $" under key {head.KmsKeyId}")}, not aws:kms under key {options.KmsKeyId}", true);
            }
            var alias = KmsKeyIds.IsAlias(options.KmsKeyId) ? $" (configured as {options.KmsKeyId})" : "";
            return (true, $"probe {key} written, HEAD shows aws:kms with key {head.KmsKeyId}{alias}", true);
        }
        catch (AmazonS3Exception e)
        {
            return (false, $"probe {key} not read back: S3 refused: {Describe(e)}", true);
        }
    }

    /// <summary>Why S3 could not be asked at all, naming the server and bucket (never a credential).</summary>
    public static string DescribeFailure(S3Options options, Exception e) => e switch
    {
        AmazonS3Exception s3 => $"S3 at {options.Endpoint} refused a request on bucket {options.Bucket}: {Describe(s3)}",
        AmazonClientException when e.Message.StartsWith("Failed to resolve AWS credentials", StringComparison.Ordinal) =>
            $"no AWS credentials for S3 at {options.Endpoint}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role (IRSA)",
        HttpRequestException => $"cannot reach S3 at {options.Endpoint} (bucket {options.Bucket}): {e.Message}",
        TimeoutException or TaskCanceledException => $"S3 at {options.Endpoint} (bucket {options.Bucket}) did not answer in time",
        _ => $"S3 at {options.Endpoint} (bucket {options.Bucket}): {e.Message}",
    };

    /// <summary>The exceptions that mean S3 could not be asked (rather than a bug): for the callers' catch filters.</summary>
    public static bool IsS3Failure(Exception e) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException or TimeoutException or TaskCanceledException;

    /// <summary>The settings of our lifecycle rule that differ from the wanted ones.</summary>
    internal IReadOnlyList<S3Difference> Compare(LifecycleRule live)
    {
        var differences = new List<S3Difference>();
        var status = live.Status?.Value ?? "(none)";
        if (status != LifecycleRuleStatus.Enabled.Value)
        {
            differences.Add(new("status", status, LifecycleRuleStatus.Enabled.Value));
        }
        var filter = DescribeFilter(live);
        if (filter != WantedFilter)
        {
            differences.Add(new("filter", filter, WantedFilter));
        }
        var expiration = live.Expiration switch
        {
            { Days: { } days } when live.Expiration.Date is null => days.ToString(CultureInfo.InvariantCulture),
            { Date: { } date } => $"on {date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
            _ => "(none)",
        };
        var wanted = options.RetentionDays.ToString(CultureInfo.InvariantCulture);
        if (expiration != wanted)
        {
            differences.Add(new("expiration", expiration, wanted, "days"));
        }
        return differences;
    }

    /// <summary>
    /// The live rule with the wanted status, filter and expiration, and whatever else an operator added (transitions to a
    /// colder storage class, say) kept.
    /// </summary>
    internal LifecycleRule WithWantedSettings(LifecycleRule live)
    {
        live.Status = LifecycleRuleStatus.Enabled;
#pragma warning disable CS0618 // The rule-level Prefix is deprecated in favour of Filter; a rule from an old tool may still carry it.
        live.Prefix = null;
#pragma warning restore CS0618
        live.Filter = new LifecycleFilter { LifecycleFilterPredicate = new LifecyclePrefixPredicate { Prefix = InvoicePrefix } };
        live.Expiration = new LifecycleRuleExpiration { Days = options.RetentionDays };
        return live;
    }

    internal LifecycleRule WantedRule() => WithWantedSettings(new LifecycleRule { Id = LifecycleRuleId });

    /// <summary>
    /// Other enabled rules that would expire invoices before the retention period: S3 applies the earliest expiration of
    /// all rules that match an object. Rules that need a tag never match invoices, which carry none.
    /// </summary>
    internal IReadOnlyList<S3Conflict> Conflicts(IEnumerable<LifecycleRule> rules) =>
        rules.Where(r => r.Id != LifecycleRuleId && r.Status == LifecycleRuleStatus.Enabled && !NeedsTag(r))
            .Where(r => r.Expiration is { Date: not null } || r.Expiration is { Days: { } days } && days < options.RetentionDays)
            .Where(r => RulePrefix(r) is var prefix && (prefix.StartsWith(InvoicePrefix, StringComparison.Ordinal)
                || InvoicePrefix.StartsWith(prefix, StringComparison.Ordinal)))
            .Select(r => new S3Conflict(LifecycleObject(r.Id), string.Create(CultureInfo.InvariantCulture,
                $"also expires objects under {InvoicePrefix} " +
                $"{(r.Expiration!.Date is { } date ? $"on {date:yyyy-MM-dd}" : $"after {r.Expiration.Days} days")}, before the " +
                $"{options.RetentionDays} days invoices are kept: narrow its filter or remove it (provision s3 changes only {LifecycleRuleId})")))
            .ToList();

    private string WantedFilter => $"prefix {InvoicePrefix}";

    private async Task<S3ProvisionResult> ProvisionBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await BucketExistsAsync(cancellationToken))
            {
                return new(BucketObject, S3ProvisionOutcome.UpToDate, []);
            }
            // us-east-1 is S3's default location and is refused as an explicit constraint; every other region is named.
            var region = options.SigningRegion;
            await s3.PutBucketAsync(new PutBucketRequest
            {
                BucketName = options.Bucket,
                UseClientRegion = false,
                BucketRegionName = region == "us-east-1" ? null : region,
            }, cancellationToken);
            return new(BucketObject, S3ProvisionOutcome.Created, []);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            return new(BucketObject, S3ProvisionOutcome.UpToDate, []);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyExists")
        {
            return new(BucketObject, S3ProvisionOutcome.Failed, [],
                $"not created: the name belongs to another account at {options.Endpoint}; choose another S3__Bucket");
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Forbidden)
        {
            return new(BucketObject, S3ProvisionOutcome.Failed, [],
                $"access denied at {options.Endpoint}: the bucket belongs to another account, or these credentials may not use it ({Describe(e)})");
        }
        catch (AmazonS3Exception e)
        {
            return new(BucketObject, S3ProvisionOutcome.Failed, [], $"not created: S3 at {options.Endpoint} refused: {Describe(e)}");
        }
    }

    private async Task<S3ProvisionResult> ProvisionDefaultEncryptionAsync(CancellationToken cancellationToken)
    {
        ServerSideEncryptionByDefault? live;
        try
        {
            var response = await s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = options.Bucket }, cancellationToken);
            live = response.ServerSideEncryptionConfiguration?.ServerSideEncryptionRules?.FirstOrDefault()?.ServerSideEncryptionByDefault;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "ServerSideEncryptionConfigurationNotFoundError")
        {
            live = null;
        }
        catch (AmazonS3Exception e) when (IsNotSupported(e))
        {
            return new(EncryptionObject, S3ProvisionOutcome.NotSupported, [], EncryptionNotSupported);
        }
        catch (AmazonS3Exception e)
        {
            return new(EncryptionObject, S3ProvisionOutcome.Failed, [], $"not read: S3 refused: {Describe(e)}");
        }

        var differences = new List<S3Difference>();
        if (live is not null)
        {
            var algorithm = live.ServerSideEncryptionAlgorithm?.Value ?? "(none)";
            if (algorithm != ServerSideEncryptionMethod.AWSKMS.Value)
            {
                differences.Add(new("SSEAlgorithm", algorithm, ServerSideEncryptionMethod.AWSKMS.Value));
            }
            if (!KmsKeyIds.Match(options.KmsKeyId, live.ServerSideEncryptionKeyManagementServiceKeyId))
            {
                differences.Add(new("KMSMasterKeyID", live.ServerSideEncryptionKeyManagementServiceKeyId ?? "(none)", options.KmsKeyId));
            }
            if (differences.Count == 0)
            {
                return new(EncryptionObject, S3ProvisionOutcome.UpToDate, []);
            }
        }
        try
        {
            await s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
            {
                BucketName = options.Bucket,
                ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
                {
                    ServerSideEncryptionRules =
                    [
                        new ServerSideEncryptionRule
                        {
                            ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault
                            {
                                ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS,
                                ServerSideEncryptionKeyManagementServiceKeyId = options.KmsKeyId,
                            },
                        },
                    ],
                },
            }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (IsNotSupported(e))
        {
            return new(EncryptionObject, S3ProvisionOutcome.NotSupported, [], EncryptionNotSupported);
        }
        catch (AmazonS3Exception e)
        {
            return new(EncryptionObject, S3ProvisionOutcome.Failed, differences, $"not set: S3 refused: {Describe(e)}");
        }
        return new(EncryptionObject, live is null ? S3ProvisionOutcome.Created : S3ProvisionOutcome.Updated, differences);
    }

    private async Task<IReadOnlyList<S3ProvisionResult>> ProvisionLifecycleAsync(CancellationToken cancellationToken)
    {
        var label = LifecycleObject(LifecycleRuleId);
        var results = new List<S3ProvisionResult>();
        try
        {
            var rules = await GetLifecycleRulesAsync(cancellationToken);
            var index = rules.FindIndex(r => r.Id == LifecycleRuleId);
            var differences = index < 0 ? [] : Compare(rules[index]);
            if (index >= 0 && differences.Count == 0)
            {
                results.Add(new(label, S3ProvisionOutcome.UpToDate, []));
            }
            else
            {
                // A lifecycle configuration is replaced whole: send every other rule back as it was.
                if (index < 0)
                {
                    rules.Add(WantedRule());
                }
                else
                {
                    rules[index] = WithWantedSettings(rules[index]);
                }
                await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
                {
                    BucketName = options.Bucket,
                    Configuration = new LifecycleConfiguration { Rules = rules },
                }, cancellationToken);
                results.Add(await ConfirmedAsync(label, index < 0 ? S3ProvisionOutcome.Created : S3ProvisionOutcome.Updated, differences, cancellationToken));
            }
            results.AddRange(Conflicts(rules).Select(c => new S3ProvisionResult(c.Object, S3ProvisionOutcome.Failed, [], c.Problem)));
        }
        catch (AmazonS3Exception e)
        {
            results.Add(new(label, S3ProvisionOutcome.Failed, [], $"not set: S3 refused: {Describe(e)}"));
        }
        return results;
    }

    /// <summary>Reads the rule back: a setting the server did not take would otherwise show as drift on every run.</summary>
    private async Task<S3ProvisionResult> ConfirmedAsync(
        string label, S3ProvisionOutcome outcome, IReadOnlyList<S3Difference> differences, CancellationToken cancellationToken)
    {
        var stored = (await GetLifecycleRulesAsync(cancellationToken)).FirstOrDefault(r => r.Id == LifecycleRuleId);
        var remaining = stored is null ? null : Compare(stored);
        return remaining is { Count: 0 }
            ? new(label, outcome, differences)
            : new(label, S3ProvisionOutcome.Failed, differences,
                $"S3 accepted the rule but reads back {(remaining is null ? "no such rule" : string.Join(", ", remaining))}");
    }

    private async Task<bool> BucketExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await s3.HeadBucketAsync(new HeadBucketRequest { BucketName = options.Bucket }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>The bucket's lifecycle rules; none when it has no configuration (the SDK answers that 404 with an empty one).</summary>
    private async Task<List<LifecycleRule>> GetLifecycleRulesAsync(CancellationToken cancellationToken) =>
        (await s3.GetLifecycleConfigurationAsync(new GetLifecycleConfigurationRequest { BucketName = options.Bucket }, cancellationToken))
            .Configuration?.Rules ?? [];

    private async Task<string> DeleteProbeAsync(string key)
    {
        try
        {
            // Not cancellable: a preflight interrupted half-way still removes what it wrote.
            await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = options.Bucket, Key = key }, CancellationToken.None);
            return ", deleted";
        }
        catch (AmazonS3Exception e)
        {
            return $"; not deleted ({Describe(e)}): delete it by hand";
        }
    }

    /// <summary>How S3 answers a request it does not implement: RGW 16 says InvalidArgument to PutBucketEncryption.</summary>
    private static bool IsNotSupported(AmazonS3Exception e) =>
        e.ErrorCode is "InvalidArgument" or "NotImplemented" || e.StatusCode == HttpStatusCode.NotImplemented;

    /// <summary>A filter as an operator reads it: <c>prefix invoices/</c>, <c>tag k=v</c>, several joined by <c>and</c>.</summary>
    private static string DescribeFilter(LifecycleRule rule)
    {
#pragma warning disable CS0618 // See WithWantedSettings.
        var rulePrefix = rule.Prefix;
#pragma warning restore CS0618
        var parts = Predicates(rule).Select(p => p switch
        {
            LifecyclePrefixPredicate prefix => $"prefix {(string.IsNullOrEmpty(prefix.Prefix) ? "(all objects)" : prefix.Prefix)}",
            LifecycleTagPredicate tag => $"tag {tag.Tag?.Key}={tag.Tag?.Value}",
            LifecycleObjectSizeGreaterThanPredicate size => $"size > {size.ObjectSizeGreaterThan}",
            LifecycleObjectSizeLessThanPredicate size => $"size < {size.ObjectSizeLessThan}",
            _ => p.GetType().Name,
        }).ToList();
        if (parts.Count == 0 && rulePrefix is not null)
        {
            parts.Add($"prefix {(rulePrefix.Length == 0 ? "(all objects)" : rulePrefix)}");
        }
        return parts.Count == 0 ? "(all objects)" : string.Join(" and ", parts);
    }

    private static string RulePrefix(LifecycleRule rule)
    {
#pragma warning disable CS0618 // See WithWantedSettings.
        return Predicates(rule).OfType<LifecyclePrefixPredicate>().FirstOrDefault()?.Prefix ?? rule.Prefix ?? "";
#pragma warning restore CS0618
    }

    private static bool NeedsTag(LifecycleRule rule) => Predicates(rule).Any(p => p is LifecycleTagPredicate);

    /// <summary>
    /// The filter's conditions. The SDK reads a filter into <see cref="LifecycleFilter.LifecycleFilterPredicate"/>; the flat
    /// <see cref="LifecycleFilter.Prefix"/> appears only on rules built in code.
    /// </summary>
    private static IEnumerable<LifecycleFilterPredicate> Predicates(LifecycleRule rule) => rule.Filter switch
    {
        { LifecycleFilterPredicate: LifecycleAndOperator and } => and.Operands ?? [],
        { LifecycleFilterPredicate: { } predicate } => [predicate],
        { Prefix: { } prefix } => [new LifecyclePrefixPredicate { Prefix = prefix }],
        _ => [],
    };

    private static string Describe(AmazonS3Exception e)
    {
        // The SDK's message for an error without a body ("Error making request with Error Code ...") says nothing more.
        var message = string.IsNullOrWhiteSpace(e.Message) || e.Message.StartsWith("Error making request", StringComparison.Ordinal)
            ? ""
            : $": {e.Message}";
        return $"{e.ErrorCode} ({(int)e.StatusCode}){message}";
    }
}
