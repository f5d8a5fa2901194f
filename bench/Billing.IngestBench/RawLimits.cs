using System.Diagnostics;
using Billing.Core.Data;
using Billing.Core.Domain;
using Billing.Core.Messaging;
using Billing.EventGenerator;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;

namespace Billing.IngestBench;

/// <summary>A timed run: how many, how long.</summary>
internal readonly record struct Measured(long Count, TimeSpan Elapsed)
{
    public double Rate => Count / Elapsed.TotalSeconds;
}

/// <summary>
/// Raw limit A: the fastest this machine moves the backlog out of JetStream with explicit acks, and nothing else: a
/// loop that fetches a batch (<c>FetchNoWaitAsync</c>, as the worker does) and acks each message with a plain
/// <c>AckAsync</c>, through its own durable consumer on the same stream (configured as the worker's, under another
/// name), so the worker's consumer still has the whole backlog afterwards.
/// </summary>
internal static class RawFetchAck
{
    private static readonly INatsDeserialize<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    public static async Task<Measured> RunAsync(NatsJSContext js, NatsOptions nats, string consumerName, long messages, int batchSize, CancellationToken cancellationToken)
    {
        var options = new NatsOptions { SubjectPrefix = nats.SubjectPrefix, EventsStream = nats.EventsStream, EventsConsumer = consumerName };
        var consumer = await js.CreateOrUpdateConsumerAsync(nats.EventsStream, NatsTopology.EventsConsumer(options), cancellationToken);
        try
        {
            var batch = new List<INatsJSMsg<byte[]>>(batchSize);
            long received = 0;
            var started = Stopwatch.GetTimestamp();
            while (received < messages)
            {
                batch.Clear();
                var max = (int)Math.Min(batchSize, messages - received);
                await foreach (var message in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = max }, Raw, cancellationToken))
                {
                    batch.Add(message);
                }
                if (batch.Count == 0)
                {
                    // Nothing ready at that instant: wait for the next message rather than spin.
                    await foreach (var message in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(5) }, Raw, cancellationToken))
                    {
                        batch.Add(message);
                    }
                    if (batch.Count == 0)
                    {
                        throw new BenchmarkException($"raw fetch+ack: the consumer delivered nothing for 5 s after {received:N0} of {messages:N0} messages");
                    }
                }
                foreach (var message in batch)
                {
                    await message.AckAsync(cancellationToken: cancellationToken);
                }
                received += batch.Count;
            }
            // A plain ack is a fire-and-forget publish: the loop is done when the server has applied every ack.
            await ConsumerWatch.WaitUntilAsync(consumer, info => info.NumAckPending == 0 && info.NumPending == 0,
                TimeSpan.FromMilliseconds(2), TimeSpan.FromSeconds(30), "raw fetch+ack: acks applied", cancellationToken);
            return new Measured(received, Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            await js.DeleteConsumerAsync(nats.EventsStream, consumerName, CancellationToken.None);
        }
    }
}

/// <summary>An event as the worker would store it: decoded from its payload and rated with the catalog.</summary>
internal readonly record struct EventRow(BillingEvent Event, RatingResult Rating, long StreamSequence);

/// <summary>
/// Raw limit B: the fastest this machine writes the backlog's rows into PostgreSQL, durably, and nothing else: binary
/// COPY of exactly the rows the worker stores (same columns and types as <c>billing_events</c>, written as the
/// worker's <c>EventStore</c> writes them) into a plain table without an index, a key or a check, one transaction per
/// batch.
/// </summary>
internal static class RawCopy
{
    public const string Table = "public.ingest_bench_copy";

    /// <summary>
    /// The backlog's rows: each publication's payload decoded with the worker's parser (on the subject the worker sees
    /// it on, without the prefix) and rated with the worker's rater. The stream sequence is the publication's position:
    /// one publisher connection, publishes in order, none dropped (the caller checks the stream holds them all).
    /// </summary>
    public static List<EventRow> Decode(IEnumerable<Publication> publications, RatingCatalog catalog)
    {
        var rows = new List<EventRow>();
        long sequence = 0;
        foreach (var publication in publications)
        {
            sequence++;
            var parsed = BillingEventParser.Parse(publication.Subject, publication.Payload);
            if (parsed.Event is not { } billingEvent)
            {
                throw new BenchmarkException($"the backlog's message {sequence} does not parse: {parsed.Rejection}");
            }
            rows.Add(new EventRow(billingEvent, Rater.Rate(billingEvent, catalog), sequence));
        }
        return rows;
    }

    public static async Task CreateTableAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        // LIKE copies the columns, their types, NOT NULL and defaults; no index, key or check constraint.
        await using var command = dataSource.CreateCommand(
            $"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} (LIKE billing.billing_events INCLUDING DEFAULTS)");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task TruncateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"TRUNCATE {Table}");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task DropTableAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"DROP TABLE IF EXISTS {Table}");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One COPY and one commit per <paramref name="batchSize"/> rows, each on a pooled connection, as the worker writes.</summary>
    public static async Task<Measured> RunAsync(NpgsqlDataSource dataSource, IReadOnlyList<EventRow> rows, int batchSize, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var first = 0; first < rows.Count; first += batchSize)
        {
            var count = Math.Min(batchSize, rows.Count - first);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await CopyAsync(connection, rows, first, count, DateTimeOffset.UtcNow, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        return new Measured(rows.Count, Stopwatch.GetElapsedTime(started));
    }

    public static async Task<long> CountAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {Table}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    // The worker's own encoding (EventStaging, BinaryCopyWriter), so that the raw limit writes exactly what the worker writes.
    private static Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<EventRow> rows, int first, int count, DateTimeOffset now, CancellationToken cancellationToken) =>
        EventStaging.CopyIntoAsync(
            connection, Table, rows.Skip(first).Take(count).Select(r => new RatedEventRow(r.Event, r.Rating, r.StreamSequence)), now, cancellationToken);
}

/// <summary>
/// Polls a consumer's state (<c>$JS.API.CONSUMER.INFO</c>). Not free: on nats-server 2.9, polling every 10 ms while the
/// worker drained cost the server ~57 µs of CPU per event drained (more than the fetch and the ack), so the benchmark
/// polls the consumer only outside the drain's hot part and finds the drain's end in the database instead.
/// </summary>
internal static class ConsumerWatch
{
    /// <summary>Polls until <paramref name="done"/> holds; returns the timestamp (<see cref="Stopwatch"/>) when it was seen.</summary>
    public static async Task<long> WaitUntilAsync(
        INatsJSConsumer consumer, Func<ConsumerInfo, bool> done, TimeSpan interval, TimeSpan timeout, string what, CancellationToken cancellationToken,
        Func<string?>? abort = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var asked = Stopwatch.GetTimestamp();
            await consumer.RefreshAsync(cancellationToken);
            if (done(consumer.Info))
            {
                return asked;
            }
            if (abort?.Invoke() is { } reason)
            {
                throw new BenchmarkException($"{what}: {reason}");
            }
            if (asked > deadline)
            {
                var info = consumer.Info;
                throw new BenchmarkException(
                    $"{what}: not reached within {timeout.TotalSeconds:N0} s (consumer {info.Name}: {info.NumPending:N0} pending, {info.NumAckPending:N0} awaiting ack, delivered up to stream sequence {info.Delivered.StreamSeq:N0})");
            }
            await Task.Delay(interval, cancellationToken);
        }
    }
}

/// <summary>Watches the database for the end of a drain, cheaply enough to poll every 10 ms.</summary>
internal static class StoreWatch
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Polls until <paramref name="lastEventId"/> (the stream's last message) is stored, by a primary-key lookup, then
    /// until <c>billing_event_ids</c> holds <paramref name="expected"/> ids (normally already so: one worker writes its
    /// batches in stream order). Returns the timestamp (<see cref="Stopwatch"/>) at which the query that first saw both
    /// was sent: the commit happened before it, and after the previous query was sent.
    /// </summary>
    public static async Task<long> WaitForStoredAsync(
        NpgsqlDataSource dataSource, Guid lastEventId, long expected, TimeSpan timeout, string what, Func<string?> abort, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var lookup = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM billing.billing_event_ids WHERE event_id = @id)", connection);
        lookup.Parameters.AddWithValue("id", lastEventId);
        await lookup.PrepareAsync(cancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM billing.billing_event_ids", connection);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var lastSeen = false;
        while (true)
        {
            var asked = Stopwatch.GetTimestamp();
            lastSeen = lastSeen || (bool)(await lookup.ExecuteScalarAsync(cancellationToken))!;
            if (lastSeen)
            {
                if ((long)(await count.ExecuteScalarAsync(cancellationToken))! >= expected)
                {
                    return asked;
                }
            }
            if (abort() is { } reason)
            {
                throw new BenchmarkException($"{what}: {reason}");
            }
            if (asked > deadline)
            {
                throw new BenchmarkException($"{what}: not done within {timeout.TotalSeconds:N0} s");
            }
            await Task.Delay(Interval, cancellationToken);
        }
    }
}
