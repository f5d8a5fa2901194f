using System.ComponentModel;
using Billing.Core.Data;

namespace Billing.Api.Contracts;

/// <summary>A pricing rule: the unit price per segment for (tier, operator, currency) in [validFrom, validTo).</summary>
public sealed record PricingRuleResponse(
    long Id,
    string Tier,
    [property: Description("The destination network's MCC+MNC.")] string Operator,
    string Currency,
    [property: Description("Decimal string, price per segment.")] string UnitPrice,
    [property: Description("submitted or delivered: the event type that is billed.")] string ChargeOn,
    DateTimeOffset ValidFrom,
    [property: Description("Null for open-ended.")] DateTimeOffset? ValidTo);

/// <summary>Pricing rules, ordered by tier, operator, currency and start of validity.</summary>
public sealed record PricingRuleList(IReadOnlyList<PricingRuleResponse> Items);

/// <summary>Active tier x active operator pairs that have no pricing rule valid at <c>At</c> (risk R-BILL-05).</summary>
public sealed record PricingGapList(
    DateTimeOffset At,
    [property: Description("Currency is the one active accounts of the tier are billed in and no rule covers; null when the tier has no active accounts and no rule at all covers the pair.")]
    IReadOnlyList<PricingGap> Items);
