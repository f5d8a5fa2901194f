using Billing.Core.Data;
using Billing.Core.Domain;
using Billing.Core.Rating;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Migrations.Rerating;

/// <summary>Which events <c>rerate</c> looks at: [From, To) by occurred_at, one account, and whether rated ones too.</summary>
internal sealed record RerateScope(DateTimeOffset? From, DateTimeOffset? To, string? AccountId, bool IncludeRated);

/// <param name="Examined">Events looked at.</param>
/// <param name="Rated">Unrated events that now have a price.</param>
/// <param name="Repriced">Rated events whose rating changed (only with IncludeRated).</param>
/// <param name="StillUnrated">Unrated events that still have no price or account, by reason.</param>
internal sealed record RerateResult(int Examined, int Rated, int Repriced, IReadOnlyDictionary<string, int> StillUnrated);

/// <summary>
/// Prices unrated events once their rule or account exists and, on request, re-prices rated events of periods not yet
/// invoiced. Works in chunks; each chunk updates its events and corrects the summaries by the difference between the
/// old and the new rating in the same transaction (deltas commute with a running ingest worker's increments). Holds
/// the reference-data lock, so an import cannot change prices underneath it.
/// </summary>
internal sealed class Rerater(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const int ChunkSize = 5000;

    private static readonly string ApplyChunk = $"""
        WITH old AS (
            SELECT e.account_id, e.occurred_at, e.operator, e.currency, e.type, e.segments, e.status, e.billable, e.amount, e.cost, -1 AS sign
            FROM billing.billing_events e JOIN pg_temp.rerate_staging r USING (event_id, occurred_at)),
        updated AS (
            UPDATE billing.billing_events e
            SET ({StoredRating.Columns}) = (r.status, r.unrated_reason, r.tier, r.currency, r.pricing_rule_id, r.unit_price, r.billable,
                                     r.amount, r.operator_cost_id, r.unit_cost, r.cost, r.cost_currency, r.rated_at)
            FROM pg_temp.rerate_staging r
            WHERE e.event_id = r.event_id AND e.occurred_at = r.occurred_at
            RETURNING e.account_id, e.occurred_at, e.operator, e.currency, e.type, e.segments, e.status, e.billable, e.amount, e.cost, 1 AS sign),
        delta AS (SELECT * FROM old UNION ALL SELECT * FROM updated),
        summary AS (
            {UsageSummarySql.Upsert("delta", "@now")}
            RETURNING 1)
        SELECT count(*)::int FROM updated
        """;

    public async Task<RerateResult> RerateAsync(RerateScope scope, CancellationToken cancellationToken)
    {
        int examined = 0, rated = 0, repriced = 0;
        var stillUnrated = new Dictionary<string, int>(StringComparer.Ordinal);
        DateTimeOffset lastAt = DateTimeOffset.MinValue;
        Guid lastId = Guid.Empty;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("key", AdvisoryLocks.ReferenceData);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }
            var catalog = await LoadCatalogAsync(connection, transaction, cancellationToken);
            var chunk = await ReadChunkAsync(connection, transaction, scope, lastAt, lastId, cancellationToken);
            if (chunk.Count == 0)
            {
                break;
            }
            (lastAt, lastId) = (chunk[^1].Event.OccurredAt, chunk[^1].Event.EventId);
            examined += chunk.Count;

            var now = time.GetUtcNow();
            var changed = new List<(BillingEvent Event, RatingResult Rating)>();
            foreach (var stored in chunk)
            {
                var rating = Rater.Rate(stored.Event, catalog);
                if (!rating.IsRated)
                {
                    var reason = StoredRating.ReasonCode(rating.UnratedReason!.Value);
                    stillUnrated[reason] = stillUnrated.GetValueOrDefault(reason) + 1;
                }
                if (stored.Rating.Differs(rating))
                {
                    changed.Add((stored.Event, rating));
                    if (rating.IsRated && stored.Rating.Status == "unrated")
                    {
                        rated++;
                    }
                    else if (rating.IsRated)
                    {
                        repriced++;
                    }
                }
            }
            if (changed.Count > 0)
            {
                await ApplyAsync(connection, transaction, changed, now, cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            if (chunk.Count < ChunkSize)
            {
                break;
            }
        }
        return new RerateResult(examined, rated, repriced, stillUnrated);
    }

    private static async Task<RatingCatalog> LoadCatalogAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var options = new DbContextOptionsBuilder<BillingDbContext>();
        BillingDbContext.Configure(options, connection);
        await using var db = new BillingDbContext(options.Options);
        await db.Database.UseTransactionAsync(transaction, cancellationToken);
        return await RatingCatalogLoader.LoadAsync(db, cancellationToken);
    }

    private static async Task<List<StoredEvent>> ReadChunkAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RerateScope scope, DateTimeOffset lastAt, Guid lastId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT event_id, type, occurred_at, account_id, message_id, operator, country, segments, {StoredRating.Columns}
            FROM billing.billing_events e
            WHERE (occurred_at, event_id) > (@last_at, @last_id)
              AND (@from::timestamptz IS NULL OR occurred_at >= @from)
              AND (@to::timestamptz IS NULL OR occurred_at < @to)
              AND (@account::text IS NULL OR account_id = @account)
              AND (status = 'unrated'
                   OR (@include_rated AND NOT EXISTS (
                        SELECT 1 FROM billing.invoices i
                        WHERE i.account_id = e.account_id
                          AND i.period_start = date_trunc('month', e.occurred_at AT TIME ZONE 'UTC')::date)))
            ORDER BY occurred_at, event_id
            LIMIT {ChunkSize}
            """, connection, transaction);
        command.Parameters.AddWithValue("last_at", lastAt == DateTimeOffset.MinValue ? new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero) : lastAt);
        command.Parameters.AddWithValue("last_id", lastId);
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = (object?)scope.From ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = (object?)scope.To ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("account", NpgsqlDbType.Text) { Value = (object?)scope.AccountId ?? DBNull.Value });
        command.Parameters.AddWithValue("include_rated", scope.IncludeRated);

        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!SmsEventType.TryParseWireName(reader.GetString(1), out var type))
            {
                throw new InvalidOperationException($"event {reader.GetGuid(0)} has an unknown type '{reader.GetString(1)}'");
            }
            var billingEvent = new BillingEvent(reader.GetGuid(0), type, reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetInt16(7));
            events.Add(new StoredEvent(billingEvent, StoredRating.Read(reader, 8)));
        }
        return events;
    }

    private static async Task ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<(BillingEvent Event, RatingResult Rating)> changed,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EventStaging.CreateAsync(connection, transaction, "rerate_staging", cancellationToken);
        await EventStaging.CopyAsync(connection, "rerate_staging", changed.Select(c => new RatedEventRow(c.Event, c.Rating, 0)), now, cancellationToken);
        await using var apply = new NpgsqlCommand(ApplyChunk, connection, transaction);
        apply.Parameters.AddWithValue("now", now);
        await apply.ExecuteScalarAsync(cancellationToken);
    }

    private sealed record StoredEvent(BillingEvent Event, StoredRating Rating);
}
