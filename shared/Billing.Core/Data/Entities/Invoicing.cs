namespace Billing.Core.Data.Entities;

/// <summary>One execution of the monthly invoice job.</summary>
public sealed class InvoiceRun
{
    public Guid Id { get; set; }
    /// <summary>First day of the invoiced month.</summary>
    public DateOnly PeriodStart { get; set; }
    public string? AccountFilter { get; set; }
    public bool DryRun { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary><c>running</c>, <c>succeeded</c> or <c>failed</c>.</summary>
    public required string Status { get; set; }
    public int InvoicesIssued { get; set; }
    public string? Error { get; set; }
}

/// <summary>A monthly invoice for one account and currency.</summary>
public sealed class Invoice
{
    public Guid Id { get; set; }
    /// <summary><c>INV-YYYY-NNNNNN</c>, gapless per year.</summary>
    public required string Number { get; set; }
    public required string AccountId { get; set; }
    public required string Currency { get; set; }
    /// <summary>First day of the invoiced month; the period is [PeriodStart, PeriodEnd).</summary>
    public DateOnly PeriodStart { get; set; }
    public DateOnly PeriodEnd { get; set; }
    /// <summary>Set when ingestion started inside the period: usage is recorded from this instant (R-BILL-06).</summary>
    public DateTimeOffset? UsageRecordedFrom { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
    public DateOnly DueDate { get; set; }
    public decimal TaxRate { get; set; }
    public decimal Subtotal { get; set; }
    public decimal Tax { get; set; }
    public decimal Total { get; set; }
    /// <summary><c>issued</c> (row committed), <c>stored</c> (PDF uploaded).</summary>
    public required string Status { get; set; }
    public string? PdfBucket { get; set; }
    public string? PdfKey { get; set; }
    public string? PdfSha256 { get; set; }
    public Guid InvoiceRunId { get; set; }

    /// <summary>
    /// JSON snapshot of what the PDF shows besides the lines (supplier, bill-to, notes) as it was at issue, so a rerun
    /// renders the same document whatever the configuration or the account says by then.
    /// </summary>
    public required string Document { get; set; }

    public List<InvoiceLine> Lines { get; set; } = [];
}

/// <summary>A line of an invoice: usage per operator and unit price, or a prior-period adjustment.</summary>
public sealed class InvoiceLine
{
    public long Id { get; set; }
    public Guid InvoiceId { get; set; }
    public int LineNo { get; set; }
    /// <summary><c>usage</c> or <c>adjustment</c>.</summary>
    public required string Kind { get; set; }
    public string? Operator { get; set; }
    public required string Description { get; set; }
    public long Quantity { get; set; }
    public decimal UnitPrice { get; set; }
    public decimal Amount { get; set; }

    /// <summary>For an adjustment: the earlier period (first day of its month) whose usage it corrects.</summary>
    public DateOnly? AdjustedPeriodStart { get; set; }
}

/// <summary>The last invoice number issued in a year; incremented in the issuing transaction, so numbers have no gaps.</summary>
public sealed class InvoiceNumberCounter
{
    public int Year { get; set; }
    public int LastNumber { get; set; }
}

/// <summary>A message to publish, committed with the state change that caused it (transactional outbox).</summary>
public sealed class OutboxMessage
{
    public Guid Id { get; set; }
    public required string Subject { get; set; }
    /// <summary>Sent as the <c>Nats-Msg-Id</c> header, so JetStream drops a re-send.</summary>
    public required string MessageId { get; set; }
    public required string Payload { get; set; }

    /// <summary>The invoice the message announces: it is published only once that invoice's PDF is stored.</summary>
    public Guid? InvoiceId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
}
