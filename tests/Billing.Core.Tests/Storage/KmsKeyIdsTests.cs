using Billing.Core.Storage;

namespace Billing.Core.Tests.Storage;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class KmsKeyIdsTests
{
    private const string KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private const string KeyArn = "arn:aws:kms:eu-west-1:111122223333:key/" + KeyId;

    [TestCase("billing-local-key", "billing-local-key", true)]
    [TestCase(KeyId, KeyArn, true)]
    [TestCase(KeyArn, KeyArn, true)]
    [TestCase(KeyArn, KeyId, true)]
    [TestCase("alias/billing", KeyArn, true)]
    [TestCase("arn:aws:kms:eu-west-1:111122223333:alias/billing", KeyArn, true)]
    [TestCase("billing-local-key", "other-key", false)]
    [TestCase(KeyId, "arn:aws:kms:eu-west-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab", false)]
    [TestCase("billing-local-key", null, false)]
    [TestCase("alias/billing", null, false)]
    public void A_reported_key_matches_the_configured_id_arn_or_alias(string configured, string? reported, bool match) =>
        Assert.That(KmsKeyIds.Match(configured, reported), Is.EqualTo(match));

    [Test]
    public void An_object_is_encrypted_with_the_key_only_under_SSE_KMS()
    {
        var head = new ObjectHead("b", "k", 1, "application/pdf", "aws:kms", KeyArn, null, new Dictionary<string, string>());

        Assert.That(head.IsEncryptedWith(KeyId), Is.True);
        Assert.That((head with { Encryption = "AES256" }).IsEncryptedWith(KeyId), Is.False);
        Assert.That((head with { Encryption = null, KmsKeyId = null }).IsEncryptedWith(KeyId), Is.False);
    }
}
