using System.Diagnostics.CodeAnalysis;

namespace Billing.Core.Domain;

/// <summary>Whether an event could be priced.</summary>
public enum RatingStatus
{
    /// <summary>A pricing rule applied; the event carries a price (zero when not billable).</summary>
    Rated,

    /// <summary>No price could be found; see <see cref="UnratedReason"/>. Stored, counted, and priced later by rerate.</summary>
    Unrated,
}

/// <summary>Why an event could not be priced (SPEC section 5).</summary>
public enum UnratedReason
{
    /// <summary>No account has the event's <c>accountId</c> (metric <c>billing_account_not_found_total</c>).</summary>
    AccountNotFound,

    /// <summary>
    /// No pricing rule for (account tier, operator, account currency) is valid at the event's time
    /// (risk R-BILL-05, metric <c>billing_pricing_not_found_total</c> with labels tier and operator).
    /// </summary>
    PricingNotFound,
}

/// <summary>
/// The outcome of <see cref="Rater.Rate"/>: the price of an event in the account's currency and, separately, what
/// the operator charges for it. Test <see cref="IsRated"/> and <see cref="HasCost"/>; nullable analysis then knows
/// which properties are set.
/// </summary>
/// <remarks>
/// <para>
/// Amounts are exact (segments × unit price, at most 6 decimals), never rounded: invoices round. An unrated event
/// has a null <see cref="Amount"/>, not zero, so it cannot slip onto an invoice as free.
/// </para>
/// <para>
/// Cost is independent of price: operators charge per submitted segment whether or not we know the account or
/// its price, so every <c>sms.submitted</c> event is costed, rated or not. <see cref="CostMissing"/> flags a submitted
/// event for whose operator no cost is valid; delivery receipts have no cost and never a missing one.
/// </para>
/// </remarks>
public sealed record RatingResult
{
    private RatingResult(
        RatingStatus status,
        UnratedReason? unratedReason,
        string @operator,
        RatedAccount? account,
        PricingRule? rule,
        bool billable,
        decimal? amount,
        in CostOutcome cost)
    {
        Status = status;
        UnratedReason = unratedReason;
        Operator = @operator;
        Tier = account?.Tier;
        Currency = account?.Currency;
        RuleId = rule?.Id;
        UnitPrice = rule?.UnitPrice;
        ChargeOn = rule?.ChargeOn;
        Billable = billable;
        Amount = amount;
        CostId = cost.Row?.Id;
        UnitCost = cost.Row?.UnitCost;
        CostAmount = cost.Amount;
        CostCurrency = cost.Row?.Currency;
        CostMissing = cost.Missing;
    }

    /// <summary>Rated or unrated.</summary>
    public RatingStatus Status { get; }

    /// <summary>True when a pricing rule applied; then the price properties are set, else <see cref="UnratedReason"/> is.</summary>
    [MemberNotNullWhen(true, nameof(Tier), nameof(Currency), nameof(RuleId), nameof(UnitPrice), nameof(ChargeOn), nameof(Amount))]
    [MemberNotNullWhen(false, nameof(UnratedReason))]
    public bool IsRated => Status == RatingStatus.Rated;

    /// <summary>Why the event is unrated; null when rated.</summary>
    public UnratedReason? UnratedReason { get; }

    /// <summary>The event's operator (MCC+MNC); always set (a metric label).</summary>
    public string Operator { get; }

    /// <summary>The account's tier; set whenever the account is known (a metric label for pricing not found).</summary>
    public string? Tier { get; }

    /// <summary>The account's currency, which <see cref="Amount"/> is in; set whenever the account is known.</summary>
    public string? Currency { get; }

    /// <summary>The pricing rule applied; set when rated.</summary>
    public long? RuleId { get; }

    /// <summary>The rule's price per segment; set when rated.</summary>
    public decimal? UnitPrice { get; }

    /// <summary>The rule's <see cref="Domain.ChargeOn"/>; set when rated.</summary>
    public ChargeOn? ChargeOn { get; }

    /// <summary>Whether this event is billed: rated, and its type is the rule's <see cref="Domain.ChargeOn"/>.</summary>
    public bool Billable { get; }

    /// <summary>segments × unit price when billable, 0 when rated but not billable, null when unrated. Not rounded.</summary>
    public decimal? Amount { get; }

    /// <summary>True when the operator's cost was found; then the cost properties are set.</summary>
    [MemberNotNullWhen(true, nameof(CostId), nameof(UnitCost), nameof(CostAmount), nameof(CostCurrency))]
    public bool HasCost => CostId is not null;

    /// <summary>The operator cost row applied.</summary>
    public long? CostId { get; }

    /// <summary>The operator's cost per segment.</summary>
    public decimal? UnitCost { get; }

    /// <summary>segments × unit cost, in <see cref="CostCurrency"/>. Not rounded.</summary>
    public decimal? CostAmount { get; }

    /// <summary>The currency of the operator cost, which need not be the account's.</summary>
    public string? CostCurrency { get; }

    /// <summary>True for a submitted event whose operator has no cost valid at the event's time.</summary>
    public bool CostMissing { get; }

    internal static RatingResult Rated(string @operator, RatedAccount account, PricingRule rule, bool billable, decimal amount, in CostOutcome cost) =>
        new(RatingStatus.Rated, null, @operator, account, rule, billable, amount, cost);

    internal static RatingResult AccountNotFound(string @operator, in CostOutcome cost) =>
        new(RatingStatus.Unrated, Domain.UnratedReason.AccountNotFound, @operator, null, null, false, null, cost);

    internal static RatingResult PricingNotFound(string @operator, RatedAccount account, in CostOutcome cost) =>
        new(RatingStatus.Unrated, Domain.UnratedReason.PricingNotFound, @operator, account, null, false, null, cost);

    /// <summary>The cost side of a rating: a row and its amount, missing, or not applicable (delivery receipts).</summary>
    internal readonly record struct CostOutcome
    {
        private CostOutcome(OperatorCost? row, decimal? amount, bool missing)
        {
            Row = row;
            Amount = amount;
            Missing = missing;
        }

        public static CostOutcome NotApplicable => default;

        public static CostOutcome NotFound => new(null, null, missing: true);

        public OperatorCost? Row { get; }

        public decimal? Amount { get; }

        public bool Missing { get; }

        public static CostOutcome Found(OperatorCost row, decimal amount) => new(row, amount, missing: false);
    }
}
