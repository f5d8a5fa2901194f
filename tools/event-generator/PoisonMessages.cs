using System.Text;
using Billing.Core.Domain;

namespace Billing.EventGenerator;

/// <summary>
/// Contract-breaking messages, one kind per <see cref="EventRejectionReason"/>, each with a few variants of the mistakes
/// publishers make. Each breaks exactly one rule of a valid event, so <see cref="BillingEventParser"/> rejects it for
/// exactly that reason.
/// </summary>
internal static class PoisonMessages
{
    public static IReadOnlyList<EventRejectionReason> Reasons { get; } = Enum.GetValues<EventRejectionReason>();

    /// <summary>A poison message made from a valid event that is never published itself.</summary>
    public static Publication Create(EventRejectionReason reason, BillingEvent template, Random random)
    {
        var payload = BillingEventPayload.FromEvent(template);
        var subject = template.ToSubject();
        switch (reason)
        {
            case EventRejectionReason.InvalidJson:
                return Poison(subject, InvalidJson(payload, random));
            case EventRejectionReason.UnsupportedSchemaVersion:
                return Broken(subject, payload with { SchemaVersion = Pick(random, 0, 2, 99) });
            case EventRejectionReason.MissingField:
                return Broken(subject, MissingField(payload, random));
            case EventRejectionReason.InvalidField:
                return Broken(subject, InvalidField(payload, random));
            case EventRejectionReason.UnknownType:
                // Published on the subject its type would have, which the stream still captures.
                var type = Pick(random, "sms.read", "sms.clicked", "SMS.SUBMITTED");
                return Broken(SmsEventTypeExtensions.SubjectPrefix + type, payload with { Type = type });
            case EventRejectionReason.SubjectTypeMismatch:
                var otherType = Pick(random, [.. SmsEventTypeExtensions.All.Where(t => t != template.Type)]);
                return Broken(otherType.ToSubject(), payload);
            case EventRejectionReason.SegmentsOutOfRange:
                return Broken(subject, payload with { Segments = Pick(random, 0, -1, 256, 100_000) });
            default:
                throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a rejection reason.");
        }

        Publication Broken(string onSubject, BillingEventPayload broken) => Poison(onSubject, broken.ToUtf8Json());

        Publication Poison(string onSubject, byte[] bytes) =>
            Publication.Poison(onSubject, template.EventId.ToString("D"), bytes, reason);
    }

    private static byte[] InvalidJson(BillingEventPayload payload, Random random)
    {
        var json = payload.ToUtf8Json();
        return random.Next(5) switch
        {
            0 => json[..(json.Length / 2)],                 // cut off in transit
            1 => [.. "["u8, .. json, .. "]"u8],             // an array, not an object
            2 => [0xFF, 0xFE, .. json],                     // a UTF-16 byte order mark: not UTF-8
            3 => [.. json[..^1], .. ",\"segments\":1}"u8],  // a field twice
            _ => Encoding.UTF8.GetBytes($"eventId={payload.EventId}&accountId={payload.AccountId}&segments={payload.Segments}"), // a form post
        };
    }

    private static BillingEventPayload MissingField(BillingEventPayload payload, Random random) => random.Next(10) switch
    {
        0 => payload with { SchemaVersion = null },
        1 => payload with { EventId = null },
        2 => payload with { Type = null },
        3 => payload with { OccurredAt = null },
        4 => payload with { AccountId = null },
        5 => payload with { MessageId = null },
        6 => payload with { Operator = null },
        7 => payload with { Country = null },
        8 => payload with { Segments = null },
        _ => payload with { AccountId = "" },
    };

    private static BillingEventPayload InvalidField(BillingEventPayload payload, Random random) => random.Next(6) switch
    {
        0 => payload with { EventId = "not-a-uuid" },
        1 => payload with { EventId = Guid.Empty.ToString() },
        2 => payload with { OccurredAt = payload.OccurredAt!.TrimEnd('Z') },  // local time of nowhere
        3 => payload with { Operator = "639O2" },
        4 => payload with { Country = "KEN" },
        _ => payload with { AccountId = new string('a', BillingEventParser.MaxIdLength + 1) },
    };

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
