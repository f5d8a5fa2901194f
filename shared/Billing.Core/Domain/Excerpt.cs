using System.Globalization;
using System.Text;

namespace Billing.Core.Domain;

/// <summary>
/// Quotes untrusted values for error messages that end up in logs and the dead-letter table: truncated to a sane
/// length (never splitting a surrogate pair) with control and format characters (newlines, bidi overrides) escaped
/// the JSON way (<c>\uXXXX</c>), so a hostile payload can neither forge log lines nor flood a column.
/// </summary>
internal static class Excerpt
{
    public const int MaxChars = 40;

    public static string Quote(string value)
    {
        int take = Math.Min(value.Length, MaxChars);
        if (take < value.Length && char.IsHighSurrogate(value[take - 1]))
        {
            take--;
        }

        var text = new StringBuilder(take + 24).Append('\'');
        Span<char> utf16 = stackalloc char[2];
        // Rune enumeration turns a lone surrogate into U+FFFD.
        foreach (Rune rune in value.AsSpan(0, take).EnumerateRunes())
        {
            int length = rune.EncodeToUtf16(utf16);
            if (NeedsEscape(rune))
            {
                foreach (char c in utf16[..length])
                {
                    text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                }
            }
            else
            {
                text.Append(utf16[..length]);
            }
        }

        text.Append('\'');
        if (take < value.Length)
        {
            text.Append(CultureInfo.InvariantCulture, $"... ({value.Length} chars)");
        }

        return text.ToString();
    }

    /// <summary>The text of a JSON number token (ASCII by the JSON grammar), truncated like <see cref="Quote"/>.</summary>
    public static string Number(ReadOnlySpan<byte> asciiNumber)
    {
        if (asciiNumber.Length <= MaxChars)
        {
            return Encoding.ASCII.GetString(asciiNumber);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Encoding.ASCII.GetString(asciiNumber[..MaxChars])}... ({asciiNumber.Length} chars)");
    }

    private static bool NeedsEscape(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
