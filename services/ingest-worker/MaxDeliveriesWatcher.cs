using System.Text.Json;
using Billing.Core.Messaging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Billing.IngestWorker;

/// <summary>
/// When JetStream gives up on a message (it reached MaxDeliver, which only transient failures can cause), someone must
/// be told: this listens to the consumer's max-deliveries advisory (one pod of the queue group gets each), counts it in
/// <c>billing_max_deliveries_exceeded_total</c> (alerted on), logs an error, and stores the message as a dead letter
/// with its raw bytes, fetched from the stream by sequence, so it can be replayed.
/// </summary>
public sealed partial class MaxDeliveriesWatcher(
    NatsConnection nats,
    IOptions<NatsOptions> natsOptions,
    IOptions<IngestOptions> options,
    EventStore store,
    IngestMetrics metrics,
    ILogger<MaxDeliveriesWatcher> logger) : BackgroundService
{
    public const string QueueGroup = "billing-ingest-advisories";

    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the server has the subscription (advisories are not stored: earlier ones are missed).</summary>
    public Task Subscribed => _subscribed.Task;

    public static string AdvisorySubject(NatsOptions options) =>
        $"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{options.EventsStream}.{options.EventsConsumer}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ConsumerEnabled)
        {
            return;
        }
        var streamName = natsOptions.Value.EventsStream;
        // NATS unreachable (at start, or the connection lost for good) is not a reason to stop the worker: the ingest
        // loop goes on without it; subscribe again until it works.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WatchAsync(streamName, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down.
            }
            catch (NatsException e)
            {
                LogSubscribeFailed(e, RetryDelay);
                try
                {
                    await Task.Delay(RetryDelay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    // Shutting down.
                }
            }
        }
    }

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private async Task WatchAsync(string streamName, CancellationToken stoppingToken)
    {
        await using var subscription = await nats.SubscribeCoreAsync(AdvisorySubject(natsOptions.Value), QueueGroup,
            NatsRawSerializer<byte[]>.Default, cancellationToken: stoppingToken);
        await nats.PingAsync(stoppingToken);
        _subscribed.TrySetResult();
        await foreach (var advisory in subscription.Msgs.ReadAllAsync(stoppingToken))
        {
            if (advisory.Data is null || !TryRead(advisory.Data, out var sequence, out var deliveries))
            {
                continue;
            }
            metrics.MaxDeliveriesExceeded.Inc();
            LogMaxDeliveries(sequence, deliveries, streamName);
            await DeadLetterAsync(streamName, sequence, deliveries, stoppingToken);
        }
    }

    private async Task DeadLetterAsync(string streamName, long sequence, int deliveries, CancellationToken cancellationToken)
    {
        try
        {
            var stream = (NatsJSStream)await new NatsJSContext(nats).GetStreamAsync(streamName, cancellationToken: cancellationToken);
            var stored = (await stream.GetAsync(new StreamMsgGetRequest { Seq = (ulong)sequence }, cancellationToken)).Message;
            var payload = stored.Data.ToArray();
            await store.WriteDeadLettersAsync(streamName,
            [
                new DeadLetterRow(sequence, stored.Subject, payload, "MaxDeliveriesExceeded",
                    $"JetStream stopped delivering stream sequence {sequence} after {deliveries} deliveries; the event was never stored: replay it once the cause is fixed",
                    deliveries),
            ], cancellationToken);
        }
        catch (Exception e) when (e is NatsException or Npgsql.NpgsqlException or TimeoutException)
        {
            LogDeadLetterFailed(e, sequence, streamName);
        }
    }

    private static bool TryRead(byte[] json, out long sequence, out int deliveries)
    {
        sequence = 0;
        deliveries = 0;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.TryGetProperty("stream_seq", out var seq) && seq.TryGetInt64(out sequence))
            {
                deliveries = root.TryGetProperty("deliveries", out var d) && d.TryGetInt32(out var n) ? n : 0;
                return true;
            }
        }
        catch (JsonException)
        {
            // Not an advisory we understand.
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to the max-deliveries advisory; trying again in {RetryDelay}")]
    private partial void LogSubscribeFailed(Exception exception, TimeSpan retryDelay);

    [LoggerMessage(Level = LogLevel.Error, Message = "JetStream gave up on stream sequence {StreamSequence} of {Stream} after {Deliveries} deliveries: the event is not stored; dead-lettering it")]
    private partial void LogMaxDeliveries(long streamSequence, int deliveries, string stream);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not dead-letter stream sequence {StreamSequence} of {Stream}, which JetStream gave up on: replay it by hand")]
    private partial void LogDeadLetterFailed(Exception exception, long streamSequence, string stream);
}
