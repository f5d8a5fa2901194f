using Billing.Core.Domain;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Ingest;

/// <summary>Phase 0: <c>BILLING_CONSUMER_ENABLED=false</c> starts the worker healthy and consumes nothing.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class IngestDisabledTests
{
    [Test]
    public async Task With_the_flag_off_published_events_stay_pending_and_nothing_is_written()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("ingest_disabled");
        await using var nats = await TestNats.CreateAsync("ingest_disabled");
        await nats.CreateEventsStreamAndConsumerAsync();
        await using var worker = new IngestWorkerHost(database, nats, consumerEnabled: false).Start();

        for (var i = 0; i < 5; i++)
        {
            await nats.PublishAsync(new BillingEvent(Guid.NewGuid(), SmsEventType.Submitted, DateTimeOffset.UtcNow, "acc_1001", $"m{i}", "63902", "KE", 1));
        }
        using var client = worker.CreateClient();
        using var live = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        // The consumer loop has ended without binding: nothing can be consumed from here on.
        await worker.Worker.ExecuteTask!;

        var info = await nats.ConsumerInfoAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(live.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
            Assert.That(ready.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
            Assert.That(info.NumPending, Is.EqualTo(5));
            Assert.That(info.Delivered.ConsumerSeq, Is.Zero);
            Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.billing_events"), Is.Zero);
            Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.ingestion_start"), Is.Zero);
        });
    }
}
