using System.Text.RegularExpressions;
using Billing.Core.Messaging;
using Billing.IntegrationTests.Infrastructure;
using UglyToad.PdfPig;

namespace Billing.IntegrationTests.Invoicing;

/// <summary>The invoice run as the CronJob runs it (a separate process) against real PostgreSQL, NATS and S3.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed partial class InvoiceRunTests
{
    private InvoicingEnvironment _environment = null!;
    private TestDatabase _database = null!;
    private TestNats _nats = null!;
    private TestS3 _s3 = null!;
    private OpsResult _firstRun = null!;

    [OneTimeSetUp]
    public async Task InvoiceNovember()
    {
        _environment = await InvoicingEnvironment.CreateAsync(nameof(InvoiceRunTests));
        (_database, _nats, _s3) = (_environment.Database, _environment.Nats, _environment.S3);
        await _environment.IngestAsync(Traffic.Events(3000, seed: 7));
        // Billing started on 5 November: the November invoices are partial (R-BILL-06).
        await _environment.SetIngestionStartAsync(new DateTimeOffset(2026, 11, 5, 9, 30, 0, TimeSpan.Zero));

        _firstRun = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");
    }

    [OneTimeTearDown]
    public async Task CleanUp() => await _environment.DisposeAsync();

    [Test]
    public async Task Every_account_and_currency_with_billable_usage_gets_one_invoice_and_the_run_exits_zero()
    {
        Assert.That(_firstRun.ExitCode, Is.Zero, _firstRun.ToString());
        var expected = await _database.ScalarAsync<long>("""
            SELECT count(DISTINCT (account_id, currency)) FROM billing.billing_events
            WHERE status = 'rated' AND billable AND occurred_at >= '2026-11-01Z' AND occurred_at < '2026-12-01Z'
            """);
        Assert.That(expected, Is.GreaterThan(3));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE period_start = '2026-11-01'"), Is.EqualTo(expected));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE status <> 'stored'"), Is.Zero);
    }

    [Test]
    public async Task Invoice_lines_and_totals_equal_the_rated_usage_to_the_minor_unit()
    {
        // Independently of the planner: per invoice, the usage lines' amounts are the events' amounts per operator
        // and unit price rounded half away from zero; subtotal is their sum; total = subtotal + tax.
        Assert.That(await _database.ScalarAsync<long>("""
            WITH expected AS (
                SELECT e.account_id, e.currency, e.operator, e.unit_price, sum(e.segments) AS quantity,
                       round(sum(e.amount), CASE e.currency WHEN 'KWD' THEN 3 WHEN 'JPY' THEN 0 ELSE 2 END) AS amount
                FROM billing.billing_events e
                WHERE e.status = 'rated' AND e.billable AND e.occurred_at >= '2026-11-01Z' AND e.occurred_at < '2026-12-01Z'
                GROUP BY 1, 2, 3, 4),
            actual AS (
                SELECT i.account_id, i.currency, l.operator, l.unit_price, l.quantity, l.amount
                FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
                WHERE i.period_start = '2026-11-01' AND l.kind = 'usage')
            SELECT count(*) FROM ((TABLE expected EXCEPT TABLE actual) UNION ALL (TABLE actual EXCEPT TABLE expected)) d
            """), Is.Zero, "lines differ from the rated events");
        Assert.That(await _database.ScalarAsync<long>("""
            SELECT count(*) FROM billing.invoices i
            WHERE i.subtotal <> (SELECT sum(amount) FROM billing.invoice_lines l WHERE l.invoice_id = i.id)
               OR i.tax <> round(i.subtotal * i.tax_rate, 2) OR i.total <> i.subtotal + i.tax
            """), Is.Zero);
    }

    [Test]
    public async Task Numbers_are_gapless_in_the_year_of_issue()
    {
        var numbers = new List<string>();
        await using (var command = _database.DataSource.CreateCommand("SELECT number FROM billing.invoices ORDER BY number"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                numbers.Add(reader.GetString(0));
            }
        }
        var year = await _database.ScalarAsync<int>("SELECT DISTINCT extract(year FROM issued_at AT TIME ZONE 'UTC')::int FROM billing.invoices");
        Assert.That(numbers, Is.EqualTo(Enumerable.Range(1, numbers.Count).Select(n => $"INV-{year}-{n:D6}")));
        Assert.That(await _database.ScalarAsync<int>($"SELECT last_number FROM billing.invoice_number_counters WHERE year = {year}"), Is.EqualTo(numbers.Count));
    }

    [Test]
    public async Task Each_pdf_is_stored_encrypted_at_its_key_and_reads_back_with_its_number_lines_total_and_partial_month_note()
    {
        await using var command = _database.DataSource.CreateCommand("""
            SELECT i.number, i.account_id, i.pdf_key, i.pdf_sha256, i.total::text, a.name,
                   (SELECT count(*) FROM billing.invoice_lines l WHERE l.invoice_id = i.id), i.currency::text
            FROM billing.invoices i JOIN billing.accounts a USING (account_id) ORDER BY i.number
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var checkedAny = false;
        var store = _s3.Store();
        while (await reader.ReadAsync())
        {
            var (number, account, key, sha256, total, name) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5));
            Assert.That(key, Is.EqualTo($"invoices/2026/11/{account}/{number}.pdf"));
            var head = await store.HeadAsync(key, CancellationToken.None);
            Assert.That(head, Is.Not.Null, key);
            Assert.That(head!.IsEncryptedWith(_s3.Options.KmsKeyId), Is.True, $"{key} must be SSE-KMS with the configured key");
            var bytes = await _s3.GetBytesAsync(key);
            Assert.That(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), Is.EqualTo(sha256.Trim()));
            using var pdf = PdfDocument.Open(bytes);
            var text = string.Join("\n", pdf.GetPages().Select(p => p.Text));
            Assert.That(text, Does.Contain(number));
            Assert.That(Squeeze(text), Does.Contain(Squeeze(name)), "the account name round-trips");
            var minor = Billing.Core.Domain.Currency.FromCode(reader.GetString(7)).MinorUnits;
            var amount = decimal.Parse(total, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(Squeeze(text), Does.Contain(amount.ToString("F" + minor, System.Globalization.CultureInfo.InvariantCulture))
                .Or.Contain(amount.ToString("N" + minor, System.Globalization.CultureInfo.InvariantCulture)), "the total is printed");
            Assert.That(text, Does.Contain("Usage is recorded from"));
            checkedAny = true;
        }
        Assert.That(checkedAny, Is.True);
    }

    [Test]
    public async Task Exactly_one_announcement_per_invoice_reaches_the_invoices_stream()
    {
        var stream = await _nats.JetStream.GetStreamAsync(_nats.Options.InvoicesStream);
        var invoices = await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices");
        Assert.That((long)stream.Info.State.Messages, Is.EqualTo(invoices));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.outbox_messages WHERE sent_at IS NULL"), Is.Zero);
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.outbox_messages WHERE payload ? 'pdf' AND payload->>'invoiceId' IS NOT NULL"), Is.EqualTo(invoices));
    }

    [Test]
    public async Task Running_the_same_period_again_creates_nothing_new()
    {
        var before = await _database.ScalarAsync<string>(
            "SELECT count(*) || '/' || (SELECT max(last_number) FROM billing.invoice_number_counters) FROM billing.invoices");
        var keysBefore = (await _s3.KeysAsync("invoices/")).Count;
        var messagesBefore = (await _nats.JetStream.GetStreamAsync(_nats.Options.InvoicesStream)).Info.State.Messages;

        var again = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");

        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(again.Output, Does.Contain("0 planned, 0 issued"));
        Assert.That(await _database.ScalarAsync<string>(
            "SELECT count(*) || '/' || (SELECT max(last_number) FROM billing.invoice_number_counters) FROM billing.invoices"), Is.EqualTo(before));
        Assert.That((await _s3.KeysAsync("invoices/")).Count, Is.EqualTo(keysBefore));
        Assert.That((await _nats.JetStream.GetStreamAsync(_nats.Options.InvoicesStream)).Info.State.Messages, Is.EqualTo(messagesBefore));
    }

    [Test]
    public async Task Bad_period_is_a_usage_error()
    {
        var result = await _environment.RunInvoiceWorkerAsync("--period", "2026-13");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("--period must be YYYY-MM"));
    }

    private static string Squeeze(string text) => Whitespace().Replace(text, "");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
