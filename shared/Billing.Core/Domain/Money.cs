using System.Globalization;

namespace Billing.Core.Domain;

/// <summary>An amount of one currency, in <see cref="decimal"/> (never binary floating point).</summary>
/// <remarks>
/// <para>
/// Arithmetic is exact and never rounds: rated usage keeps its full precision until an invoice rounds it, explicitly,
/// with <see cref="Round"/> or <see cref="RoundToMinorUnit"/>. Adding or subtracting different currencies throws.
/// </para>
/// <para>
/// Equality compares the value, not the decimal scale: 1.5 USD equals 1.50 USD. <c>default(Money)</c> has no
/// currency and is not a valid amount; reading its <see cref="Currency"/> throws.
/// </para>
/// </remarks>
public readonly record struct Money
{
    // Adding a zero of scale n gives a decimal of scale max(n, own scale): how a rounded amount gets its trailing zeros.
    private static readonly decimal[] ZeroWithScale = [0m, 0.0m, 0.00m, 0.000m, 0.0000m];

    private readonly Currency? _currency;

    /// <summary>Creates an amount.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="currency"/> is null.</exception>
    public Money(decimal amount, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(currency);
        Amount = amount;
        _currency = currency;
    }

    /// <summary>The amount, at whatever precision it was computed.</summary>
    public decimal Amount { get; }

    /// <summary>The currency.</summary>
    /// <exception cref="InvalidOperationException">This is <c>default(Money)</c>.</exception>
    public Currency Currency => _currency ?? throw new InvalidOperationException("default(Money) has no currency; create Money with a Currency.");

    /// <summary>True when the amount has no more decimals than the currency's minor unit.</summary>
    public bool IsRoundedToMinorUnit => Amount == decimal.Round(Amount, Currency.MinorUnits);

    /// <summary>Zero in <paramref name="currency"/>.</summary>
    public static Money Zero(Currency currency) => new(0m, currency);

    /// <summary>
    /// The billing default: rounds to the currency's minor unit with <see cref="MidpointRounding.AwayFromZero"/>
    /// (commercial rounding, as invoices are rounded: 0.125 USD is 0.13, -0.125 USD is -0.13, 2.5 JPY is 3).
    /// </summary>
    public Money Round() => RoundToMinorUnit(MidpointRounding.AwayFromZero);

    /// <summary>
    /// Rounds to the currency's minor unit with the given midpoint rule. The result carries exactly that many
    /// decimals (1.1 USD rounds to 1.10), so it prints as an invoice shows it.
    /// </summary>
    public Money RoundToMinorUnit(MidpointRounding mode)
    {
        int decimals = Currency.MinorUnits;
        return new Money(decimal.Round(Amount, decimals, mode) + ZeroWithScale[decimals], Currency);
    }

    /// <summary>
    /// Tax on an invoice subtotal: <c>subtotal × rate</c> rounded to the minor unit, midpoints away from zero.
    /// </summary>
    /// <param name="subtotal">The subtotal the invoice shows, already rounded to the minor unit.</param>
    /// <param name="rate">The tax rate as a fraction: 0.16 is 16 %. From 0 to 1.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="subtotal"/> has more decimals than its currency's minor unit: taxing an amount the invoice does
    /// not show would make subtotal + tax differ from the total by a rounding difference.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is negative or above 1.</exception>
    public static Money Tax(Money subtotal, decimal rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rate, 1m);
        if (!subtotal.IsRoundedToMinorUnit)
        {
            throw new ArgumentException($"Tax is computed on the rounded subtotal; {subtotal} has more than {subtotal.Currency.MinorUnits} decimals.", nameof(subtotal));
        }

        return (subtotal * rate).Round();
    }

    /// <summary>Adds amounts of the same currency.</summary>
    /// <exception cref="InvalidOperationException">The currencies differ.</exception>
    public static Money operator +(Money left, Money right) => new(left.Amount + right.Amount, SameCurrency(left, right, "add"));

    /// <summary>Subtracts amounts of the same currency.</summary>
    /// <exception cref="InvalidOperationException">The currencies differ.</exception>
    public static Money operator -(Money left, Money right) => new(left.Amount - right.Amount, SameCurrency(left, right, "subtract"));

    /// <summary>The negated amount.</summary>
    public static Money operator -(Money value) => new(-value.Amount, value.Currency);

    /// <summary>Multiplies by a factor (a quantity, a rate), exactly, without rounding.</summary>
    public static Money operator *(Money value, decimal factor) => new(value.Amount * factor, value.Currency);

    /// <summary>Multiplies by a factor (a quantity, a rate), exactly, without rounding.</summary>
    public static Money operator *(decimal factor, Money value) => value * factor;

    /// <summary>The amount (invariant culture, all its decimals) and the currency code, e.g. <c>12.50 USD</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Amount} {_currency?.Code ?? "(no currency)"}");

    private static Currency SameCurrency(Money left, Money right, string operation) =>
        left.Currency == right.Currency
            ? left.Currency
            : throw new InvalidOperationException($"Cannot {operation} amounts in different currencies: {left} and {right}.");
}
