namespace Billing.Core.Domain;

/// <summary>Prices billing events (SPEC section 5). Pure: the same event and catalog always give the same result.</summary>
public static class Rater
{
    /// <summary>Rates one event against the reference data.</summary>
    /// <remarks>
    /// <list type="number">
    /// <item>The account is looked up by id; unknown → unrated, <see cref="UnratedReason.AccountNotFound"/>.</item>
    /// <item>The pricing rule for (account tier, event operator, account currency) valid at <c>OccurredAt</c> is
    /// looked up; none → unrated, <see cref="UnratedReason.PricingNotFound"/>, carrying tier and operator.</item>
    /// <item>Otherwise rated in the account's currency: billable when the event type is the rule's
    /// <see cref="ChargeOn"/>; amount = segments × unit price when billable, else 0. Exact, not rounded.</item>
    /// <item>Independently, a <c>sms.submitted</c> event is costed: segments × the operator's unit cost valid at
    /// <c>OccurredAt</c>, in the cost's currency, or <see cref="RatingResult.CostMissing"/> when there is none.
    /// Delivery receipts cost nothing.</item>
    /// </list>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The event breaks the contract the parser enforces (segments outside 1..255, undefined type): it must never be
    /// priced.
    /// </exception>
    public static RatingResult Rate(BillingEvent billingEvent, RatingCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(billingEvent);
        ArgumentNullException.ThrowIfNull(catalog);
        if (billingEvent.Segments is < BillingEventParser.MinSegments or > BillingEventParser.MaxSegments)
        {
            throw new ArgumentOutOfRangeException(nameof(billingEvent), billingEvent.Segments, "Segments must be between 1 and 255.");
        }

        if (!Enum.IsDefined(billingEvent.Type))
        {
            throw new ArgumentOutOfRangeException(nameof(billingEvent), billingEvent.Type, "Not a defined SmsEventType.");
        }

        RatingResult.CostOutcome cost = billingEvent.Type != SmsEventType.Submitted
            ? RatingResult.CostOutcome.NotApplicable
            : catalog.FindCost(billingEvent.Operator, billingEvent.OccurredAt) is { } row
                ? RatingResult.CostOutcome.Found(row, billingEvent.Segments * row.UnitCost)
                : RatingResult.CostOutcome.NotFound;

        RatedAccount? account = catalog.FindAccount(billingEvent.AccountId);
        if (account is null)
        {
            return RatingResult.AccountNotFound(billingEvent.Operator, cost);
        }

        PricingRule? rule = catalog.FindRule(account.Tier, billingEvent.Operator, account.Currency, billingEvent.OccurredAt);
        if (rule is null)
        {
            return RatingResult.PricingNotFound(billingEvent.Operator, account, cost);
        }

        bool billable = rule.ChargeOn.IsBillable(billingEvent.Type);
        decimal amount = billable ? billingEvent.Segments * rule.UnitPrice : 0m;
        return RatingResult.Rated(billingEvent.Operator, account, rule, billable, amount, cost);
    }
}
