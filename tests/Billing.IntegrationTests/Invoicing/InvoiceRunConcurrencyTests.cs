using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Invoicing;

/// <summary>Two invoice runs of the same period at once (a manual run during the CronJob's): the second waits, then finds the work done.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class InvoiceRunConcurrencyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private InvoicingEnvironment _environment = null!;

    [OneTimeSetUp]
    public async Task IngestNovember()
    {
        _environment = await InvoicingEnvironment.CreateAsync(nameof(InvoiceRunConcurrencyTests));
        await _environment.IngestAsync(Traffic.Events(1000, seed: 31));
    }

    [OneTimeTearDown]
    public async Task CleanUp() => await _environment.DisposeAsync();

    [Test]
    public async Task A_second_run_waits_for_the_first_then_issues_nothing_and_both_succeed()
    {
        var database = _environment.Database;
        var expected = await database.ScalarAsync<long>("""
            SELECT count(DISTINCT (account_id, currency)) FROM billing.billing_events
            WHERE status = 'rated' AND billable AND occurred_at >= '2026-11-01Z' AND occurred_at < '2026-12-01Z'
            """);
        var first = await database.ScalarAsync<string>("""
            SELECT account_id || ',' || currency FROM billing.billing_events
            WHERE status = 'rated' AND billable AND occurred_at >= '2026-11-01Z' AND occurred_at < '2026-12-01Z'
            ORDER BY account_id COLLATE "C", currency COLLATE "C" LIMIT 1
            """);
        var (account, currency) = (first!.Split(',')[0], first.Split(',')[1]);

        OpsResult resultA, resultB;
        // Run A takes the run lock, then waits on the test's uncommitted invoice for its first account. Run B starts
        // while A holds the lock, and must wait for it.
        await using (var runB = await StartSecondWhileFirstHoldsTheLockAsync(account, currency))
        {
            resultB = await runB.Second.WaitForExitAsync(Timeout);
            resultA = await runB.First.WaitForExitAsync(Timeout);
        }

        Assert.That(resultA.ExitCode, Is.Zero, resultA.ToString());
        Assert.That(resultB.ExitCode, Is.Zero, resultB.ToString());
        Assert.That(resultA.Output, Does.Contain($"{expected} planned, {expected} issued"));
        Assert.That(resultB.Output, Does.Contain($"0 planned, 0 issued, {expected} already issued"));
        Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.invoices WHERE status = 'stored'"), Is.EqualTo(expected));
        Assert.That(await database.ScalarAsync<int>("SELECT max(last_number) FROM billing.invoice_number_counters"), Is.EqualTo(expected));
        Assert.That(await _environment.AnnouncementsAsync(), Has.Count.EqualTo(expected));
        Assert.That(await _environment.S3.KeysAsync("invoices/"), Has.Count.EqualTo(expected));
    }

    private sealed class TwoRuns(WorkerProcess first, WorkerProcess second) : IAsyncDisposable
    {
        public WorkerProcess First => first;

        public WorkerProcess Second => second;

        public async ValueTask DisposeAsync()
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    private async Task<TwoRuns> StartSecondWhileFirstHoldsTheLockAsync(string account, string currency)
    {
        var database = _environment.Database;
        await using var blocker = await Blocker.HoldNovemberInvoiceAsync(database, account, currency);
        var first = _environment.StartInvoiceWorker(["--period", "2026-11"]);
        await blocker.WaitUntilBlockingAsync(first, Timeout);
        var second = _environment.StartInvoiceWorker(["--period", "2026-11"]);
        await Blocker.WaitUntilAsync(database, """
            SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, second, Timeout, "wait for the invoice-run lock");
        Assert.That(first.HasExited, Is.False, "the first run still holds the lock");
        return new TwoRuns(first, second);
        // Leaving this scope rolls the blocker back: the first run goes on, finishes, and releases the lock.
    }
}
