using Billing.Core.Messaging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Billing.IngestWorker;

/// <summary>
/// The JetStream loop: bind to the durable consumer, fetch a batch (whatever is waiting, up to the batch size; when
/// nothing is, wait for the next message), hand it to <see cref="BatchIngester"/>, and go round; under a backlog up to
/// <see cref="IngestOptions.ConcurrentBatches"/> batches are in hand at once. On shutdown the batches in hand are
/// finished (or, past the grace period, rolled back and released) before the loop ends.
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

        // The batches in hand may finish after a shutdown request, within the grace period.
        using var grace = new CancellationTokenSource();
        await using var _ = stoppingToken.Register(() => grace.CancelAfter(settings.ShutdownGrace));
        var lastPendingRefresh = 0L;
        var writing = new List<Task<BatchOutcome>>(settings.ConcurrentBatches);
        var lastBatchFull = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                state.Heartbeat();
                // A full batch means more is waiting (a backlog): fetch the next batch while up to ConcurrentBatches - 1
                // are written, so that NATS, the worker and PostgreSQL work at the same time rather than in turn (each
                // batch is parsed and rated while another one's transaction runs). A partial batch means the consumer has
                // caught up: then the next fetch waits until every write is done and takes everything that arrived
                // meanwhile, which keeps batches as large (and transactions as few) as the traffic allows. Either way a
                // fetched batch is handed to the ingester at once, so no message waits unwritten without in-progress acks.
                var stillWriting = lastBatchFull ? settings.ConcurrentBatches - 1 : 0;
                while (writing.Count > stillWriting)
                {
                    var outcome = await CompleteOneAsync(writing, grace);
                    if (outcome is { Written: false } failed)
                    {
                        // The database is down: wait before fetching again (the batch comes back after its Nak delay).
                        await Task.Delay(failed.BackOff, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }
                }
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                var batch = new List<INatsJSMsg<byte[]>>(settings.BatchSize);
                try
                {
                    await FetchAsync(consumer, settings, batch, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // Whatever the interrupted fetch had received is handed back at once.
                    await BatchIngester.NakAllAsync(batch, TimeSpan.Zero);
                    break;
                }
                catch (NatsException e)
                {
                    // A fetch that failed part-way: hand back what it had.
                    await BatchIngester.NakAllAsync(batch, TimeSpan.Zero);
                    LogFetchFailed(e);
                    lastBatchFull = false;
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                lastBatchFull = batch.Count >= settings.BatchSize;
                if (batch.Count > 0)
                {
                    // Off the loop's thread: parsing and rating run while the loop fetches the next batch.
                    writing.Add(Task.Run(() => ingester.ProcessAsync(batch, grace.Token), CancellationToken.None));
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
            // Shutting down (or failing): the batches in hand finish, or are rolled back and released once the grace
            // period is over.
            while (writing.Count > 0)
            {
                await CompleteOneAsync(writing, grace);
            }
        }
        LogStopped();
    }

    /// <summary>
    /// Waits for the first of the batches being written to finish and removes it from <paramref name="writing"/>; null
    /// when it was abandoned at the end of the shutdown grace period (rolled back and released by the ingester).
    /// </summary>
    private async Task<BatchOutcome?> CompleteOneAsync(List<Task<BatchOutcome>> writing, CancellationTokenSource grace)
    {
        var done = await Task.WhenAny(writing);
        writing.Remove(done);
        try
        {
            return await done;
        }
        catch (OperationCanceledException) when (grace.IsCancellationRequested)
        {
            LogBatchAbandonedOnShutdown();
            return null;
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown grace period over: a batch in hand was rolled back and released")]
    private partial void LogBatchAbandonedOnShutdown();

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest loop stopped")]
    private partial void LogStopped();
}
