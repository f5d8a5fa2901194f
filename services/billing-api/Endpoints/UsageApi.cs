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
    /// The one query behind the route (the benchmark issues it directly too): the account's summary rows in the range,
    /// added up per period (<c>date_trunc</c> to the day or month), currency and operator, in that order. It reads
    /// the summaries' primary key (account_id, usage_date, ...) as a range scan. Parameters: account id, first day,
    /// last day (included), <c>day</c> or <c>month</c>.
    /// </summary>
    public const string Sql = """
        SELECT date_trunc($4, s.usage_date)::date AS period, s.currency, s.operator,
               sum(s.submitted_count)::bigint, sum(s.delivered_count)::bigint, sum(s.failed_count)::bigint,
               sum(s.expired_count)::bigint, sum(s.billable_segments)::bigint, sum(s.amount), sum(s.unrated_count)::bigint
        FROM billing.usage_summaries s
        WHERE s.account_id = $1 AND s.usage_date >= $2 AND s.usage_date <= $3
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
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

    /// <summary>Commands are prepared on first use per physical connection (the data source's MaxAutoPrepare).</summary>
    public static NpgsqlCommand CreateCommand(NpgsqlDataSource dataSource, string accountId, DateOnly from, DateOnly to, string granularity)
    {
        var command = dataSource.CreateCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter<string> { Value = accountId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { Value = from, NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { Value = to, NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<string> { Value = granularity, NpgsqlDbType = NpgsqlDbType.Text });
        return command;
    }

    private static async Task<Results<Ok<UsageResponse>, ValidationProblem>> GetUsageAsync(
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
        await using (var command = CreateCommand(dataSource, account!, first!.Value, last!.Value, unit!))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            PeriodBuilder? current = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                var period = reader.GetFieldValue<DateOnly>(0);
                var currency = reader.GetString(1);
                var sum = new UsageSum(reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                    reader.GetInt64(7), reader.GetDecimal(8), reader.GetInt64(9));
                if (current is null || current.Start != period || !string.Equals(current.Currency, currency, StringComparison.Ordinal))
                {
                    if (current is not null)
                    {
                        periods.Add(current.Build());
                    }
                    current = new PeriodBuilder(period, currency);
                }
                current.Add(reader.GetString(2), sum);
                totals[currency] = totals.TryGetValue(currency, out var total) ? total + sum : sum;
            }
            if (current is not null)
            {
                periods.Add(current.Build());
            }
        }
        return TypedResults.Ok(new UsageResponse(account!, first.Value, last.Value, unit!, periods,
            [.. totals.Select(t => new UsageTotal(t.Key, t.Value.ToCounts(t.Key)))]));
    }

    private sealed class PeriodBuilder(DateOnly start, string currency)
    {
        private readonly List<OperatorUsage> _operators = [];
        private UsageSum _sum;

        public DateOnly Start => start;

        public string Currency => currency;

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
