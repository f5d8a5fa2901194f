namespace Billing.Core.Domain;

/// <summary>The kind of SMS billing event (SPEC section 4).</summary>
/// <remarks>
/// The numeric values are not part of any contract; store and transmit the wire name
/// (<see cref="SmsEventTypeExtensions.ToWireName"/>), never the number.
/// </remarks>
public enum SmsEventType
{
    /// <summary><c>sms.submitted</c>: the message was handed to the mobile operator.</summary>
    Submitted,

    /// <summary><c>sms.delivered</c>: the operator reported delivery to the handset.</summary>
    Delivered,

    /// <summary><c>sms.failed</c>: the operator reported that delivery failed.</summary>
    Failed,

    /// <summary><c>sms.expired</c>: the message expired before it could be delivered.</summary>
    Expired,
}

/// <summary>Wire names and NATS subjects of <see cref="SmsEventType"/>.</summary>
public static class SmsEventTypeExtensions
{
    /// <summary>Prefix shared by every billing event subject.</summary>
    public const string SubjectPrefix = "billing.events.";

    /// <summary>The subject filter that matches every billing event (stream and consumer filter).</summary>
    public const string SubjectFilter = "billing.events.>";

    /// <summary>Every event type, in declaration order.</summary>
    public static IReadOnlyList<SmsEventType> All { get; } =
        [SmsEventType.Submitted, SmsEventType.Delivered, SmsEventType.Failed, SmsEventType.Expired];

    extension(SmsEventType type)
    {
        /// <summary>The value of the payload's <c>type</c> field, e.g. <c>sms.submitted</c>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is not a defined member.</exception>
        public string ToWireName() => type switch
        {
            SmsEventType.Submitted => "sms.submitted",
            SmsEventType.Delivered => "sms.delivered",
            SmsEventType.Failed => "sms.failed",
            SmsEventType.Expired => "sms.expired",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a defined SmsEventType."),
        };

        /// <summary>The subject the event is published on, e.g. <c>billing.events.sms.submitted</c>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is not a defined member.</exception>
        public string ToSubject() => type switch
        {
            SmsEventType.Submitted => "billing.events.sms.submitted",
            SmsEventType.Delivered => "billing.events.sms.delivered",
            SmsEventType.Failed => "billing.events.sms.failed",
            SmsEventType.Expired => "billing.events.sms.expired",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a defined SmsEventType."),
        };
    }

    extension(SmsEventType)
    {
        /// <summary>Parses a wire name such as <c>sms.delivered</c> (exact, case-sensitive).</summary>
        public static bool TryParseWireName(string? wireName, out SmsEventType type)
        {
            switch (wireName)
            {
                case "sms.submitted": type = SmsEventType.Submitted; return true;
                case "sms.delivered": type = SmsEventType.Delivered; return true;
                case "sms.failed": type = SmsEventType.Failed; return true;
                case "sms.expired": type = SmsEventType.Expired; return true;
                default: type = default; return false;
            }
        }

        /// <summary>Parses a subject such as <c>billing.events.sms.delivered</c> (exact, case-sensitive).</summary>
        public static bool TryParseSubject(string? subject, out SmsEventType type)
        {
            switch (subject)
            {
                case "billing.events.sms.submitted": type = SmsEventType.Submitted; return true;
                case "billing.events.sms.delivered": type = SmsEventType.Delivered; return true;
                case "billing.events.sms.failed": type = SmsEventType.Failed; return true;
                case "billing.events.sms.expired": type = SmsEventType.Expired; return true;
                default: type = default; return false;
            }
        }
    }
}
