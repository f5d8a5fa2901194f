using System.Diagnostics.CodeAnalysis;

namespace Billing.Core.Domain;

/// <summary>Why an inbound message was rejected as poison (stored as a dead letter, then terminated).</summary>
public enum EventRejectionReason
{
    /// <summary>Not UTF-8, not JSON, not a JSON object, or a property repeated.</summary>
    InvalidJson,

    /// <summary><c>schemaVersion</c> is present but is not a version this service understands.</summary>
    UnsupportedSchemaVersion,

    /// <summary>A required field is absent, <c>null</c> or an empty string.</summary>
    MissingField,

    /// <summary>A field has the wrong JSON type or a value outside its format.</summary>
    InvalidField,

    /// <summary><c>type</c> is not one of the four event types.</summary>
    UnknownType,

    /// <summary>The subject is not <c>billing.events.&lt;type&gt;</c> for the payload's <c>type</c>.</summary>
    SubjectTypeMismatch,

    /// <summary><c>segments</c> is an integer outside 1..255.</summary>
    SegmentsOutOfRange,
}

/// <summary>Why a message was rejected, in words an operator can act on.</summary>
/// <param name="Reason">The rule that was broken.</param>
/// <param name="Field">The payload field at fault (camelCase), or null when the fault is not one field's.</param>
/// <param name="Message">
/// A sentence naming the field, the offending value (truncated, control characters escaped) and, for a mismatch,
/// the subject.
/// </param>
public sealed record EventRejection(EventRejectionReason Reason, string? Field, string Message);

/// <summary>
/// The outcome of <see cref="BillingEventParser.Parse(string, ReadOnlySpan{byte})"/>: exactly one of
/// <see cref="Event"/> and <see cref="Rejection"/> is set. Test <see cref="IsAccepted"/> and the compiler's
/// nullable analysis knows which.
/// </summary>
public sealed class EventParseResult
{
    private EventParseResult(BillingEvent? billingEvent, EventRejection? rejection)
    {
        Event = billingEvent;
        Rejection = rejection;
    }

    /// <summary>True when the message is a valid event; false when it is poison.</summary>
    [MemberNotNullWhen(true, nameof(Event))]
    [MemberNotNullWhen(false, nameof(Rejection))]
    public bool IsAccepted => Event is not null;

    /// <summary>The event, when accepted.</summary>
    public BillingEvent? Event { get; }

    /// <summary>Why the message was rejected, when not accepted.</summary>
    public EventRejection? Rejection { get; }

    internal static EventParseResult Accepted(BillingEvent billingEvent) => new(billingEvent, null);

    internal static EventParseResult Rejected(EventRejection rejection) => new(null, rejection);

    /// <inheritdoc />
    public override string ToString() => IsAccepted ? $"Accepted {Event}" : $"Rejected {Rejection}";
}
