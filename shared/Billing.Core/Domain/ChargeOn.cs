namespace Billing.Core.Domain;

/// <summary>Which event of a message a pricing rule charges for (SPEC section 5).</summary>
public enum ChargeOn
{
    /// <summary><c>submitted</c>: every message handed to the operator is billed.</summary>
    Submitted,

    /// <summary><c>delivered</c>: only messages with a delivery receipt are billed.</summary>
    Delivered,
}

/// <summary>Wire names of <see cref="ChargeOn"/> (CSV imports, the database, the API) and the billing rule.</summary>
public static class ChargeOnExtensions
{
    extension(ChargeOn chargeOn)
    {
        /// <summary><c>submitted</c> or <c>delivered</c>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is not a defined member.</exception>
        public string ToWireName() => chargeOn switch
        {
            ChargeOn.Submitted => "submitted",
            ChargeOn.Delivered => "delivered",
            _ => throw new ArgumentOutOfRangeException(nameof(chargeOn), chargeOn, "Not a defined ChargeOn."),
        };

        /// <summary>
        /// Whether an event of <paramref name="type"/> is billed under this rule: <c>sms.submitted</c> for
        /// <see cref="ChargeOn.Submitted"/>, <c>sms.delivered</c> for <see cref="ChargeOn.Delivered"/>. Failed and
        /// expired events are never billed; they only update delivery counts.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is not a defined member.</exception>
        public bool IsBillable(SmsEventType type) => chargeOn switch
        {
            ChargeOn.Submitted => type == SmsEventType.Submitted,
            ChargeOn.Delivered => type == SmsEventType.Delivered,
            _ => throw new ArgumentOutOfRangeException(nameof(chargeOn), chargeOn, "Not a defined ChargeOn."),
        };
    }

    extension(ChargeOn)
    {
        /// <summary>Parses <c>submitted</c> or <c>delivered</c> (exact, case-sensitive).</summary>
        public static bool TryParseWireName(string? wireName, out ChargeOn chargeOn)
        {
            switch (wireName)
            {
                case "submitted": chargeOn = ChargeOn.Submitted; return true;
                case "delivered": chargeOn = ChargeOn.Delivered; return true;
                default: chargeOn = default; return false;
            }
        }

        /// <summary>Parses <c>submitted</c> or <c>delivered</c> (exact, case-sensitive).</summary>
        /// <exception cref="ArgumentException">Any other value (the message names it).</exception>
        public static ChargeOn ParseWireName(string wireName) =>
            ChargeOn.TryParseWireName(wireName, out ChargeOn chargeOn)
                ? chargeOn
                : throw new ArgumentException($"Unknown chargeOn {(wireName is null ? "null" : Excerpt.Quote(wireName))}: expected 'submitted' or 'delivered'.", nameof(wireName));
    }
}
