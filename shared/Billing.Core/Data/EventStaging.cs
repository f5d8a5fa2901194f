using Billing.Core.Domain;
using Npgsql;

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

    /// <summary>
    /// COPYs the rows into <paramref name="table"/> (in <c>pg_temp</c>); received_at and (for rated rows) rated_at are
    /// <paramref name="now"/>.
    /// </summary>
    public static Task CopyAsync(
        NpgsqlConnection connection, string table, IEnumerable<RatedEventRow> rows, DateTimeOffset now, CancellationToken cancellationToken) =>
        CopyIntoAsync(connection, $"pg_temp.{table}", rows, now, cancellationToken);

    /// <summary>
    /// COPYs the rows, in <see cref="Columns"/>, into <paramref name="qualifiedTable"/>, encoded by
    /// <see cref="BinaryCopyWriter"/>; received_at and (for rated rows) rated_at are <paramref name="now"/>. On any
    /// failure the COPY is cancelled (the server discards it) and the exception propagates.
    /// </summary>
    public static async Task CopyIntoAsync(
        NpgsqlConnection connection, string qualifiedTable, IEnumerable<RatedEventRow> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var stream = await connection.BeginRawBinaryCopyAsync(
            $"COPY {qualifiedTable} ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        try
        {
            using var writer = new BinaryCopyWriter(stream);
            foreach (var (e, rating, streamSequence) in rows)
            {
                var type = e.Type.ToWireName();
                var status = StoredRating.StatusOf(rating);
                var reason = StoredRating.ReasonCodeOf(rating);
                var maxBytes = FixedRowBytes
                    + BinaryCopyWriter.MaxTextBytes(type) + BinaryCopyWriter.MaxTextBytes(e.AccountId)
                    + BinaryCopyWriter.MaxTextBytes(e.MessageId) + BinaryCopyWriter.MaxTextBytes(e.Operator)
                    + BinaryCopyWriter.MaxTextBytes(e.Country) + BinaryCopyWriter.MaxTextBytes(status)
                    + BinaryCopyWriter.MaxTextBytes(reason) + BinaryCopyWriter.MaxTextBytes(rating.Tier)
                    + BinaryCopyWriter.MaxTextBytes(rating.Currency) + BinaryCopyWriter.MaxTextBytes(rating.CostCurrency);
                await writer.StartRowAsync(ColumnCount, maxBytes, cancellationToken);
                writer.Uuid(e.EventId);
                writer.TimestampTz(e.OccurredAt);
                writer.Text(type);
                writer.Text(e.AccountId);
                writer.Text(e.MessageId);
                writer.Text(e.Operator);
                writer.Text(e.Country);
                writer.Int16((short)e.Segments);
                writer.Int64(streamSequence);
                writer.TimestampTz(now);
                // The rating columns (StoredRating.Columns), with the mapping of StoredRating.From.
                writer.Text(status);
                writer.Text(reason);
                writer.Text(rating.Tier);
                writer.Text(rating.Currency);
                writer.Int64(rating.RuleId);
                writer.Numeric(rating.UnitPrice);
                writer.Boolean(rating.Billable);
                writer.Numeric(rating.Amount);
                writer.Int64(rating.CostId);
                writer.Numeric(rating.UnitCost);
                writer.Numeric(rating.CostAmount);
                writer.Text(rating.CostCurrency);
                writer.TimestampTz(rating.IsRated ? now : null);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        catch
        {
            try
            {
                await stream.CancelAsync();
            }
            catch (Exception cancelError) when (cancelError is NpgsqlException or IOException or ObjectDisposedException)
            {
                // The connection is gone with the COPY; the error being rethrown says why.
            }
            throw;
        }
    }

    // The 23 columns of Columns: a row's fixed-size fields (uuid, three timestamptz, smallint, three bigint, boolean,
    // four numeric) at their largest; the ten text fields are added per row.
    private const short ColumnCount = 23;
    private const int FixedRowBytes = (4 + 16) + (3 * (4 + 8)) + (4 + 2) + (3 * (4 + 8)) + (4 + 1) + (4 * BinaryCopyWriter.MaxNumericBytes);
}
