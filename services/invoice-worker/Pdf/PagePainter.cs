using SkiaSharp;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>
/// Draws shaped text, fills and rules on the current page, in the typefaces the PDF embeds. One per render: it is not
/// thread-safe. A painter made by <see cref="Collecting"/> draws nothing and only notes which glyphs of which font the
/// drawing steps use, so that the PDF can embed just those (<see cref="InvoiceFont.Subset"/>).
/// </summary>
internal sealed class PagePainter : IDisposable
{
    private readonly Dictionary<(InvoiceFont Font, float Size), SKFont> _fonts = [];
    private readonly IReadOnlyDictionary<InvoiceFont, SKTypeface>? _typefaces;
    private readonly Dictionary<InvoiceFont, HashSet<ushort>> _glyphs = [];
    private readonly SKPaint _fill = new() { IsAntialias = true, Style = SKPaintStyle.Fill };
    private readonly SKPaint _stroke = new() { IsAntialias = true, Style = SKPaintStyle.Stroke };
    private SKCanvas? _canvas;

    /// <param name="typefaces">The typeface each invoice font is drawn with: the subset the PDF embeds.</param>
    public PagePainter(IReadOnlyDictionary<InvoiceFont, SKTypeface> typefaces) => _typefaces = typefaces;

    private PagePainter()
    {
    }

    /// <summary>The glyphs each font has drawn so far (collecting painters only note them; drawing ones too).</summary>
    public IReadOnlyDictionary<InvoiceFont, HashSet<ushort>> Glyphs => _glyphs;

    private SKCanvas Canvas => _canvas ?? throw new InvalidOperationException("No page has begun.");

    private bool IsCollecting => _typefaces is null;

    /// <summary>A painter that draws nothing and notes the glyphs of every text it is given.</summary>
    public static PagePainter Collecting() => new();

    /// <summary>Directs the following drawing to <paramref name="canvas"/>, the page just begun.</summary>
    public void BeginPage(SKCanvas canvas) => _canvas = canvas;

    /// <summary>Draws <paramref name="text"/> with its left end at <paramref name="x"/>.</summary>
    public void Text(ShapedText text, float x, float baseline, SKColor color)
    {
        if (!_glyphs.TryGetValue(text.Font, out HashSet<ushort>? glyphs))
        {
            _glyphs[text.Font] = glyphs = [];
        }

        text.AddGlyphsTo(glyphs);
        if (IsCollecting)
        {
            return;
        }

        using SKTextBlob? blob = text.ToBlob(SkFont(text));
        if (blob is null)
        {
            return;
        }

        _fill.Color = color;
        Canvas.DrawText(blob, x, baseline, _fill);
    }

    /// <summary>Fills a rectangle.</summary>
    public void Fill(SKRect rect, SKColor color)
    {
        if (IsCollecting)
        {
            return;
        }

        _fill.Color = color;
        Canvas.DrawRect(rect, _fill);
    }

    /// <summary>A horizontal rule from <paramref name="x0"/> to <paramref name="x1"/>.</summary>
    public void Rule(float x0, float x1, float y, SKColor color, float thickness)
    {
        if (IsCollecting)
        {
            return;
        }

        _stroke.Color = color;
        _stroke.StrokeWidth = thickness;
        Canvas.DrawLine(x0, y, x1, y, _stroke);
    }

    public void Dispose()
    {
        foreach (SKFont font in _fonts.Values)
        {
            font.Dispose();
        }

        _fill.Dispose();
        _stroke.Dispose();
    }

    private SKFont SkFont(ShapedText text)
    {
        if (!_fonts.TryGetValue((text.Font, text.Size), out SKFont? font))
        {
            SKTypeface typeface = _typefaces![text.Font];
            // Glyph positions come from HarfBuzz; the font only names the typeface and size to the PDF.
            font = new SKFont(typeface, text.Size) { Subpixel = true, LinearMetrics = true };
            _fonts.Add((text.Font, text.Size), font);
        }

        return font;
    }
}
