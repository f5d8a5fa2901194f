using Billing.Core.Domain;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Ingest;

/// <summary><c>billing-ops rerate</c> and <c>import ... --rerate</c> on events the real worker stored unrated.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class RerateTests
{
    private static readonly DateTimeOffset November = new(2026, 11, 12, 10, 0, 0, TimeSpan.Zero);

    private sealed class Scenario : IAsyncDisposable
    {
        public required TestDatabase Database { get; init; }
        public required TestNats Nats { get; init; }
        public required IngestWorkerHost Worker { get; init; }

        public static async Task<Scenario> StartAsync(string name)
        {
            var database = await TestDatabase.CreateMigratedAsync(name);
            await Ops.ImportSampleAsync(database);
            var nats = await TestNats.CreateAsync(name);
            await nats.CreateEventsStreamAndConsumerAsync();
            return new Scenario { Database = database, Nats = nats, Worker = new IngestWorkerHost(database, nats).Start() };
        }

        public async Task IngestAsync(params BillingEvent[] events)
        {
            foreach (var e in events)
            {
                await Nats.PublishAsync(e);
            }
            await Nats.WaitUntilConsumerDrainedAsync(TimeSpan.FromSeconds(30));
        }

        public Task<List<string>> SummaryMismatchesAsync() => Summaries.MismatchesAsync(Database.DataSource);

        public async ValueTask DisposeAsync()
        {
            await Worker.DisposeAsync();
            await Nats.DisposeAsync();
            await Database.DisposeAsync();
        }
    }

    private static BillingEvent Event(string account, string @operator, SmsEventType type = SmsEventType.Submitted, int segments = 2) =>
        new(Guid.NewGuid(), type, November, account, $"msg_{Guid.NewGuid():N}", @operator, "FR", segments);

    [Test]
    public async Task Unpriced_event_is_priced_after_importing_its_rule_with_rerate_and_summaries_follow()
    {
        await using var scenario = await Scenario.StartAsync("rerate_pricing");
        var unpriced = Event("acc_1002", "20801", segments: 3);
        var alsoUnpriced = Event("acc_1002", "20801", SmsEventType.Delivered);
        await scenario.IngestAsync(unpriced, alsoUnpriced);
        Assert.That(await scenario.Database.ScalarAsync<long>("SELECT count(*) FROM billing.billing_events WHERE status = 'unrated'"), Is.EqualTo(2));

        var result = await Ops.RunAsync(scenario.Database, "import", "pricing", Ops.Sample("pricing-gap-fill.csv"), "--rerate");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output, Does.Contain("rerate: 2 event(s) examined, 2 newly rated, 0 re-priced; none still unrated"));
        var unitPrice = await scenario.Database.ScalarAsync<decimal>(
            "SELECT unit_price FROM billing.pricing_rules WHERE tier = 'business' AND operator = '20801' AND currency = 'KES'");
        Assert.That(await scenario.Database.ScalarAsync<string>($"""
            SELECT concat_ws(' ', status, unrated_reason IS NULL, amount = 3 * {unitPrice}, billable, rated_at IS NOT NULL)
            FROM billing.billing_events WHERE event_id = '{unpriced.EventId}'
            """), Is.EqualTo("rated t t t t"));
        Assert.That(await scenario.Database.ScalarAsync<string>("""
            SELECT concat_ws(' ', submitted_count, delivered_count, unrated_count, billable_segments)
            FROM billing.usage_summaries WHERE account_id = 'acc_1002' AND operator = '20801' AND currency = 'KES'
            """), Is.EqualTo("1 1 0 3"));
        Assert.That(await scenario.SummaryMismatchesAsync(), Is.Empty);

        var again = await Ops.RunAsync(scenario.Database, "rerate");
        Assert.That(again.Output, Does.Contain("rerate: 0 event(s) examined"), "nothing is left unrated");
    }

    [Test]
    public async Task Event_of_an_account_created_later_moves_from_no_currency_to_the_accounts_currency()
    {
        await using var scenario = await Scenario.StartAsync("rerate_account");
        var early = Event("acc_2001", "63902");
        await scenario.IngestAsync(early);
        var csv = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"accounts-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(csv, """
            account_id,name,tier,currency,email,address,tax_rate,active
            acc_2001,Late Signup Ltd,standard,USD,ap@late.example,"1 Late Road, Nairobi",0.16,true
            """);

        var result = await Ops.RunAsync(scenario.Database, "import", "accounts", csv, "--rerate");
        File.Delete(csv);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output, Does.Contain("1 newly rated"));
        Assert.That(await scenario.Database.ScalarAsync<string>($"SELECT status || ' ' || currency FROM billing.billing_events WHERE event_id = '{early.EventId}'"),
            Is.EqualTo("rated USD"));
        Assert.That(await scenario.Database.ScalarAsync<string>("""
            SELECT string_agg(currency || ':' || submitted_count || '/' || unrated_count, ' ' ORDER BY currency)
            FROM billing.usage_summaries WHERE account_id = 'acc_2001'
            """), Is.EqualTo("USD:1/0 XXX:0/0"));
        Assert.That(await scenario.SummaryMismatchesAsync(), Is.Empty);
    }

    [Test]
    public async Task Include_rated_reprices_events_of_periods_not_yet_invoiced_and_leaves_invoiced_periods_alone()
    {
        await using var scenario = await Scenario.StartAsync("rerate_include_rated");
        var november = Event("acc_1001", "63902");
        var october = november with { EventId = Guid.NewGuid(), OccurredAt = November.AddMonths(-1) };
        await scenario.IngestAsync(november, october);
        // October is invoiced; then the account moves to the business tier with effect for the open period.
        await scenario.Database.ExecuteAsync("""
            INSERT INTO billing.invoice_runs (id, period_start, dry_run, started_at, status, invoices_issued)
            VALUES ('00000000-0000-0000-0000-000000000001', '2026-10-01', false, now(), 'succeeded', 1);
            INSERT INTO billing.invoices (id, number, account_id, currency, period_start, period_end, issued_at, due_date,
                tax_rate, subtotal, tax, total, status, invoice_run_id)
            VALUES (gen_random_uuid(), 'INV-2026-000001', 'acc_1001', 'KES', '2026-10-01', '2026-11-01', now(), '2026-11-30',
                0.16, 1, 0.16, 1.16, 'issued', '00000000-0000-0000-0000-000000000001');
            UPDATE billing.accounts SET tier = 'business' WHERE account_id = 'acc_1001';
            """);
        var octoberAmount = await scenario.Database.ScalarAsync<decimal>($"SELECT amount FROM billing.billing_events WHERE event_id = '{october.EventId}'");

        var result = await Ops.RunAsync(scenario.Database, "rerate", "--include-rated", "--account", "acc_1001");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output, Does.Contain("1 event(s) examined, 0 newly rated, 1 re-priced"));
        var businessPrice = await scenario.Database.ScalarAsync<decimal>(
            "SELECT unit_price FROM billing.pricing_rules WHERE tier = 'business' AND operator = '63902' AND currency = 'KES'");
        Assert.That(await scenario.Database.ScalarAsync<string>($"SELECT tier || ' ' || (amount = 2 * {businessPrice})::text FROM billing.billing_events WHERE event_id = '{november.EventId}'"),
            Is.EqualTo("business true"));
        Assert.That(await scenario.Database.ScalarAsync<decimal>($"SELECT amount FROM billing.billing_events WHERE event_id = '{october.EventId}'"),
            Is.EqualTo(octoberAmount), "an invoiced period is not re-priced");
        Assert.That(await scenario.SummaryMismatchesAsync(), Is.Empty);
    }

    [Test]
    public async Task Rerate_refuses_an_empty_range()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("rerate_range");

        var result = await Ops.RunAsync(database, "rerate", "--from", "2026-11-02", "--to", "2026-11-01");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("--from must be before --to"));
    }
}
