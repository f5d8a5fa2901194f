using System.ComponentModel;

namespace Billing.Api.Contracts;

/// <summary>What operators watch: events left unrated, dead letters, the last invoice run, when ingestion started.</summary>
public sealed record OpsStatus(
    [property: Description("When this status was read.")] DateTimeOffset At,
    UnratedStatus Unrated,
    DeadLetterStatus DeadLetters,
    [property: Description("The most recently started invoice run; null before the first.")] InvoiceRunStatus? LastInvoiceRun,
    [property: Description("When ingestion was first enabled; null in phase 0.")] DateTimeOffset? IngestionStartedAt);

/// <summary>Events stored unrated, by reason (they reach no invoice until re-rated).</summary>
public sealed record UnratedStatus(long Total, IReadOnlyList<UnratedReasonCount> ByReason);

public sealed record UnratedReasonCount(
    [property: Description("pricing_not_found or account_not_found.")] string Reason,
    long Count,
    DateTimeOffset OldestOccurredAt,
    DateTimeOffset NewestOccurredAt);

/// <summary>Messages that broke the contract, kept with their bytes.</summary>
public sealed record DeadLetterStatus(long Total, DateTimeOffset? LastReceivedAt, IReadOnlyList<DeadLetterReasonCount> ByReason);

public sealed record DeadLetterReasonCount(string ReasonCode, long Count, DateTimeOffset LastReceivedAt);

public sealed record InvoiceRunStatus(
    Guid Id,
    [property: Description("First day of the invoiced month.")] DateOnly PeriodStart,
    string? AccountFilter,
    bool DryRun,
    [property: Description("running, succeeded or failed.")] string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    int InvoicesIssued,
    string? Error);
