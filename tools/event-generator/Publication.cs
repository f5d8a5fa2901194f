using System.Diagnostics.CodeAnalysis;
using Billing.Core.Domain;

namespace Billing.EventGenerator;

/// <summary>Why a publication is in the traffic.</summary>
public enum PublicationKind
{
    /// <summary>A valid event, published for the first time.</summary>
    Event,

    /// <summary>An event published again with the same <c>Nats-Msg-Id</c> (a publisher retry): the stream drops it.</summary>
    Duplicate,

    /// <summary>An event published again with another <c>Nats-Msg-Id</c>: the stream keeps it and the consumer sees it twice.</summary>
    Redelivery,

    /// <summary>A message that breaks the contract: the consumer dead-letters it.</summary>
    Poison,
}

/// <summary>How a valid event is expected to be rated.</summary>
public enum EventOrigin
{
    /// <summary>A known account on a priced operator: rated.</summary>
    Regular,

    /// <summary>An account that does not exist: stored unrated (account not found).</summary>
    UnknownAccount,

    /// <summary>An account and operator without a pricing rule: stored unrated (pricing not found).</summary>
    UnpricedPair,
}

/// <summary>One message to publish: the contract subject, the <c>Nats-Msg-Id</c> and the exact payload bytes.</summary>
/// <param name="Kind">Why it is in the traffic.</param>
/// <param name="Subject">The contract subject, e.g. <c>billing.events.sms.submitted</c>; the publisher puts its prefix in front.</param>
/// <param name="MsgId">The <c>Nats-Msg-Id</c> header: the event id, except for a <see cref="PublicationKind.Redelivery"/>.</param>
/// <param name="Payload">UTF-8 JSON (or, for some poison, bytes that are not).</param>
/// <param name="Event">The valid event; null for <see cref="PublicationKind.Poison"/>.</param>
/// <param name="Origin">How the event is expected to be rated; <see cref="EventOrigin.Regular"/> for poison.</param>
/// <param name="PoisonReason">The rejection the consumer must record; null unless poison.</param>
/// <remarks>Record equality compares <paramref name="Payload"/> by reference; compare the bytes to compare what goes on the wire.</remarks>
public sealed record Publication(
    PublicationKind Kind,
    string Subject,
    string MsgId,
    byte[] Payload,
    BillingEvent? Event,
    EventOrigin Origin,
    EventRejectionReason? PoisonReason)
{
    [MemberNotNullWhen(true, nameof(PoisonReason))]
    [MemberNotNullWhen(false, nameof(Event))]
    public bool IsPoison => Kind == PublicationKind.Poison;

    internal static Publication Original(BillingEvent billingEvent, EventOrigin origin) => new(
        PublicationKind.Event, billingEvent.ToSubject(), MsgIdOf(billingEvent), billingEvent.ToUtf8Json(), billingEvent, origin, null);

    internal static Publication Poison(string subject, string msgId, byte[] payload, EventRejectionReason reason) =>
        new(PublicationKind.Poison, subject, msgId, payload, null, EventOrigin.Regular, reason);

    /// <summary>The same bytes again under the same <c>Nats-Msg-Id</c>.</summary>
    internal Publication AsDuplicate() => this with { Kind = PublicationKind.Duplicate };

    /// <summary>The same bytes again under another <c>Nats-Msg-Id</c>, so the stream's duplicate window does not catch it.</summary>
    internal Publication AsRedelivery() => this with { Kind = PublicationKind.Redelivery, MsgId = $"{MsgId}-redelivered" };

    private static string MsgIdOf(BillingEvent billingEvent) => billingEvent.EventId.ToString("D");
}
