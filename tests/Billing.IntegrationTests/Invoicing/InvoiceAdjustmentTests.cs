using System.Globalization;
using System.Text;
using Billing.Core.Domain;
using Billing.IntegrationTests.Infrastructure;
using UglyToad.PdfPig;

namespace Billing.IntegrationTests.Invoicing;

/// <summary>
/// Two months in a row. October is invoiced; then late October events arrive and October's unpriced events are priced
/// (<c>import pricing --rerate</c>); November's invoices carry the difference as prior-period adjustments. Also: an
/// account with 60 operators gets a multi-page PDF, and a dry run shows its table and writes nothing.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class InvoiceAdjustmentTests
{
    private static readonly DateTimeOffset October = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private const string ManyOperatorsAccount = "acc_9060";
    private const string ManyOperatorsName = "ООО «Связь-Телеком» Ωμέγα";

    private InvoicingEnvironment _environment = null!;
    private TestDatabase _database = null!;
    private string? _octoberInvoicesBefore;
    private OpsResult _dryRun = null!;
    private long _invoicesBeforeDryRun;
    private long _invoicesAfterDryRun;
    private OpsResult _november = null!;

    [OneTimeSetUp]
    public async Task InvoiceOctoberThenNovember()
    {
        // The business x 20801 rule is missing (the sample's deliberate gap): those October events stay unrated at first.
        _environment = await InvoicingEnvironment.CreateAsync(nameof(InvoiceAdjustmentTests), fillPricingGap: false);
        _database = _environment.Database;
        await ImportSixtyOperatorsAsync();

        await _environment.IngestAsync(Traffic.Events(1500, seed: 41, month: October));
        await _environment.SetIngestionStartAsync(October);
        var october = await _environment.RunInvoiceWorkerAsync("--period", "2026-10");
        Assert.That(october.ExitCode, Is.Zero, october.ToString());
        _octoberInvoicesBefore = await OctoberInvoicesAsync();
        Assert.That(await _database.ScalarAsync<long>(
            "SELECT count(*) FROM billing.billing_events WHERE status = 'unrated' AND unrated_reason = 'pricing_not_found' AND occurred_at < '2026-11-01Z'"),
            Is.GreaterThan(0), "the scenario needs unpriced October events");

        // Late October events (for acc_1012 only late ones, no November usage), November traffic, and the 60-operator account.
        await _environment.IngestAsync(
            Traffic.Events(300, seed: 42, month: October, accounts: ["acc_1003", "acc_1012"])
                .Concat(Traffic.Events(1500, seed: 43, accounts: ["acc_1001", "acc_1002", "acc_1003", "acc_1004", "acc_1005"]))
                .Concat(SixtyOperatorEvents()));
        // The missing rule arrives; the rerate prices October's unrated business x 20801 events.
        await Ops.ImportAsync(_database, "pricing", Ops.Sample("pricing-gap-fill.csv"), "--rerate");

        _invoicesBeforeDryRun = await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices");
        _dryRun = await _environment.RunInvoiceWorkerAsync("--period", "2026-11", "--dry-run");
        _invoicesAfterDryRun = await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices");
        _november = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");
        Assert.That(_november.ExitCode, Is.Zero, _november.ToString());
    }

    [OneTimeTearDown]
    public async Task CleanUp() => await _environment.DisposeAsync();

    [Test]
    public async Task Late_and_rerated_october_usage_is_a_prior_period_adjustment_on_the_november_invoice()
    {
        // Independently of the planner: per account, October's usage now (per operator and unit price, rounded to the
        // minor unit) minus what October's invoice billed.
        const string expected = """
            WITH owed AS (
                SELECT account_id, currency, sum(amount) AS amount, sum(segments) AS quantity FROM (
                    SELECT e.account_id, e.currency, round(sum(e.amount), CASE e.currency WHEN 'KWD' THEN 3 WHEN 'JPY' THEN 0 ELSE 2 END) AS amount,
                           sum(e.segments) AS segments
                    FROM billing.billing_events e
                    WHERE e.status = 'rated' AND e.billable AND e.occurred_at >= '2026-10-01Z' AND e.occurred_at < '2026-11-01Z'
                    GROUP BY e.account_id, e.currency, e.operator, e.unit_price) g
                GROUP BY 1, 2),
            billed AS (
                SELECT i.account_id, i.currency, sum(l.amount) AS amount, sum(l.quantity) AS quantity
                FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
                WHERE i.period_start = '2026-10-01'
                GROUP BY 1, 2)
            SELECT owed.account_id, owed.currency, owed.amount - coalesce(billed.amount, 0), owed.quantity - coalesce(billed.quantity, 0)
            FROM owed LEFT JOIN billed USING (account_id, currency)
            WHERE owed.amount <> coalesce(billed.amount, 0)
            """;
        const string actual = """
            SELECT i.account_id, i.currency, l.amount, l.quantity
            FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
            WHERE i.period_start = '2026-11-01' AND l.kind = 'adjustment' AND l.adjusted_period_start = '2026-10-01'
            """;
        Assert.That(await _database.ScalarAsync<long>($"SELECT count(*) FROM ({expected}) e"), Is.GreaterThanOrEqualTo(3),
            "acc_1003 and acc_1012 (late events) and acc_1002 (rerated) owe more for October");
        Assert.That(await _database.ScalarAsync<long>(
            $"SELECT count(*) FROM ((({expected}) EXCEPT ({actual})) UNION ALL (({actual}) EXCEPT ({expected}))) d"), Is.Zero);
        Assert.That(await _database.ScalarAsync<long>(
            "SELECT count(*) FROM billing.invoice_lines WHERE kind = 'adjustment' AND adjusted_period_start IS NULL"), Is.Zero);

        // acc_1012 had only late October events: its November invoice is the adjustment alone.
        Assert.That(await _database.ScalarAsync<string>("""
            SELECT string_agg(l.kind, ',') FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
            WHERE i.account_id = 'acc_1012' AND i.period_start = '2026-11-01'
            """), Is.EqualTo("adjustment"));
    }

    [Test]
    public async Task For_every_account_the_invoices_add_up_to_its_rated_billable_usage_up_to_the_last_invoiced_period()
    {
        var differences = await _database.ScalarAsync<string>("""
            WITH usage AS (
                SELECT account_id, currency, sum(amount) AS amount FROM (
                    SELECT account_id, currency, round(sum(amount), CASE currency WHEN 'KWD' THEN 3 WHEN 'JPY' THEN 0 ELSE 2 END) AS amount
                    FROM billing.billing_events
                    WHERE status = 'rated' AND billable AND occurred_at < '2026-12-01Z'
                    GROUP BY account_id, currency, date_trunc('month', occurred_at AT TIME ZONE 'UTC'), operator, unit_price) g
                GROUP BY 1, 2),
            invoiced AS (
                SELECT i.account_id, i.currency, sum(l.amount) AS amount
                FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id GROUP BY 1, 2)
            SELECT coalesce(string_agg(account_id || ' ' || coalesce(u.amount, 0) || ' vs ' || coalesce(v.amount, 0), '; '), '')
            FROM usage u FULL JOIN invoiced v USING (account_id, currency)
            WHERE coalesce(u.amount, 0) <> coalesce(v.amount, 0)
            """);
        Assert.That(differences, Is.Empty);
        Assert.That(await _database.ScalarAsync<long>("SELECT count(DISTINCT period_start) FROM billing.invoices"), Is.EqualTo(2));
    }

    [Test]
    public async Task Issued_october_invoices_are_not_changed_by_what_came_later() =>
        Assert.That(await OctoberInvoicesAsync(), Is.EqualTo(_octoberInvoicesBefore));

    [Test]
    public async Task A_dry_run_shows_each_invoice_it_would_issue_and_writes_nothing()
    {
        Assert.That(_dryRun.ExitCode, Is.Zero, _dryRun.ToString());
        Assert.That(_invoicesAfterDryRun, Is.EqualTo(_invoicesBeforeDryRun));
        var rows = _dryRun.OutputLines.Where(l => l.TrimStart().StartsWith("acc_", StringComparison.Ordinal)).ToList();
        var issued = await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE period_start = '2026-11-01'");
        Assert.That(rows, Has.Count.EqualTo(issued), "one row per invoice the real run then issued");
        Assert.That(_dryRun.OutputLines, Has.Some.Match(@"^\s+account\s+currency\s+lines\s+adjustments\s+subtotal\s+tax\s+total\s+notes$"));

        // The row of acc_1012 (adjustment only) shows what the real run issued.
        var total = await _database.ScalarAsync<string>(
            "SELECT round(total, 2)::text FROM billing.invoices WHERE account_id = 'acc_1012' AND period_start = '2026-11-01'");
        Assert.That(rows, Has.One.Match($@"^\s+acc_1012\s+\w{{3}}\s+0\s+1\s+\S+\s+\S+\s+{total!.Replace(".", @"\.", StringComparison.Ordinal)}\s+\d+$"));
    }

    [Test]
    public async Task An_account_with_sixty_operators_gets_a_multi_page_pdf_with_every_line_a_repeated_header_and_page_numbers()
    {
        var key = await _database.ScalarAsync<string>(
            $"SELECT pdf_key FROM billing.invoices WHERE account_id = '{ManyOperatorsAccount}' AND period_start = '2026-11-01' AND status = 'stored'");
        Assert.That(key, Is.Not.Null);
        Assert.That(await _database.ScalarAsync<long>($"""
            SELECT count(*) FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
            WHERE i.account_id = '{ManyOperatorsAccount}' AND l.kind = 'usage'
            """), Is.EqualTo(60));

        using var pdf = PdfDocument.Open(await _environment.S3.GetBytesAsync(key!));
        var pages = pdf.GetPages().Select(p => p.Text).ToList();
        Assert.That(pages, Has.Count.GreaterThanOrEqualTo(2));
        for (var i = 0; i < pages.Count; i++)
        {
            Assert.That(pages[i], Does.Contain($"Page {i + 1} of {pages.Count}"));
            Assert.That(pages[i], Does.Contain("Description").And.Contain("Unit price").And.Contain("Amount"), $"table header on page {i + 1}");
        }
        var text = string.Concat(pages);
        foreach (var code in SixtyOperatorCodes())
        {
            Assert.That(text, Does.Contain($"({code})"), $"the line of operator {code}");
        }
        Assert.That(text.Replace(" ", "", StringComparison.Ordinal), Does.Contain(ManyOperatorsName.Replace(" ", "", StringComparison.Ordinal)));
    }

    private Task<string?> OctoberInvoicesAsync() => _database.ScalarAsync<string>("""
        SELECT string_agg(i.number || ' ' || i.account_id || ' ' || i.total || ' ' || coalesce(i.pdf_sha256, '') || ' ' ||
               (SELECT string_agg(l.line_no || ':' || l.amount, ',' ORDER BY l.line_no) FROM billing.invoice_lines l WHERE l.invoice_id = i.id),
               '; ' ORDER BY i.number)
        FROM billing.invoices i WHERE i.period_start = '2026-10-01'
        """);

    private static IEnumerable<string> SixtyOperatorCodes() => Enumerable.Range(0, 60).Select(i => (90100 + i).ToString(CultureInfo.InvariantCulture));

    /// <summary>Two submitted events a day apart on each of the 60 operators, in November.</summary>
    private static IEnumerable<BillingEvent> SixtyOperatorEvents() =>
        SixtyOperatorCodes().SelectMany((code, i) => Enumerable.Range(0, 2).Select(n => new BillingEvent(
            new Guid($"00000000-0000-0000-0060-{i * 2 + n:D12}"), SmsEventType.Submitted,
            Traffic.November.AddDays(1 + n).AddMinutes(i), ManyOperatorsAccount, $"msg_60_{i}_{n}", code, "KE", 1 + n)));

    /// <summary>60 operators, a USD rule for each on the standard tier (prices rising by 0.0001), and the account that uses them.</summary>
    private async Task ImportSixtyOperatorsAsync()
    {
        var directory = Directory.CreateTempSubdirectory("billing-sixty-");
        try
        {
            var operators = new StringBuilder("mccmnc,name,country,active\n");
            var pricing = new StringBuilder("tier,operator,currency,unit_price,charge_on,valid_from,valid_to\n");
            foreach (var (code, i) in SixtyOperatorCodes().Select((c, i) => (c, i)))
            {
                operators.Append(CultureInfo.InvariantCulture, $"{code},Test Mobile {i + 1},KE,true\n");
                pricing.Append(CultureInfo.InvariantCulture, $"standard,{code},USD,{0.0100m + i * 0.0001m:0.0000},submitted,2026-01-01,\n");
            }
            var accounts = $"account_id,name,tier,currency,email,address,tax_rate,active\n{ManyOperatorsAccount},{ManyOperatorsName},standard,USD,billing@svyaz.example,\"ул. Тверская 1, Москва\",0.20,true\n";
            foreach (var (kind, content) in new[] { ("operators", operators.ToString()), ("accounts", accounts), ("pricing", pricing.ToString()) })
            {
                var file = Path.Combine(directory.FullName, $"{kind}.csv");
                await File.WriteAllTextAsync(file, content);
                await Ops.ImportAsync(_database, kind, file);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
