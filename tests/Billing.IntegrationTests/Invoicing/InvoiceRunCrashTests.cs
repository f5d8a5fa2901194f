using System.Security.Cryptography;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Invoicing;

/// <summary>
/// The invoice run killed with SIGKILL at exact points (held there by a lock the test owns, then killed), and run
/// again: each invoice, number, PDF object and announcement exists exactly once, and numbering has no gap.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class InvoiceRunCrashTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>One invoice per transaction and one PDF at a time, so a held lock stops the run between two invoices.</summary>
    private static readonly Dictionary<string, string> OneAtATime = new()
    {
        ["Invoicing__IssueBatchSize"] = "2",
        ["Invoicing__Parallelism"] = "1",
    };

    private InvoicingEnvironment _environment = null!;
    private TestDatabase _database = null!;

    /// <summary>The (account, currency) pairs November must invoice, in the order the run issues them.</summary>
    private List<(string Account, string Currency)> _expected = null!;

    [OneTimeSetUp]
    public async Task IngestNovember()
    {
        _environment = await InvoicingEnvironment.CreateAsync(nameof(InvoiceRunCrashTests));
        _database = _environment.Database;
        await _environment.IngestAsync(Traffic.Events(2000, seed: 21));
        _expected = [];
        await using var command = _database.DataSource.CreateCommand("""
            SELECT account_id, currency FROM (
                SELECT DISTINCT account_id, currency::text FROM billing.billing_events
                WHERE status = 'rated' AND billable AND occurred_at >= '2026-11-01Z' AND occurred_at < '2026-12-01Z') d
            ORDER BY account_id COLLATE "C", currency COLLATE "C"
            """);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            _expected.Add((reader.GetString(0), reader.GetString(1)));
        }
        Assert.That(_expected, Has.Count.GreaterThanOrEqualTo(6), "the scenario needs several invoices");
    }

    [OneTimeTearDown]
    public async Task CleanUp() => await _environment.DisposeAsync();

    [Test]
    public async Task Killed_while_issuing_while_storing_and_after_publishing_then_rerun_leaves_everything_exactly_once()
    {
        // 1. Killed while issuing: the 5th invoice's insert waits on a conflicting row the test has not committed. Two
        //    batches of two are committed; the third batch (with its numbers) dies with the process.
        var (account, currency) = _expected[4];
        await using (var blocker = await Blocker.HoldNovemberInvoiceAsync(_database, account, currency))
        {
            await using var run = _environment.StartInvoiceWorker(["--period", "2026-11"], OneAtATime);
            await blocker.WaitUntilBlockingAsync(run, Timeout);
            await run.KillAsync();
        }
        Assert.That(await Numbers(), Is.EqualTo(Expected(4)), "after the kill while issuing: the two committed batches");
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE status = 'stored'"), Is.Zero);
        Assert.That(await _environment.S3.KeysAsync("invoices/"), Is.Empty);

        // 2. Killed while storing: the rerun issues the rest and uploads PDFs; marking the second invoice stored waits on
        //    the row the test holds (uploads go on meanwhile: the storer marks in group commits). Killed there, PDFs are
        //    in the bucket that no invoice row records as stored.
        await using (var blocker = await Blocker.HoldAsync(_database,
            $"UPDATE billing.invoices SET status = status WHERE number = '{Number(2)}'"))
        {
            await using var run = _environment.StartInvoiceWorker(["--period", "2026-11"], OneAtATime);
            await blocker.WaitUntilBlockingAsync(run, Timeout);
            await run.KillAsync();
        }
        Assert.That(await Numbers(), Is.EqualTo(Expected(_expected.Count)), "after the kill while storing: every invoice issued, no gap");
        var storedBeforeRerun = await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE status = 'stored'");
        var uploadedBeforeRerun = (await _environment.S3.KeysAsync("invoices/")).Count;
        Assert.That(storedBeforeRerun, Is.LessThanOrEqualTo(1), "at most the first invoice was marked before the blocked one");
        Assert.That(uploadedBeforeRerun, Is.GreaterThanOrEqualTo(2).And.GreaterThan(storedBeforeRerun),
            "PDFs were uploaded that no invoice row records yet");

        // 3. A rerun completes: the second object is found already stored with the same bytes, the rest are stored and announced.
        var completed = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");
        Assert.That(completed.ExitCode, Is.Zero, completed.ToString());
        Assert.That(completed.Output, Does.Contain("0 issued"));

        // 4. Killed after publishing but before marking sent (the outbox rows are unmarked again, as such a kill leaves
        //    them): the next run publishes them again and the stream's duplicate window drops the copies.
        await _database.ExecuteAsync("""
            UPDATE billing.outbox_messages SET sent_at = NULL
            WHERE id IN (SELECT id FROM billing.outbox_messages ORDER BY created_at LIMIT 3)
            """);
        var republished = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");
        Assert.That(republished.ExitCode, Is.Zero, republished.ToString());
        Assert.That(republished.Output, Does.Contain(", 3 announced"));

        await AssertEverythingExactlyOnceAsync();
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoice_runs WHERE status = 'running'"), Is.Zero,
            "the killed runs are recorded as failed by the run that completed their work");
        Assert.That(await _database.ScalarAsync<long>(
            "SELECT count(*) FROM billing.invoice_runs WHERE status = 'failed' AND error LIKE '%without recording an outcome%'"), Is.EqualTo(2));
    }

    private async Task AssertEverythingExactlyOnceAsync()
    {
        // Invoices: one per (account, currency), all stored.
        var invoices = new List<(Guid Id, string Number, string Account, string Currency, string Key, string Sha256)>();
        await using (var command = _database.DataSource.CreateCommand(
            "SELECT id, number, account_id, currency::text, pdf_key, pdf_sha256 FROM billing.invoices WHERE status = 'stored' ORDER BY number"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                invoices.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
            }
        }
        Assert.That(invoices.Select(i => (i.Account, i.Currency)).Order(), Is.EqualTo(_expected.Order()), "one stored invoice per account and currency");

        // Numbers: 1..N in the year, the counter at N.
        Assert.That(invoices.Select(i => i.Number), Is.EqualTo(Expected(_expected.Count)));
        Assert.That(await _database.ScalarAsync<int>("SELECT max(last_number) FROM billing.invoice_number_counters"), Is.EqualTo(_expected.Count));

        // Objects: exactly the invoices' keys, each with the recorded bytes.
        Assert.That((await _environment.S3.KeysAsync("invoices/")).Order(), Is.EqualTo(invoices.Select(i => i.Key).Order()));
        foreach (var invoice in invoices)
        {
            var bytes = await _environment.S3.GetBytesAsync(invoice.Key);
            Assert.That(Convert.ToHexStringLower(SHA256.HashData(bytes)), Is.EqualTo(invoice.Sha256.Trim()), invoice.Key);
        }

        // Messages: one per invoice, its Nats-Msg-Id the invoice id.
        var announcements = await _environment.AnnouncementsAsync();
        Assert.That(announcements.Select(a => a.InvoiceId).Order(), Is.EqualTo(invoices.Select(i => i.Id).Order()));
        Assert.That(announcements.All(a => a.MessageId == a.InvoiceId.ToString()), Is.True);
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.outbox_messages WHERE sent_at IS NULL"), Is.Zero);
    }

    private async Task<List<string>> Numbers()
    {
        var numbers = new List<string>();
        await using var command = _database.DataSource.CreateCommand("SELECT number FROM billing.invoices ORDER BY number");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            numbers.Add(reader.GetString(0));
        }
        return numbers;
    }

    /// <summary>The year of issue is the run's clock (today), not the period's.</summary>
    private static string Number(int n) => $"INV-{DateTime.UtcNow.Year:D4}-{n:D6}";

    private static List<string> Expected(int count) => [.. Enumerable.Range(1, count).Select(Number)];
}
