using Billing.Core.Messaging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Billing.IngestWorker;

/// <summary>
/// The JetStream loop: bind to the durable consumer, fetch a batch (whatever is waiting, up to the batch size; when
/// nothing is, wait for the next message), hand it to <see cref="BatchIngester"/>, and go round. On shutdown the batch
/// in hand is finished (or, past the grace period, rolled back and released) before the loop ends.
/// </summary>
public sealed partial class IngestWorker(
    NatsConnection nats,
    IOptions<NatsOptions> natsOptions,
    IOptions<IngestOptions> options,
    BatchIngester ingester,
    EventStore store,
    IngestMetrics metrics,
    IngestState state,
    TimeProvider time,
    ILogger<IngestWorker> logger) : BackgroundService
{
    private static readonly INatsDeserialize<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private static readonly TimeSpan PendingRefreshInterval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.ConsumerEnabled)
        {
            LogDisabled();
            return;
        }

        var consumer = await BindAsync(stoppingToken);
        if (consumer is null)
        {
            return;
        }
        await store.RecordIngestionStartAsync(stoppingToken);
        LogConsuming(natsOptions.Value.EventsStream, natsOptions.Value.EventsConsumer, settings.BatchSize);

        // The batch in hand may finish after a shutdown request, within the grace period.
        using var grace = new CancellationTokenSource();
        await using var _ = stoppingToken.Register(() => grace.CancelAfter(settings.ShutdownGrace));
        var lastPendingRefresh = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            state.Heartbeat();
            List<INatsJSMsg<byte[]>> batch;
            try
            {
                batch = await FetchAsync(consumer, settings, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (NatsException e)
            {
                LogFetchFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            if (batch.Count > 0)
            {
                BatchOutcome outcome;
                try
                {
                    outcome = await ingester.ProcessAsync(batch, grace.Token);
                }
                catch (OperationCanceledException) when (grace.IsCancellationRequested)
                {
                    LogBatchAbandonedOnShutdown(batch.Count);
                    break;
                }
                if (!outcome.Written)
                {
                    // The database is down: wait before fetching again (the batch comes back after its Nak delay).
                    await Task.Delay(outcome.BackOff, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }

            if (time.GetElapsedTime(lastPendingRefresh) > PendingRefreshInterval)
            {
                lastPendingRefresh = time.GetTimestamp();
                await RefreshPendingAsync(consumer, stoppingToken);
            }
        }
        LogStopped();
    }

    private async Task<INatsJSConsumer?> BindAsync(CancellationToken stoppingToken)
    {
        var js = new NatsJSContext(nats);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var consumer = await js.GetConsumerAsync(natsOptions.Value.EventsStream, natsOptions.Value.EventsConsumer, stoppingToken);
                state.ReportConsumerReady();
                return consumer;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }
            catch (NatsException e)
            {
                // Not provisioned yet, or NATS unreachable: not ready, keep trying (billing-ops provision nats creates it).
                LogConsumerUnavailable(e, natsOptions.Value.EventsStream, natsOptions.Value.EventsConsumer);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        return null;
    }

    private static async Task<List<INatsJSMsg<byte[]>>> FetchAsync(INatsJSConsumer consumer, IngestOptions settings, CancellationToken cancellationToken)
    {
        var batch = new List<INatsJSMsg<byte[]>>(Math.Min(settings.BatchSize, 1024));
        await FetchWaitingAsync(consumer, settings.BatchSize, batch, cancellationToken);
        if (batch.Count > 0)
        {
            return batch;
        }
        // Idle: wait for the next message, then take whatever else has arrived with it.
        await foreach (var message in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1, Expires = settings.IdleFetchWait }, Raw, cancellationToken))
        {
            batch.Add(message);
        }
        if (batch.Count > 0)
        {
            await FetchWaitingAsync(consumer, settings.BatchSize - batch.Count, batch, cancellationToken);
        }
        return batch;
    }

    private static async Task FetchWaitingAsync(INatsJSConsumer consumer, int max, List<INatsJSMsg<byte[]>> batch, CancellationToken cancellationToken)
    {
        if (max <= 0)
        {
            return;
        }
        await foreach (var message in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = max }, Raw, cancellationToken))
        {
            batch.Add(message);
        }
    }

    private async Task RefreshPendingAsync(INatsJSConsumer consumer, CancellationToken cancellationToken)
    {
        try
        {
            await consumer.RefreshAsync(cancellationToken);
            metrics.ConsumerPending.Set(consumer.Info.NumPending);
        }
        catch (NatsException e)
        {
            LogFetchFailed(e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "BILLING_CONSUMER_ENABLED is false: the worker is up and healthy and consumes nothing (phase 0)")]
    private partial void LogDisabled();

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Stream} through durable consumer {Consumer} in batches of up to {BatchSize}")]
    private partial void LogConsuming(string stream, string consumer, int batchSize);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} on stream {Stream} is not available; retrying in 5 s")]
    private partial void LogConsumerUnavailable(Exception exception, string stream, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching from JetStream failed; retrying")]
    private partial void LogFetchFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown grace period over: the batch of {Messages} messages in hand was rolled back and released")]
    private partial void LogBatchAbandonedOnShutdown(int messages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest loop stopped")]
    private partial void LogStopped();
}
