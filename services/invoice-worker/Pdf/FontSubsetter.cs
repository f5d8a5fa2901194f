using System.Runtime.InteropServices;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>
/// HarfBuzz's subsetter (<c>hb-subset</c>), which the native HarfBuzz library that HarfBuzzSharp ships exports but
/// HarfBuzzSharp does not wrap: a font cut down to the glyphs one invoice draws, so that the PDF embeds those rather
/// than the whole font. Skia's PDF backend embeds whatever font file it is given, and compressing the whole bundled
/// fonts (183 KB) into every PDF was most of an invoice's render time and size.
/// </summary>
/// <remarks>
/// The subset keeps every glyph id (<c>RETAIN_GIDS</c>: the ids HarfBuzz shaped with stay valid, and dropped glyphs
/// become empty), the character map of the kept glyphs (so the PDF's ToUnicode map, and with it text extraction, search
/// and copy-and-paste, are what the whole font gives for every glyph drawn; Skia reads the whole map for every PDF, so a
/// smaller one is also a faster render), and the licence in the name table (IDs 0-6, 13, 14). It drops TrueType hinting
/// (PDF viewers rasterise the outlines themselves; it was ~45 % of each PDF) and the layout tables (GSUB, GPOS, GDEF):
/// the text is shaped before it is drawn, and a PDF viewer never shapes.
/// The output depends only on the font and the glyphs, so the same invoice gives the same bytes.
/// </remarks>
internal static partial class FontSubsetter
{
    private const string Library = "libHarfBuzzSharp";

    // hb_subset_flags_t and hb_subset_sets_t (hb-subset.h).
    private const uint NoHinting = 0x1;
    private const uint RetainGids = 0x2;
    private const int GlyphIndexSet = 0;
    private const int DropTableTagSet = 3;
    private const int NameIdSet = 4;

    /// <summary>
    /// A face prepared for repeated subsetting (<c>hb_subset_preprocess</c>: the tables' lookups built once, not on
    /// every invoice). It lives as long as the process, like the fonts.
    /// </summary>
    public static IntPtr Preprocess(IntPtr face) =>
        hb_subset_preprocess(face) is var prepared && prepared != IntPtr.Zero
            ? prepared
            : throw new InvalidOperationException("HarfBuzz could not prepare the invoice font for subsetting.");

    /// <summary>The font file of <paramref name="preparedFace"/> cut down to <paramref name="glyphs"/> (glyph 0 is always kept).</summary>
    public static byte[] Subset(IntPtr preparedFace, IEnumerable<ushort> glyphs)
    {
        IntPtr input = hb_subset_input_create_or_fail();
        if (input == IntPtr.Zero)
        {
            throw new InvalidOperationException("HarfBuzz could not allocate a subset input.");
        }

        try
        {
            hb_subset_input_set_flags(input, RetainGids | NoHinting);
            IntPtr glyphSet = hb_subset_input_set(input, GlyphIndexSet);
            hb_set_add(glyphSet, 0);
            foreach (ushort glyph in glyphs)
            {
                hb_set_add(glyphSet, glyph);
            }

            IntPtr drop = hb_subset_input_set(input, DropTableTagSet);
            hb_set_add(drop, Tag("GSUB"));
            hb_set_add(drop, Tag("GPOS"));
            hb_set_add(drop, Tag("GDEF"));
            IntPtr names = hb_subset_input_set(input, NameIdSet);
            hb_set_add(names, 13); // licence description
            hb_set_add(names, 14); // licence URL

            IntPtr subset = hb_subset_or_fail(preparedFace, input);
            if (subset == IntPtr.Zero)
            {
                throw new InvalidOperationException("HarfBuzz could not subset the invoice font.");
            }

            try
            {
                IntPtr blob = hb_face_reference_blob(subset);
                try
                {
                    IntPtr data = hb_blob_get_data(blob, out uint length);
                    if (data == IntPtr.Zero || length == 0)
                    {
                        throw new InvalidOperationException("HarfBuzz produced an empty font subset.");
                    }

                    var font = new byte[length];
                    Marshal.Copy(data, font, 0, (int)length);
                    return font;
                }
                finally
                {
                    hb_blob_destroy(blob);
                }
            }
            finally
            {
                hb_face_destroy(subset);
            }
        }
        finally
        {
            hb_subset_input_destroy(input);
        }
    }

    private static uint Tag(string tag) => ((uint)tag[0] << 24) | ((uint)tag[1] << 16) | ((uint)tag[2] << 8) | tag[3];

    [LibraryImport(Library)]
    private static partial IntPtr hb_subset_preprocess(IntPtr face);

    [LibraryImport(Library)]
    private static partial IntPtr hb_subset_input_create_or_fail();

    [LibraryImport(Library)]
    private static partial void hb_subset_input_destroy(IntPtr input);

    [LibraryImport(Library)]
    private static partial void hb_subset_input_set_flags(IntPtr input, uint flags);

    [LibraryImport(Library)]
    private static partial IntPtr hb_subset_input_set(IntPtr input, int setType);

    [LibraryImport(Library)]
    private static partial void hb_set_add(IntPtr set, uint codepoint);

    [LibraryImport(Library)]
    private static partial IntPtr hb_subset_or_fail(IntPtr face, IntPtr input);

    [LibraryImport(Library)]
    private static partial IntPtr hb_face_reference_blob(IntPtr face);

    [LibraryImport(Library)]
    private static partial IntPtr hb_blob_get_data(IntPtr blob, out uint length);

    [LibraryImport(Library)]
    private static partial void hb_blob_destroy(IntPtr blob);

    [LibraryImport(Library)]
    private static partial void hb_face_destroy(IntPtr face);
}
