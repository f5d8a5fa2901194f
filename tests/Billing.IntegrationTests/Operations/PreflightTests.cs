using Billing.Core.Messaging;
using Billing.IntegrationTests.Infrastructure;
using NATS.Client.JetStream;

namespace Billing.IntegrationTests.Operations;

/// <summary><c>billing-ops preflight</c>: PASS/FAIL per checklist item, non-zero exit on any FAIL.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class PreflightTests
{
    [Test]
    public async Task Preflight_reports_the_sample_datas_deliberate_pricing_gap_and_passes_once_it_is_filled()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_gap");
        await using var nats = await TestNats.CreateAsync("preflight_gap");
        await Ops.ImportSampleAsync(database);
        var provision = await Ops.RunAsync(nats.Configuration(), "provision", "nats");
        Assert.That(provision.ExitCode, Is.Zero, provision.ToString());

        var before = await Ops.RunAsync(database, nats, "preflight");

        Assert.That(before.ExitCode, Is.EqualTo(1), before.ToString());
        Assert.That(before.Output, Does.Contain("PASS  billing schema migrations applied"));
        Assert.That(before.Output, Does.Contain("FAIL  pricing rules cover active tiers x active operators: 3 gap(s)"));
        Assert.That(before.Output, Does.Contain("tier=business operator=20801 currency=EUR")
            .And.Contain("tier=business operator=20801 currency=KES")
            .And.Contain("tier=business operator=20801 currency=USD"));
        Assert.That(before.Output, Does.Contain("PASS  operator costs cover active operators"));

        var fill = await Ops.RunAsync(database, "import", "pricing", Ops.Sample("pricing-gap-fill.csv"));
        Assert.That(fill.ExitCode, Is.Zero, fill.ToString());

        var after = await Ops.RunAsync(database, nats, "preflight");
        Assert.That(after.ExitCode, Is.Zero, after.ToString());
        Assert.That(after.Output, Does.Not.Contain("FAIL"));
        Assert.That(after.Output, Does.Contain("PASS  pricing rules cover active tiers x active operators"));
        Assert.That(after.Output, Does.Contain("preflight passed: 6 item(s)"));
    }

    [Test]
    public async Task Preflight_reports_missing_then_drifted_NATS_objects_and_passes_once_they_are_provisioned()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_nats");
        await using var nats = await TestNats.CreateAsync("preflight_nats");
        var (stream, consumer, invoices) = (nats.Options.EventsStream, nats.Options.EventsConsumer, nats.Options.InvoicesStream);

        var missing = await Ops.RunAsync(database, nats, "preflight");

        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        Assert.That(missing.OutputLines, Does.Contain(
            $"FAIL  NATS stream {stream} and consumer {consumer} as wanted: stream {stream} missing; consumer {consumer} missing; run billing-ops provision nats"));
        Assert.That(missing.OutputLines, Does.Contain($"FAIL  NATS stream {invoices} as wanted: stream {invoices} missing; run billing-ops provision nats"));
        // An empty reference-data set has nothing to cover: only the NATS items fail.
        Assert.That(missing.Output, Does.Contain("preflight FAILED: 2 of 6 item(s)"));

        await nats.JetStream.CreateStreamAsync(NatsTopology.EventsStream(nats.Options) with { MaxAge = TimeSpan.FromDays(1) });
        await nats.JetStream.CreateConsumerAsync(stream, NatsTopology.EventsConsumer(nats.Options) with { AckWait = TimeSpan.FromSeconds(10) });

        var drifted = await Ops.RunAsync(database, nats, "preflight");

        Assert.That(drifted.ExitCode, Is.EqualTo(1), drifted.ToString());
        Assert.That(drifted.OutputLines, Does.Contain(
            $"FAIL  NATS stream {stream} and consumer {consumer} as wanted: stream {stream}: max_age 1.00:00:00 -> 7.00:00:00; " +
            $"consumer {consumer}: ack_wait 00:00:10 -> 00:00:30; run billing-ops provision nats"));

        var provision = await Ops.RunAsync(nats.Configuration(), "provision", "nats");
        Assert.That(provision.ExitCode, Is.Zero, provision.ToString());
        var after = await Ops.RunAsync(database, nats, "preflight");

        Assert.That(after.ExitCode, Is.Zero, after.ToString());
        Assert.That(after.OutputLines, Does.Contain($"PASS  NATS stream {stream} and consumer {consumer} as wanted: checked at {nats.Options.Url}, every setting as wanted")
            .And.Contain($"PASS  NATS stream {invoices} as wanted: checked at {nats.Options.Url}, every setting as wanted"));
        Assert.That(after.Output, Does.Contain("preflight passed: 6 item(s)"));
    }

    [Test]
    public async Task Preflight_without_Nats_Url_fails_the_NATS_items_saying_what_to_set()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_no_nats");

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.OutputLines, Does.Contain("FAIL  NATS stream BILLING_EVENTS and consumer billing-consumer as wanted: not configured: set Nats__Url")
            .And.Contain("FAIL  NATS stream BILLING_INVOICES as wanted: not configured: set Nats__Url"));
        Assert.That(result.Output, Does.Contain("PASS  billing schema migrations applied"));
    }

    [Test]
    public async Task Preflight_fails_the_NATS_items_naming_the_url_when_NATS_is_unreachable()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_nats_down");

        var result = await Ops.RunAsync([new("ConnectionStrings:Billing", database.ConnectionString), new("Nats:Url", "nats://127.0.0.1:1")], "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("FAIL  NATS stream BILLING_EVENTS and consumer billing-consumer as wanted: cannot reach NATS at nats://127.0.0.1:1")
            .And.Contain("FAIL  NATS stream BILLING_INVOICES as wanted: cannot reach NATS at nats://127.0.0.1:1"));
        Assert.That(result.Output, Does.Contain("PASS  database reachable"));
    }

    [Test]
    public async Task Preflight_fails_on_an_unmigrated_database_and_says_what_to_run()
    {
        await using var database = await TestDatabase.CreateEmptyAsync("preflight_empty");

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("PASS  database reachable"));
        Assert.That(result.Output, Does.Contain("FAIL  billing schema migrations applied: no migration applied; run billing-ops migrate"));
    }

    [Test]
    public async Task Preflight_lists_an_active_operator_without_a_cost_and_a_tier_without_accounts()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_cost_gap");
        await Ops.ImportSampleAsync(database);
        await database.ExecuteAsync("""
            UPDATE billing.operators SET active = true WHERE mccmnc = '64110';
            UPDATE billing.account_tiers SET active = true WHERE code = 'legacy';
            """);

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("FAIL  operator costs cover active operators: 1 operator(s) without a cost").And.Contain("64110 (MTN Uganda)"));
        // The legacy tier has no active account, so any currency would do: the gap carries no currency.
        Assert.That(result.Output, Does.Contain("tier=legacy operator=63902;"));
    }

    [Test]
    public async Task Preflight_fails_when_the_database_is_unreachable()
    {
        var result = await Ops.RunAsync("Host=127.0.0.1;Port=1;Username=postgres;Database=nowhere;Timeout=2", "preflight");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("FAIL  database reachable"));
        Assert.That(result.Output, Does.Contain("FAIL  NATS stream BILLING_EVENTS and consumer billing-consumer as wanted: not configured"),
            "the NATS items do not depend on the database and are still checked");
    }
}
