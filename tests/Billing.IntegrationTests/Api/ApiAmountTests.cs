using Billing.Api.Http;

namespace Billing.IntegrationTests.Api;

/// <summary>Amounts as the API writes them: every digit, trailing zeros trimmed down to the currency's minor unit.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class ApiAmountTests
{
    [TestCase("12.340000", "USD", "12.34")]
    [TestCase("0.012300", "USD", "0.0123")]
    [TestCase("0.000001", "USD", "0.000001")]
    [TestCase("10", "USD", "10.00")]
    [TestCase("10.5", "USD", "10.50")]
    [TestCase("0", "USD", "0.00")]
    [TestCase("-1.500000", "USD", "-1.50")]
    [TestCase("5.000000", "JPY", "5")]
    [TestCase("100.000000", "JPY", "100")]
    [TestCase("100", "JPY", "100")]
    [TestCase("1.5", "KWD", "1.500")]
    [TestCase("1.234500", "KWD", "1.2345")]
    [TestCase("0.000000", "XXX", "0")]
    [TestCase("12345678901234.123456", "EUR", "12345678901234.123456")]
    [TestCase("7.100000", "ZZZ", "7.1")]
    [TestCase("3.000000", "USD ", "3.00")]
    public void Amounts_keep_every_digit_and_the_minor_unit(string value, string currency, string expected)
    {
        var amount = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);

        Assert.That(ApiAmount.Format(amount, currency), Is.EqualTo(expected));
    }

    [TestCase("0.160000", "0.16")]
    [TestCase("0.000000", "0")]
    [TestCase("0.075", "0.075")]
    [TestCase("1", "1")]
    public void Fractions_have_no_trailing_zeros(string value, string expected) =>
        Assert.That(ApiAmount.Fraction(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(expected));
}
