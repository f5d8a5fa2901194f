using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ChargeOnTests
{
    [TestCase(ChargeOn.Submitted, "submitted")]
    [TestCase(ChargeOn.Delivered, "delivered")]
    public void Charge_on_has_its_wire_name_both_ways(ChargeOn chargeOn, string wireName)
    {
        Assert.That(chargeOn.ToWireName(), Is.EqualTo(wireName));
        Assert.That(ChargeOn.ParseWireName(wireName), Is.EqualTo(chargeOn));
        Assert.That(ChargeOn.TryParseWireName(wireName, out ChargeOn parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(chargeOn));
    }

    [TestCase("Submitted")]
    [TestCase("DELIVERED")]
    [TestCase("sms.submitted")]
    [TestCase("failed")]
    [TestCase("")]
    [TestCase(null)]
    public void Unknown_wire_name_is_refused(string? wireName)
    {
        Assert.That(ChargeOn.TryParseWireName(wireName, out _), Is.False);
        Assert.That(() => ChargeOn.ParseWireName(wireName!), Throws.ArgumentException.With.Message.Contains(wireName is null ? "null" : $"'{wireName}'"));
    }

    [TestCase(ChargeOn.Submitted, SmsEventType.Submitted, true)]
    [TestCase(ChargeOn.Submitted, SmsEventType.Delivered, false)]
    [TestCase(ChargeOn.Submitted, SmsEventType.Failed, false)]
    [TestCase(ChargeOn.Submitted, SmsEventType.Expired, false)]
    [TestCase(ChargeOn.Delivered, SmsEventType.Submitted, false)]
    [TestCase(ChargeOn.Delivered, SmsEventType.Delivered, true)]
    [TestCase(ChargeOn.Delivered, SmsEventType.Failed, false)]
    [TestCase(ChargeOn.Delivered, SmsEventType.Expired, false)]
    public void Only_the_event_type_the_rule_charges_on_is_billable(ChargeOn chargeOn, SmsEventType type, bool billable) =>
        Assert.That(chargeOn.IsBillable(type), Is.EqualTo(billable));

    [Test]
    public void Undefined_charge_on_is_a_programming_error()
    {
        const ChargeOn undefined = (ChargeOn)7;
        Assert.That(() => undefined.ToWireName(), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => undefined.IsBillable(SmsEventType.Submitted), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
