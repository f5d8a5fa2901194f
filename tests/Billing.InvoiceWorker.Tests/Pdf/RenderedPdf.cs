using System.Text;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;

namespace Billing.InvoiceWorker.Tests.Pdf;

/// <summary>A rendered PDF read back with PdfPig: text in drawing order, and text lines rebuilt from word baselines.</summary>
internal sealed class RenderedPdf
{
    private RenderedPdf(byte[] bytes)
    {
        Bytes = bytes;
        using PdfDocument document = PdfDocument.Open(bytes);
        Title = document.Information.Title;
        Author = document.Information.Author;
        Creator = document.Information.Creator;
        Created = document.Information.GetCreatedDateTimeOffset();
        Pages = [.. document.GetPages().Select(page => new RenderedPage(page))];
    }

    public byte[] Bytes { get; }

    public string? Title { get; }

    public string? Author { get; }

    public string? Creator { get; }

    public DateTimeOffset? Created { get; }

    public IReadOnlyList<RenderedPage> Pages { get; }

    /// <summary>Every page's words in drawing order, joined by single spaces.</summary>
    public string Flow => string.Join(" ", Pages.Select(page => page.Flow));

    /// <summary>Every page's text lines.</summary>
    public IEnumerable<string> Lines => Pages.SelectMany(page => page.Lines);

    public static RenderedPdf Read(byte[] bytes) => new(bytes);
}

internal sealed class RenderedPage
{
    private readonly List<Letter?> _flowLetters = [];

    public RenderedPage(Page page)
    {
        Number = page.Number;
        Width = page.Width;
        Height = page.Height;
        Words = [.. page.GetWords()];
        Letters = [.. page.Letters];

        // Drawing order: the renderer draws each cell's lines in turn, so a wrapped description stays together.
        // A space stands between letters that are not next to each other on one baseline (kerning moves a letter by
        // a fraction of the font size; the next cell or line is further away).
        var flow = new StringBuilder();
        Letter? previous = null;
        foreach (Letter letter in Letters)
        {
            bool adjacent = previous is not null
                && Math.Abs(letter.StartBaseLine.Y - previous.StartBaseLine.Y) < 0.5
                && Math.Abs(letter.StartBaseLine.X - previous.EndBaseLine.X) < 0.3 * letter.PointSize;
            if (previous is not null && !adjacent && flow[^1] != ' ' && letter.Value != " ")
            {
                flow.Append(' ');
                _flowLetters.Add(null);
            }

            foreach (char c in letter.Value)
            {
                flow.Append(c);
                _flowLetters.Add(letter);
            }

            previous = letter;
        }

        Flow = flow.ToString();

        // Words on one baseline (within a point) are one line of the page, read left to right.
        Lines =
        [
            .. Words
                .GroupBy(word => Math.Round(word.Letters[0].StartBaseLine.Y))
                .OrderByDescending(line => line.Key)
                .Select(line => string.Join(" ", line.OrderBy(word => word.BoundingBox.Left).Select(word => word.Text))),
        ];
        FontNames = [.. Letters.Select(letter => letter.FontName ?? "(no name)").Distinct()];
    }

    public int Number { get; }

    public double Width { get; }

    public double Height { get; }

    public IReadOnlyList<Word> Words { get; }

    /// <summary>The letters in drawing order.</summary>
    public IReadOnlyList<Letter> Letters { get; }

    /// <summary>The page's text in drawing order.</summary>
    public string Flow { get; }

    /// <summary>The page's text lines, top to bottom.</summary>
    public IReadOnlyList<string> Lines { get; }

    public IReadOnlyList<string> FontNames { get; }

    /// <summary>The letters that spell <paramref name="text"/> (its first occurrence in <see cref="Flow"/>), none if absent.</summary>
    public IReadOnlyList<Letter> LettersOf(string text)
    {
        int start = Flow.IndexOf(text, StringComparison.Ordinal);
        return start < 0 ? [] : [.. _flowLetters.Skip(start).Take(text.Length).OfType<Letter>().Distinct()];
    }
}
