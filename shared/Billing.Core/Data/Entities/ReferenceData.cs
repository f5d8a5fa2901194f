namespace Billing.Core.Data.Entities;

/// <summary>An account tier (pricing is per tier x operator).</summary>
public sealed class AccountTier
{
    public required string Code { get; set; }
    public required string Name { get; set; }
    public bool Active { get; set; }
}

/// <summary>A destination mobile network, identified by MCC+MNC.</summary>
public sealed class MobileOperator
{
    public required string MccMnc { get; set; }
    public required string Name { get; set; }
    public required string Country { get; set; }
    public bool Active { get; set; }
}

/// <summary>A customer account of the SMS platform.</summary>
public sealed class Account
{
    public required string AccountId { get; set; }
    public required string Name { get; set; }
    public required string Tier { get; set; }
    public required string Currency { get; set; }
    public required string Email { get; set; }
    public required string Address { get; set; }
    /// <summary>A fraction: 0.16 is 16 %.</summary>
    public decimal TaxRate { get; set; }
    public bool Active { get; set; }
}

/// <summary>Unit price per segment for (tier, operator, currency), valid in [ValidFrom, ValidTo).</summary>
public sealed class PricingRuleEntity
{
    public long Id { get; set; }
    public required string Tier { get; set; }
    public required string Operator { get; set; }
    public required string Currency { get; set; }
    public decimal UnitPrice { get; set; }
    /// <summary><c>submitted</c> or <c>delivered</c>.</summary>
    public required string ChargeOn { get; set; }
    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset? ValidTo { get; set; }
}

/// <summary>What an operator charges us per submitted segment, valid in [ValidFrom, ValidTo).</summary>
public sealed class OperatorCostEntity
{
    public long Id { get; set; }
    public required string Operator { get; set; }
    public required string Currency { get; set; }
    public decimal UnitCost { get; set; }
    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset? ValidTo { get; set; }
}
