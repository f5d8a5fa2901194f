namespace Billing.Core.Data.Entities;

/// <summary>
/// Claims an event id for ever, whatever month the event says it happened in. <c>billing_events</c> is partitioned
/// by month, and PostgreSQL enforces uniqueness on a partitioned table only together with the partition key, so this
/// unpartitioned table is what makes a republished event with another timestamp a duplicate rather than a second row.
/// </summary>
public sealed class BillingEventId
{
    public Guid EventId { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public long StreamSequence { get; set; }
}

/// <summary>One accepted SMS billing event and how it was rated (table partitioned by month of <see cref="OccurredAt"/>).</summary>
public sealed class BillingEventEntity
{
    public Guid EventId { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    /// <summary>Wire type: <c>sms.submitted</c>, <c>sms.delivered</c>, <c>sms.failed</c> or <c>sms.expired</c>.</summary>
    public required string Type { get; set; }
    public required string AccountId { get; set; }
    public required string MessageId { get; set; }
    public required string Operator { get; set; }
    public required string Country { get; set; }
    public short Segments { get; set; }
    public long StreamSequence { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary><c>rated</c> or <c>unrated</c>.</summary>
    public required string Status { get; set; }
    /// <summary>Why the event is unrated: <c>pricing_not_found</c> or <c>account_not_found</c>.</summary>
    public string? UnratedReason { get; set; }
    public string? Tier { get; set; }
    public string? Currency { get; set; }
    public long? PricingRuleId { get; set; }
    public decimal? UnitPrice { get; set; }
    public bool Billable { get; set; }
    public decimal? Amount { get; set; }
    public long? OperatorCostId { get; set; }
    public decimal? UnitCost { get; set; }
    public decimal? Cost { get; set; }
    public string? CostCurrency { get; set; }
    public DateTimeOffset? RatedAt { get; set; }
}

/// <summary>Per (account, UTC day, operator, currency) usage; always equal to the sums over its events.</summary>
public sealed class UsageSummary
{
    public required string AccountId { get; set; }
    public DateOnly UsageDate { get; set; }
    public required string Operator { get; set; }
    /// <summary>The account's currency; <c>XXX</c> when the account is unknown.</summary>
    public required string Currency { get; set; }
    public long SubmittedCount { get; set; }
    public long DeliveredCount { get; set; }
    public long FailedCount { get; set; }
    public long ExpiredCount { get; set; }
    public long BillableSegments { get; set; }
    public decimal Amount { get; set; }
    public decimal Cost { get; set; }
    public long UnratedCount { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A poison message: kept with its raw bytes so nothing is silently dropped.</summary>
public sealed class DeadLetter
{
    public long Id { get; set; }
    public required string Stream { get; set; }
    public long StreamSequence { get; set; }
    public required string Subject { get; set; }
    public required byte[] Payload { get; set; }
    /// <summary>The parser's reason code, e.g. <c>MissingField</c>.</summary>
    public required string ReasonCode { get; set; }
    public required string Reason { get; set; }
    public int DeliveryCount { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}

/// <summary>When ingestion was first enabled (one row at most): invoices of that month say usage starts there.</summary>
public sealed class IngestionStart
{
    public short Id { get; set; } = 1;
    public DateTimeOffset FirstEnabledAt { get; set; }
}
