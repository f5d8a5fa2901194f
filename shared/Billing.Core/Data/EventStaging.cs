using Billing.Core.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Core.Data;

/// <summary>An event with its rating, as a row of <c>billing_events</c> to be written.</summary>
public readonly record struct RatedEventRow(BillingEvent Event, RatingResult Rating, long StreamSequence);

/// <summary>
/// A session temp table shaped like <c>billing_events</c> and filled by binary COPY: how ingestion and re-rating hand a
/// batch of rated events to one set-based statement. Rows are deleted at every commit.
/// </summary>
public static class EventStaging
{
    /// <summary>Every column, in the order <see cref="CopyAsync"/> writes them.</summary>
    public const string Columns =
        "event_id, occurred_at, type, account_id, message_id, operator, country, segments, stream_sequence, received_at, "
        + StoredRating.Columns;

    public static async Task CreateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, CancellationToken cancellationToken)
    {
        await using var create = new NpgsqlCommand(
            $"CREATE TEMP TABLE IF NOT EXISTS {table} (LIKE billing.billing_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
            connection, transaction);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>COPYs the rows into <paramref name="table"/>; received_at and (for rated rows) rated_at are <paramref name="now"/>.</summary>
    public static async Task CopyAsync(
        NpgsqlConnection connection, string table, IEnumerable<RatedEventRow> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY pg_temp.{table} ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var (e, rating, streamSequence) in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(e.EventId, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(e.OccurredAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(e.Type.ToWireName(), NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(e.AccountId, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(e.MessageId, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(e.Operator, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(e.Country, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync((short)e.Segments, NpgsqlDbType.Smallint, cancellationToken);
            await importer.WriteAsync(streamSequence, NpgsqlDbType.Bigint, cancellationToken);
            await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            await StoredRating.WriteAsync(importer, rating, now, cancellationToken);
        }
        await importer.CompleteAsync(cancellationToken);
    }
}
