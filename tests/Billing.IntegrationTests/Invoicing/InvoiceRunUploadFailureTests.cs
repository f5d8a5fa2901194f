using Amazon.S3.Model;
using Billing.Core.Storage;
using Billing.IntegrationTests.Infrastructure;
using Billing.InvoiceWorker;

namespace Billing.IntegrationTests.Invoicing;

/// <summary>
/// An upload that fails stops the run: it exits non-zero naming the object, overwrites nothing, and leaves the invoice
/// issued; once the cause is gone a rerun stores and announces everything exactly once.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class InvoiceRunUploadFailureTests
{
    private InvoicingEnvironment _environment = null!;

    [OneTimeSetUp]
    public async Task IngestNovember()
    {
        _environment = await InvoicingEnvironment.CreateAsync(nameof(InvoiceRunUploadFailureTests));
        await _environment.IngestAsync(Traffic.Events(2000, seed: 33));
    }

    [OneTimeTearDown]
    public async Task CleanUp() => await _environment.DisposeAsync();

    [Test]
    public async Task A_foreign_object_at_an_invoice_key_fails_the_run_and_a_rerun_after_its_removal_completes()
    {
        var database = _environment.Database;
        // The first invoice the run issues: the first account with billable November usage, number 1 of the year.
        var firstAccount = await database.ScalarAsync<string>("""
            SELECT account_id FROM billing.billing_events
            WHERE status = 'rated' AND billable AND occurred_at >= '2026-11-01Z' AND occurred_at < '2026-12-01Z'
            ORDER BY account_id COLLATE "C", currency COLLATE "C" LIMIT 1
            """);
        var number = $"INV-{DateTime.UtcNow.Year:D4}-000001";
        var key = InvoiceObjectStore.KeyFor(new DateOnly(2026, 11, 1), firstAccount!, number);
        await _environment.S3.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _environment.S3.Bucket,
            Key = key,
            ContentBody = "not this invoice",
            ContentType = "text/plain",
        });

        var failed = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");

        Assert.That(failed.ExitCode, Is.EqualTo(InvoiceJob.Crashed), failed.ToString());
        Assert.That(failed.Output + failed.Error, Does.Contain(key).And.Contain("already holds a different object"));
        Assert.That(await database.ScalarAsync<string>($"SELECT status FROM billing.invoices WHERE number = '{number}'"), Is.EqualTo("issued"));
        Assert.That(System.Text.Encoding.UTF8.GetString(await _environment.S3.GetBytesAsync(key)), Is.EqualTo("not this invoice"),
            "the foreign object is not overwritten");

        await _environment.S3.Client.DeleteObjectAsync(_environment.S3.Bucket, key);
        var completed = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");

        Assert.That(completed.ExitCode, Is.Zero, completed.ToString());
        Assert.That(completed.Output, Does.Contain("0 issued").And.Contain("0 incomplete"));
        var invoices = await database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices");
        Assert.That(invoices, Is.GreaterThanOrEqualTo(2), "the scenario needs several invoices");
        Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE status = 'stored'"), Is.EqualTo(invoices));
        Assert.That(await _environment.S3.KeysAsync("invoices/"), Has.Count.EqualTo(invoices));
        Assert.That(await database.ScalarAsync<string>($"SELECT pdf_key FROM billing.invoices WHERE number = '{number}'"), Is.EqualTo(key));
        var announcements = await _environment.AnnouncementsAsync();
        Assert.That(announcements.Select(a => a.InvoiceId).Distinct().Count(), Is.EqualTo(invoices).And.EqualTo(announcements.Count));
    }
}
