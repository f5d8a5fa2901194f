namespace Billing.Core.Domain;

/// <summary>An SMS billing event that satisfies the inbound contract (SPEC section 4).</summary>
/// <param name="EventId">Publisher-assigned identity; also the <c>Nats-Msg-Id</c> header and the storage key.</param>
/// <param name="Type">What happened to the message.</param>
/// <param name="OccurredAt">When it happened. Always UTC: the record converts any other offset on construction.</param>
/// <param name="AccountId">The customer account that sent the message.</param>
/// <param name="MessageId">The platform's message id.</param>
/// <param name="Operator">The destination network's MCC+MNC, 5 or 6 digits.</param>
/// <param name="Country">ISO 3166-1 alpha-2 country code, upper case.</param>
/// <param name="Segments">Number of SMS segments, 1..255.</param>
/// <remarks>
/// Events from the wire come from <see cref="BillingEventParser"/>, which enforces the whole contract. The
/// constructor itself does not validate (beyond normalising <paramref name="OccurredAt"/> to UTC) so that tests and
/// the event generator can build contract-breaking events on purpose; <see cref="Rater"/> guards what it relies on.
/// Note that <see cref="DateTimeOffset"/> equality compares instants, not offsets.
/// </remarks>
public sealed record BillingEvent(
    Guid EventId,
    SmsEventType Type,
    DateTimeOffset OccurredAt,
    string AccountId,
    string MessageId,
    string Operator,
    string Country,
    int Segments)
{
    /// <summary>When the event happened, in UTC (offset zero).</summary>
    public DateTimeOffset OccurredAt { get; init => field = value.ToUniversalTime(); } = OccurredAt.ToUniversalTime();

    /// <summary>The subject this event is published on, e.g. <c>billing.events.sms.submitted</c>.</summary>
    public string ToSubject() => Type.ToSubject();

    /// <summary>The event as contract JSON (UTF-8, camelCase, <c>schemaVersion</c> 1).</summary>
    public byte[] ToUtf8Json() => BillingEventPayload.FromEvent(this).ToUtf8Json();
}
