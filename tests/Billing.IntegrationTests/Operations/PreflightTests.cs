using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Operations;

/// <summary><c>billing-ops preflight</c>: PASS/FAIL per checklist item, non-zero exit on any FAIL.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class PreflightTests
{
    [Test]
    public async Task Preflight_reports_the_sample_datas_deliberate_pricing_gap_and_passes_once_it_is_filled()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_gap");
        await Ops.ImportSampleAsync(database);

        var before = await Ops.RunAsync(database, "preflight");

        Assert.That(before.ExitCode, Is.EqualTo(1), before.ToString());
        Assert.That(before.Output, Does.Contain("PASS  billing schema migrations applied"));
        Assert.That(before.Output, Does.Contain("FAIL  pricing rules cover active tiers x active operators: 3 gap(s)"));
        Assert.That(before.Output, Does.Contain("tier=business operator=20801 currency=EUR")
            .And.Contain("tier=business operator=20801 currency=KES")
            .And.Contain("tier=business operator=20801 currency=USD"));
        Assert.That(before.Output, Does.Contain("PASS  operator costs cover active operators"));

        var fill = await Ops.RunAsync(database, "import", "pricing", Ops.Sample("pricing-gap-fill.csv"));
        Assert.That(fill.ExitCode, Is.Zero, fill.ToString());

        var after = await Ops.RunAsync(database, "preflight");
        Assert.That(after.ExitCode, Is.Zero, after.ToString());
        Assert.That(after.Output, Does.Not.Contain("FAIL"));
        Assert.That(after.Output, Does.Contain("PASS  pricing rules cover active tiers x active operators"));
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
    }
}
