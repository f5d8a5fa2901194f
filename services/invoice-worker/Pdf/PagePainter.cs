using SkiaSharp;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>Draws shaped text, fills and rules on the current page. One per render: it is not thread-safe.</summary>
internal sealed class PagePainter : IDisposable
{
    private readonly Dictionary<(InvoiceFont Font, float Size), SKFont> _fonts = [];
    private readonly SKPaint _fill = new() { IsAntialias = true, Style = SKPaintStyle.Fill };
    private readonly SKPaint _stroke = new() { IsAntialias = true, Style = SKPaintStyle.Stroke };
    private SKCanvas? _canvas;

    private SKCanvas Canvas => _canvas ?? throw new InvalidOperationException("No page has begun.");

    /// <summary>Directs the following drawing to <paramref name="canvas"/>, the page just begun.</summary>
    public void BeginPage(SKCanvas canvas) => _canvas = canvas;

    /// <summary>Draws <paramref name="text"/> with its left end at <paramref name="x"/>.</summary>
    public void Text(ShapedText text, float x, float baseline, SKColor color)
    {
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
        _fill.Color = color;
        Canvas.DrawRect(rect, _fill);
    }

    /// <summary>A horizontal rule from <paramref name="x0"/> to <paramref name="x1"/>.</summary>
    public void Rule(float x0, float x1, float y, SKColor color, float thickness)
    {
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
            // Glyph positions come from HarfBuzz; the font only names the typeface and size to the PDF.
            font = new SKFont(text.Font.Typeface, text.Size) { Subpixel = true, LinearMetrics = true };
            _fonts.Add((text.Font, text.Size), font);
        }

        return font;
    }
}
