using System.Globalization;
using Billing.Core.Domain;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>How numbers and dates read on an invoice: invariant culture, English month names, UTC.</summary>
internal static class InvoiceFormat
{
    /// <summary>Unit prices are stored with 6 decimals (<c>numeric(18,6)</c>) and shown with up to that many.</summary>
    public const int MaxUnitPriceDecimals = 6;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>An amount with exactly the currency's minor-unit decimals: <c>1,234.50</c>, <c>1,235</c> (JPY), <c>1.250</c> (KWD).</summary>
    /// <remarks>The amount must already be rounded to the minor unit (<see cref="HasAtMostDecimals"/>): this would round it.</remarks>
    public static string Amount(decimal amount, Currency currency) =>
        amount.ToString(currency.MinorUnits == 0 ? "#,0" : "#,0." + new string('0', currency.MinorUnits), Invariant);

    /// <summary>
    /// A unit price with at least the currency's minor-unit decimals and at most six, trailing zeros beyond the minor
    /// unit dropped: <c>0.80</c>, <c>0.0125</c>, <c>0.000125</c>, <c>3</c> (JPY).
    /// </summary>
    public static string UnitPrice(decimal price, Currency currency)
    {
        int fixedDecimals = Math.Min(currency.MinorUnits, MaxUnitPriceDecimals);
        string pattern = "#,0." + new string('0', fixedDecimals) + new string('#', MaxUnitPriceDecimals - fixedDecimals);
        return price.ToString(pattern, Invariant);
    }

    /// <summary>True when <paramref name="value"/> shows exactly with <paramref name="decimals"/> decimals.</summary>
    public static bool HasAtMostDecimals(decimal value, int decimals) => decimal.Round(value, decimals) == value;

    /// <summary>A whole number with thousands separators: <c>1,234,567</c>.</summary>
    public static string Quantity(long quantity) => quantity.ToString("#,0", Invariant);

    /// <summary>A fraction as a percentage, no needless decimals: 0.16 is <c>16%</c>, 0.075 is <c>7.5%</c>.</summary>
    public static string Percent(decimal fraction) => (fraction * 100m).ToString("0.####", Invariant) + "%";

    /// <summary><c>1 November 2026</c>.</summary>
    public static string Date(DateOnly date) => date.ToString("d MMMM yyyy", Invariant);

    /// <summary>The UTC date of an instant: <c>1 December 2026</c>.</summary>
    public static string Date(DateTimeOffset instant) => Date(DateOnly.FromDateTime(instant.UtcDateTime));

    /// <summary>A period given with its exclusive end, shown inclusively: <c>1 November 2026 – 30 November 2026</c>.</summary>
    public static string Period(DateOnly start, DateOnly endExclusive) =>
        $"{Date(start)} \u2013 {Date(endExclusive.AddDays(-1))}";
}
