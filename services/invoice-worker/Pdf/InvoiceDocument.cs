using Billing.Core.Domain;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>Everything an invoice PDF shows, already computed and rounded: the renderer draws it and decides nothing.</summary>
/// <param name="Number">The invoice number, <c>INV-YYYY-NNNNNN</c>; also the PDF's title.</param>
/// <param name="IssuedAt">When the invoice was issued; shown as its UTC date and used as the PDF's creation date.</param>
/// <param name="DueDate">The payment due date.</param>
/// <param name="PeriodStart">First day of the billed period (UTC).</param>
/// <param name="PeriodEnd">The day after the billed period (exclusive); the invoice shows the day before.</param>
/// <param name="UsageRecordedFrom">
/// When billing started inside the period (R-BILL-06), else null. The run also words it as a note; the renderer only
/// shows <paramref name="Notes"/>.
/// </param>
/// <param name="Supplier">Who issues the invoice (from configuration).</param>
/// <param name="BillTo">The billed account.</param>
/// <param name="Currency">The currency of every amount; amounts have at most its minor-unit decimals.</param>
/// <param name="Lines">The lines in the order they are shown.</param>
/// <param name="Subtotal">The sum of the line amounts.</param>
/// <param name="TaxRate">The tax rate as a fraction: 0.16 is 16 %.</param>
/// <param name="Tax">The tax on the subtotal, rounded to the minor unit.</param>
/// <param name="Total">Subtotal plus tax.</param>
/// <param name="Notes">Paragraphs printed after the totals, e.g. the partial-first-month note.</param>
public sealed record InvoiceDocument(
    string Number,
    DateTimeOffset IssuedAt,
    DateOnly DueDate,
    DateOnly PeriodStart,
    DateOnly PeriodEnd,
    DateTimeOffset? UsageRecordedFrom,
    SupplierDetails Supplier,
    BillTo BillTo,
    Currency Currency,
    IReadOnlyList<InvoiceDocumentLine> Lines,
    decimal Subtotal,
    decimal TaxRate,
    decimal Tax,
    decimal Total,
    IReadOnlyList<string> Notes);

/// <summary>The invoicing company, as configured.</summary>
/// <param name="Name">Legal name.</param>
/// <param name="AddressLines">Postal address, one line each.</param>
/// <param name="TaxId">VAT or tax registration number, if any.</param>
/// <param name="Email">Billing contact, if any.</param>
/// <param name="PaymentDetails">How to pay (bank, account, reference); may hold several lines separated by <c>\n</c>.</param>
public sealed record SupplierDetails(
    string Name,
    IReadOnlyList<string> AddressLines,
    string? TaxId,
    string? Email,
    string? PaymentDetails);

/// <summary>The billed account.</summary>
/// <param name="AccountId">The platform's account id.</param>
/// <param name="Name">The account's name, in any script.</param>
/// <param name="Address">Postal address; lines separated by <c>\n</c> or commas, wrapped to fit.</param>
/// <param name="Email">Billing e-mail address.</param>
public sealed record BillTo(string AccountId, string Name, string Address, string Email);

/// <summary>One row of the invoice table.</summary>
/// <param name="Kind"><see cref="Usage"/> or <see cref="Adjustment"/> (a prior-period adjustment).</param>
/// <param name="Description">What is billed.</param>
/// <param name="Operator">The mobile operator, if the line is per operator.</param>
/// <param name="Quantity">Billable segments (negative on an adjustment that gives back).</param>
/// <param name="UnitPrice">Price per segment, up to 6 decimals.</param>
/// <param name="Amount">The line amount, rounded to the currency's minor unit.</param>
public sealed record InvoiceDocumentLine(
    string Kind,
    string Description,
    string? Operator,
    long Quantity,
    decimal UnitPrice,
    decimal Amount)
{
    /// <summary>Usage of the invoiced period.</summary>
    public const string Usage = "usage";

    /// <summary>Usage that reached an already invoiced period, billed on this invoice.</summary>
    public const string Adjustment = "adjustment";
}
