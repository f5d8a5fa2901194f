using Billing.Core.Storage;

namespace Billing.Core.Tests.Storage;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class InvoiceKeyTests
{
    [TestCase(2026, 11, "acc_1001", "INV-2026-000042", "invoices/2026/11/acc_1001/INV-2026-000042.pdf")]
    [TestCase(2027, 1, "A.b:c-d_9", "INV-2027-000001", "invoices/2027/01/A.b:c-d_9/INV-2027-000001.pdf")]
    [TestCase(999, 3, "acc", "INV-0999-000001", "invoices/0999/03/acc/INV-0999-000001.pdf")]
    public void Key_is_invoices_year_month_account_number_pdf(int year, int month, string account, string number, string key) =>
        Assert.That(InvoiceObjectStore.KeyFor(new DateOnly(year, month, 1), account, number), Is.EqualTo(key));

    [TestCase("")]
    [TestCase("..")]
    [TestCase(".hidden")]
    [TestCase("a/b")]
    [TestCase("acc 1001")]
    [TestCase("acc%2F")]
    [TestCase("Ünïcode")]
    public void An_account_id_that_is_not_one_safe_path_segment_is_refused(string account) =>
        Assert.That(() => InvoiceObjectStore.KeyFor(new DateOnly(2026, 11, 1), account, "INV-2026-000001"),
            Throws.ArgumentException.With.Message.Contains($"'{account}' is not an account id"));

    [Test]
    public void An_account_id_longer_than_the_database_allows_is_refused() =>
        Assert.That(() => InvoiceObjectStore.KeyFor(new DateOnly(2026, 11, 1), new string('a', 65), "INV-2026-000001"),
            Throws.ArgumentException);

    [TestCase("")]
    [TestCase("INV/2026")]
    [TestCase("INV:2026")]
    [TestCase("-INV")]
    public void An_invoice_number_that_is_not_one_safe_path_segment_is_refused(string number) =>
        Assert.That(() => InvoiceObjectStore.KeyFor(new DateOnly(2026, 11, 1), "acc_1001", number),
            Throws.ArgumentException.With.Message.Contains("is not an invoice number"));

    [Test]
    public void A_period_that_does_not_start_on_the_first_of_a_month_is_refused() =>
        Assert.That(() => InvoiceObjectStore.KeyFor(new DateOnly(2026, 11, 15), "acc_1001", "INV-2026-000001"),
            Throws.ArgumentException.With.Message.Contains("2026-11-15"));
}
