namespace Billing.Core.Domain;

/// <summary>What a mobile operator charges us per submitted segment, over a period (SPEC section 5).</summary>
/// <param name="Id">Database id; recorded on every event costed with this row.</param>
/// <param name="Operator">The operator, MCC+MNC. At most one cost per operator is valid at any instant.</param>
/// <param name="Currency">ISO 4217 code of <paramref name="UnitCost"/>; independent of any account's currency.</param>
/// <param name="UnitCost">Cost per segment, at most 6 decimals (the database's <c>numeric(20,6)</c>).</param>
/// <param name="ValidFrom">First instant the cost applies (inclusive).</param>
/// <param name="ValidTo">First instant it no longer applies (exclusive); null while open-ended.</param>
public sealed record OperatorCost(
    long Id,
    string Operator,
    string Currency,
    decimal UnitCost,
    DateTimeOffset ValidFrom,
    DateTimeOffset? ValidTo) : IValidityPeriod
{
    /// <summary>Whether the cost applies at <paramref name="at"/>: <c>ValidFrom &lt;= at &lt; ValidTo</c>.</summary>
    public bool IsValidAt(DateTimeOffset at) => ValidFrom <= at && (ValidTo is null || at < ValidTo.Value);
}
