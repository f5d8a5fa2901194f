using Billing.Core.Domain;
using Billing.Core.Messaging;
using Billing.IngestWorker;
using Billing.IntegrationTests.Infrastructure;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Billing.IntegrationTests.Ingest;

/// <summary>The worker reads sequence, delivery count and stream timestamp from the ack subject as NATS.Net does.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class DeliveryTests
{
    [Test]
    public async Task Reads_what_NATS_Net_reads_from_real_deliveries_and_redeliveries()
    {
        await using var nats = await TestNats.CreateAsync("delivery");
        await nats.JetStream.CreateOrUpdateStreamAsync(NatsTopology.EventsStream(nats.Options));
        await nats.JetStream.CreateOrUpdateConsumerAsync(nats.Options.EventsStream, NatsTopology.EventsConsumer(nats.Options));
        for (var i = 0; i < 3; i++)
        {
            await nats.PublishAsync(new BillingEvent(Guid.NewGuid(), SmsEventType.Submitted, DateTimeOffset.UtcNow, "acc_1", $"m{i}", "63902", "KE", 1));
        }
        var consumer = await nats.JetStream.GetConsumerAsync(nats.Options.EventsStream, nats.Options.EventsConsumer);

        var seen = new List<(Delivery Ours, NatsJSMsgMetadata Theirs)>();
        for (var round = 0; round < 2; round++)
        {
            await foreach (var message in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 3, Expires = TimeSpan.FromSeconds(5) }, NatsRawSerializer<byte[]>.Default))
            {
                Assert.That(Delivery.TryParse(message.ReplyTo, out var delivery), Is.True, message.ReplyTo);
                seen.Add((delivery, message.Metadata!.Value));
                // The first round is handed back, so the second sees redeliveries.
                await message.NakAsync();
            }
        }

        Assert.That(seen, Has.Count.EqualTo(6));
        Assert.Multiple(() =>
        {
            foreach (var (ours, theirs) in seen)
            {
                Assert.That(ours.StreamSequence, Is.EqualTo((long)theirs.Sequence.Stream));
                Assert.That(ours.Deliveries, Is.EqualTo((int)theirs.NumDelivered));
                // NATS.Net keeps whole milliseconds of the stream's nanosecond timestamp; the worker keeps 100 ns ticks.
                Assert.That(ours.Timestamp - theirs.Timestamp, Is.InRange(TimeSpan.Zero, TimeSpan.FromMilliseconds(1) - TimeSpan.FromTicks(1)));
            }
        });
        Assert.That(seen.Select(s => s.Ours.Deliveries), Is.EqualTo(new[] { 1, 1, 1, 2, 2, 2 }));
        Assert.That(seen.Select(s => s.Ours.StreamSequence).Distinct(), Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [TestCase("$JS.ACK.BILLING_EVENTS.billing-consumer.3.1042.977.1764000000123456789.12", 1042, 3, 1764000000123456789)]
    [TestCase("$JS.ACK.hub.ACCHASH.BILLING_EVENTS.billing-consumer.2.7.7.1764000000000000100.0.tok", 7, 2, 1764000000000000100)]
    [TestCase("$JS.ACK._.ACCHASH.BILLING_EVENTS.billing-consumer.1.9.9.1764000000000000000.5", 9, 1, 1764000000000000000)]
    public void Reads_both_ack_subject_forms(string replyTo, long sequence, int deliveries, long nanoseconds)
    {
        Assert.That(Delivery.TryParse(replyTo, out var delivery), Is.True);
        Assert.That(delivery, Is.EqualTo(new Delivery(sequence, deliveries, DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100))));
    }

    [TestCase(null)]
    [TestCase("_INBOX.abc")]
    [TestCase("$JS.ACK.S.C.x.1.1.1.0")]
    [TestCase("$JS.ACK.S.C.1.1.1.1")]
    [TestCase("$JS.ACK.S.C.1.-1.1.1.0")]
    public void Refuses_what_is_not_an_ack_subject(string? replyTo)
    {
        Assert.That(Delivery.TryParse(replyTo, out var delivery), Is.False);
        Assert.That(delivery, Is.EqualTo(default(Delivery)));
    }
}
