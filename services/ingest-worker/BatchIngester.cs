using System.Diagnostics;
using Billing.Core.Domain;
using Billing.Core.Hosting;
using Billing.Core.Messaging;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Billing.IngestWorker;

/// <summary>How a batch ended, for the loop: go on, or back off because the database is unavailable.</summary>
public readonly record struct BatchOutcome(bool Written, TimeSpan BackOff);

/// <summary>
/// One batch: parse and validate every message, rate the events with the cached catalog, write everything in one
/// transaction (retrying transient failures while in-progress acks keep the messages), and only then answer every
/// message with exactly one of Ack, AckTerminate (poison, stored as a dead letter first) or Nak with a delay
/// (the write failed and nothing was stored).
/// </summary>
public sealed partial class BatchIngester
{
    private readonly EventStore _store;
    private readonly RatingCatalogCache _catalog;
    private readonly NatsOptions _nats;
    private readonly IngestOptions _options;
    private readonly IngestMetrics _metrics;
    private readonly IngestState _state;
    private readonly TimeProvider _time;
    private readonly ILogger<BatchIngester> _logger;
    private readonly ResiliencePipeline _retry;

    public BatchIngester(
        EventStore store, RatingCatalogCache catalog, IOptions<NatsOptions> nats, IOptions<IngestOptions> options,
        IngestMetrics metrics, IngestState state, TimeProvider time, ILogger<BatchIngester> logger)
    {
        _store = store;
        _catalog = catalog;
        _nats = nats.Value;
        _options = options.Value;
        _metrics = metrics;
        _state = state;
        _time = time;
        _logger = logger;
        // About 15 s of retries in all (0.5 + 1 + 2 + 4 + 8 s, with jitter): well inside AckWait with in-progress acks.
        _retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient).Handle<TimeoutException>(),
                MaxRetryAttempts = 5,
                Delay = TimeSpan.FromMilliseconds(500),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    LogWriteRetry(args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>The longest Nak delay: with <see cref="NatsTopology.MaxDeliver"/> deliveries, an outage of hours is ridden out.</summary>
    public static readonly TimeSpan MaxNakDelay = TimeSpan.FromMinutes(2);

    public async Task<BatchOutcome> ProcessAsync(IReadOnlyList<INatsJSMsg<byte[]>> messages, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        // One span per batch (a batch is the unit of work: one transaction, then the acks); its trace id is on every log
        // event written while it runs.
        using var activity = BillingTelemetry.Source.StartActivity("ingest batch", ActivityKind.Consumer);
        activity?.SetTag("messaging.system", "nats");
        activity?.SetTag("messaging.destination.name", _nats.EventsStream);
        activity?.SetTag("messaging.consumer.group.name", _nats.EventsConsumer);
        activity?.SetTag("messaging.batch.message_count", messages.Count);
        var catalog = await _catalog.GetAsync(cancellationToken);
        var batch = Classify(messages, catalog);

        WriteResult result;
        try
        {
            await using var inProgress = InProgressAcks.Start(messages, _options.InProgressInterval, _time);
            result = await _retry.ExecuteAsync(
                async token => await _store.WriteAsync(_nats.EventsStream, batch.Rows, batch.DeadLetters, token), cancellationToken);
        }
        catch (NpgsqlException e) when (e.IsTransient || e is not PostgresException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "database unavailable; batch handed back");
            return await ReleaseAsync(messages, batch, e);
        }
        catch (TimeoutException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "database timed out; batch handed back");
            return await ReleaseAsync(messages, batch, e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down with the batch unwritten: hand it back at once for another pod.
            await NakAllAsync(messages, TimeSpan.Zero);
            throw;
        }
        catch (PostgresException e)
        {
            // Not transient: the database refuses something in the batch. Find it, one message at a time.
            _metrics.WriteFailures.WithLabels("rejected").Inc();
            LogBatchRejected(e, messages.Count);
            result = await IsolateAsync(batch, cancellationToken);
        }

        _state.ReportWriteSucceeded();
        var committed = _time.GetUtcNow();
        foreach (var delivery in batch.Deliveries)
        {
            if (delivery is { } known)
            {
                _metrics.PublishToCommit.Observe(Math.Max((committed - known.Timestamp).TotalSeconds, 0));
            }
        }
        Record(batch, result);
        _metrics.BatchDuration.Observe(_time.GetElapsedTime(started).TotalSeconds);
        _metrics.BatchSize.Observe(messages.Count);

        var ackStarted = _time.GetTimestamp();
        for (var i = 0; i < messages.Count; i++)
        {
            // Committed work is acked even during shutdown: an ack lost now only means a harmless redelivery.
            if (batch.Terminate[i])
            {
                await messages[i].AckTerminateAsync(cancellationToken: CancellationToken.None);
            }
            else
            {
                await messages[i].AckAsync(cancellationToken: CancellationToken.None);
            }
        }
        _metrics.AckDuration.Observe(_time.GetElapsedTime(ackStarted).TotalSeconds);
        activity?.SetTag("billing.events.inserted", result.InsertedCount);
        activity?.SetTag("billing.dead_letters", batch.DeadLetters.Count + result.ConflictingDuplicates.Count);
        LogBatchWritten(messages.Count, result.InsertedCount, batch.DeadLetters.Count + result.ConflictingDuplicates.Count);
        return new BatchOutcome(true, TimeSpan.Zero);
    }

    private ClassifiedBatch Classify(IReadOnlyList<INatsJSMsg<byte[]>> messages, RatingCatalog catalog)
    {
        var rows = new List<IngestRow>(messages.Count);
        var deadLetters = new List<DeadLetterRow>();
        var terminate = new bool[messages.Count];
        var deliveryOf = new Delivery?[messages.Count];
        var byId = new Dictionary<Guid, BillingEvent>(messages.Count);
        var redeliveredInBatch = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            deliveryOf[i] = Delivery.TryParse(message.ReplyTo, out var delivery) ? delivery : null;
            var (sequence, deliveries) = deliveryOf[i] is { } known ? (known.StreamSequence, known.Deliveries) : (0L, 1);
            var payload = message.Data ?? [];
            var parsed = BillingEventParser.Parse(_nats.ContractSubject(message.Subject), payload);
            if (!parsed.IsAccepted)
            {
                deadLetters.Add(new DeadLetterRow(sequence, message.Subject, payload, parsed.Rejection.Reason.ToString(), parsed.Rejection.Message, deliveries));
                terminate[i] = true;
                LogPoison(sequence, message.Subject, parsed.Rejection.Reason, parsed.Rejection.Message);
                continue;
            }
            var billingEvent = parsed.Event;
            if (byId.TryGetValue(billingEvent.EventId, out var first))
            {
                if (first.OccurredAt != billingEvent.OccurredAt)
                {
                    deadLetters.Add(new DeadLetterRow(sequence, message.Subject, payload, "ConflictingDuplicate",
                        $"event id {billingEvent.EventId} came twice in one batch with occurredAt {first.OccurredAt:O} and {billingEvent.OccurredAt:O} (a publisher reused an event id); the first copy is stored",
                        deliveries));
                }
                else
                {
                    redeliveredInBatch++;
                }
                continue;
            }
            byId.Add(billingEvent.EventId, billingEvent);
            rows.Add(new IngestRow(billingEvent, Rater.Rate(billingEvent, catalog), sequence, message.Subject, payload, deliveries));
        }
        return new ClassifiedBatch(rows, deadLetters, terminate, deliveryOf, redeliveredInBatch);
    }

    /// <summary>
    /// Writes a refused batch message by message: what the database accepts is stored, and a message it refuses alone
    /// becomes a dead letter naming the database's reason, so one bad message never blocks the stream.
    /// </summary>
    private async Task<WriteResult> IsolateAsync(ClassifiedBatch batch, CancellationToken cancellationToken)
    {
        var inserted = new List<InsertedGroup>();
        var conflicts = new List<DeadLetterRow>();
        var reasons = new List<string>(await _store.WriteDeadLettersAsync(_nats.EventsStream, batch.DeadLetters, cancellationToken));
        foreach (var row in batch.Rows)
        {
            try
            {
                var single = await _retry.ExecuteAsync(
                    async token => await _store.WriteAsync(_nats.EventsStream, [row], [], token), cancellationToken);
                inserted.AddRange(single.Inserted);
                conflicts.AddRange(single.ConflictingDuplicates);
                reasons.AddRange(single.DeadLetterReasonsStored);
            }
            catch (PostgresException e) when (!e.IsTransient)
            {
                LogEventRejected(e, row.Event.EventId, row.StreamSequence);
                reasons.AddRange(await _store.WriteDeadLettersAsync(_nats.EventsStream,
                [
                    new DeadLetterRow(row.StreamSequence, row.Subject, row.Payload, "RejectedByDatabase",
                        $"the database refused event {row.Event.EventId}: {e.SqlState} {e.MessageText}", row.Deliveries),
                ], cancellationToken));
            }
        }
        return new WriteResult(inserted, conflicts, reasons);
    }

    private async Task<BatchOutcome> ReleaseAsync(IReadOnlyList<INatsJSMsg<byte[]>> messages, ClassifiedBatch batch, Exception e)
    {
        _metrics.WriteFailures.WithLabels("transient").Inc();
        _state.ReportWriteFailed();
        var deliveries = batch.Deliveries.Max(d => d?.Deliveries ?? 1);
        var delay = NakDelay(deliveries);
        LogBatchReleased(e, messages.Count, delay);
        await NakAllAsync(messages, delay);
        return new BatchOutcome(false, delay);
    }

    /// <summary>1 s after the first failed delivery, doubling per delivery, at most <see cref="MaxNakDelay"/>.</summary>
    public static TimeSpan NakDelay(int deliveries) =>
        TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Clamp(deliveries - 1, 0, 16)), MaxNakDelay.TotalSeconds));

    internal static async Task NakAllAsync(IReadOnlyList<INatsJSMsg<byte[]>> messages, TimeSpan delay)
    {
        var opts = delay > TimeSpan.Zero ? new AckOpts { NakDelay = delay } : (AckOpts?)null;
        foreach (var message in messages)
        {
            try
            {
                await message.NakAsync(opts, CancellationToken.None);
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or ObjectDisposedException)
            {
                // The connection is gone: the message comes back after AckWait anyway.
                break;
            }
        }
    }

    private void Record(ClassifiedBatch batch, WriteResult result)
    {
        foreach (var group in result.Inserted)
        {
            _metrics.Ingested.WithLabels(group.Type, group.Status).Inc(group.Count);
            switch (group.UnratedReason)
            {
                case "pricing_not_found":
                    _metrics.PricingNotFound.WithLabels(group.Tier ?? "", group.Operator).Inc(group.Count);
                    break;
                case "account_not_found":
                    _metrics.AccountNotFound.Inc(group.Count);
                    break;
            }
            if (group.CostMissing)
            {
                _metrics.OperatorCostMissing.WithLabels(group.Operator).Inc(group.Count);
            }
        }
        var conflicting = result.ConflictingDuplicates.Count + batch.DeadLetters.Count(d => d.ReasonCode == "ConflictingDuplicate");
        var redelivered = batch.Rows.Count - result.InsertedCount - result.ConflictingDuplicates.Count + batch.RedeliveredInBatch;
        _metrics.Duplicates.WithLabels("redelivered").Inc(Math.Max(redelivered, 0));
        _metrics.Duplicates.WithLabels("conflicting").Inc(conflicting);
        foreach (var reason in result.DeadLetterReasonsStored)
        {
            _metrics.DeadLettered.WithLabels(reason).Inc();
        }
    }

    /// <param name="Deliveries">Per message (as <c>Terminate</c>), what its ack subject says; null when it says nothing.</param>
    private sealed record ClassifiedBatch(
        IReadOnlyList<IngestRow> Rows, IReadOnlyList<DeadLetterRow> DeadLetters, bool[] Terminate, Delivery?[] Deliveries,
        int RedeliveredInBatch);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch of {Messages} written: {Inserted} new events, {DeadLetters} dead letters")]
    private partial void LogBatchWritten(int messages, int inserted, int deadLetters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poison message at stream sequence {StreamSequence} on {Subject}: {Reason}: {Detail}; dead-lettered and terminated")]
    private partial void LogPoison(long streamSequence, string subject, EventRejectionReason reason, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database write failed (attempt {Attempt}); retrying in {Delay}")]
    private partial void LogWriteRetry(Exception? exception, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Database unavailable: batch of {Messages} messages released (Nak, redelivered in {Delay}); nothing was acked")]
    private partial void LogBatchReleased(Exception exception, int messages, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database refused a batch of {Messages} messages; writing them one by one to isolate the cause")]
    private partial void LogBatchRejected(Exception exception, int messages);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database refused event {EventId} (stream sequence {StreamSequence}); dead-lettered")]
    private partial void LogEventRejected(Exception exception, Guid eventId, long streamSequence);
}
