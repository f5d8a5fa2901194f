using System.Globalization;
using System.Text.RegularExpressions;
using Billing.Core.Domain;
using Billing.InvoiceWorker.Pdf;
using UglyToad.PdfPig.Content;

namespace Billing.InvoiceWorker.Tests.Pdf;

[Parallelizable(ParallelScope.All)]
public sealed partial class InvoicePdfRendererTests
{
    private const int TypicalMaxBytes = 120 * 1024;

    // Left edge of the Operator column: the description column ends there.
    private const double DescriptionColumnRight = 50 + 185;
    private const double PageRightMargin = 595 - 50;

    private static readonly InvoicePdfRenderer Renderer = new();

    [Test]
    public void Number_every_line_and_the_totals_read_back()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(withAdjustment: true);

        RenderedPdf pdf = Render(invoice);

        Assert.That(pdf.Flow, Does.Contain(invoice.Number));
        foreach (InvoiceDocumentLine line in invoice.Lines)
        {
            string amount = Amount(line.Amount, 2);
            Assert.That(pdf.Flow, Does.Contain(line.Description), "description");
            // The row's first text line: the description's start, the operator's start, ..., the amount.
            string descriptionStart = string.Join(" ", line.Description.Split(' ').Take(3));
            string operatorStart = line.Operator!.Split(' ')[0];
            Assert.That(
                pdf.Lines,
                Has.Some.Matches<string>(text => text.StartsWith(descriptionStart, StringComparison.Ordinal)
                    && text.Contains(operatorStart, StringComparison.Ordinal)
                    && text.EndsWith(" " + amount, StringComparison.Ordinal)),
                $"the row of '{line.Description}' shows its operator and ends with its amount {amount}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(pdf.Lines, Has.Some.EqualTo("Prior-period adjustments"));
            Assert.That(pdf.Lines, Has.Some.EqualTo("Subtotal " + Amount(invoice.Subtotal, 2)));
            Assert.That(pdf.Lines, Has.Some.EqualTo("Tax (16%) " + Amount(invoice.Tax, 2)));
            Assert.That(pdf.Lines, Has.Some.EqualTo("Total KES " + Amount(invoice.Total, 2)));
        });
    }

    [Test]
    public void Header_shows_supplier_bill_to_dates_and_period()
    {
        InvoiceDocument invoice = SampleInvoices.Typical();

        RenderedPdf pdf = Render(invoice);

        Assert.Multiple(() =>
        {
            Assert.That(pdf.Lines, Has.Some.StartsWith(invoice.Supplier.Name));
            Assert.That(pdf.Lines, Has.Some.Contains("INVOICE"));
            Assert.That(pdf.Flow, Does.Contain("Tax ID: P051234567X"));
            Assert.That(pdf.Lines, Has.Some.EqualTo(invoice.BillTo.Name));
            Assert.That(pdf.Lines, Has.Some.EqualTo(invoice.BillTo.Address));
            Assert.That(pdf.Lines, Has.Some.EqualTo("Account acc_1001"));
            Assert.That(pdf.Flow, Does.Contain("Issue date 1 December 2026"));
            Assert.That(pdf.Flow, Does.Contain("Due date 31 December 2026"));
            Assert.That(pdf.Flow, Does.Contain("Billing period 1 November 2026 \u2013 30 November 2026"));
            Assert.That(pdf.Flow, Does.Contain("Please quote the invoice number as the payment reference."));
        });
    }

    [Test]
    public void Sixty_lines_span_pages_each_with_the_table_header_and_page_n_of_m()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 60);

        RenderedPdf pdf = Render(invoice);

        int count = pdf.Pages.Count;
        Assert.That(count, Is.GreaterThan(1));
        TestContext.Out.WriteLine($"60-line invoice: {pdf.Bytes.Length:N0} bytes, {count} pages");
        foreach (RenderedPage page in pdf.Pages)
        {
            Assert.That(page.Lines, Has.Some.EqualTo("Description Operator Segments Unit price Amount (KES)"), $"table header on page {page.Number}");
            Assert.That(page.Lines, Has.Some.EndsWith($"Page {page.Number} of {count}"), $"footer on page {page.Number}");
        }

        // Every line exactly once, in order, and the totals after the last one.
        string[] descriptions = [.. invoice.Lines.Select(line => line.Description)];
        int[] positions = [.. descriptions.Select(description => pdf.Flow.IndexOf(description, StringComparison.Ordinal))];
        Assert.That(positions, Is.All.GreaterThanOrEqualTo(0));
        Assert.That(positions, Is.Ordered);
        Assert.That(descriptions.Select(description => Regex.Count(pdf.Flow, Regex.Escape(description))), Is.All.EqualTo(1));
        RenderedPage last = pdf.Pages[^1];
        Assert.That(last.Flow, Does.Contain(descriptions[^1]));
        Assert.That(last.Flow.IndexOf("Subtotal", StringComparison.Ordinal), Is.GreaterThan(last.Flow.IndexOf(descriptions[^1], StringComparison.Ordinal)));
        Assert.That(pdf.Pages.Take(count - 1).Select(page => page.Flow), Has.None.Contains("Subtotal"));
        Assert.That(pdf.Lines, Has.Some.EqualTo("Total KES " + Amount(invoice.Total, 2)));
    }

    [TestCase("Αθηνά Τηλεπικοινωνίες Α.Ε.", TestName = "Greek")]
    [TestCase("İstanbul Kargo A.Ş. · Iğdır Şoförler Ğıİ", TestName = "Turkish")]
    [TestCase("Müller & Söhne GmbH, Straße 1 ÄÖÜ äöüß", TestName = "German")]
    [TestCase("ООО «Новосибирск Телеком» Ґґ Єє Її Ђђ", TestName = "Cyrillic")]
    public void Account_name_round_trips_through_text_extraction(string name)
    {
        RenderedPdf pdf = Render(SampleInvoices.Typical(lineCount: 3, currencyCode: "EUR", accountName: name));

        Assert.That(pdf.Lines, Has.Some.EqualTo(name));
    }

    [Test]
    public void Ligature_prone_words_read_back_letter_for_letter()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 1, accountName: "Office Traffic Fluffy Affiliates");

        RenderedPdf pdf = Render(invoice);

        Assert.That(pdf.Lines, Has.Some.EqualTo("Office Traffic Fluffy Affiliates"));
    }

    [Test]
    public void Pages_are_A4()
    {
        RenderedPdf pdf = Render(SampleInvoices.Typical(lineCount: 60));

        Assert.That(pdf.Pages.Select(page => (page.Width, page.Height)), Is.All.EqualTo((595d, 842d)));
    }

    [Test]
    public void Typical_ten_line_invoice_is_under_120_KB()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(
            lineCount: 10,
            notes: ["Usage is recorded from 2026-11-12 14:03 UTC, when billing started (R-BILL-06)."]);

        byte[] pdf = Renderer.Render(invoice);

        TestContext.Out.WriteLine($"10-line invoice: {pdf.Length:N0} bytes");
        Assert.That(pdf, Has.Length.LessThan(TypicalMaxBytes));
        Assert.That(RenderedPdf.Read(pdf).Pages, Has.Count.EqualTo(1));
    }

    [Test]
    public void Fonts_are_the_bundled_DejaVu_subsets()
    {
        RenderedPdf pdf = Render(SampleInvoices.Typical());

        Assert.That(pdf.Pages.SelectMany(page => page.FontNames), Is.All.Matches<string>(name => name.EndsWith("+DejaVuSans", StringComparison.Ordinal) || name.EndsWith("+DejaVuSans-Bold", StringComparison.Ordinal)));
    }

    [Test]
    public void Yen_amounts_have_no_decimals()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 4, currencyCode: "JPY", taxRate: 0.10m);

        RenderedPdf pdf = Render(invoice);

        Assert.Multiple(() =>
        {
            foreach (InvoiceDocumentLine line in invoice.Lines)
            {
                Assert.That(pdf.Lines, Has.Some.EndsWith(" " + Amount(line.Amount, 0)));
            }

            Assert.That(pdf.Lines, Has.Some.Matches(@"^Total JPY \d{1,3}(,\d{3})*$"));
            Assert.That(pdf.Lines, Has.Some.Matches(@"^Subtotal \d{1,3}(,\d{3})*$"));
            Assert.That(pdf.Lines, Has.Some.EqualTo("Description Operator Segments Unit price Amount (JPY)"));
        });
    }

    [Test]
    public void Kuwaiti_dinar_amounts_have_three_decimals_and_unit_prices_up_to_six()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 4, currencyCode: "KWD", taxRate: 0m);

        RenderedPdf pdf = Render(invoice);

        Assert.Multiple(() =>
        {
            foreach (InvoiceDocumentLine line in invoice.Lines)
            {
                string unitPrice = line.UnitPrice.ToString("0.000###", CultureInfo.InvariantCulture);
                Assert.That(pdf.Lines, Has.Some.EndsWith($" {unitPrice} {Amount(line.Amount, 3)}"));
            }

            Assert.That(pdf.Lines, Has.Some.Matches(@"^Total KWD \d{1,3}(,\d{3})*\.\d{3}$"));
            Assert.That(pdf.Lines, Has.Some.EqualTo("Tax (0%) 0.000"));
            Assert.That(pdf.Lines, Has.Some.Contains(" 0.004125 "), "a unit price with six decimals");
        });
    }

    [Test]
    public void Long_description_account_name_and_note_wrap_inside_their_columns()
    {
        string longName = "Rift Valley Schools Parent Communication and Examination Results Notification Services Cooperative Society";
        string longNote = string.Join(" ", Enumerable.Repeat("Usage recorded from the moment billing started is invoiced in full.", 8));
        string unbreakable = new('W', 120);
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 3, accountName: longName, notes: [longNote, unbreakable]);

        RenderedPdf pdf = Render(invoice);

        Assert.Multiple(() =>
        {
            Assert.That(pdf.Flow, Does.Contain(longName));
            Assert.That(pdf.Flow, Does.Contain(longNote));
            Assert.That(pdf.Pages.SelectMany(page => page.Letters).Select(letter => letter.BoundingBox.Right), Is.All.LessThanOrEqualTo(PageRightMargin));
            IReadOnlyList<Letter> description = pdf.Pages[0].LettersOf(invoice.Lines[1].Description);
            Assert.That(description.Select(letter => letter.BoundingBox.Right), Is.All.LessThanOrEqualTo(DescriptionColumnRight));
            Assert.That(Baselines(description), Is.GreaterThan(1), "the description wraps");
            Assert.That(Baselines(pdf.Pages[0].LettersOf(longName)), Is.GreaterThan(1), "the account name wraps");
            Assert.That(pdf.Flow.Replace(" ", string.Empty, StringComparison.Ordinal), Does.Contain(unbreakable), "the word too long for a line, broken across lines");
        });
    }

    [Test]
    public void Metadata_names_the_invoice_supplier_and_issue_time()
    {
        InvoiceDocument invoice = SampleInvoices.Typical();

        RenderedPdf pdf = Render(invoice);

        Assert.Multiple(() =>
        {
            Assert.That(pdf.Title, Is.EqualTo(invoice.Number));
            Assert.That(pdf.Author, Is.EqualTo(invoice.Supplier.Name));
            Assert.That(pdf.Creator, Is.EqualTo(InvoicePdfRenderer.Creator));
            Assert.That(pdf.Created, Is.EqualTo(invoice.IssuedAt));
        });
    }

    [Test]
    public void Same_document_gives_the_same_bytes()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 25, withAdjustment: true);

        byte[] first = Renderer.Render(invoice);
        byte[] second = Renderer.Render(invoice);

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Parallel_renders_give_the_bytes_of_one_at_a_time()
    {
        InvoiceDocument[] invoices =
        [
            .. Enumerable.Range(1, 12).Select(i => SampleInvoices.Typical(
                lineCount: i * 5,
                currencyCode: (i % 3) switch { 0 => "JPY", 1 => "KES", _ => "KWD" },
                accountName: i % 2 == 0 ? "Αθηνά Τηλεπικοινωνίες Α.Ε." : "İstanbul Kargo A.Ş.")),
        ];
        byte[][] sequential = [.. invoices.Select(Renderer.Render)];

        var parallel = new byte[invoices.Length][];
        Parallel.For(0, invoices.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = Renderer.Render(invoices[i]));

        Assert.That(parallel, Is.EqualTo(sequential));
    }

    [Test]
    public void Invoice_without_lines_says_so()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 0);

        RenderedPdf pdf = Render(invoice);

        Assert.That(pdf.Lines, Has.Some.EqualTo("No charges in this period."));
        Assert.That(pdf.Lines, Has.Some.EqualTo("Total KES 0.00"));
    }

    [Test]
    public void Amount_with_more_decimals_than_the_currency_is_refused()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 2, currencyCode: "JPY");
        InvoiceDocumentLine first = invoice.Lines[0];
        InvoiceDocument unrounded = invoice with
        {
            Lines = [first with { Amount = first.Amount + 0.5m }, invoice.Lines[1]],
            Subtotal = invoice.Subtotal + 0.5m,
            Total = invoice.Total + 0.5m,
        };

        Assert.That(() => Renderer.Render(unrounded), Throws.ArgumentException.With.Message.Contains("Lines[0].Amount").And.Message.Contains("JPY"));
    }

    [Test]
    public void Totals_that_do_not_add_up_are_refused()
    {
        InvoiceDocument invoice = SampleInvoices.Typical(lineCount: 2);

        Assert.Multiple(() =>
        {
            Assert.That(() => Renderer.Render(invoice with { Subtotal = invoice.Subtotal + 1m }), Throws.ArgumentException.With.Message.Contains("Subtotal"));
            Assert.That(() => Renderer.Render(invoice with { Total = invoice.Total + 0.01m }), Throws.ArgumentException.With.Message.Contains("Total"));
            Assert.That(() => Renderer.Render(invoice with { Lines = [invoice.Lines[0] with { Kind = "credit" }, invoice.Lines[1]] }), Throws.ArgumentException.With.Message.Contains("Kind 'credit'"));
        });
    }

    private static RenderedPdf Render(InvoiceDocument invoice) => RenderedPdf.Read(Renderer.Render(invoice));

    // As the invoice shows amounts: thousands separators and the currency's decimals.
    private static string Amount(decimal amount, int decimals) => amount.ToString("N" + decimals, CultureInfo.InvariantCulture);

    private static int Baselines(IReadOnlyList<Letter> letters) =>
        letters.Select(letter => Math.Round(letter.StartBaseLine.Y, 1)).Distinct().Count();
}
