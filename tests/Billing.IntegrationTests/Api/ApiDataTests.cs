using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Billing.Api.Contracts;
using Billing.Core.Data;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Api;

/// <summary>
/// A seeded scenario made through the real paths: the sample reference data imported with <c>billing-ops</c> (its
/// pricing gap left open), November traffic ingested by the ingest worker (rated, unrated for want of a rule or an
/// account, one poison message), then November invoiced by <c>invoice-worker</c> (rows, lines and PDFs in S3). Every
/// route answers what the database holds, computed here from the tables (usage from the events, not the summaries).
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ApiDataTests
{
    private const string Key = "data-tests-key-8c7b6a5f4e3d";
    private const string UnstoredNumber = "INV-2026-900001";
    private static readonly string[] Accounts = ["acc_1001", "acc_1002", "acc_1003", "acc_1004", "acc_1005", "acc_1006", "acc_1008", "acc_1012", "acc_unknown"];

    private InvoicingEnvironment _environment = null!;
    private TestDatabase _database = null!;
    private TestS3 _s3 = null!;
    private ApiHost _api = null!;
    private HttpClient _client = null!;
    private Guid _unstoredInvoice;

    [OneTimeSetUp]
    public async Task Seed()
    {
        // The sample's pricing gap stays open: some events are stored unrated for want of a rule.
        _environment = await InvoicingEnvironment.CreateAsync(nameof(ApiDataTests), fillPricingGap: false);
        _database = _environment.Database;
        _s3 = _environment.S3;
        await _environment.Nats.PublishRawAsync("billing.events.sms.submitted", "{ not json"u8.ToArray());
        await _environment.IngestAsync(Traffic.Events(2000, seed: 11));
        await _environment.SetIngestionStartAsync(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var run = await _environment.RunInvoiceWorkerAsync("--period", "2026-11");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());

        // An invoice that a crashed run issued (row committed) but whose PDF it never stored. Its number is the highest,
        // so it heads acc_1001's list.
        _unstoredInvoice = Guid.NewGuid();
        var runId = Guid.NewGuid();
        await _database.ExecuteAsync($"""
            INSERT INTO billing.invoice_runs (id, period_start, dry_run, started_at, status, invoices_issued)
            VALUES ('{runId}', '2026-10-01', false, '2026-11-01T02:00:00Z', 'failed', 1);
            INSERT INTO billing.invoices (id, number, account_id, currency, period_start, period_end, issued_at, due_date,
                tax_rate, subtotal, tax, total, status, invoice_run_id, document)
            VALUES ('{_unstoredInvoice}', '{UnstoredNumber}', 'acc_1001', 'USD', '2026-10-01', '2026-11-01',
                '2026-11-01T02:00:05Z', '2026-12-01', 0.16, 10.00, 1.60, 11.60, 'issued', '{runId}', '{"{}"}');
            INSERT INTO billing.invoice_lines (invoice_id, line_no, kind, operator, description, quantity, unit_price, amount)
            VALUES ('{_unstoredInvoice}', 1, 'usage', '63902', 'SMS to Safaricom', 1000, 0.01, 10.00);
            """);

        _api = await ApiHost.StartAsync(_database, _s3);
        _api.SetClient("portal", Key);
        _client = _api.Client(Key);
    }

    [OneTimeTearDown]
    public async Task CleanUp()
    {
        _client?.Dispose();
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
        await _environment.DisposeAsync();
    }

    [Test]
    public async Task The_scenario_has_rated_and_unrated_usage_invoices_and_a_dead_letter()
    {
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.billing_events WHERE status = 'rated'"), Is.GreaterThan(1000));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(DISTINCT unrated_reason) FROM billing.billing_events WHERE status = 'unrated'"), Is.EqualTo(2));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE status = 'stored'"), Is.GreaterThan(3));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.dead_letters"), Is.EqualTo(1));
    }

    [TestCase("day", "2026-11-01", "2026-11-30")]
    [TestCase("day", "2026-11-10", "2026-11-12")]
    [TestCase("day", "2026-10-15", "2026-11-01")]
    [TestCase("month", "2026-10-01", "2026-12-31")]
    [TestCase("month", "2026-11-05", "2026-11-06")]
    public async Task Usage_per_period_currency_and_operator_equals_the_stored_events(string granularity, string from, string to)
    {
        foreach (var account in Accounts)
        {
            var usage = await _client.GetFromJsonAsync<UsageResponse>($"/v1/accounts/{account}/usage?from={from}&to={to}&granularity={granularity}");
            var expected = await ExpectedUsageAsync(account, granularity, from, to);

            var actual = usage!.Periods.SelectMany(p => p.Operators.Select(o => Row(p.Start, p.Currency, o.Operator, o.Usage))).ToList();
            Assert.That(actual, Is.EqualTo(expected), $"{account} {granularity} {from}..{to}");
            Assert.That(usage.AccountId, Is.EqualTo(account));
            Assert.That(usage.Granularity, Is.EqualTo(granularity));
            foreach (var period in usage.Periods)
            {
                Assert.That(Row(period.Start, period.Currency, "", period.Usage), Is.EqualTo(Sum(period.Start, period.Currency, period.Operators.Select(o => o.Usage))));
            }
            foreach (var total in usage.Totals)
            {
                var periods = usage.Periods.Where(p => p.Currency == total.Currency).Select(p => p.Usage);
                Assert.That(Row(default, total.Currency, "", total.Usage), Is.EqualTo(Sum(default, total.Currency, periods)));
            }
            Assert.That(usage.Totals.Select(t => t.Currency), Is.EquivalentTo(usage.Periods.Select(p => p.Currency).Distinct()));
        }
    }

    [Test]
    public async Task Usage_covers_every_account_that_has_events()
    {
        var withEvents = await _database.ScalarAsync<long>("SELECT count(DISTINCT account_id) FROM billing.billing_events");
        var answered = 0;
        foreach (var account in Accounts)
        {
            var usage = await _client.GetFromJsonAsync<UsageResponse>($"/v1/accounts/{account}/usage?from=2026-11-01&to=2026-11-30");
            answered += usage!.Periods.Count > 0 ? 1 : 0;
        }
        Assert.That(answered, Is.EqualTo(withEvents));
    }

    [Test]
    public async Task Usage_amounts_keep_every_digit_and_at_least_the_currencys_minor_unit()
    {
        var usage = await _client.GetFromJsonAsync<UsageResponse>("/v1/accounts/acc_1001/usage?from=2026-11-01&to=2026-11-30");
        var exact = await _database.ScalarAsync<decimal>("SELECT sum(amount) FROM billing.billing_events WHERE account_id = 'acc_1001'");

        var total = usage!.Totals.Single();
        Assert.That(decimal.Parse(total.Usage.Amount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture), Is.EqualTo(exact));
        Assert.That(total.Usage.Amount, Does.Match(@"^[0-9]+\.[0-9]{2,6}$"));
    }

    [Test]
    public async Task Invoice_pages_list_each_accounts_invoices_newest_number_first_with_the_stored_amounts()
    {
        foreach (var account in Accounts)
        {
            var expected = await InvoiceRowsAsync($"account_id = '{account}'");
            foreach (var limit in new[] { 1, 2, 100 })
            {
                var listed = new List<InvoiceSummary>();
                string? cursor = null;
                var pages = 0;
                do
                {
                    var page = await _client.GetFromJsonAsync<InvoicePage>(
                        $"/v1/accounts/{account}/invoices?limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}"));
                    Assert.That(page!.Items, Has.Count.LessThanOrEqualTo(limit));
                    listed.AddRange(page.Items);
                    cursor = page.NextCursor;
                    pages++;
                }
                while (cursor is not null && pages < 100);

                Assert.That(listed.Select(ToRow).ToList(), Is.EqualTo(expected), $"{account}, limit {limit}");
                Assert.That(pages, Is.EqualTo(Math.Max(1, (int)Math.Ceiling(expected.Count / (double)limit))), $"{account}, limit {limit}");
            }
        }
    }

    [Test]
    public async Task Each_invoice_has_its_stored_fields_and_lines()
    {
        var invoices = await InvoiceRowsAsync("true");
        Assert.That(invoices, Has.Count.GreaterThan(3));
        foreach (var row in invoices)
        {
            var invoice = await _client.GetFromJsonAsync<InvoiceWithLines>($"/v1/invoices/{row.Id}");

            Assert.That(ToRow(invoice!), Is.EqualTo(row));
            var lines = await LineRowsAsync(row.Id);
            Assert.That(invoice!.Lines.Select(l => new LineRow(l.LineNo, l.Kind, l.Operator, l.Description, l.Quantity,
                Dec(l.UnitPrice), Dec(l.Amount), l.AdjustedPeriodStart)).ToList(), Is.EqualTo(lines), row.Number);
            Assert.That(invoice.Lines.Sum(l => Dec(l.Amount)), Is.EqualTo(Dec(invoice.Subtotal)), row.Number);
        }
    }

    [Test]
    public async Task The_pdf_link_downloads_the_stored_pdf_whose_sha256_is_the_invoices()
    {
        var stored = (await InvoiceRowsAsync("status = 'stored'")).Take(3).ToList();
        Assert.That(stored, Is.Not.Empty);
        using var anonymous = new HttpClient();
        foreach (var row in stored)
        {
            using var response = await _client.GetAsync($"/v1/invoices/{row.Id}/pdf");

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Found), row.Number);
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
            var location = response.Headers.Location!;
            Assert.That(location.AbsoluteUri, Does.StartWith(_s3.Options.ServiceUrl).And.Contain(_s3.Bucket).And.Contain("X-Amz-Signature"));
            using var download = await anonymous.GetAsync(location);
            Assert.That(download.StatusCode, Is.EqualTo(HttpStatusCode.OK), row.Number);
            Assert.That(download.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/pdf"));
            var bytes = await download.Content.ReadAsByteArrayAsync();
            Assert.That(Convert.ToHexStringLower(SHA256.HashData(bytes)), Is.EqualTo(row.PdfSha256), row.Number);
            Assert.That(bytes.AsSpan(0, 5).ToArray(), Is.EqualTo("%PDF-"u8.ToArray()));
        }
    }

    [Test]
    public async Task An_issued_invoice_whose_pdf_is_not_stored_yet_is_listed_as_issued_and_its_pdf_is_404()
    {
        var invoice = await _client.GetFromJsonAsync<InvoiceWithLines>($"/v1/invoices/{_unstoredInvoice}");
        using var pdf = await _client.GetAsync($"/v1/invoices/{_unstoredInvoice}/pdf");

        Assert.That(invoice!.Status, Is.EqualTo("issued"));
        Assert.That(invoice.PdfSha256, Is.Null);
        Assert.That((invoice.Subtotal, invoice.Tax, invoice.Total, invoice.TaxRate), Is.EqualTo(("10.00", "1.60", "11.60", "0.16")));
        Assert.That(pdf.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(pdf.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await pdf.Content.ReadAsStringAsync(), Does.Contain(UnstoredNumber));
    }

    [Test]
    public async Task An_invoice_has_a_strong_etag_and_if_none_match_with_it_answers_304()
    {
        var id = (await InvoiceRowsAsync("status = 'stored'"))[0].Id;
        var other = _unstoredInvoice;
        using var first = await _client.GetAsync($"/v1/invoices/{id}");
        using var again = await _client.GetAsync($"/v1/invoices/{id}");
        using var otherInvoice = await _client.GetAsync($"/v1/invoices/{other}");
        var etag = first.Headers.ETag!;

        Assert.That(etag.IsWeak, Is.False);
        Assert.That(again.Headers.ETag, Is.EqualTo(etag));
        Assert.That(await again.Content.ReadAsStringAsync(), Is.EqualTo(await first.Content.ReadAsStringAsync()));
        Assert.That(otherInvoice.Headers.ETag, Is.Not.EqualTo(etag));
        foreach (var ifNoneMatch in new[] { etag.Tag, $"W/{etag.Tag}", "*", $"\"nope\", {etag.Tag}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/invoices/{id}");
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
            using var response = await _client.SendAsync(request);

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotModified), ifNoneMatch);
            Assert.That(response.Headers.ETag, Is.EqualTo(etag), ifNoneMatch);
            Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty, ifNoneMatch);
        }
        using var stale = new HttpRequestMessage(HttpMethod.Get, $"/v1/invoices/{id}");
        stale.Headers.TryAddWithoutValidation("If-None-Match", otherInvoice.Headers.ETag!.Tag);
        using var changed = await _client.SendAsync(stale);
        Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("", "true")]
    [TestCase("?tier=standard", "tier = 'standard'")]
    [TestCase("?operator=63902", "operator = '63902'")]
    [TestCase("?tier=business&operator=20801", "tier = 'business' AND operator = '20801'")]
    [TestCase("?at=2026-11-15T12:00:00Z", "valid_from <= '2026-11-15T12:00:00Z' AND (valid_to IS NULL OR valid_to > '2026-11-15T12:00:00Z')")]
    [TestCase("?tier=premium&at=2026-11-15T15:00:00%2B03:00", "tier = 'premium' AND valid_from <= '2026-11-15T12:00:00Z' AND (valid_to IS NULL OR valid_to > '2026-11-15T12:00:00Z')")]
    [TestCase("?at=2020-01-01", "valid_from <= '2020-01-01Z' AND (valid_to IS NULL OR valid_to > '2020-01-01Z')")]
    [TestCase("?tier=nonexistent", "tier = 'nonexistent'")]
    public async Task Pricing_rules_are_the_stored_rules_matching_the_filters(string query, string where)
    {
        var rules = await _client.GetFromJsonAsync<PricingRuleList>($"/v1/pricing/rules{query}");

        var expected = await RowsAsync($"""
            SELECT id, tier, operator, currency, unit_price, charge_on, valid_from, valid_to FROM billing.pricing_rules
            WHERE {where} ORDER BY tier, operator, currency, valid_from
            """, r => (r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDecimal(4), r.GetString(5),
                r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(7)));
        Assert.That(rules!.Items.Select(r => (r.Id, r.Tier, r.Operator, r.Currency, Dec(r.UnitPrice), r.ChargeOn, r.ValidFrom, r.ValidTo)).ToList(),
            Is.EqualTo(expected));
        if (where == "true")
        {
            Assert.That(rules.Items, Has.Count.GreaterThan(50));
        }
    }

    [TestCase("2026-11-15T12:00:00Z")]
    [TestCase("2020-01-01")]
    public async Task Pricing_gaps_are_what_preflight_computes_and_include_the_samples_deliberate_gap(string at)
    {
        var gaps = await _client.GetFromJsonAsync<PricingGapList>($"/v1/pricing/gaps?at={at}");
        var instant = DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        await using var db = _database.CreateDbContext();
        var expected = await ReferenceDataCoverage.FindPricingGapsAsync(db, instant, CancellationToken.None);

        Assert.That(gaps!.At, Is.EqualTo(instant));
        Assert.That(gaps.Items, Is.EqualTo(expected));
        Assert.That(gaps.Items, Does.Contain(new PricingGap("business", "20801", "USD")));
        var activePairs = await _database.ScalarAsync<long>(
            "SELECT count(*) FROM billing.account_tiers t CROSS JOIN billing.operators o WHERE t.active AND o.active");
        Assert.That(gaps.Items.Select(g => (g.Tier, g.Operator)).Distinct().Count(),
            at == "2020-01-01" ? Is.EqualTo(activePairs) : Is.LessThan(activePairs));
    }

    [Test]
    public async Task Ops_status_counts_unrated_events_by_reason_dead_letters_and_shows_the_last_invoice_run()
    {
        var status = await _client.GetFromJsonAsync<OpsStatus>("/v1/ops/status");

        var unrated = await RowsAsync("""
            SELECT unrated_reason, count(*), min(occurred_at), max(occurred_at) FROM billing.billing_events
            WHERE status = 'unrated' GROUP BY 1 ORDER BY 1
            """, r => new UnratedReasonCount(r.GetString(0), r.GetInt64(1), r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3)));
        Assert.That(status!.Unrated.ByReason, Is.EqualTo(unrated));
        Assert.That(status.Unrated.ByReason.Select(u => u.Reason), Is.EqualTo(new[] { "account_not_found", "pricing_not_found" }));
        Assert.That(status.Unrated.Total, Is.EqualTo(unrated.Sum(u => u.Count)));
        Assert.That(status.DeadLetters.Total, Is.EqualTo(1));
        Assert.That(status.DeadLetters.ByReason.Single().ReasonCode,
            Is.EqualTo(await _database.ScalarAsync<string>("SELECT reason_code FROM billing.dead_letters")));
        var received = await RowsAsync("SELECT received_at FROM billing.dead_letters", r => r.GetFieldValue<DateTimeOffset>(0));
        Assert.That(status.DeadLetters.LastReceivedAt, Is.EqualTo(received.Single()));
        var run = status.LastInvoiceRun!;
        Assert.That(run.Id, Is.EqualTo(await _database.ScalarAsync<Guid>("SELECT id FROM billing.invoice_runs ORDER BY started_at DESC LIMIT 1")));
        Assert.That((run.PeriodStart, run.Status, run.DryRun), Is.EqualTo((new DateOnly(2026, 11, 1), "succeeded", false)));
        Assert.That(run.InvoicesIssued, Is.EqualTo(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE period_start = '2026-11-01'")));
        Assert.That(status.IngestionStartedAt, Is.EqualTo(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    private sealed record UsageRow(DateOnly Period, string Currency, string Operator, long Submitted, long Delivered, long Failed,
        long Expired, long BillableSegments, decimal Amount, long Unrated);

    private static UsageRow Row(DateOnly period, string currency, string @operator, UsageCounts u) =>
        new(period, currency, @operator, u.Submitted, u.Delivered, u.Failed, u.Expired, u.BillableSegments, Dec(u.Amount), u.Unrated);

    private static UsageRow Sum(DateOnly period, string currency, IEnumerable<UsageCounts> parts)
    {
        var list = parts.ToList();
        return new(period, currency, "", list.Sum(u => u.Submitted), list.Sum(u => u.Delivered), list.Sum(u => u.Failed),
            list.Sum(u => u.Expired), list.Sum(u => u.BillableSegments), list.Sum(u => Dec(u.Amount)), list.Sum(u => u.Unrated));
    }

    /// <summary>From the events themselves, by the rule the summaries follow (UTC day; XXX where no currency is known).</summary>
    private Task<List<UsageRow>> ExpectedUsageAsync(string account, string granularity, string from, string to) => RowsAsync($"""
        SELECT date_trunc('{granularity}', (occurred_at AT TIME ZONE 'UTC'))::date, coalesce(currency, 'XXX'), operator,
               count(*) FILTER (WHERE type = 'sms.submitted'), count(*) FILTER (WHERE type = 'sms.delivered'),
               count(*) FILTER (WHERE type = 'sms.failed'), count(*) FILTER (WHERE type = 'sms.expired'),
               coalesce(sum(segments) FILTER (WHERE billable), 0), coalesce(sum(amount), 0), count(*) FILTER (WHERE status = 'unrated')
        FROM billing.billing_events
        WHERE account_id = '{account}' AND occurred_at >= '{from}T00:00:00Z' AND occurred_at < ('{to}'::date + 1)::timestamp AT TIME ZONE 'UTC'
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """, r => new UsageRow(r.GetFieldValue<DateOnly>(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4),
            r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetDecimal(8), r.GetInt64(9)));

    private sealed record InvoiceRow(Guid Id, string Number, string AccountId, string Currency, DateOnly PeriodStart, DateOnly PeriodEnd,
        DateTimeOffset? UsageRecordedFrom, DateTimeOffset IssuedAt, DateOnly DueDate, decimal TaxRate, decimal Subtotal, decimal Tax,
        decimal Total, string Status, string? PdfSha256);

    private static InvoiceRow ToRow(InvoiceSummary i) => new(i.Id, i.Number, i.AccountId, i.Currency, i.PeriodStart, i.PeriodEnd,
        i.UsageRecordedFrom, i.IssuedAt, i.DueDate, Dec(i.TaxRate), Dec(i.Subtotal), Dec(i.Tax), Dec(i.Total), i.Status, i.PdfSha256);

    private Task<List<InvoiceRow>> InvoiceRowsAsync(string where) => RowsAsync($"""
        SELECT id, number, account_id, currency, period_start, period_end, usage_recorded_from, issued_at, due_date, tax_rate,
               subtotal, tax, total, status, CASE WHEN status = 'stored' THEN trim(pdf_sha256) END
        FROM billing.invoices WHERE {where} ORDER BY number DESC
        """, r => new InvoiceRow(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateOnly>(4),
            r.GetFieldValue<DateOnly>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6), r.GetFieldValue<DateTimeOffset>(7),
            r.GetFieldValue<DateOnly>(8), r.GetDecimal(9), r.GetDecimal(10), r.GetDecimal(11), r.GetDecimal(12), r.GetString(13),
            r.IsDBNull(14) ? null : r.GetString(14)));

    private sealed record LineRow(int LineNo, string Kind, string? Operator, string Description, long Quantity, decimal UnitPrice,
        decimal Amount, DateOnly? AdjustedPeriodStart);

    private Task<List<LineRow>> LineRowsAsync(Guid invoice) => RowsAsync($"""
        SELECT line_no, kind, operator, description, quantity, unit_price, amount, adjusted_period_start
        FROM billing.invoice_lines WHERE invoice_id = '{invoice}' ORDER BY line_no
        """, r => new LineRow(r.GetInt32(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.GetInt64(4),
            r.GetDecimal(5), r.GetDecimal(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7)));

    private async Task<List<T>> RowsAsync<T>(string sql, Func<Npgsql.NpgsqlDataReader, T> read)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    private static decimal Dec(string text) => decimal.Parse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
