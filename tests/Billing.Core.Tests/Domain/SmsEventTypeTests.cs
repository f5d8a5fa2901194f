using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class SmsEventTypeTests
{
    [TestCase(SmsEventType.Submitted, "sms.submitted", "billing.events.sms.submitted")]
    [TestCase(SmsEventType.Delivered, "sms.delivered", "billing.events.sms.delivered")]
    [TestCase(SmsEventType.Failed, "sms.failed", "billing.events.sms.failed")]
    [TestCase(SmsEventType.Expired, "sms.expired", "billing.events.sms.expired")]
    public void Each_type_has_its_contract_wire_name_and_subject(SmsEventType type, string wireName, string subject)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(type.ToWireName(), Is.EqualTo(wireName));
            Assert.That(type.ToSubject(), Is.EqualTo(subject));
            Assert.That(SmsEventType.TryParseWireName(wireName, out SmsEventType fromWireName), Is.True);
            Assert.That(fromWireName, Is.EqualTo(type));
            Assert.That(SmsEventType.TryParseSubject(subject, out SmsEventType fromSubject), Is.True);
            Assert.That(fromSubject, Is.EqualTo(type));
        }
    }

    [Test]
    public void Every_subject_lies_under_the_stream_filter()
    {
        Assert.That(SmsEventTypeExtensions.All, Is.EquivalentTo(Enum.GetValues<SmsEventType>()));
        foreach (SmsEventType type in SmsEventTypeExtensions.All)
        {
            Assert.That(type.ToSubject(), Is.EqualTo(SmsEventTypeExtensions.SubjectPrefix + type.ToWireName()));
        }

        Assert.That(SmsEventTypeExtensions.SubjectFilter, Is.EqualTo(SmsEventTypeExtensions.SubjectPrefix + ">"));
    }

    [TestCase("SMS.SUBMITTED")]
    [TestCase("submitted")]
    [TestCase("sms.submitted ")]
    [TestCase("billing.events.sms.submitted")]
    [TestCase("")]
    [TestCase(null)]
    public void Unknown_wire_name_does_not_parse(string? wireName) =>
        Assert.That(SmsEventType.TryParseWireName(wireName, out _), Is.False);

    [TestCase("sms.submitted")]
    [TestCase("billing.events.SMS.SUBMITTED")]
    [TestCase("billing.events.sms.bounced")]
    [TestCase("billing.events.>")]
    [TestCase("billing.invoice.generated")]
    [TestCase("")]
    [TestCase(null)]
    public void Unknown_subject_does_not_parse(string? subject) =>
        Assert.That(SmsEventType.TryParseSubject(subject, out _), Is.False);

    [Test]
    public void Undefined_value_has_no_wire_name()
    {
        const SmsEventType undefined = (SmsEventType)42;
        Assert.That(() => undefined.ToWireName(), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => undefined.ToSubject(), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
