using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Billing.Core.Domain;

/// <summary>An ISO 4217 currency and the number of decimals its amounts are rounded to on invoices.</summary>
/// <remarks>
/// Instances come only from the built-in table (<see cref="FromCode"/>, <see cref="TryFromCode"/>), so nobody can
/// create a "USD" with three decimals. Codes are the upper-case three-letter ISO codes and are matched exactly.
/// </remarks>
public sealed record Currency
{
    private static readonly FrozenDictionary<string, Currency> ByCode = new Currency[]
    {
        // Minor units as ISO 4217 publishes them.
        new("USD", 2), new("EUR", 2), new("GBP", 2), new("CHF", 2),
        new("JPY", 0), new("KRW", 0),
        new("KWD", 3), new("BHD", 3), new("OMR", 3), new("JOD", 3), new("TND", 3),
        new("KES", 2), new("NGN", 2), new("ZAR", 2), new("UGX", 0), new("TZS", 2), new("GHS", 2),
        new("RWF", 0), new("XOF", 0), new("XAF", 0), new("EGP", 2), new("MAD", 2), new("ZMW", 2), new("ETB", 2),
        new("INR", 2), new("CAD", 2), new("AUD", 2), new("NZD", 2), new("SGD", 2), new("HKD", 2), new("CNY", 2),
        new("SEK", 2), new("NOK", 2), new("DKK", 2), new("PLN", 2), new("CZK", 2), new("HUF", 2), new("TRY", 2),
        new("BRL", 2), new("MXN", 2), new("AED", 2), new("SAR", 2),

        // ISO 4217 "no currency"; its minor unit is "N.A.", 0 here. Used for summaries of events whose account is
        // unknown (so no currency can be known): such amounts are never invoiced.
        new("XXX", 0),
    }.ToFrozenDictionary(currency => currency.Code, StringComparer.Ordinal);

    private Currency(string code, int minorUnits)
    {
        Code = code;
        MinorUnits = minorUnits;
    }

    /// <summary>The ISO 4217 alphabetic code, e.g. <c>USD</c>.</summary>
    public string Code { get; }

    /// <summary>Decimals in the currency's minor unit: 2 for USD (cents), 0 for JPY, 3 for KWD (fils).</summary>
    public int MinorUnits { get; }

    /// <summary>
    /// An amount as machines exchange it: invariant culture, exactly <see cref="MinorUnits"/> decimals, no grouping
    /// (<c>1234.50</c>, JPY <c>1235</c>). The amount is expected to be rounded to the minor unit already.
    /// </summary>
    public string Format(decimal amount) =>
        amount.ToString("F" + MinorUnits.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><c>XXX</c>, "no currency": the currency of summaries of events whose account is unknown.</summary>
    public static Currency None { get; } = ByCode["XXX"];

    /// <summary>Every currency in the table.</summary>
    public static IReadOnlyCollection<Currency> All => ByCode.Values;

    /// <summary>Looks up a currency by its exact upper-case ISO code.</summary>
    public static bool TryFromCode(string? code, [NotNullWhen(true)] out Currency? currency)
    {
        if (code is null)
        {
            currency = null;
            return false;
        }

        return ByCode.TryGetValue(code, out currency);
    }

    /// <summary>Looks up a currency by its exact upper-case ISO code.</summary>
    /// <exception cref="ArgumentException">The code is not in the table (the message names it).</exception>
    public static Currency FromCode(string code) =>
        TryFromCode(code, out Currency? currency)
            ? currency
            : throw new ArgumentException($"Unknown currency code {(code is null ? "null" : Excerpt.Quote(code))}: expected an upper-case ISO 4217 code such as 'USD'.", nameof(code));

    /// <summary>The ISO code.</summary>
    public override string ToString() => Code;
}
