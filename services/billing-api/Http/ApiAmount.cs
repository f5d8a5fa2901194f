using System.Globalization;
using Billing.Core.Domain;

namespace Billing.Api.Http;

/// <summary>
/// Amounts go out as strings, never JSON numbers (which many clients read as binary floating point): every digit the
/// database holds, with trailing zeros trimmed down to the currency's minor unit, so 12.340000 USD is <c>"12.34"</c>,
/// 0.012300 USD (a unit price) <c>"0.0123"</c>, 5 JPY <c>"5"</c> and 1.5 KWD <c>"1.500"</c>. Invariant culture.
/// </summary>
public static class ApiAmount
{
    public static string Format(decimal value, string currencyCode)
    {
        var minorUnits = Currency.TryFromCode(currencyCode.Trim(), out var currency) ? currency.MinorUnits : 0;
        return Trim(value.ToString(CultureInfo.InvariantCulture), minorUnits);
    }

    /// <summary>A plain fraction such as a tax rate (0.16), every significant digit, no trailing zeros.</summary>
    public static string Fraction(decimal value) => Trim(value.ToString(CultureInfo.InvariantCulture), 0);

    /// <summary>
    /// Drops trailing zeros of the decimal's invariant text (which has exactly the digits of its scale) while more than
    /// <paramref name="minorUnits"/> decimals remain, or pads to that many: text, so no digit can be lost on the way.
    /// </summary>
    private static string Trim(string text, int minorUnits)
    {
        var point = text.IndexOf('.', StringComparison.Ordinal);
        if (point < 0)
        {
            return minorUnits == 0 ? text : text + "." + new string('0', minorUnits);
        }
        var end = text.Length;
        while (end - point - 1 > minorUnits && text[end - 1] == '0')
        {
            end--;
        }
        if (end - point - 1 < minorUnits)
        {
            return text[..end] + new string('0', minorUnits - (end - point - 1));
        }
        return end == point + 1 ? text[..point] : text[..end];
    }
}
