using Billing.Core.Domain;
using Billing.Core.Messaging;
using Billing.IntegrationTests.Infrastructure;
using NATS.Client.Core;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.JetStream;

namespace Billing.IntegrationTests.Ingest;

/// <summary>A message JetStream gives up on is never dropped silently: it is counted and dead-lettered with its bytes.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class MaxDeliveriesTests
{
    [Test]
    public async Task Message_that_reaches_max_deliver_is_counted_and_dead_lettered_with_its_bytes()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("max_deliveries");
        await using var nats = await TestNats.CreateAsync("max_deliveries");
        await nats.JetStream.CreateOrUpdateStreamAsync(NatsTopology.EventsStream(nats.Options));
        var consumerConfig = NatsTopology.EventsConsumer(nats.Options);
        consumerConfig.MaxDeliver = 1;
        consumerConfig.AckWait = TimeSpan.FromSeconds(5);
        await nats.JetStream.CreateOrUpdateConsumerAsync(nats.Options.EventsStream, consumerConfig);
        var lost = new BillingEvent(Guid.NewGuid(), SmsEventType.Submitted, DateTimeOffset.UtcNow, "acc_1", "m1", "63902", "KE", 1);
        var publish = await nats.PublishAsync(lost);

        // Its one delivery goes to a consumer that never answers, as a worker that crashed mid-batch would.
        var consumer = await nats.JetStream.GetConsumerAsync(nats.Options.EventsStream, nats.Options.EventsConsumer);
        var held = 0;
        await foreach (var _ in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(2) }, NatsRawSerializer<byte[]>.Default))
        {
            held++;
        }
        Assert.That(held, Is.EqualTo(1));
        var heldAt = TimeProvider.System.GetTimestamp();
        await using var worker = new IngestWorkerHost(database, nats).Start();
        var watcher = worker.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Billing.IngestWorker.MaxDeliveriesWatcher>().Single();
        await watcher.Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
        Assume.That(TimeProvider.System.GetElapsedTime(heldAt), Is.LessThan(consumerConfig.AckWait),
            "the watcher must be listening before the AckWait of the held delivery runs out");

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (worker.Metrics.MaxDeliveriesExceeded.Value < 1)
        {
            Assert.That(deadline.IsCancellationRequested, Is.False, "no max-deliveries advisory was counted");
            await Task.Delay(50);
        }
        while (await database.ScalarAsync<long>("SELECT count(*) FROM billing.dead_letters") == 0)
        {
            Assert.That(deadline.IsCancellationRequested, Is.False, "the message was not dead-lettered");
            await Task.Delay(50);
        }
        await using var command = database.DataSource.CreateCommand("SELECT reason_code, stream_sequence, payload FROM billing.dead_letters");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True);
        Assert.That(reader.GetString(0), Is.EqualTo("MaxDeliveriesExceeded"));
        Assert.That(reader.GetInt64(1), Is.EqualTo((long)publish.Seq));
        Assert.That(reader.GetFieldValue<byte[]>(2), Is.EqualTo(lost.ToUtf8Json()));
        Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.billing_events"), Is.Zero);
    }
}
