using Billing.InvoiceWorker.Pdf;

namespace Billing.InvoiceWorker.Tests.Pdf;

/// <summary>
/// The renderer embeds font subsets: one common Latin set shared by the process, and for an invoice that needs more,
/// that set plus its own glyphs, kept for reuse up to a limit and made per render beyond it. None of that may show in
/// the output: an invoice's bytes depend on the invoice alone, and its text reads back whichever subset it got.
/// </summary>
public sealed class FontSubsetTests
{
    private static readonly InvoicePdfRenderer Renderer = new();

    [Test]
    public void An_invoices_bytes_do_not_depend_on_what_was_rendered_before_it()
    {
        // Letters outside the common set that no other test uses, so this invoice's subset is first made here.
        var target = SampleInvoices.Typical(lineCount: 3, currencyCode: "EUR", accountName: "Ѕвезда Ђурђевак Љубљана");
        byte[] first = Renderer.Render(target);

        // More invoices that each need a subset of their own than the renderer keeps: the later ones are made per render.
        string[] names = [.. Enumerable.Range(0, 80).Select(i => $"Телеком {(char)(0x0410 + (i % 64))}{(char)(0x0400 + (i / 64))} {i}")];
        var rendered = names.Select(name => (Name: name, Pdf: Renderer.Render(SampleInvoices.Typical(lineCount: 2, currencyCode: "EUR", accountName: name)))).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(Renderer.Render(target), Is.EqualTo(first), "the same invoice after 80 others");
            foreach (var (name, pdf) in rendered.TakeLast(3))
            {
                Assert.That(Renderer.Render(SampleInvoices.Typical(lineCount: 2, currencyCode: "EUR", accountName: name)), Is.EqualTo(pdf), name);
            }
            foreach (var (name, pdf) in rendered.Where((_, i) => i % 16 == 15))
            {
                Assert.That(RenderedPdf.Read(pdf).Lines, Has.Some.EqualTo(name), "the name reads back");
            }
        });
    }

    [Test]
    public void A_latin_invoice_embeds_far_less_than_the_bundled_fonts()
    {
        // The bundled subsets are 95 KB and 88 KB; compressed whole they made a one-line invoice ~110 KB.
        byte[] pdf = Renderer.Render(SampleInvoices.Typical(lineCount: 1));

        Assert.That(pdf, Has.Length.LessThan(70 * 1024));
        Assert.That(RenderedPdf.Read(pdf).Lines, Has.Some.EqualTo("Jambo Logistics Ltd"));
    }
}
