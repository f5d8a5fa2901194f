using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class CurrencyTests
{
    [TestCase("USD", 2)]
    [TestCase("EUR", 2)]
    [TestCase("GBP", 2)]
    [TestCase("CHF", 2)]
    [TestCase("JPY", 0)]
    [TestCase("KRW", 0)]
    [TestCase("KWD", 3)]
    [TestCase("BHD", 3)]
    [TestCase("OMR", 3)]
    [TestCase("JOD", 3)]
    [TestCase("TND", 3)]
    [TestCase("KES", 2)]
    [TestCase("NGN", 2)]
    [TestCase("ZAR", 2)]
    [TestCase("UGX", 0)]
    [TestCase("TZS", 2)]
    [TestCase("GHS", 2)]
    [TestCase("INR", 2)]
    [TestCase("CAD", 2)]
    [TestCase("AUD", 2)]
    [TestCase("SEK", 2)]
    [TestCase("NOK", 2)]
    [TestCase("DKK", 2)]
    [TestCase("PLN", 2)]
    [TestCase("TRY", 2)]
    [TestCase("BRL", 2)]
    [TestCase("MXN", 2)]
    [TestCase("AED", 2)]
    [TestCase("SAR", 2)]
    [TestCase("XXX", 0)]
    public void Currency_has_its_iso_4217_minor_units(string code, int minorUnits)
    {
        Currency currency = Currency.FromCode(code);

        Assert.That((currency.Code, currency.MinorUnits), Is.EqualTo((code, minorUnits)));
        Assert.That(Currency.TryFromCode(code, out Currency? found), Is.True);
        Assert.That(found, Is.SameAs(currency));
    }

    [Test]
    public void No_currency_is_xxx() =>
        Assert.That(Currency.None, Is.SameAs(Currency.FromCode("XXX")));

    [Test]
    public void Every_code_in_the_table_is_three_upper_case_letters_and_unique()
    {
        string[] codes = [.. Currency.All.Select(c => c.Code)];

        Assert.That(codes, Is.All.Match("^[A-Z]{3}$"));
        Assert.That(codes, Is.Unique);
    }

    [TestCase("usd")]
    [TestCase("Usd")]
    [TestCase("US")]
    [TestCase("USDD")]
    [TestCase(" USD")]
    [TestCase("")]
    [TestCase("ABC")]
    [TestCase(null)]
    public void Unknown_or_miscased_code_is_not_found(string? code)
    {
        Assert.That(Currency.TryFromCode(code, out Currency? currency), Is.False);
        Assert.That(currency, Is.Null);
    }

    [Test]
    public void From_code_rejects_an_unknown_code_naming_it() =>
        Assert.That(
            () => Currency.FromCode("usd"),
            Throws.ArgumentException.With.Message.Contains("'usd'").And.Property(nameof(ArgumentException.ParamName)).EqualTo("code"));

    [Test]
    public void Currency_prints_as_its_code() =>
        Assert.That(Currency.FromCode("KES").ToString(), Is.EqualTo("KES"));

    [TestCase("USD", "1234.5", "1234.50")]
    [TestCase("KES", "-0.1", "-0.10")]
    [TestCase("JPY", "1235", "1235")]
    [TestCase("KWD", "1234.5", "1234.500")]
    public void Format_writes_exactly_the_minor_unit_decimals_without_grouping(string code, string amount, string expected) =>
        Assert.That(Currency.FromCode(code).Format(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(expected));
}
