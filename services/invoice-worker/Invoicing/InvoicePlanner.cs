using System.Globalization;
using Billing.Core.Domain;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Billing.InvoiceWorker.Invoicing;

/// <summary>A line as it will be issued; amounts already rounded to the currency's minor unit.</summary>
public sealed record PlannedLine(string Kind, string Description, string? Operator, long Quantity, decimal UnitPrice, decimal Amount, DateOnly? AdjustedPeriodStart);

/// <summary>An invoice as it will be issued (before its number).</summary>
public sealed record PlannedInvoice(
    string AccountId, string AccountName, string Address, string Email, Currency Currency, decimal TaxRate,
    IReadOnlyList<PlannedLine> Lines, decimal Subtotal, decimal Tax, decimal Total,
    DateTimeOffset? UsageRecordedFrom, IReadOnlyList<string> Notes);

/// <summary>What the period needs: invoices to issue, and accounts it may not invoice (with the reason).</summary>
public sealed record InvoicePlan(InvoicePeriod Period, IReadOnlyList<PlannedInvoice> Invoices, IReadOnlyList<string> Refusals, int AlreadyIssued);

/// <summary>
/// Works out the invoices of a period from the rated events. Usage lines: per operator and unit price, quantity = billable
/// segments, amount = the sum of the events' amounts rounded to the currency's minor unit (half away from zero).
/// Prior-period adjustments: for every earlier month, what its usage comes to now (rounded the same way) minus what
/// invoices have billed for it so far (its own usage lines and earlier adjustments); a difference (late events,
/// re-rated events) becomes an adjustment line. So, per account and currency, the invoices always add up to the rated
/// billable usage of every month up to the last one invoiced, over the adjustment look-back
/// (<see cref="InvoiceOptions.AdjustmentLookbackMonths"/>): older months are not revisited, so their event partitions may
/// be dropped without the run crediting them.
/// </summary>
public sealed class InvoicePlanner(NpgsqlDataSource dataSource, IOptions<InvoiceOptions> options)
{
    private readonly record struct Key(string AccountId, string Currency);

    private sealed record UsageGroup(DateOnly Period, string Operator, decimal UnitPrice, long Segments, decimal Amount);

    public async Task<InvoicePlan> PlanAsync(InvoicePeriod period, string? accountFilter, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One consistent snapshot for every query of the plan.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

        var usage = new Dictionary<Key, List<UsageGroup>>();
        await ReadAsync(connection, transaction, """
            SELECT account_id, currency::text, (date_trunc('month', occurred_at AT TIME ZONE 'UTC'))::date, operator, unit_price,
                   sum(segments)::bigint, sum(amount)
            FROM billing.billing_events
            WHERE status = 'rated' AND billable AND occurred_at >= @lookback AND occurred_at < @end
              AND (@account::text IS NULL OR account_id = @account)
            GROUP BY 1, 2, 3, 4, 5
            """, period, accountFilter, r =>
        {
            var key = new Key(r.GetString(0), r.GetString(1));
            if (!usage.TryGetValue(key, out var groups))
            {
                usage[key] = groups = [];
            }
            groups.Add(new UsageGroup(r.GetFieldValue<DateOnly>(2), r.GetString(3), r.GetDecimal(4), r.GetInt64(5), r.GetDecimal(6)));
        }, cancellationToken);

        var billed = new Dictionary<(Key, DateOnly), (decimal Amount, long Quantity)>();
        await ReadAsync(connection, transaction, """
            SELECT i.account_id, i.currency::text, coalesce(l.adjusted_period_start, i.period_start), sum(l.amount), sum(l.quantity)::bigint
            FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
            WHERE i.period_start < @start_day AND coalesce(l.adjusted_period_start, i.period_start) >= @lookback_day
              AND (@account::text IS NULL OR i.account_id = @account)
            GROUP BY 1, 2, 3
            """, period, accountFilter,
            r => billed[(new Key(r.GetString(0), r.GetString(1)), r.GetFieldValue<DateOnly>(2))] = (r.GetDecimal(3), r.GetInt64(4)),
            cancellationToken);

        var issued = new HashSet<Key>();
        var later = new Dictionary<string, DateOnly>(StringComparer.Ordinal);
        await ReadAsync(connection, transaction, """
            SELECT account_id, currency::text, period_start FROM billing.invoices
            WHERE period_start >= @start_day AND (@account::text IS NULL OR account_id = @account)
            """, period, accountFilter, r =>
        {
            var start = r.GetFieldValue<DateOnly>(2);
            if (start == period.Start)
            {
                issued.Add(new Key(r.GetString(0), r.GetString(1)));
            }
            else
            {
                later[r.GetString(0)] = start;
            }
        }, cancellationToken);

        var accounts = new Dictionary<string, (string Name, string Address, string Email, decimal TaxRate)>(StringComparer.Ordinal);
        await ReadAsync(connection, transaction,
            "SELECT account_id, name, address, email, tax_rate FROM billing.accounts WHERE (@account::text IS NULL OR account_id = @account)",
            period, accountFilter, r => accounts[r.GetString(0)] = (r.GetString(1), r.GetString(2), r.GetString(3), r.GetDecimal(4)),
            cancellationToken);

        var operators = new Dictionary<string, string>(StringComparer.Ordinal);
        await ReadAsync(connection, transaction, "SELECT mccmnc, name FROM billing.operators", period, accountFilter,
            r => operators[r.GetString(0)] = r.GetString(1), cancellationToken);

        var unrated = new Dictionary<string, long>(StringComparer.Ordinal);
        await ReadAsync(connection, transaction, """
            SELECT account_id, count(*) FROM billing.billing_events
            WHERE status = 'unrated' AND occurred_at >= @start AND occurred_at < @end AND (@account::text IS NULL OR account_id = @account)
            GROUP BY 1
            """, period, accountFilter, r => unrated[r.GetString(0)] = r.GetInt64(1), cancellationToken);

        DateTimeOffset? ingestionStart = null;
        await ReadAsync(connection, transaction, "SELECT first_enabled_at FROM billing.ingestion_start", period, accountFilter,
            r => ingestionStart = r.GetFieldValue<DateTimeOffset>(0), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var usageFrom = ingestionStart > period.StartInstant && ingestionStart < period.EndInstant ? ingestionStart : null;
        var invoices = new List<PlannedInvoice>();
        var refusals = new List<string>();
        var alreadyIssued = 0;
        foreach (var (key, groups) in usage.OrderBy(u => u.Key.AccountId, StringComparer.Ordinal).ThenBy(u => u.Key.Currency, StringComparer.Ordinal))
        {
            if (issued.Contains(key))
            {
                alreadyIssued++;
                continue;
            }
            if (later.TryGetValue(key.AccountId, out var laterPeriod))
            {
                refusals.Add($"{key.AccountId}: already invoiced for {InvoicePeriod.Of(laterPeriod)}, after {period}; usage of {period} is billed there as an adjustment");
                continue;
            }
            if (!accounts.TryGetValue(key.AccountId, out var account))
            {
                refusals.Add($"{key.AccountId}: rated events but no account record");
                continue;
            }
            var currency = Currency.FromCode(key.Currency);
            var lines = UsageLines(groups.Where(g => g.Period == period.Start), currency, operators)
                .Concat(AdjustmentLines(key, groups.Where(g => g.Period < period.Start), billed, currency))
                .ToList();
            if (lines.Count == 0)
            {
                continue;
            }
            var subtotal = new Money(lines.Sum(l => l.Amount), currency);
            var tax = Money.Tax(subtotal, account.TaxRate);
            var notes = new List<string>();
            if (usageFrom is { } from)
            {
                notes.Add($"Usage is recorded from {from.UtcDateTime.ToString("d MMMM yyyy HH:mm", CultureInfo.InvariantCulture)} UTC, when billing started; this first invoice covers only part of {MonthName(period.Start)}.");
            }
            if (unrated.TryGetValue(key.AccountId, out var unpriced))
            {
                notes.Add($"{unpriced} message event(s) of this period could not be priced yet; once priced they are billed on a later invoice as a prior-period adjustment.");
            }
            invoices.Add(new PlannedInvoice(key.AccountId, account.Name, account.Address, account.Email, currency, account.TaxRate,
                lines, subtotal.Amount, tax.Amount, (subtotal + tax).Amount, usageFrom, notes));
        }
        return new InvoicePlan(period, invoices, refusals, alreadyIssued);
    }

    private static IEnumerable<PlannedLine> UsageLines(IEnumerable<UsageGroup> groups, Currency currency, IReadOnlyDictionary<string, string> operators) =>
        groups
            .OrderBy(g => g.Operator, StringComparer.Ordinal).ThenBy(g => g.UnitPrice)
            .Select(g => new PlannedLine("usage",
                $"SMS to {operators.GetValueOrDefault(g.Operator, "operator")} ({g.Operator})",
                g.Operator, g.Segments, g.UnitPrice, new Money(g.Amount, currency).Round().Amount, null));

    private static IEnumerable<PlannedLine> AdjustmentLines(
        Key key, IEnumerable<UsageGroup> prior, IReadOnlyDictionary<(Key, DateOnly), (decimal Amount, long Quantity)> billed, Currency currency)
    {
        var due = prior
            .GroupBy(g => g.Period)
            .ToDictionary(p => p.Key, p => (Amount: p.Sum(g => new Money(g.Amount, currency).Round().Amount), Quantity: p.Sum(g => g.Segments)));
        var periods = due.Keys.Concat(billed.Keys.Where(k => k.Item1 == key).Select(k => k.Item2)).Distinct().Order();
        foreach (var period in periods)
        {
            var owed = due.GetValueOrDefault(period);
            var paid = billed.GetValueOrDefault((key, period));
            if (owed.Amount != paid.Amount)
            {
                yield return new PlannedLine("adjustment",
                    $"Prior-period adjustment: {MonthName(period)} usage (late or re-rated events)",
                    null, owed.Quantity - paid.Quantity, 0m, owed.Amount - paid.Amount, period);
            }
        }
    }

    private static string MonthName(DateOnly month) => month.ToString("MMMM yyyy", CultureInfo.InvariantCulture);

    private async Task ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, InvoicePeriod period, string? account,
        Action<NpgsqlDataReader> read, CancellationToken cancellationToken)
    {
        var lookback = period.Start.AddMonths(-options.Value.AdjustmentLookbackMonths);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("lookback", new DateTimeOffset(lookback.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        command.Parameters.AddWithValue("lookback_day", lookback);
        command.Parameters.AddWithValue("start", period.StartInstant);
        command.Parameters.AddWithValue("end", period.EndInstant);
        command.Parameters.AddWithValue("start_day", period.Start);
        command.Parameters.Add(new NpgsqlParameter("account", NpgsqlDbType.Text) { Value = (object?)account ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            read(reader);
        }
    }
}
