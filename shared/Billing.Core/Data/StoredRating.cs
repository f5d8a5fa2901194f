using Billing.Core.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Core.Data;

/// <summary>
/// The rating columns of a <c>billing_events</c> row (status through rated_at), as written by the ingest worker and
/// re-written by <c>rerate</c>: one place that maps a <see cref="RatingResult"/> to them.
/// </summary>
public sealed record StoredRating(
    string Status, string? UnratedReason, string? Tier, string? Currency, long? RuleId, decimal? UnitPrice, bool Billable,
    decimal? Amount, long? CostId, decimal? UnitCost, decimal? Cost, string? CostCurrency)
{
    /// <summary>The columns, in the order <see cref="WriteAsync"/> writes and <see cref="Read"/> reads them.</summary>
    public const string Columns = """
        status, unrated_reason, tier, currency, pricing_rule_id, unit_price, billable, amount,
        operator_cost_id, unit_cost, cost, cost_currency, rated_at
        """;

    public static string ReasonCode(UnratedReason reason) => reason switch
    {
        Domain.UnratedReason.PricingNotFound => "pricing_not_found",
        Domain.UnratedReason.AccountNotFound => "account_not_found",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "unknown unrated reason"),
    };

    /// <summary>The status column of <paramref name="rating"/>: <c>rated</c> or <c>unrated</c>.</summary>
    public static string StatusOf(RatingResult rating) => rating.IsRated ? "rated" : "unrated";

    /// <summary>The unrated_reason column of <paramref name="rating"/>: its reason's code, or null when it is rated.</summary>
    public static string? ReasonCodeOf(RatingResult rating) => rating.UnratedReason is { } reason ? ReasonCode(reason) : null;

    public static StoredRating From(RatingResult rating) => new(
        StatusOf(rating),
        ReasonCodeOf(rating),
        rating.Tier, rating.Currency, rating.RuleId, rating.UnitPrice, rating.Billable, rating.Amount,
        rating.CostId, rating.UnitCost, rating.CostAmount, rating.CostCurrency);

    /// <summary>Reads the columns (but rated_at) starting at <paramref name="first"/>.</summary>
    public static StoredRating Read(NpgsqlDataReader reader, int first)
    {
        T? Value<T>(int i) where T : struct => reader.IsDBNull(first + i) ? null : reader.GetFieldValue<T>(first + i);
        string? Text(int i) => reader.IsDBNull(first + i) ? null : reader.GetString(first + i);
        return new StoredRating(reader.GetString(first), Text(1), Text(2), Text(3), Value<long>(4), Value<decimal>(5),
            reader.GetBoolean(first + 6), Value<decimal>(7), Value<long>(8), Value<decimal>(9), Value<decimal>(10), Text(11));
    }

    /// <summary>True when storing <paramref name="rating"/> would change the row (numbers compared by value).</summary>
    public bool Differs(RatingResult rating) => From(rating) != this;

    /// <summary>
    /// Writes the columns of <paramref name="rating"/> to a binary COPY row through Npgsql's importer; rated_at is
    /// <paramref name="now"/> when rated. Ingestion and rerating encode rows with <see cref="BinaryCopyWriter"/> instead
    /// (<see cref="EventStaging"/>); this form seeds the invoice benchmark's usage and is the reference the writer's
    /// tests compare against.
    /// </summary>
    public static async Task WriteAsync(NpgsqlBinaryImporter importer, RatingResult rating, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Straight from the rating (no StoredRating per row); the same mapping as From.
        await importer.WriteAsync(StatusOf(rating), NpgsqlDbType.Text, cancellationToken);
        await WriteAsync(importer, ReasonCodeOf(rating), NpgsqlDbType.Text, cancellationToken);
        await WriteAsync(importer, rating.Tier, NpgsqlDbType.Text, cancellationToken);
        await WriteAsync(importer, rating.Currency, NpgsqlDbType.Text, cancellationToken);
        await WriteAsync(importer, rating.RuleId, NpgsqlDbType.Bigint, cancellationToken);
        await WriteAsync(importer, rating.UnitPrice, NpgsqlDbType.Numeric, cancellationToken);
        await importer.WriteAsync(rating.Billable, NpgsqlDbType.Boolean, cancellationToken);
        await WriteAsync(importer, rating.Amount, NpgsqlDbType.Numeric, cancellationToken);
        await WriteAsync(importer, rating.CostId, NpgsqlDbType.Bigint, cancellationToken);
        await WriteAsync(importer, rating.UnitCost, NpgsqlDbType.Numeric, cancellationToken);
        await WriteAsync(importer, rating.CostAmount, NpgsqlDbType.Numeric, cancellationToken);
        await WriteAsync(importer, rating.CostCurrency, NpgsqlDbType.Text, cancellationToken);
        await WriteAsync(importer, rating.IsRated ? now : (DateTimeOffset?)null, NpgsqlDbType.TimestampTz, cancellationToken);
    }

    private static Task WriteAsync<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : class =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, type, cancellationToken);

    private static Task WriteAsync<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : struct =>
        value is { } v ? importer.WriteAsync(v, type, cancellationToken) : importer.WriteNullAsync(cancellationToken);
}
