using Billing.Core.Messaging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// A fixture's own corner of the shared NATS server: its own subject prefix and stream and consumer names, so
/// fixtures never see each other's messages. The streams are deleted at the end.
/// </summary>
public sealed class TestNats : IAsyncDisposable
{
    private TestNats(NatsOptions options, NatsConnection connection)
    {
        Options = options;
        Connection = connection;
        JetStream = new NatsJSContext(connection);
    }

    /// <summary>Options as a worker of this fixture is configured (bind them to <c>Nats:*</c>).</summary>
    public NatsOptions Options { get; }

    public NatsConnection Connection { get; }

    public NatsJSContext JetStream { get; }

    public static async Task<TestNats> CreateAsync(string fixture)
    {
        var server = await TestServers.NatsAsync();
        var id = $"{new string(fixture.Where(char.IsAsciiLetterOrDigit).Take(20).ToArray())}{Guid.NewGuid().ToString("N")[..8]}";
        var options = new NatsOptions
        {
            Url = server.Url,
            SubjectPrefix = $"t{id}.",
            EventsStream = $"T{id}_BILLING_EVENTS",
            EventsConsumer = $"t{id}-billing-consumer",
            InvoicesStream = $"T{id}_BILLING_INVOICES",
        };
        var connection = new NatsConnection(new NatsOpts { Url = server.Url, Name = $"tests-{id}" });
        await connection.ConnectAsync();
        return new TestNats(options, connection);
    }

    /// <summary>
    /// Creates the events stream and its durable consumer as <c>provision nats</c> wants them; a test that kills workers
    /// may shorten the AckWait so that their unacked messages come back sooner.
    /// </summary>
    public async Task CreateEventsStreamAndConsumerAsync(TimeSpan? ackWait = null)
    {
        await JetStream.CreateOrUpdateStreamAsync(NatsTopology.EventsStream(Options));
        var consumer = NatsTopology.EventsConsumer(Options);
        if (ackWait is { } wait)
        {
            consumer.AckWait = wait;
        }
        await JetStream.CreateOrUpdateConsumerAsync(Options.EventsStream, consumer);
    }

    /// <summary>The subject a publisher uses for a contract subject such as <c>billing.events.sms.submitted</c>.</summary>
    public string Subject(string contractSubject) => Options.SubjectPrefix + contractSubject;

    /// <summary>Publishes an event as the contract says: on its subject, with <c>Nats-Msg-Id</c> = event id unless told otherwise.</summary>
    public Task<PubAckResponse> PublishAsync(Billing.Core.Domain.BillingEvent billingEvent, string? messageId = null) =>
        PublishRawAsync(billingEvent.ToSubject(), billingEvent.ToUtf8Json(), messageId ?? billingEvent.EventId.ToString());

    /// <summary>Publishes any bytes on a contract subject (poison messages, too); a deduplicated publish is returned, not thrown.</summary>
    public async Task<PubAckResponse> PublishRawAsync(string contractSubject, byte[] payload, string? messageId = null)
    {
        // A duplicate (same Nats-Msg-Id within the window) is not an error here: the caller may assert on ack.Duplicate.
        var ack = await JetStream.PublishAsync(Subject(contractSubject), payload, opts: new NatsJSPubOpts { MsgId = messageId });
        if (ack.Error is { } error)
        {
            throw new InvalidOperationException($"publish to {Subject(contractSubject)} failed: {error.Code} {error.Description}");
        }
        return ack;
    }

    public async Task<ConsumerInfo> ConsumerInfoAsync() =>
        (await JetStream.GetConsumerAsync(Options.EventsStream, Options.EventsConsumer)).Info;

    /// <summary>
    /// Waits until the consumer has delivered every message of the stream and has none awaiting an ack: everything
    /// published before the call has been answered (acked or terminated) by a worker.
    /// </summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="context">What to add to the failure message (the consuming processes' last lines).</param>
    public async Task WaitUntilConsumerDrainedAsync(TimeSpan timeout, Func<string>? context = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var info = await ConsumerInfoAsync();
            if (info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0)
            {
                return;
            }
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"consumer {Options.EventsConsumer} not drained after {timeout}: pending {info.NumPending}, ack pending {info.NumAckPending}, redelivered {info.NumRedelivered}\n{context?.Invoke()}");
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>The settings a worker or CLI of this fixture needs, as configuration keys.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Configuration() =>
    [
        new("Nats:Url", Options.Url),
        new("Nats:SubjectPrefix", Options.SubjectPrefix),
        new("Nats:EventsStream", Options.EventsStream),
        new("Nats:EventsConsumer", Options.EventsConsumer),
        new("Nats:InvoicesStream", Options.InvoicesStream),
    ];

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in new[] { Options.EventsStream, Options.InvoicesStream })
        {
            try
            {
                await JetStream.DeleteStreamAsync(stream);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                // Never created by this fixture.
            }
        }
        await Connection.DisposeAsync();
    }
}
