using System.Collections.Concurrent;
using System.Text;
using HarfBuzzSharp;
using SkiaSharp;
using HbBuffer = HarfBuzzSharp.Buffer;
using HbFont = HarfBuzzSharp.Font;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>
/// One of the invoice typefaces, loaded once per process from the assembly's resources (never from the host's fonts)
/// and shared by every render: HarfBuzz shapes text with it, and Skia draws with a subset of it cut to what a PDF needs
/// (<see cref="Subset"/>), since Skia's PDF backend embeds the whole of the font file it is given.
/// </summary>
/// <remarks>
/// <para>
/// Thread safety: the Skia typefaces, the HarfBuzz font and the face prepared for subsetting are not changed after
/// construction, and both libraries allow such objects to be used from several threads at once. What is not shareable,
/// a HarfBuzz buffer or subset input, is made per call. The two instances live as long as the process, so they are
/// never disposed.
/// </para>
/// <para>
/// Why subsets are shared rather than made per PDF: a typeface Skia has not drawn with before costs it several
/// milliseconds of glyph metrics and outlines (more than the rest of a render), and embedding the whole font cost the
/// compression of 183 KB per PDF. So every invoice whose text stays within the common set (Basic Latin, Latin-1, the
/// usual punctuation and the ligatures HarfBuzz forms from them) embeds one subset made once per process; one that
/// needs more (Greek, Turkish, Cyrillic names) embeds the common set plus its own glyphs, a subset kept for later
/// invoices with the same needs up to <see cref="MaxSharedSubsets"/> of them. Which subset an invoice gets depends
/// only on its own text, so the same invoice gives the same bytes whatever was rendered before it.
/// </para>
/// </remarks>
internal sealed class InvoiceFont
{
    /// <summary>Subsets beyond the common one kept for reuse, per font; past that each PDF makes (and frees) its own.</summary>
    public const int MaxSharedSubsets = 64;

    // What the common subset covers: printable Basic Latin and Latin-1, punctuation and symbols invoices print, and the
    // letter pairs and triples DejaVu ligates (their ligature glyphs are not in the character map).
    private const string CommonText =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~" +
        "\u00A0¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ" +
        "\u2013\u2014\u2018\u2019\u201A\u201C\u201D\u201E\u2020\u2021\u2022\u2026\u2030\u2039\u203A\u20AC\u2116\u2122\u2212" +
        " ff fi fl ffi ffl";

    // The font file, once, in native memory: Skia's typeface and HarfBuzz's blob both read it, so it must neither
    // move nor be freed while either lives. (A blob from HarfBuzzSharp's Blob.FromStream, whose wrappers were disposed
    // after the font was made, crashed shaping in GPOS after a few garbage collections.) It lives as long as the
    // process, like this object.
    private readonly SKData _fontFile;
    private readonly HbFont _shaper;
    private readonly IntPtr _subsetFace;
    private readonly int _unitsPerEm;
    private readonly HashSet<ushort> _commonGlyphs;
    private readonly FontSubset _common;
    private readonly ConcurrentDictionary<string, FontSubset> _shared = new(StringComparer.Ordinal);

    private InvoiceFont(string resourceName)
    {
        _fontFile = SKData.CreateCopy(ReadResource(resourceName));
        Typeface = SKTypeface.FromData(_fontFile)
            ?? throw new InvalidOperationException($"Skia cannot read the font resource {resourceName}.");

        using var blob = new Blob(_fontFile.Data, checked((int)_fontFile.Size), MemoryMode.ReadOnly);
        blob.MakeImmutable();
        using var face = new Face(blob, 0);
        _subsetFace = FontSubsetter.Preprocess(face.Handle);
        _unitsPerEm = face.UnitsPerEm;
        _shaper = new HbFont(face);
        // Positions come back in font units; Shape scales them to the requested size.
        _shaper.SetScale(_unitsPerEm, _unitsPerEm);
        _shaper.SetFunctionsOpenType();

        using var metricsFont = new SKFont(Typeface, 1f);
        SKFontMetrics metrics = metricsFont.Metrics;
        Ascent = -metrics.Ascent;
        Descent = metrics.Descent;

        _commonGlyphs = [];
        Shape(CommonText, 1f).AddGlyphsTo(_commonGlyphs);
        _common = MakeSubset(_commonGlyphs, shared: true);
    }

    /// <summary>DejaVu Sans.</summary>
    public static InvoiceFont Regular { get; } = new("Billing.InvoiceWorker.Fonts.DejaVuSans-Subset.ttf");

    /// <summary>DejaVu Sans Bold.</summary>
    public static InvoiceFont Bold { get; } = new("Billing.InvoiceWorker.Fonts.DejaVuSans-Bold-Subset.ttf");

    /// <summary>The whole typeface: its metrics. Pages are drawn in a <see cref="Subset"/> of it.</summary>
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

    /// <summary>
    /// A typeface of this font that holds at least <paramref name="glyphs"/>, with the same glyph ids and metrics and
    /// their character map (see <see cref="FontSubsetter"/>): what a PDF that draws those glyphs embeds. Dispose it once the
    /// PDF is closed (a shared subset ignores that).
    /// </summary>
    public FontSubset Subset(IReadOnlySet<ushort> glyphs)
    {
        if (_commonGlyphs.IsSupersetOf(glyphs))
        {
            return _common;
        }

        var needed = new SortedSet<ushort>(_commonGlyphs);
        needed.UnionWith(glyphs);
        string key = string.Join(',', needed);
        if (_shared.TryGetValue(key, out FontSubset? shared))
        {
            return shared;
        }

        if (_shared.Count >= MaxSharedSubsets)
        {
            return MakeSubset(needed, shared: false);
        }

        // Two renders may make the same subset at once: one is kept, the other freed.
        FontSubset made = MakeSubset(needed, shared: true);
        FontSubset kept = _shared.GetOrAdd(key, made);
        if (!ReferenceEquals(kept, made))
        {
            made.Free();
        }

        return kept;
    }

    private FontSubset MakeSubset(IEnumerable<ushort> glyphs, bool shared)
    {
        SKData data = SKData.CreateCopy(FontSubsetter.Subset(_subsetFace, glyphs));
        SKTypeface? typeface = SKTypeface.FromData(data);
        if (typeface is null)
        {
            data.Dispose();
            throw new InvalidOperationException("Skia cannot read a subset of an invoice font.");
        }

        return new FontSubset(data, typeface, shared);
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

/// <summary>
/// A subset of an invoice font as a Skia typeface, with the font file it reads (freed with it). Disposing a shared
/// subset (one the font keeps for other renders) does nothing.
/// </summary>
internal sealed class FontSubset(SKData data, SKTypeface typeface, bool shared) : IDisposable
{
    public SKTypeface Typeface { get; } = typeface;

    public void Dispose()
    {
        if (!shared)
        {
            Free();
        }
    }

    /// <summary>Frees the typeface and its data, shared or not.</summary>
    public void Free()
    {
        Typeface.Dispose();
        data.Dispose();
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

    /// <summary>Adds the glyphs this text draws to <paramref name="glyphs"/>.</summary>
    public void AddGlyphsTo(ISet<ushort> glyphs) => glyphs.UnionWith(_glyphs);

    /// <summary>
    /// A text blob of the glyphs with the text and clusters they came from. <paramref name="skFont"/> must be
    /// <see cref="Font"/>, or a subset of it that holds these glyphs, at <see cref="Size"/>. Null when there is nothing to draw.
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
