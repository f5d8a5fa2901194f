using System.Text.Json;
using Billing.Core.Messaging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Billing.InvoiceWorker.Invoicing;

/// <summary>
/// Issues planned invoices: per transaction a batch of invoices, each with its number (taken from the year's counter
/// row, locked for the transaction, so numbers are gapless: a rolled-back transaction gives its numbers back), its lines
/// and its <c>billing.invoice.generated</c> outbox row, committed together. The outbox row is published once the PDF is
/// stored (the payload names the PDF).
/// </summary>
public sealed class InvoiceIssuer(NpgsqlDataSource dataSource, IOptions<InvoiceOptions> options, IOptions<NatsOptions> nats, TimeProvider time)
{
    public async Task<int> IssueAsync(InvoicePlan plan, Guid runId, CancellationToken cancellationToken)
    {
        var issued = 0;
        foreach (var batch in plan.Invoices.Chunk(Math.Max(options.Value.IssueBatchSize, 1)))
        {
            issued += await IssueBatchAsync(plan.Period, batch, runId, cancellationToken);
        }
        return issued;
    }

    private async Task<int> IssueBatchAsync(InvoicePeriod period, PlannedInvoice[] batch, Guid runId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var year = now.Year;
        var dueDate = DateOnly.FromDateTime(now.UtcDateTime).AddDays(options.Value.PaymentTermsDays);
        var supplier = options.Value.Supplier;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int lastNumber;
        await using (var counter = new NpgsqlCommand("""
            INSERT INTO billing.invoice_number_counters (year, last_number) VALUES (@year, 0) ON CONFLICT (year) DO NOTHING;
            SELECT last_number FROM billing.invoice_number_counters WHERE year = @year FOR UPDATE;
            """, connection, transaction))
        {
            counter.Parameters.AddWithValue("year", year);
            lastNumber = (int)(await counter.ExecuteScalarAsync(cancellationToken))!;
        }

        // Which of the batch are issued already (a rerun after a crash), in one query.
        var existing = new HashSet<(string Account, string Currency)>();
        await using (var exists = new NpgsqlCommand("""
            SELECT account_id, currency::text FROM billing.invoices
            WHERE period_start = @period AND account_id = ANY(@accounts)
            """, connection, transaction))
        {
            exists.Parameters.AddWithValue("period", period.Start);
            exists.Parameters.AddWithValue("accounts", batch.Select(i => i.AccountId).Distinct(StringComparer.Ordinal).ToArray());
            await using var reader = await exists.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                existing.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        // Then the new ones, numbered in plan order, as three set-based inserts: invoices, their lines, their outbox rows.
        var invoices = new IssuedRows();
        var lines = new LineRows();
        foreach (var invoice in batch)
        {
            if (existing.Contains((invoice.AccountId, invoice.Currency.Code)))
            {
                continue;
            }
            var id = Guid.CreateVersion7(now);
            var snapshot = new InvoiceSnapshot(
                new SupplierSnapshot(supplier.Name, supplier.AddressLines, supplier.TaxId, supplier.Email, supplier.PaymentDetails),
                new BillToSnapshot(invoice.AccountId, invoice.AccountName, invoice.Address, invoice.Email),
                invoice.Notes);
            invoices.Add(id, $"INV-{year:D4}-{++lastNumber:D6}", invoice,
                JsonSerializer.Serialize(snapshot, InvoiceSnapshotJsonContext.Default.InvoiceSnapshot), Guid.CreateVersion7(now));
            for (var i = 0; i < invoice.Lines.Count; i++)
            {
                lines.Add(id, i + 1, invoice.Lines[i]);
            }
        }

        if (invoices.Count > 0)
        {
            await using var insert = new NpgsqlBatch(connection, transaction);
            var invoiceRows = new NpgsqlBatchCommand("""
                INSERT INTO billing.invoices (id, number, account_id, currency, period_start, period_end, usage_recorded_from,
                    issued_at, due_date, tax_rate, subtotal, tax, total, status, invoice_run_id, document)
                SELECT i.id, i.number, i.account_id, i.currency, @start, @end, i.usage_from, @issued_at, @due, i.tax_rate,
                    i.subtotal, i.tax, i.total, 'issued', @run, i.document::jsonb
                FROM unnest(@ids, @numbers, @accounts, @currencies, @usage_from, @tax_rates, @subtotals, @taxes, @totals, @documents)
                    WITH ORDINALITY AS i(id, number, account_id, currency, usage_from, tax_rate, subtotal, tax, total, document, n)
                ORDER BY i.n
                """);
            invoiceRows.Parameters.AddWithValue("start", period.Start);
            invoiceRows.Parameters.AddWithValue("end", period.End);
            invoiceRows.Parameters.AddWithValue("issued_at", now);
            invoiceRows.Parameters.AddWithValue("due", dueDate);
            invoiceRows.Parameters.AddWithValue("run", runId);
            invoiceRows.Parameters.AddWithValue("ids", invoices.Ids.ToArray());
            invoiceRows.Parameters.AddWithValue("numbers", invoices.Numbers.ToArray());
            invoiceRows.Parameters.AddWithValue("accounts", invoices.Accounts.ToArray());
            invoiceRows.Parameters.AddWithValue("currencies", invoices.Currencies.ToArray());
            invoiceRows.Parameters.AddWithValue("usage_from", invoices.UsageFrom.ToArray());
            invoiceRows.Parameters.AddWithValue("tax_rates", invoices.TaxRates.ToArray());
            invoiceRows.Parameters.AddWithValue("subtotals", invoices.Subtotals.ToArray());
            invoiceRows.Parameters.AddWithValue("taxes", invoices.Taxes.ToArray());
            invoiceRows.Parameters.AddWithValue("totals", invoices.Totals.ToArray());
            invoiceRows.Parameters.AddWithValue("documents", invoices.Documents.ToArray());
            insert.BatchCommands.Add(invoiceRows);

            var lineRows = new NpgsqlBatchCommand("""
                INSERT INTO billing.invoice_lines (invoice_id, line_no, kind, operator, description, quantity, unit_price, amount, adjusted_period_start)
                SELECT l.invoice_id, l.line_no, l.kind, l.operator, l.description, l.quantity, l.unit_price, l.amount, l.adjusted
                FROM unnest(@invoices, @numbers, @kinds, @operators, @descriptions, @quantities, @unit_prices, @amounts, @adjusted)
                    WITH ORDINALITY AS l(invoice_id, line_no, kind, operator, description, quantity, unit_price, amount, adjusted, n)
                ORDER BY l.n
                """);
            lineRows.Parameters.AddWithValue("invoices", lines.Invoices.ToArray());
            lineRows.Parameters.AddWithValue("numbers", lines.Numbers.ToArray());
            lineRows.Parameters.AddWithValue("kinds", lines.Kinds.ToArray());
            lineRows.Parameters.AddWithValue("operators", lines.Operators.ToArray());
            lineRows.Parameters.AddWithValue("descriptions", lines.Descriptions.ToArray());
            lineRows.Parameters.AddWithValue("quantities", lines.Quantities.ToArray());
            lineRows.Parameters.AddWithValue("unit_prices", lines.UnitPrices.ToArray());
            lineRows.Parameters.AddWithValue("amounts", lines.Amounts.ToArray());
            lineRows.Parameters.AddWithValue("adjusted", lines.Adjusted.ToArray());
            insert.BatchCommands.Add(lineRows);

            var outboxRows = new NpgsqlBatchCommand("""
                INSERT INTO billing.outbox_messages (id, subject, message_id, payload, invoice_id, created_at, attempts)
                SELECT o.id, @subject, o.invoice_id::text, '{}'::jsonb, o.invoice_id, @now, 0
                FROM unnest(@ids, @invoices) WITH ORDINALITY AS o(id, invoice_id, n)
                ORDER BY o.n
                """);
            outboxRows.Parameters.AddWithValue("subject", nats.Value.InvoiceGeneratedSubject);
            outboxRows.Parameters.AddWithValue("now", now);
            outboxRows.Parameters.AddWithValue("ids", invoices.OutboxIds.ToArray());
            outboxRows.Parameters.AddWithValue("invoices", invoices.Ids.ToArray());
            insert.BatchCommands.Add(outboxRows);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var update = new NpgsqlCommand("UPDATE billing.invoice_number_counters SET last_number = @last WHERE year = @year", connection, transaction))
        {
            update.Parameters.AddWithValue("last", lastNumber);
            update.Parameters.AddWithValue("year", year);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return invoices.Count;
    }

    /// <summary>The columns of the invoices a batch issues, one list per column (the arrays of one set-based insert).</summary>
    private sealed class IssuedRows
    {
        public List<Guid> Ids { get; } = [];
        public List<string> Numbers { get; } = [];
        public List<string> Accounts { get; } = [];
        public List<string> Currencies { get; } = [];
        public List<DateTimeOffset?> UsageFrom { get; } = [];
        public List<decimal> TaxRates { get; } = [];
        public List<decimal> Subtotals { get; } = [];
        public List<decimal> Taxes { get; } = [];
        public List<decimal> Totals { get; } = [];
        public List<string> Documents { get; } = [];
        public List<Guid> OutboxIds { get; } = [];

        public int Count => Ids.Count;

        public void Add(Guid id, string number, PlannedInvoice invoice, string document, Guid outboxId)
        {
            Ids.Add(id);
            Numbers.Add(number);
            Accounts.Add(invoice.AccountId);
            Currencies.Add(invoice.Currency.Code);
            UsageFrom.Add(invoice.UsageRecordedFrom);
            TaxRates.Add(invoice.TaxRate);
            Subtotals.Add(invoice.Subtotal);
            Taxes.Add(invoice.Tax);
            Totals.Add(invoice.Total);
            Documents.Add(document);
            OutboxIds.Add(outboxId);
        }
    }

    /// <summary>The columns of the invoice lines a batch issues.</summary>
    private sealed class LineRows
    {
        public List<Guid> Invoices { get; } = [];
        public List<int> Numbers { get; } = [];
        public List<string> Kinds { get; } = [];
        public List<string?> Operators { get; } = [];
        public List<string> Descriptions { get; } = [];
        public List<long> Quantities { get; } = [];
        public List<decimal> UnitPrices { get; } = [];
        public List<decimal> Amounts { get; } = [];
        public List<DateOnly?> Adjusted { get; } = [];

        public void Add(Guid invoice, int number, PlannedLine line)
        {
            Invoices.Add(invoice);
            Numbers.Add(number);
            Kinds.Add(line.Kind);
            Operators.Add(line.Operator);
            Descriptions.Add(line.Description);
            Quantities.Add(line.Quantity);
            UnitPrices.Add(line.UnitPrice);
            Amounts.Add(line.Amount);
            Adjusted.Add(line.AdjustedPeriodStart);
        }
    }
}
