using Billing.Core.Domain;
using Billing.InvoiceWorker.Pdf;

namespace Billing.InvoiceWorker.Tests.Pdf;

/// <summary>Invoice documents as the invoice run builds them: lines per operator and unit price, rounded amounts.</summary>
internal static class SampleInvoices
{
    public static readonly SupplierDetails Supplier = new(
        "Ghasi Messaging Ltd",
        ["Westlands Business Park, Block C", "Waiyaki Way, Nairobi, Kenya"],
        "P051234567X",
        "billing@ghasi.example",
        "Bank: Example Bank Kenya, account 0123456789, branch Westlands.\nPlease quote the invoice number as the payment reference.");

    private static readonly (string Name, string MccMnc)[] Operators =
    [
        ("Safaricom", "63902"), ("Airtel Kenya", "63903"), ("MTN Nigeria", "62130"), ("Airtel Nigeria", "62120"),
        ("Vodacom South Africa", "65501"), ("MTN South Africa", "65510"), ("Telekom Deutschland", "26201"),
        ("Vodafone Germany", "26202"), ("Orange France", "20801"), ("Vodafone UK", "23415"), ("T-Mobile US", "310260"),
    ];

    /// <summary>
    /// A November 2026 invoice with <paramref name="lineCount"/> usage lines (distinct descriptions, one long enough to
    /// wrap) and, when asked, a prior-period adjustment as the last line.
    /// </summary>
    public static InvoiceDocument Typical(
        int lineCount = 10,
        string currencyCode = "KES",
        string accountName = "Jambo Logistics Ltd",
        decimal taxRate = 0.16m,
        bool withAdjustment = false,
        IReadOnlyList<string>? notes = null)
    {
        Currency currency = Currency.FromCode(currencyCode);
        var lines = new List<InvoiceDocumentLine>();
        for (int i = 0; i < lineCount; i++)
        {
            (string name, string mccMnc) = Operators[i % Operators.Length];
            long quantity = 1_000 + (i * 7_919L % 250_000) * 13;
            decimal unitPrice = currency.MinorUnits switch
            {
                0 => 2m + (i % 3),
                3 => 0.004125m + (i * 0.000125m),
                _ => 1.4861m + (i * 0.0125m),
            };
            string description = i == 1
                ? $"SMS segments submitted from 1 to 14 November 2026, at the price valid before the change of 15 November 2026 (line {i + 1})"
                : $"SMS segments, November 2026 (line {i + 1})";
            lines.Add(Line(InvoiceDocumentLine.Usage, description, $"{name} ({mccMnc})", quantity, unitPrice, currency));
        }

        if (withAdjustment)
        {
            lines.Add(Line(InvoiceDocumentLine.Adjustment, "Prior-period adjustment: October 2026, late delivery receipts", "Safaricom (63902)", -120, 1.6512m, currency));
        }

        Money subtotal = lines.Aggregate(Money.Zero(currency), (sum, line) => sum + new Money(line.Amount, currency));
        Money tax = Money.Tax(subtotal, taxRate);
        return new InvoiceDocument(
            Number: "INV-2026-000123",
            IssuedAt: new DateTimeOffset(2026, 12, 1, 2, 0, 7, TimeSpan.Zero),
            DueDate: new DateOnly(2026, 12, 31),
            PeriodStart: new DateOnly(2026, 11, 1),
            PeriodEnd: new DateOnly(2026, 12, 1),
            UsageRecordedFrom: null,
            Supplier: Supplier,
            BillTo: new BillTo("acc_1001", accountName, "Moi Avenue 12, Nairobi, Kenya", "billing@jambo-logistics.example"),
            Currency: currency,
            Lines: lines,
            Subtotal: subtotal.Amount,
            TaxRate: taxRate,
            Tax: tax.Amount,
            Total: (subtotal + tax).Amount,
            Notes: notes ?? []);
    }

    public static InvoiceDocumentLine Line(string kind, string description, string? @operator, long quantity, decimal unitPrice, Currency currency) =>
        new(kind, description, @operator, quantity, unitPrice, new Money(quantity * unitPrice, currency).Round().Amount);
}
