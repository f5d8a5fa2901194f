using System.Globalization;
using System.Text;
using SkiaSharp;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>A font, size and colour, and how text in it is shaped, measured and broken into lines.</summary>
internal sealed record TextStyle(InvoiceFont Font, float Size, SKColor Color)
{
    private const float LineSpacing = 1.3f;

    /// <summary>The height of one line.</summary>
    public float LineHeight => Size * LineSpacing;

    /// <summary>The baseline of a line whose box starts at <paramref name="top"/> (the glyphs centred in the box).</summary>
    public float Baseline(float top) =>
        top + ((LineHeight - ((Font.Ascent + Font.Descent) * Size)) / 2) + (Font.Ascent * Size);

    /// <summary>Shapes one line; control characters are dropped and tabs become spaces.</summary>
    public ShapedText Shape(string text) => Font.Shape(Clean(text), Size);

    /// <summary>
    /// Shapes one line that must not be broken (an amount); when it is wider than <paramref name="width"/> it is set
    /// smaller until it fits, rather than overflowing into the next column.
    /// </summary>
    public ShapedText ShapeToFit(string text, float width)
    {
        ShapedText shaped = Shape(text);
        return shaped.Width <= width ? shaped : Font.Shape(Clean(text), Size * width / shaped.Width * 0.999f);
    }

    /// <summary>
    /// Breaks text into lines no wider than <paramref name="width"/>: at <c>\n</c>, then between words, and inside a
    /// word (between graphemes) only when the word alone is too wide. Never returns an empty list.
    /// </summary>
    public IReadOnlyList<ShapedText> Wrap(string text, float width)
    {
        var lines = new List<ShapedText>();
        foreach (string paragraph in text.ReplaceLineEndings("\n").Split('\n'))
        {
            string[] words = Clean(paragraph).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                lines.Add(Font.Shape(string.Empty, Size));
                continue;
            }

            string? line = null;
            ShapedText? shapedLine = null;
            foreach (string word in words)
            {
                string candidate = line is null ? word : line + " " + word;
                ShapedText shaped = Font.Shape(candidate, Size);
                if (shaped.Width <= width)
                {
                    (line, shapedLine) = (candidate, shaped);
                    continue;
                }

                if (shapedLine is not null)
                {
                    lines.Add(shapedLine);
                }

                (line, shapedLine) = BreakWord(word, width, lines);
            }

            lines.Add(shapedLine!);
        }

        return lines;
    }

    // Sets a word on lines of its own, grapheme by grapheme, when it is wider than a line; returns the last piece,
    // which following words may join.
    private (string Text, ShapedText Shaped) BreakWord(string word, float width, List<ShapedText> lines)
    {
        ShapedText whole = Font.Shape(word, Size);
        if (whole.Width <= width)
        {
            return (word, whole);
        }

        var piece = new StringBuilder();
        ShapedText? shapedPiece = null;
        TextElementEnumerator graphemes = StringInfo.GetTextElementEnumerator(word);
        while (graphemes.MoveNext())
        {
            string grapheme = graphemes.GetTextElement();
            ShapedText candidate = Font.Shape(piece + grapheme, Size);
            if (candidate.Width > width && shapedPiece is not null)
            {
                lines.Add(shapedPiece);
                piece.Clear();
                candidate = Font.Shape(grapheme, Size);
            }

            piece.Append(grapheme);
            shapedPiece = candidate;
        }

        return (piece.ToString(), shapedPiece!);
    }

    private static string Clean(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var clean = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c == '\t')
            {
                clean.Append(' ');
            }
            else if (!char.IsControl(c))
            {
                clean.Append(c);
            }
        }

        return clean.ToString();
    }
}
