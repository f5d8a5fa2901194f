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
        // Dividing by 1 with 28 zeros after the point drops trailing zeros (the scale becomes the least that is exact).
        var trimmed = value / 1.0000000000000000000000000000m;
        var scale = trimmed.Scale;
        return trimmed.ToString("F" + Math.Max(scale, minorUnits).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>A plain fraction such as a tax rate (0.16), every significant digit, no trailing zeros.</summary>
    public static string Fraction(decimal value)
    {
        var trimmed = value / 1.0000000000000000000000000000m;
        return trimmed.ToString("F" + trimmed.Scale.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
