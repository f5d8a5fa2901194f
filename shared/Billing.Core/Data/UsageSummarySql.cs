namespace Billing.Core.Data;

/// <summary>
/// The one place that says how events add up into <c>usage_summaries</c>; ingestion adds new events and re-rating
/// adds the difference between an event's old and new rating, both through <see cref="Upsert"/>.
/// </summary>
public static class UsageSummarySql
{
    /// <summary>Currency key of the summaries of events whose account is unknown (ISO 4217 "no currency").</summary>
    public const string NoCurrency = "XXX";

    /// <summary>
    /// An <c>INSERT ... ON CONFLICT DO UPDATE</c> adding, per summary key, the rows of <paramref name="source"/> (a CTE or
    /// table with the <c>billing_events</c> columns account_id, occurred_at, operator, currency, type, segments, status,
    /// billable, amount, cost and an integer <c>sign</c>: +1 adds the row, -1 takes it away). Keys are upserted in one
    /// fixed order, so concurrent writers (several ingest pods, a re-rating) cannot deadlock on summary rows.
    /// The day is the UTC day of occurred_at.
    /// </summary>
    public static string Upsert(string source, string updatedAtParameter) => $"""
        INSERT INTO billing.usage_summaries AS u
            (account_id, usage_date, operator, currency, submitted_count, delivered_count, failed_count, expired_count,
             billable_segments, amount, cost, unrated_count, updated_at)
        SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date, operator, coalesce(currency, '{NoCurrency}'),
               coalesce(sum(sign) FILTER (WHERE type = 'sms.submitted'), 0),
               coalesce(sum(sign) FILTER (WHERE type = 'sms.delivered'), 0),
               coalesce(sum(sign) FILTER (WHERE type = 'sms.failed'), 0),
               coalesce(sum(sign) FILTER (WHERE type = 'sms.expired'), 0),
               coalesce(sum(sign * segments) FILTER (WHERE billable), 0),
               coalesce(sum(sign * amount), 0),
               coalesce(sum(sign * cost), 0),
               coalesce(sum(sign) FILTER (WHERE status = 'unrated'), 0),
               {updatedAtParameter}
        FROM {source}
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (account_id, usage_date, operator, currency) DO UPDATE SET
            submitted_count = u.submitted_count + excluded.submitted_count,
            delivered_count = u.delivered_count + excluded.delivered_count,
            failed_count = u.failed_count + excluded.failed_count,
            expired_count = u.expired_count + excluded.expired_count,
            billable_segments = u.billable_segments + excluded.billable_segments,
            amount = u.amount + excluded.amount,
            cost = u.cost + excluded.cost,
            unrated_count = u.unrated_count + excluded.unrated_count,
            updated_at = excluded.updated_at
        """;

    /// <summary>
    /// Summary rows that differ from the sums over their events (an empty result is the invariant holding). For checks
    /// and tests; it reads every event, so it is not for a hot path.
    /// </summary>
    public const string Mismatches = $"""
        WITH sums AS (
            SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date AS usage_date, operator,
                   coalesce(currency, '{NoCurrency}') AS currency,
                   count(*) FILTER (WHERE type = 'sms.submitted') AS submitted_count,
                   count(*) FILTER (WHERE type = 'sms.delivered') AS delivered_count,
                   count(*) FILTER (WHERE type = 'sms.failed') AS failed_count,
                   count(*) FILTER (WHERE type = 'sms.expired') AS expired_count,
                   coalesce(sum(segments) FILTER (WHERE billable), 0) AS billable_segments,
                   coalesce(sum(amount), 0) AS amount,
                   coalesce(sum(cost), 0) AS cost,
                   count(*) FILTER (WHERE status = 'unrated') AS unrated_count
            FROM billing.billing_events
            GROUP BY 1, 2, 3, 4),
        summaries AS (
            SELECT account_id, usage_date, operator, currency, submitted_count, delivered_count, failed_count,
                   expired_count, billable_segments, amount, cost, unrated_count
            FROM billing.usage_summaries
            WHERE (submitted_count, delivered_count, failed_count, expired_count, billable_segments, amount, cost, unrated_count)
                  <> (0, 0, 0, 0, 0, 0, 0, 0))
        SELECT coalesce(s.account_id, u.account_id) || ' ' || coalesce(s.usage_date, u.usage_date) || ' '
               || coalesce(s.operator, u.operator) || ' ' || coalesce(s.currency, u.currency)
               || ': events ' || coalesce(row(s.submitted_count, s.delivered_count, s.failed_count, s.expired_count,
                                              s.billable_segments, s.amount, s.cost, s.unrated_count)::text, 'none')
               || ', summary ' || coalesce(row(u.submitted_count, u.delivered_count, u.failed_count, u.expired_count,
                                               u.billable_segments, u.amount, u.cost, u.unrated_count)::text, 'none')
        FROM sums s
        FULL JOIN summaries u USING (account_id, usage_date, operator, currency)
        WHERE row(s.submitted_count, s.delivered_count, s.failed_count, s.expired_count, s.billable_segments, s.amount, s.cost, s.unrated_count)
              IS DISTINCT FROM
              row(u.submitted_count, u.delivered_count, u.failed_count, u.expired_count, u.billable_segments, u.amount, u.cost, u.unrated_count)
        ORDER BY 1
        """;
}
