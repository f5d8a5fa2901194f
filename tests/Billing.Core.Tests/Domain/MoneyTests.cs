using System.Globalization;
using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class MoneyTests
{
    private static readonly Currency Usd = Currency.FromCode("USD");
    private static readonly Currency Eur = Currency.FromCode("EUR");

    // Amounts are given as strings: decimal cannot be an attribute argument, and a double would not be exact.
    [TestCase("0.125", "USD", MidpointRounding.AwayFromZero, "0.13")]
    [TestCase("0.125", "USD", MidpointRounding.ToEven, "0.12")]
    [TestCase("0.135", "USD", MidpointRounding.ToEven, "0.14")]
    [TestCase("-0.125", "USD", MidpointRounding.AwayFromZero, "-0.13")]
    [TestCase("-0.125", "USD", MidpointRounding.ToEven, "-0.12")]
    [TestCase("0.124999", "USD", MidpointRounding.AwayFromZero, "0.12")]
    [TestCase("0.005", "USD", MidpointRounding.AwayFromZero, "0.01")]
    [TestCase("0.129", "USD", MidpointRounding.ToZero, "0.12")]
    [TestCase("-0.121", "USD", MidpointRounding.ToNegativeInfinity, "-0.13")]
    [TestCase("0.125", "EUR", MidpointRounding.AwayFromZero, "0.13")]
    [TestCase("10.245", "EUR", MidpointRounding.ToEven, "10.24")]
    [TestCase("2.5", "JPY", MidpointRounding.AwayFromZero, "3")]
    [TestCase("2.5", "JPY", MidpointRounding.ToEven, "2")]
    [TestCase("3.5", "JPY", MidpointRounding.ToEven, "4")]
    [TestCase("-2.5", "JPY", MidpointRounding.AwayFromZero, "-3")]
    [TestCase("1.0005", "KWD", MidpointRounding.AwayFromZero, "1.001")]
    [TestCase("1.0005", "KWD", MidpointRounding.ToEven, "1.000")]
    [TestCase("1.0015", "KWD", MidpointRounding.ToEven, "1.002")]
    [TestCase("-1.0005", "KWD", MidpointRounding.AwayFromZero, "-1.001")]
    [TestCase("0.000001", "USD", MidpointRounding.AwayFromZero, "0.00")]
    [TestCase("-0.001", "USD", MidpointRounding.AwayFromZero, "0.00")]
    public void Rounding_to_the_minor_unit_follows_the_midpoint_rule_given(string amount, string code, MidpointRounding mode, string expected)
    {
        Money rounded = new Money(Dec(amount), Currency.FromCode(code)).RoundToMinorUnit(mode);

        Assert.That(rounded.Amount.ToString(CultureInfo.InvariantCulture), Is.EqualTo(expected), "value and scale");
        Assert.That(rounded.Currency.Code, Is.EqualTo(code));
        Assert.That(rounded.IsRoundedToMinorUnit, Is.True);
    }

    [TestCase("0.125", "USD", "0.13")]
    [TestCase("-0.125", "USD", "-0.13")]
    [TestCase("0.125", "EUR", "0.13")]
    [TestCase("2.5", "JPY", "3")]
    [TestCase("1.0005", "KWD", "1.001")]
    [TestCase("1.1", "USD", "1.10")]
    [TestCase("5", "KWD", "5.000")]
    [TestCase("7.00", "JPY", "7")]
    public void Billing_rounding_is_commercial_and_shows_every_minor_unit_digit(string amount, string code, string expected)
    {
        Money rounded = new Money(Dec(amount), Currency.FromCode(code)).Round();

        Assert.That(rounded.ToString(), Is.EqualTo($"{expected} {code}"));
    }

    [Test]
    public void Arithmetic_is_exact_and_never_rounds()
    {
        var a = new Money(0.1m, Usd);
        var b = new Money(0.2m, Usd);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((a + b).Amount, Is.EqualTo(0.3m));
            Assert.That((a - b).Amount, Is.EqualTo(-0.1m));
            Assert.That((-a).Amount, Is.EqualTo(-0.1m));
            Assert.That((new Money(0.000123m, Usd) * 255m).Amount, Is.EqualTo(0.031365m));
            Assert.That((3m * new Money(0.3333333m, Usd)).Amount, Is.EqualTo(0.9999999m));
            Assert.That((a + b).Currency, Is.SameAs(Usd));
        }
    }

    [Test]
    public void Zero_is_zero_in_its_currency() =>
        Assert.That(Money.Zero(Eur), Is.EqualTo(new Money(0m, Eur)));

    [Test]
    public void Equal_amounts_of_the_same_currency_are_equal_whatever_their_scale()
    {
        Assert.That(new Money(1.5m, Usd), Is.EqualTo(new Money(1.500m, Usd)));
        Assert.That(new Money(1.5m, Usd).GetHashCode(), Is.EqualTo(new Money(1.500m, Usd).GetHashCode()));
        Assert.That(new Money(1.5m, Usd), Is.Not.EqualTo(new Money(1.5m, Eur)));
    }

    [Test]
    public void Adding_different_currencies_throws_naming_both()
    {
        var usd = new Money(1m, Usd);
        var eur = new Money(2m, Eur);

        Assert.That(() => usd + eur, Throws.InvalidOperationException.With.Message.Contains("1 USD").And.Message.Contains("2 EUR"));
        Assert.That(() => eur - usd, Throws.InvalidOperationException.With.Message.Contains("USD").And.Message.Contains("EUR"));
    }

    [Test]
    public void Money_needs_a_currency()
    {
        Assert.That(() => new Money(1m, null!), Throws.ArgumentNullException);
        Assert.That(() => default(Money).Currency, Throws.InvalidOperationException.With.Message.Contains("default(Money)"));
        Assert.That(() => default(Money) + new Money(1m, Usd), Throws.InvalidOperationException);
        Assert.That(default(Money).ToString(), Is.EqualTo("0 (no currency)"));
    }

    // ---- Tax ----------------------------------------------------------------------------------------------------

    [TestCase("100.00", "USD", "0.16", "16.00")]
    [TestCase("10.03", "USD", "0.16", "1.60")]
    [TestCase("0.03", "USD", "0.16", "0.00")]
    [TestCase("0.50", "USD", "0.25", "0.13")]
    [TestCase("-0.50", "USD", "0.25", "-0.13")]
    [TestCase("19.99", "EUR", "0.19", "3.80")]
    [TestCase("125", "JPY", "0.1", "13")]
    [TestCase("1234", "JPY", "0.1", "123")]
    [TestCase("1.005", "KWD", "0.5", "0.503")]
    [TestCase("12.34", "KES", "0", "0.00")]
    [TestCase("12.34", "KES", "1", "12.34")]
    public void Tax_is_the_rate_times_the_subtotal_rounded_half_away_from_zero(string subtotal, string code, string rate, string expected)
    {
        Money tax = Money.Tax(new Money(Dec(subtotal), Currency.FromCode(code)), Dec(rate));

        Assert.That(tax.ToString(), Is.EqualTo($"{expected} {code}"));
    }

    [Test]
    public void Tax_on_an_unrounded_subtotal_is_refused() =>
        Assert.That(
            () => Money.Tax(new Money(10.005m, Usd), 0.16m),
            Throws.ArgumentException.With.Message.Contains("10.005 USD").And.Property(nameof(ArgumentException.ParamName)).EqualTo("subtotal"));

    [TestCase("-0.01")]
    [TestCase("1.01")]
    [TestCase("16")]
    public void Tax_rate_outside_0_to_1_is_refused(string rate) =>
        Assert.That(() => Money.Tax(new Money(10m, Usd), Dec(rate)), Throws.TypeOf<ArgumentOutOfRangeException>());

    private static decimal Dec(string value) => decimal.Parse(value, NumberStyles.Number, CultureInfo.InvariantCulture);
}
