using Billing.Core.Domain;
using Billing.IntegrationTests.Infrastructure;
using Npgsql;

namespace Billing.IntegrationTests.Ingest;

/// <summary>
/// Exactly-once effect on at-least-once delivery: workers killed with SIGKILL mid-run, two workers at once, and a
/// database that goes away and comes back; each time the database ends up holding every published event once and
/// summaries equal to the sums over the events.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class ExactlyOnceTests
{
    /// <summary>Shortened for these tests so that messages a killed worker held come back in seconds, not 30.</summary>
    private static readonly TimeSpan AckWait = TimeSpan.FromSeconds(4);

    /// <summary>Generous: worker processes start and connect slowly on a busy 2-core machine; a pass does not wait for it.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(3);

    private static readonly Dictionary<string, string> FastRedelivery = new()
    {
        ["Ingest__InProgressInterval"] = "00:00:01",
        ["Ingest__BatchSize"] = "300",
    };

    private static async Task PublishAsync(TestNats nats, IReadOnlyList<BillingEvent> events, int perSecond)
    {
        // A steady rate (not synchronisation): the kills must land while events are still arriving.
        var chunk = Math.Max(perSecond / 20, 1);
        for (var i = 0; i < events.Count; i++)
        {
            await nats.PublishAsync(events[i]);
            if (i % 7 == 0)
            {
                // A redelivery the stream cannot drop (another Nats-Msg-Id): must not become a second row.
                await nats.PublishAsync(events[i], messageId: $"{events[i].EventId}-again");
            }
            if (i % chunk == chunk - 1)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task AssertEachEventStoredOnceAsync(NpgsqlDataSource dataSource, IReadOnlyList<BillingEvent> events)
    {
        var expected = events.Select(e => e.EventId).ToHashSet();
        var stored = new List<Guid>();
        await using (var command = dataSource.CreateCommand("SELECT event_id FROM billing.billing_events"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add(reader.GetGuid(0));
            }
        }
        Assert.That(stored, Has.Count.EqualTo(expected.Count), "one row per published event");
        Assert.That(stored.ToHashSet().SetEquals(expected), Is.True, "exactly the published events");

        Assert.That(await Summaries.MismatchesAsync(dataSource), Is.Empty, "summaries equal the sums over their events");
        await using var totals = dataSource.CreateCommand(
            "SELECT (SELECT sum(submitted_count + delivered_count + failed_count + expired_count) FROM billing.usage_summaries)::bigint");
        Assert.That(await totals.ExecuteScalarAsync(), Is.EqualTo((long)expected.Count), "every event counted once in the summaries");
    }

    private static async Task WaitForStoredAsync(TestDatabase database, long atLeast, WorkerProcess worker)
    {
        using var deadline = new CancellationTokenSource(DrainTimeout);
        while (await database.ScalarAsync<long>("SELECT count(*) FROM billing.billing_events") < atLeast)
        {
            Assert.That(deadline.IsCancellationRequested, Is.False, $"fewer than {atLeast} events stored in time; worker output:\n{worker.Tail}");
            Assert.That(worker.HasExited, Is.False, $"the worker exited:\n{worker.Tail}");
            await Task.Delay(20);
        }
    }

    [Test]
    public async Task Worker_killed_with_sigkill_again_and_again_while_events_arrive_stores_each_event_once()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("exactly_once_kill");
        await Ops.ImportSampleAsync(database);
        await using var nats = await TestNats.CreateAsync("exactly_once_kill");
        await nats.CreateEventsStreamAndConsumerAsync(AckWait);
        var events = Traffic.Events(6000, seed: 1);

        var publishing = PublishAsync(nats, events, perSecond: 1500);
        for (var kill = 1; kill <= 4; kill++)
        {
            await using var worker = WorkerProcess.Start(database.ConnectionString, nats, FastRedelivery);
            await WaitForStoredAsync(database, kill * events.Count / 6, worker);
            await worker.KillAsync();
        }
        await publishing;

        await using (var last = WorkerProcess.Start(database.ConnectionString, nats, FastRedelivery))
        {
            await nats.WaitUntilConsumerDrainedAsync(DrainTimeout);
        }
        await AssertEachEventStoredOnceAsync(database.DataSource, events);
    }

    [Test]
    public async Task Two_workers_on_the_same_consumer_store_each_event_once()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("exactly_once_two");
        await Ops.ImportSampleAsync(database);
        await using var nats = await TestNats.CreateAsync("exactly_once_two");
        await nats.CreateEventsStreamAndConsumerAsync(AckWait);
        var events = Traffic.Events(8000, seed: 2);

        await using var first = WorkerProcess.Start(database.ConnectionString, nats, FastRedelivery);
        await using var second = WorkerProcess.Start(database.ConnectionString, nats, FastRedelivery);
        await PublishAsync(nats, events, perSecond: 4000);
        await nats.WaitUntilConsumerDrainedAsync(DrainTimeout, () => $"first worker:\n{first.Tail}\nsecond worker:\n{second.Tail}");

        Assert.That(first.HasExited || second.HasExited, Is.False, $"a worker exited:\n{first.Tail}\n{second.Tail}");
        await AssertEachEventStoredOnceAsync(database.DataSource, events);
    }

    [Test]
    public async Task Database_outage_in_the_middle_of_a_run_loses_nothing_and_duplicates_nothing()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        if (postgres is null)
        {
            Assert.Ignore("needs a PostgreSQL server of its own to stop and start: only with scripts/local-servers.sh");
            return;
        }
        // local-servers.sh creates the database "billing".
        var connectionString = postgres.ConnectionString("billing");
        Assert.That((await Ops.RunAsync(connectionString, "migrate")).ExitCode, Is.Zero);
        foreach (var (kind, file) in new[] { ("tiers", "tiers.csv"), ("operators", "operators.csv"), ("accounts", "accounts.csv"), ("pricing", "pricing.csv"), ("operator-costs", "operator-costs.csv") })
        {
            Assert.That((await Ops.RunAsync(connectionString, "import", kind, Ops.Sample(file))).ExitCode, Is.Zero);
        }
        await using var nats = await TestNats.CreateAsync("outage");
        await nats.CreateEventsStreamAndConsumerAsync(AckWait);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var events = Traffic.Events(3000, seed: 3);

        await using var worker = WorkerProcess.Start(connectionString, nats, FastRedelivery);
        await PublishAsync(nats, events.Take(1000).ToList(), perSecond: 2000);
        await nats.WaitUntilConsumerDrainedAsync(DrainTimeout, () => worker.Tail);

        await postgres.StopAsync();
        var duringOutage = PublishAsync(nats, events.Skip(1000).ToList(), perSecond: 1000);
        // The worker must find the database gone and hand its batch back (Nak) rather than ack it.
        await worker.WaitForOutputAsync("Database unavailable", TimeSpan.FromSeconds(90));
        await duringOutage;
        await postgres.StartAgainAsync();

        await nats.WaitUntilConsumerDrainedAsync(DrainTimeout, () => worker.Tail);
        Assert.That(worker.HasExited, Is.False, worker.Tail);
        await AssertEachEventStoredOnceAsync(dataSource, events);
    }
}
