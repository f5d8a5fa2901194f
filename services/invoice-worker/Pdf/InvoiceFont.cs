using System.Text;
using HarfBuzzSharp;
using SkiaSharp;
using HbBuffer = HarfBuzzSharp.Buffer;
using HbFont = HarfBuzzSharp.Font;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>
/// One of the invoice typefaces, loaded once per process from the assembly's resources (never from the host's fonts)
/// and shared by every render: Skia draws it, HarfBuzz shapes text with it.
/// </summary>
/// <remarks>
/// Thread safety: the Skia typeface and the HarfBuzz font are not changed after construction, and both libraries allow
/// such objects to be used from several threads at once. What is not shareable, a HarfBuzz buffer, is made per
/// <see cref="Shape"/> call. The two instances live as long as the process, so they are never disposed.
/// </remarks>
internal sealed class InvoiceFont
{
    // The font file, once, in native memory: Skia's typeface and HarfBuzz's blob both read it, so it must neither
    // move nor be freed while either lives. (A blob from HarfBuzzSharp's Blob.FromStream, whose wrappers were disposed
    // after the font was made, crashed shaping in GPOS after a few garbage collections.) It lives as long as the
    // process, like this object.
    private readonly SKData _fontFile;
    private readonly HbFont _shaper;
    private readonly int _unitsPerEm;

    private InvoiceFont(string resourceName)
    {
        _fontFile = SKData.CreateCopy(ReadResource(resourceName));
        Typeface = SKTypeface.FromData(_fontFile)
            ?? throw new InvalidOperationException($"Skia cannot read the font resource {resourceName}.");

        using var blob = new Blob(_fontFile.Data, checked((int)_fontFile.Size), MemoryMode.ReadOnly);
        blob.MakeImmutable();
        using var face = new Face(blob, 0);
        _unitsPerEm = face.UnitsPerEm;
        _shaper = new HbFont(face);
        // Positions come back in font units; Shape scales them to the requested size.
        _shaper.SetScale(_unitsPerEm, _unitsPerEm);
        _shaper.SetFunctionsOpenType();

        using var metricsFont = new SKFont(Typeface, 1f);
        SKFontMetrics metrics = metricsFont.Metrics;
        Ascent = -metrics.Ascent;
        Descent = metrics.Descent;
    }

    /// <summary>DejaVu Sans.</summary>
    public static InvoiceFont Regular { get; } = new("Billing.InvoiceWorker.Fonts.DejaVuSans-Subset.ttf");

    /// <summary>DejaVu Sans Bold.</summary>
    public static InvoiceFont Bold { get; } = new("Billing.InvoiceWorker.Fonts.DejaVuSans-Bold-Subset.ttf");

    /// <summary>The typeface Skia draws with.</summary>
    public SKTypeface Typeface { get; }

    /// <summary>Height above the baseline, per point of font size.</summary>
    public float Ascent { get; }

    /// <summary>Depth below the baseline, per point of font size.</summary>
    public float Descent { get; }

    /// <summary>Shapes one line of text (no line breaking) at <paramref name="size"/> points.</summary>
    public ShapedText Shape(string text, float size)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        using var buffer = new HbBuffer();
        buffer.AddUtf8(utf8);
        // Script and direction from the text itself; the language stays unset (no locale-specific forms).
        buffer.GuessSegmentProperties();
        _shaper.Shape(buffer);

        ReadOnlySpan<GlyphInfo> infos = buffer.GetGlyphInfoSpan();
        ReadOnlySpan<GlyphPosition> positions = buffer.GetGlyphPositionSpan();
        float scale = size / _unitsPerEm;
        var glyphs = new ushort[infos.Length];
        var clusters = new uint[infos.Length];
        var points = new SKPoint[infos.Length];
        float pen = 0;
        for (int i = 0; i < infos.Length; i++)
        {
            glyphs[i] = checked((ushort)infos[i].Codepoint);
            // Clusters are byte offsets into the UTF-8 text. With them Skia maps every glyph back to its characters in
            // the PDF, so text extraction, search and copy-and-paste work on ligatures too (DejaVu ligates "ffi",
            // "fl", ...; without the clusters "office" read back as "o ce": the subset has no character for "ﬃ").
            clusters[i] = infos[i].Cluster;
            points[i] = new SKPoint(pen + (positions[i].XOffset * scale), -positions[i].YOffset * scale);
            pen += positions[i].XAdvance * scale;
        }

        return new ShapedText(this, size, glyphs, points, utf8, clusters, pen);
    }

    private static byte[] ReadResource(string name)
    {
        using Stream stream = typeof(InvoiceFont).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The font resource {name} is missing from the invoice worker assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>A line of text shaped for one font and size: glyphs, their positions from the line's origin, its width.</summary>
internal sealed class ShapedText
{
    private readonly ushort[] _glyphs;
    private readonly SKPoint[] _points;
    private readonly byte[] _utf8;
    private readonly uint[] _clusters;

    public ShapedText(InvoiceFont font, float size, ushort[] glyphs, SKPoint[] points, byte[] utf8, uint[] clusters, float width)
    {
        Font = font;
        Size = size;
        _glyphs = glyphs;
        _points = points;
        _utf8 = utf8;
        _clusters = clusters;
        Width = width;
    }

    public InvoiceFont Font { get; }

    public float Size { get; }

    /// <summary>The advance width in points.</summary>
    public float Width { get; }

    /// <summary>
    /// A text blob of the glyphs with the text and clusters they came from. <paramref name="skFont"/> must be
    /// <see cref="Font"/> at <see cref="Size"/>. Null when there is nothing to draw.
    /// </summary>
    public SKTextBlob? ToBlob(SKFont skFont)
    {
        if (_glyphs.Length == 0)
        {
            return null;
        }

        using var builder = new SKTextBlobBuilder();
        SKPositionedTextRunBuffer run = builder.AllocatePositionedTextRun(skFont, _glyphs.Length, _utf8.Length, null);
        run.SetGlyphs(_glyphs);
        run.SetPositions(_points);
        run.SetText(_utf8);
        run.SetClusters(_clusters);
        return builder.Build();
    }
}
