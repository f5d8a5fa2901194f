using System.ComponentModel;
using Billing.Api.Contracts;
using Billing.Api.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Api.Endpoints;

/// <summary><c>GET /v1/accounts/{accountId}/usage</c>: sums of <c>usage_summaries</c> (one row per account, UTC day, operator, currency).</summary>
public static class UsageApi
{
    /// <summary>
    /// The route's query per day (the benchmark issues it directly too): the account's summary rows in the range, as
    /// they are, in the summaries' key order (account_id, usage_date, operator, currency), so PostgreSQL reads a range of
    /// the primary key and neither sorts nor aggregates. Parameters: account id, first day, last day (included).
    /// </summary>
    public const string DaySql = """
        SELECT s.usage_date, s.currency, s.operator, s.submitted_count, s.delivered_count, s.failed_count,
               s.expired_count, s.billable_segments, s.amount, s.unrated_count
        FROM billing.usage_summaries s
        WHERE s.account_id = $1 AND s.usage_date >= $2 AND s.usage_date <= $3
        ORDER BY s.usage_date, s.operator, s.currency
        """;

    /// <summary>The route's query per month: the same rows added up per calendar month, operator and currency.</summary>
    public const string MonthSql = """
        SELECT date_trunc('month', s.usage_date)::date, s.currency, s.operator, sum(s.submitted_count)::bigint,
               sum(s.delivered_count)::bigint, sum(s.failed_count)::bigint, sum(s.expired_count)::bigint,
               sum(s.billable_segments)::bigint, sum(s.amount), sum(s.unrated_count)::bigint
        FROM billing.usage_summaries s
        WHERE s.account_id = $1 AND s.usage_date >= $2 AND s.usage_date <= $3
        GROUP BY 1, 3, 2
        ORDER BY 1, 3, 2
        """;

    public static RouteGroupBuilder MapUsageApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/accounts/{accountId}/usage", GetUsageAsync)
            .WithName("GetUsage")
            .ProducesValidationProblem()
            .WithTags("Usage")
            .WithSummary("An account's usage by day or month over a range of UTC days")
            .WithDescription("""
                Counts, billable segments and rated amount per period and currency, each with its per-operator breakdown,
                summed from the usage summaries (which always equal the sums over the stored events). Both ends of the
                range are included; it may span at most a year. An account without usage in the range (including one
                billing does not know) gets empty lists.
                """);
        return v1;
    }

    /// <summary>
    /// The query for <paramref name="granularity"/> (<c>day</c> or <c>month</c>); rows come ordered by period, operator,
    /// currency. Commands are prepared on first use per physical connection (the data source's MaxAutoPrepare).
    /// </summary>
    public static NpgsqlCommand CreateCommand(NpgsqlDataSource dataSource, string accountId, DateOnly from, DateOnly to, string granularity)
    {
        var command = dataSource.CreateCommand(granularity == "month" ? MonthSql : DaySql);
        command.Parameters.Add(new NpgsqlParameter<string> { Value = accountId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { Value = from, NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { Value = to, NpgsqlDbType = NpgsqlDbType.Date });
        return command;
    }

    private static async Task<Results<JsonBody<UsageResponse>, ValidationProblem>> GetUsageAsync(
        [Description("The account id (as billing-ops import accounts accepts it)."), ApiParameter(Pattern = ApiPatterns.AccountId, MaxLength = 64)]
        string accountId,
        [Description("First UTC day, included."), ApiParameter(Required = true, Format = "date")] string? from,
        [Description("Last UTC day, included; at most a year after from."), ApiParameter(Required = true, Format = "date")] string? to,
        [Description("Sum per day or per calendar month."), ApiParameter(Enum = ["day", "month"], Default = "day")] string? granularity,
        NpgsqlDataSource dataSource,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var account = errors.AccountId(nameof(accountId), accountId);
        var first = errors.Date(nameof(from), from, required: true);
        var last = errors.Date(nameof(to), to, required: true);
        var unit = errors.OneOf(nameof(granularity), granularity, "day", "day", "month");
        if (first is { } f && last is { } l)
        {
            errors.DayRange(f, l);
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var periods = new List<UsagePeriod>();
        var totals = new SortedDictionary<string, UsageSum>(StringComparer.Ordinal);
        // One builder per currency of the period being read (almost always one: the account's currency).
        var current = new SortedDictionary<string, PeriodBuilder>(StringComparer.Ordinal);
        var currentStart = DateOnly.MinValue;
        await using (var command = CreateCommand(dataSource, account!, first!.Value, last!.Value, unit!))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var period = reader.GetFieldValue<DateOnly>(0);
                var currency = reader.GetString(1);
                var sum = new UsageSum(reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                    reader.GetInt64(7), reader.GetDecimal(8), reader.GetInt64(9));
                if (period != currentStart)
                {
                    periods.AddRange(current.Values.Select(b => b.Build()));
                    current.Clear();
                    currentStart = period;
                }
                if (!current.TryGetValue(currency, out var builder))
                {
                    current[currency] = builder = new PeriodBuilder(period, currency);
                }
                builder.Add(reader.GetString(2), sum);
                totals[currency] = totals.TryGetValue(currency, out var total) ? total + sum : sum;
            }
            periods.AddRange(current.Values.Select(b => b.Build()));
        }
        // A month by day is 92 KB of JSON: written in one pass through the source generator's fast path (see JsonBody).
        return new JsonBody<UsageResponse>(new UsageResponse(account!, first.Value, last.Value, unit!, periods,
            [.. totals.Select(t => new UsageTotal(t.Key, t.Value.ToCounts(t.Key)))]), ApiJsonContext.Default.UsageResponse);
    }

    private sealed class PeriodBuilder(DateOnly start, string currency)
    {
        private readonly List<OperatorUsage> _operators = [];
        private UsageSum _sum;

        public void Add(string @operator, UsageSum sum)
        {
            _operators.Add(new OperatorUsage(@operator, sum.ToCounts(currency)));
            _sum += sum;
        }

        public UsagePeriod Build() => new(start, currency, _sum.ToCounts(currency), _operators);
    }

    private readonly record struct UsageSum(
        long Submitted, long Delivered, long Failed, long Expired, long BillableSegments, decimal Amount, long Unrated)
    {
        public static UsageSum operator +(UsageSum a, UsageSum b) => new(
            a.Submitted + b.Submitted, a.Delivered + b.Delivered, a.Failed + b.Failed, a.Expired + b.Expired,
            a.BillableSegments + b.BillableSegments, a.Amount + b.Amount, a.Unrated + b.Unrated);

        public UsageCounts ToCounts(string currency) =>
            new(Submitted, Delivered, Failed, Expired, BillableSegments, ApiAmount.Format(Amount, currency), Unrated);
    }
}
