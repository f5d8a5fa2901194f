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
    RatingCatalogCache catalog,
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
        // Fetch nothing that cannot be rated yet: messages fetched before the catalog is loaded would only wait, unacked.
        // Ready (to ingest) from here on.
        try
        {
            await catalog.GetAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        state.ReportConsumerReady();
        await store.RecordIngestionStartAsync(stoppingToken);
        LogConsuming(natsOptions.Value.EventsStream, natsOptions.Value.EventsConsumer, settings.BatchSize);

        // The batch in hand may finish after a shutdown request, within the grace period.
        using var grace = new CancellationTokenSource();
        await using var _ = stoppingToken.Register(() => grace.CancelAfter(settings.ShutdownGrace));
        var lastPendingRefresh = 0L;
        Prefetch? next = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                state.Heartbeat();
                List<INatsJSMsg<byte[]>> batch;
                try
                {
                    if (next is null)
                    {
                        batch = [];
                        await FetchAsync(consumer, settings, batch, stoppingToken);
                    }
                    else
                    {
                        batch = await next.TakeAsync();
                        next = null;
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (NatsException e)
                {
                    if (next is not null)
                    {
                        // The fetch ahead failed part-way: hand back what it had.
                        await next.ReleaseAsync();
                        next = null;
                    }
                    LogFetchFailed(e);
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                if (batch.Count > 0)
                {
                    // A full batch means more is waiting (a backlog): fetch the next batch while this one is written, so
                    // that NATS and PostgreSQL work at the same time rather than in turn. A partial batch means the
                    // consumer has caught up: then the next fetch waits until this write is done and takes everything
                    // that arrived meanwhile, which keeps batches as large (and transactions as few) as the traffic allows.
                    if (batch.Count >= settings.BatchSize)
                    {
                        next = Prefetch.Start(consumer, settings, time, stoppingToken);
                    }
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
                        // The database is down: wait before fetching again (the batch comes back after its Nak delay; a
                        // batch fetched ahead is kept, with in-progress acks, and tried after the wait).
                        await Task.Delay(outcome.BackOff, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }
                }

                if (time.GetElapsedTime(lastPendingRefresh) > PendingRefreshInterval)
                {
                    lastPendingRefresh = time.GetTimestamp();
                    await RefreshPendingAsync(consumer, stoppingToken);
                }
            }
        }
        finally
        {
            if (next is not null)
            {
                // Shutting down: hand the batch fetched ahead back at once, for another pod.
                if (await next.ReleaseAsync() is > 0 and var released)
                {
                    LogPrefetchReleased(released);
                }
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
                return await js.GetConsumerAsync(natsOptions.Value.EventsStream, natsOptions.Value.EventsConsumer, stoppingToken);
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

    /// <summary>Fetches into <paramref name="batch"/> what is waiting, up to the batch size; when nothing is, waits for the next message.</summary>
    internal static async Task FetchAsync(INatsJSConsumer consumer, IngestOptions settings, List<INatsJSMsg<byte[]>> batch, CancellationToken cancellationToken)
    {
        await FetchWaitingAsync(consumer, settings.BatchSize, batch, cancellationToken);
        if (batch.Count > 0)
        {
            return;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: released the {Messages} messages fetched ahead (Nak, redelivered at once)")]
    private partial void LogPrefetchReleased(int messages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest loop stopped")]
    private partial void LogStopped();
}

/// <summary>
/// The next batch, fetched while the current one is written. From the moment it arrives until it is taken, in-progress
/// acks keep its messages (a write that retries may take a while), so they are never redelivered while they wait.
/// </summary>
internal sealed class Prefetch
{
    private readonly List<INatsJSMsg<byte[]>> _messages = [];
    private readonly Task _fetch;
    private InProgressAcks? _holding;

    private Prefetch(INatsJSConsumer consumer, IngestOptions settings, TimeProvider time, CancellationToken cancellationToken)
    {
        _fetch = FetchAndHoldAsync(consumer, settings, time, cancellationToken);
    }

    public static Prefetch Start(INatsJSConsumer consumer, IngestOptions settings, TimeProvider time, CancellationToken cancellationToken) =>
        new(consumer, settings, time, cancellationToken);

    /// <summary>The batch (possibly empty); rethrows what the fetch threw.</summary>
    public async Task<List<INatsJSMsg<byte[]>>> TakeAsync()
    {
        try
        {
            await _fetch;
            return _messages;
        }
        finally
        {
            await StopHoldingAsync();
        }
    }

    /// <summary>Naks (without delay) whatever was fetched, however the fetch ended; returns how many messages that was.</summary>
    public async Task<int> ReleaseAsync()
    {
        await _fetch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await StopHoldingAsync();
        await BatchIngester.NakAllAsync(_messages, TimeSpan.Zero);
        return _messages.Count;
    }

    private async Task FetchAndHoldAsync(INatsJSConsumer consumer, IngestOptions settings, TimeProvider time, CancellationToken cancellationToken)
    {
        // Off the caller's path: the caller goes on to write its batch at once.
        await Task.Yield();
        await IngestWorker.FetchAsync(consumer, settings, _messages, cancellationToken);
        if (_messages.Count > 0)
        {
            _holding = InProgressAcks.Start(_messages, settings.InProgressInterval, time);
        }
    }

    private async Task StopHoldingAsync()
    {
        if (_holding is not null)
        {
            await _holding.DisposeAsync();
            _holding = null;
        }
    }
}
