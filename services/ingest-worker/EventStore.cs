using Billing.Core.Data;
using Billing.Core.Domain;
using Npgsql;

namespace Billing.IngestWorker;

/// <summary>An accepted event as rated, with where it came from.</summary>
public readonly record struct IngestRow(BillingEvent Event, RatingResult Rating, long StreamSequence, string Subject, byte[] Payload, int Deliveries);

/// <summary>A message that will not be stored as an event: kept with its raw bytes so nothing is silently dropped.</summary>
public readonly record struct DeadLetterRow(long StreamSequence, string Subject, byte[] Payload, string ReasonCode, string Reason, int Deliveries);

/// <summary>What one transaction stored.</summary>
public sealed record WriteResult(
    IReadOnlyList<InsertedGroup> Inserted,
    IReadOnlyList<DeadLetterRow> ConflictingDuplicates,
    IReadOnlyList<string> DeadLetterReasonsStored)
{
    public int InsertedCount => Inserted.Sum(g => g.Count);
}

/// <summary>Newly stored events of one kind (for the metrics): only events inserted now, never a redelivery.</summary>
public sealed record InsertedGroup(string Type, string Status, string? UnratedReason, string? Tier, string Operator, bool CostMissing, int Count);

/// <summary>
/// Writes a batch in one transaction: binary COPY into a session staging table, then one statement that claims the
/// event ids (insert-if-absent, in event-id order), inserts only the newly claimed events and adds exactly those to
/// the usage summaries (in summary-key order, so parallel pods cannot deadlock); then the dead letters; then commit.
/// The caller acks only after this returns.
/// </summary>
public sealed class EventStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    // The staging table lives as long as the physical connection (the data source keeps session state on return to the
    // pool), and is emptied at every commit.
    private const string Staging = "ingest_staging";

    private const string EventColumns = EventStaging.Columns;

    private static readonly string StoreStatement = $"""
        WITH claimed AS (
            INSERT INTO billing.billing_event_ids (event_id, occurred_at, stream_sequence)
            SELECT event_id, occurred_at, stream_sequence FROM pg_temp.ingest_staging ORDER BY event_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id),
        inserted AS (
            INSERT INTO billing.billing_events ({EventColumns})
            SELECT {EventColumns} FROM pg_temp.ingest_staging s WHERE s.event_id IN (SELECT event_id FROM claimed)
            RETURNING account_id, occurred_at, operator, currency, type, segments, status, billable, amount, cost,
                      unrated_reason, tier, 1 AS sign),
        summary AS (
            {UsageSummarySql.Upsert("inserted", "@now")}
            RETURNING 1)
        SELECT 'inserted', type, status, unrated_reason, tier, operator,
               (type = 'sms.submitted' AND cost IS NULL), count(*)::int, NULL::uuid, NULL::timestamptz
        FROM inserted
        GROUP BY type, status, unrated_reason, tier, operator, (type = 'sms.submitted' AND cost IS NULL)
        UNION ALL
        SELECT 'conflict', NULL, NULL, NULL, NULL, NULL, NULL, 1, s.event_id, i.occurred_at
        FROM pg_temp.ingest_staging s
        JOIN billing.billing_event_ids i USING (event_id)
        WHERE s.event_id NOT IN (SELECT event_id FROM claimed) AND i.occurred_at <> s.occurred_at
        """;

    private const string InsertDeadLetters = """
        INSERT INTO billing.dead_letters (stream, stream_sequence, subject, payload, reason_code, reason, delivery_count, received_at)
        SELECT @stream, d.sequence, d.subject, d.payload, d.code, d.reason, d.deliveries, @now
        FROM unnest(@sequences, @subjects, @payloads, @codes, @reasons, @deliveries)
            AS d(sequence, subject, payload, code, reason, deliveries)
        ON CONFLICT (stream, stream_sequence) DO NOTHING
        RETURNING reason_code
        """;

    public async Task<WriteResult> WriteAsync(
        string stream, IReadOnlyList<IngestRow> rows, IReadOnlyList<DeadLetterRow> deadLetters, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var inserted = new List<InsertedGroup>();
        var conflicts = new List<DeadLetterRow>();
        if (rows.Count > 0)
        {
            await EventStaging.CreateAsync(connection, transaction, Staging, cancellationToken);
            await EventStaging.CopyAsync(connection, Staging, rows.Select(r => new RatedEventRow(r.Event, r.Rating, r.StreamSequence)), now, cancellationToken);

            Dictionary<Guid, IngestRow>? rowsById = null;
            await using var store = new NpgsqlCommand(StoreStatement, connection, transaction);
            store.Parameters.AddWithValue("now", now);
            await using var reader = await store.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetString(0) == "inserted")
                {
                    inserted.Add(new InsertedGroup(
                        reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetBoolean(6), reader.GetInt32(7)));
                }
                else
                {
                    rowsById ??= rows.ToDictionary(r => r.Event.EventId);
                    var row = rowsById[reader.GetGuid(8)];
                    var storedAt = reader.GetFieldValue<DateTimeOffset>(9);
                    conflicts.Add(new DeadLetterRow(row.StreamSequence, row.Subject, row.Payload, "ConflictingDuplicate",
                        $"event id {row.Event.EventId} is already stored with occurredAt {storedAt:O}; this copy says {row.Event.OccurredAt:O} (a publisher reused an event id); not stored again",
                        row.Deliveries));
                }
            }
        }

        // In stream-sequence order, like every other key this transaction locks, so concurrent batches cannot deadlock.
        var deadLettersStored = await InsertDeadLettersAsync(
            connection, transaction, stream, [.. deadLetters.Concat(conflicts).OrderBy(d => d.StreamSequence)], now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WriteResult(inserted, conflicts, deadLettersStored);
    }

    /// <summary>Stores dead letters alone (used when the database refuses a message that passed validation).</summary>
    public async Task<IReadOnlyList<string>> WriteDeadLettersAsync(string stream, IReadOnlyList<DeadLetterRow> deadLetters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = await InsertDeadLettersAsync(connection, transaction, stream, deadLetters, time.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    /// <summary>Records when ingestion was first enabled (R-BILL-06: the first invoice says usage starts there).</summary>
    public async Task RecordIngestionStartAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO billing.ingestion_start (id, first_enabled_at) VALUES (1, @now) ON CONFLICT (id) DO NOTHING");
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Inserts dead letters not stored before; returns the reason codes of those it stored.</summary>
    private static async Task<IReadOnlyList<string>> InsertDeadLettersAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string stream, IReadOnlyList<DeadLetterRow> deadLetters,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (deadLetters.Count == 0)
        {
            return [];
        }
        await using var command = new NpgsqlCommand(InsertDeadLetters, connection, transaction);
        command.Parameters.AddWithValue("stream", stream);
        command.Parameters.AddWithValue("sequences", deadLetters.Select(d => d.StreamSequence).ToArray());
        command.Parameters.AddWithValue("subjects", deadLetters.Select(d => d.Subject).ToArray());
        command.Parameters.AddWithValue("payloads", deadLetters.Select(d => d.Payload).ToArray());
        command.Parameters.AddWithValue("codes", deadLetters.Select(d => d.ReasonCode).ToArray());
        command.Parameters.AddWithValue("reasons", deadLetters.Select(d => d.Reason).ToArray());
        command.Parameters.AddWithValue("deliveries", deadLetters.Select(d => d.Deliveries).ToArray());
        command.Parameters.AddWithValue("now", now);
        var stored = new List<string>(deadLetters.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stored.Add(reader.GetString(0));
        }
        return stored;
    }
}
