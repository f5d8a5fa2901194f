using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace Billing.Api.Contracts;

/// <summary>An issued invoice (without its lines).</summary>
public record InvoiceSummary
{
    public required Guid Id { get; init; }

    [Description("INV-YYYY-NNNNNN, gapless per year of issue.")]
    public required string Number { get; init; }

    public required string AccountId { get; init; }

    [Description("ISO 4217 code of every amount of the invoice.")]
    public required string Currency { get; init; }

    [Description("First day of the invoiced month.")]
    public required DateOnly PeriodStart { get; init; }

    [Description("First day after the invoiced month (the period is [periodStart, periodEnd)).")]
    public required DateOnly PeriodEnd { get; init; }

    [Description("Set when billing started inside the period: usage is recorded from this instant.")]
    public DateTimeOffset? UsageRecordedFrom { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateOnly DueDate { get; init; }

    [Description("A fraction: \"0.16\" is 16 %.")]
    public required string TaxRate { get; init; }

    [Description("Decimal string in the invoice's currency.")]
    public required string Subtotal { get; init; }

    [Description("Decimal string in the invoice's currency.")]
    public required string Tax { get; init; }

    [Description("Decimal string in the invoice's currency: subtotal + tax.")]
    public required string Total { get; init; }

    [Description("issued (committed, PDF not stored yet) or stored (PDF stored: GET .../pdf downloads it).")]
    public required string Status { get; init; }

    [Description("Lower-case hex SHA-256 of the stored PDF; null until it is stored.")]
    public string? PdfSha256 { get; init; }
}

/// <summary>An invoice with its lines.</summary>
public sealed record InvoiceWithLines : InvoiceSummary
{
    [JsonConstructor]
    public InvoiceWithLines()
    {
    }

    [SetsRequiredMembers]
    public InvoiceWithLines(InvoiceSummary invoice, IReadOnlyList<InvoiceLineResponse> lines)
        : base(invoice) => Lines = lines;

    [Description("Usage lines, then prior-period adjustments, in line order.")]
    public required IReadOnlyList<InvoiceLineResponse> Lines { get; init; }
}

/// <summary>A line of an invoice.</summary>
public sealed record InvoiceLineResponse(
    int LineNo,
    [property: Description("usage or adjustment.")] string Kind,
    [property: Description("The destination network's MCC+MNC; null for a line not tied to one operator.")] string? Operator,
    string Description,
    [property: Description("Billable segments.")] long Quantity,
    [property: Description("Decimal string, up to 6 decimals.")] string UnitPrice,
    [property: Description("Decimal string in the invoice's currency.")] string Amount,
    [property: Description("For an adjustment, the first day of the earlier month whose usage it corrects.")] DateOnly? AdjustedPeriodStart);

/// <summary>One page of an account's invoices, newest first.</summary>
public sealed record InvoicePage(
    IReadOnlyList<InvoiceSummary> Items,
    [property: Description("Pass as cursor for the next page; null on the last page.")] string? NextCursor);
