using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Invoicing;

/// <summary>
/// Prior-period adjustments look back <c>Invoicing__AdjustmentLookbackMonths</c>: late usage of a month inside the window
/// is billed, of an older month not (so old event partitions can be dropped without the run crediting them).
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class InvoiceLookbackTests
{
    private static readonly DateTimeOffset October = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    private InvoicingEnvironment _environment = null!;

    [OneTimeSetUp]
    public async Task InvoiceOctoberThenReceiveLateOctoberEvents()
    {
        _environment = await InvoicingEnvironment.CreateAsync(nameof(InvoiceLookbackTests));
        await _environment.IngestAsync(Traffic.Events(200, seed: 51, month: October, accounts: ["acc_1001", "acc_1004"]));
        var october = await _environment.RunInvoiceWorkerAsync("--period", "2026-10");
        Assert.That(october.ExitCode, Is.Zero, october.ToString());
        await _environment.IngestAsync(Traffic.Events(100, seed: 52, month: October, accounts: ["acc_1001"]));
    }

    [OneTimeTearDown]
    public async Task CleanUp() => await _environment.DisposeAsync();

    [TestCase("2", true)]
    [TestCase("1", false)]
    public async Task December_bills_late_october_usage_only_when_october_is_inside_the_lookback(string months, bool billed)
    {
        await using var run = _environment.StartInvoiceWorker(["--period", "2026-12", "--dry-run"],
            new Dictionary<string, string> { ["Invoicing__AdjustmentLookbackMonths"] = months });
        var result = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        // acc_1001 has no usage in November or December: its December invoice would be the October adjustment alone.
        var row = result.OutputLines.Where(l => l.TrimStart().StartsWith("acc_1001 ", StringComparison.Ordinal)).ToList();
        if (billed)
        {
            Assert.That(row, Has.One.Match(@"^\s+acc_1001\s+KES\s+0\s+1\s"), result.ToString());
        }
        else
        {
            Assert.That(row, Is.Empty, result.ToString());
        }
    }
}
