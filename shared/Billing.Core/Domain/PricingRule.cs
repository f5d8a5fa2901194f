namespace Billing.Core.Domain;

/// <summary>
/// The price per segment that accounts of a tier pay for messages to an operator, in one currency, over a period
/// (SPEC section 5).
/// </summary>
/// <param name="Id">Database id; recorded on every event rated with this rule.</param>
/// <param name="Tier">Account tier code.</param>
/// <param name="Operator">Destination network, MCC+MNC.</param>
/// <param name="Currency">ISO 4217 code of <paramref name="UnitPrice"/>; must be the account's currency to apply.</param>
/// <param name="UnitPrice">Price per segment, at most 6 decimals (the database's <c>numeric(20,6)</c>).</param>
/// <param name="ChargeOn">Which event of a message is billed.</param>
/// <param name="ValidFrom">First instant the rule applies (inclusive).</param>
/// <param name="ValidTo">First instant it no longer applies (exclusive); null while open-ended.</param>
public sealed record PricingRule(
    long Id,
    string Tier,
    string Operator,
    string Currency,
    decimal UnitPrice,
    ChargeOn ChargeOn,
    DateTimeOffset ValidFrom,
    DateTimeOffset? ValidTo) : IValidityPeriod
{
    /// <summary>Whether the rule applies at <paramref name="at"/>: <c>ValidFrom &lt;= at &lt; ValidTo</c>.</summary>
    public bool IsValidAt(DateTimeOffset at) => ValidFrom <= at && (ValidTo is null || at < ValidTo.Value);
}
