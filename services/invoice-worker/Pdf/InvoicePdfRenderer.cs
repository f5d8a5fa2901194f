using System.Diagnostics.CodeAnalysis;
using Billing.Core.Domain;
using SkiaSharp;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>
/// Renders an <see cref="InvoiceDocument"/> as an A4 PDF with Skia's PDF backend: text shaped by HarfBuzz in the
/// bundled DejaVu Sans subsets, extractable (every glyph maps back to its characters), several pages when the lines
/// overflow, each with "Page N of M".
/// </summary>
/// <remarks>
/// Thread-safe and stateless: the fonts are loaded once per process and shared; everything else (the font subsets the
/// PDF embeds included) is made per call, so one instance can render many invoices in parallel. The output depends only on the document: the same document
/// gives the same bytes (the PDF's dates are <see cref="InvoiceDocument.IssuedAt"/>, and it carries no random id).
/// </remarks>
public sealed class InvoicePdfRenderer
{
    /// <summary>The PDF's Creator entry.</summary>
    public const string Creator = "billing-service";

    /// <summary>Renders <paramref name="invoice"/> to a new byte array.</summary>
    /// <exception cref="ArgumentException">
    /// The document is inconsistent: an amount has more decimals than its currency's minor unit (or a unit price more
    /// than six), a line's kind is unknown, the lines do not add up to the subtotal or subtotal and tax to the total,
    /// the tax rate is not a fraction, or the period is empty.
    /// </exception>
    public byte[] Render(InvoiceDocument invoice)
    {
        using var pdf = new MemoryStream();
        Render(invoice, pdf);
        return pdf.ToArray();
    }

    /// <summary>Renders <paramref name="invoice"/> into <paramref name="output"/>, which is left open.</summary>
    /// <exception cref="ArgumentException">The document is inconsistent (see <see cref="Render(InvoiceDocument)"/>).</exception>
    public void Render(InvoiceDocument invoice, Stream output)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(output);
        Validate(invoice);

        // Everything is shaped and placed before the first page is begun: the footers need the page count.
        IReadOnlyList<IReadOnlyList<Action<PagePainter>>> pages = InvoiceLayout.Lay(invoice);

        DateTime issuedAt = invoice.IssuedAt.UtcDateTime;
        var metadata = new SKDocumentPdfMetadata
        {
            Title = invoice.Number,
            Subject = $"Invoice {invoice.Number} to {invoice.BillTo.Name}, {InvoiceFormat.Period(invoice.PeriodStart, invoice.PeriodEnd)}",
            Author = invoice.Supplier.Name,
            Creator = Creator,
            Creation = issuedAt,
            Modified = issuedAt,
        };

        // The PDF embeds only the glyphs it draws: a dry run of the drawing steps finds them, each font is cut down to
        // them, and the pages are drawn in those subsets (Skia embeds the whole of whatever font it is given).
        Dictionary<InvoiceFont, FontSubset> subsets = [];
        try
        {
            using (PagePainter collecting = PagePainter.Collecting())
            {
                DrawPages(collecting, invoice, pages, document: null);
                foreach ((InvoiceFont font, HashSet<ushort> glyphs) in collecting.Glyphs)
                {
                    subsets[font] = font.Subset(glyphs);
                }
            }

            using var painter = new PagePainter(subsets.ToDictionary(s => s.Key, s => s.Value.Typeface));
            using (SKDocument document = SKDocument.CreatePdf(output, metadata)
                ?? throw new InvalidOperationException("Skia could not create a PDF document."))
            {
                DrawPages(painter, invoice, pages, document);
                document.Close();
            }
        }
        finally
        {
            foreach (FontSubset subset in subsets.Values)
            {
                subset.Dispose();
            }
        }
    }

    // Each page's steps, then its footer ("Page N of M"); onto the document's pages, or (no document) only into the painter.
    private static void DrawPages(PagePainter painter, InvoiceDocument invoice, IReadOnlyList<IReadOnlyList<Action<PagePainter>>> pages, SKDocument? document)
    {
        for (int i = 0; i < pages.Count; i++)
        {
            if (document is not null)
            {
                painter.BeginPage(document.BeginPage(InvoiceLayout.PageWidth, InvoiceLayout.PageHeight));
            }

            foreach (Action<PagePainter> draw in pages[i])
            {
                draw(painter);
            }

            InvoiceLayout.DrawFooter(painter, invoice, i + 1, pages.Count);
            document?.EndPage();
        }
    }

    // The renderer shows numbers as they are given; it refuses a document whose numbers it would have to round or
    // that do not add up, rather than print an invoice that contradicts itself.
    private static void Validate(InvoiceDocument invoice)
    {
        ArgumentNullException.ThrowIfNull(invoice.Supplier, nameof(invoice.Supplier));
        ArgumentNullException.ThrowIfNull(invoice.BillTo, nameof(invoice.BillTo));
        ArgumentNullException.ThrowIfNull(invoice.Currency, nameof(invoice.Currency));
        ArgumentNullException.ThrowIfNull(invoice.Lines, nameof(invoice.Lines));
        ArgumentNullException.ThrowIfNull(invoice.Notes, nameof(invoice.Notes));

        if (invoice.PeriodEnd <= invoice.PeriodStart)
        {
            Refuse($"the period {invoice.PeriodStart:yyyy-MM-dd} to {invoice.PeriodEnd:yyyy-MM-dd} (exclusive) is empty");
        }

        if (invoice.TaxRate is < 0m or > 1m)
        {
            Refuse($"TaxRate {invoice.TaxRate} is not a fraction from 0 to 1");
        }

        Currency currency = invoice.Currency;
        decimal sum = 0m;
        for (int i = 0; i < invoice.Lines.Count; i++)
        {
            InvoiceDocumentLine line = invoice.Lines[i];
            if (line is null)
            {
                Refuse($"Lines[{i}] is null");
            }

            if (line.Kind is not (InvoiceDocumentLine.Usage or InvoiceDocumentLine.Adjustment))
            {
                Refuse($"Lines[{i}].Kind '{line.Kind}' is neither '{InvoiceDocumentLine.Usage}' nor '{InvoiceDocumentLine.Adjustment}'");
            }

            RequireRounded(line.Amount, currency, $"Lines[{i}].Amount");
            if (!InvoiceFormat.HasAtMostDecimals(line.UnitPrice, InvoiceFormat.MaxUnitPriceDecimals))
            {
                Refuse($"Lines[{i}].UnitPrice {line.UnitPrice} has more than {InvoiceFormat.MaxUnitPriceDecimals} decimals");
            }

            sum += line.Amount;
        }

        RequireRounded(invoice.Subtotal, currency, nameof(invoice.Subtotal));
        RequireRounded(invoice.Tax, currency, nameof(invoice.Tax));
        RequireRounded(invoice.Total, currency, nameof(invoice.Total));
        if (sum != invoice.Subtotal)
        {
            Refuse($"the lines add up to {sum}, not to the Subtotal {invoice.Subtotal}");
        }

        if (invoice.Subtotal + invoice.Tax != invoice.Total)
        {
            Refuse($"Subtotal {invoice.Subtotal} plus Tax {invoice.Tax} is not the Total {invoice.Total}");
        }
    }

    private static void RequireRounded(decimal amount, Currency currency, string what)
    {
        if (!InvoiceFormat.HasAtMostDecimals(amount, currency.MinorUnits))
        {
            Refuse($"{what} {amount} has more decimals than {currency.Code} has ({currency.MinorUnits}); amounts are rounded before they are invoiced");
        }
    }

    [DoesNotReturn]
    private static void Refuse(string problem) =>
        throw new ArgumentException($"Invoice document refused: {problem}.", "invoice");
}
