using System.Text;
using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class BillingEventPayloadTests
{
    private static readonly BillingEvent Event = new(
        Guid.Parse("9f1c2b7e-4a1d-4c3e-9b8a-0d6e5f4a3b21"),
        SmsEventType.Submitted,
        new DateTimeOffset(2026, 11, 12, 10, 15, 30, 123, TimeSpan.Zero),
        "acc_1042",
        "msg_77ab",
        "63902",
        "KE",
        2);

    [Test]
    public void Event_serializes_to_the_contract_json_in_camel_case()
    {
        string json = Encoding.UTF8.GetString(Event.ToUtf8Json());

        const string expected =
            """
            {"schemaVersion":1,"eventId":"9f1c2b7e-4a1d-4c3e-9b8a-0d6e5f4a3b21","type":"sms.submitted",
            "occurredAt":"2026-11-12T10:15:30.123Z","accountId":"acc_1042","messageId":"msg_77ab",
            "operator":"63902","country":"KE","segments":2}
            """;
        Assert.That(json, Is.EqualTo(expected.ReplaceLineEndings(string.Empty)));
    }

    [TestCase(SmsEventType.Submitted)]
    [TestCase(SmsEventType.Delivered)]
    [TestCase(SmsEventType.Failed)]
    [TestCase(SmsEventType.Expired)]
    public void Serialized_event_parses_back_to_an_equal_event(SmsEventType type)
    {
        BillingEvent original = Event with { Type = type, OccurredAt = new DateTimeOffset(2026, 11, 12, 13, 15, 30, TimeSpan.FromHours(3)).AddTicks(1) };

        EventParseResult result = BillingEventParser.Parse(original.ToSubject(), original.ToUtf8Json());

        Assert.That(result.Rejection, Is.Null);
        Assert.That(result.Event, Is.EqualTo(original));
        Assert.That(result.Event!.OccurredAt.Ticks, Is.EqualTo(original.OccurredAt.Ticks), "no precision lost");
    }

    [TestCase(0, "2026-11-12T10:15:30Z")]
    [TestCase(1_230_000, "2026-11-12T10:15:30.123Z")]
    [TestCase(1_234_567, "2026-11-12T10:15:30.1234567Z")]
    [TestCase(5_000_000, "2026-11-12T10:15:30.5Z")]
    public void Timestamps_are_written_in_utc_with_z_and_only_the_fraction_needed(long extraTicks, string expected)
    {
        var timestamp = new DateTimeOffset(2026, 11, 12, 10, 15, 30, TimeSpan.Zero).AddTicks(extraTicks);

        Assert.That(BillingEventPayload.FormatTimestamp(timestamp), Is.EqualTo(expected));
    }

    [Test]
    public void Timestamp_with_an_offset_is_written_as_the_same_instant_in_utc() =>
        Assert.That(
            BillingEventPayload.FormatTimestamp(new DateTimeOffset(2026, 11, 12, 1, 0, 0, TimeSpan.FromHours(3))),
            Is.EqualTo("2026-11-11T22:00:00Z"));

    [Test]
    public void Null_properties_are_left_out_so_tests_can_publish_incomplete_events()
    {
        BillingEventPayload payload = BillingEventPayload.FromEvent(Event) with { Segments = null, Country = null };

        string json = Encoding.UTF8.GetString(payload.ToUtf8Json());

        Assert.That(json, Does.Not.Contain("segments").And.Not.Contain("country").And.Contain("\"operator\":\"63902\""));
    }

    [Test]
    public void Contract_breaking_payload_reaches_the_parser_as_written()
    {
        byte[] json = (BillingEventPayload.FromEvent(Event) with { Type = "sms.bounced" }).ToUtf8Json();

        EventParseResult result = BillingEventParser.Parse(Event.ToSubject(), json);

        Assert.That(result.Rejection?.Reason, Is.EqualTo(EventRejectionReason.UnknownType));
    }

    [Test]
    public void Event_is_always_utc_whatever_offset_it_is_built_or_copied_with()
    {
        var plusThree = new DateTimeOffset(2026, 11, 12, 13, 15, 30, TimeSpan.FromHours(3));

        BillingEvent built = Event with { };
        BillingEvent copied = Event with { OccurredAt = plusThree };
        BillingEvent constructed = new(Event.EventId, Event.Type, plusThree, "a", "m", "63902", "KE", 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(built.OccurredAt.Offset, Is.EqualTo(TimeSpan.Zero));
            Assert.That(copied.OccurredAt.Offset, Is.EqualTo(TimeSpan.Zero));
            Assert.That(copied.OccurredAt.UtcDateTime, Is.EqualTo(new DateTime(2026, 11, 12, 10, 15, 30, DateTimeKind.Utc)));
            Assert.That(constructed.OccurredAt.Offset, Is.EqualTo(TimeSpan.Zero));
            Assert.That(constructed.OccurredAt.UtcDateTime, Is.EqualTo(new DateTime(2026, 11, 12, 10, 15, 30, DateTimeKind.Utc)));
        }
    }
}
