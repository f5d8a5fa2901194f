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

        var issued = 0;
        foreach (var invoice in batch)
        {
            await using (var exists = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM billing.invoices WHERE account_id = @account AND currency = @currency AND period_start = @period)",
                connection, transaction))
            {
                exists.Parameters.AddWithValue("account", invoice.AccountId);
                exists.Parameters.AddWithValue("currency", invoice.Currency.Code);
                exists.Parameters.AddWithValue("period", period.Start);
                if ((bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
                {
                    continue;
                }
            }

            var id = Guid.CreateVersion7(now);
            var number = $"INV-{year:D4}-{++lastNumber:D6}";
            var snapshot = new InvoiceSnapshot(
                new SupplierSnapshot(supplier.Name, supplier.AddressLines, supplier.TaxId, supplier.Email, supplier.PaymentDetails),
                new BillToSnapshot(invoice.AccountId, invoice.AccountName, invoice.Address, invoice.Email),
                invoice.Notes);
            var batchCommand = new NpgsqlBatch(connection, transaction);
            await using (batchCommand)
            {
                var insert = new NpgsqlBatchCommand("""
                    INSERT INTO billing.invoices (id, number, account_id, currency, period_start, period_end, usage_recorded_from,
                        issued_at, due_date, tax_rate, subtotal, tax, total, status, invoice_run_id, document)
                    VALUES (@id, @number, @account, @currency, @start, @end, @usage_from, @issued_at, @due, @tax_rate, @subtotal, @tax,
                        @total, 'issued', @run, @document::jsonb)
                    """);
                insert.Parameters.AddWithValue("id", id);
                insert.Parameters.AddWithValue("number", number);
                insert.Parameters.AddWithValue("account", invoice.AccountId);
                insert.Parameters.AddWithValue("currency", invoice.Currency.Code);
                insert.Parameters.AddWithValue("start", period.Start);
                insert.Parameters.AddWithValue("end", period.End);
                insert.Parameters.AddWithValue("usage_from", (object?)invoice.UsageRecordedFrom ?? DBNull.Value);
                insert.Parameters.AddWithValue("issued_at", now);
                insert.Parameters.AddWithValue("due", dueDate);
                insert.Parameters.AddWithValue("tax_rate", invoice.TaxRate);
                insert.Parameters.AddWithValue("subtotal", invoice.Subtotal);
                insert.Parameters.AddWithValue("tax", invoice.Tax);
                insert.Parameters.AddWithValue("total", invoice.Total);
                insert.Parameters.AddWithValue("run", runId);
                insert.Parameters.AddWithValue("document", JsonSerializer.Serialize(snapshot, InvoiceSnapshotJsonContext.Default.InvoiceSnapshot));
                batchCommand.BatchCommands.Add(insert);

                for (var i = 0; i < invoice.Lines.Count; i++)
                {
                    var line = invoice.Lines[i];
                    var lineCommand = new NpgsqlBatchCommand("""
                        INSERT INTO billing.invoice_lines (invoice_id, line_no, kind, operator, description, quantity, unit_price, amount, adjusted_period_start)
                        VALUES (@invoice, @no, @kind, @operator, @description, @quantity, @unit_price, @amount, @adjusted)
                        """);
                    lineCommand.Parameters.AddWithValue("invoice", id);
                    lineCommand.Parameters.AddWithValue("no", i + 1);
                    lineCommand.Parameters.AddWithValue("kind", line.Kind);
                    lineCommand.Parameters.AddWithValue("operator", (object?)line.Operator ?? DBNull.Value);
                    lineCommand.Parameters.AddWithValue("description", line.Description);
                    lineCommand.Parameters.AddWithValue("quantity", line.Quantity);
                    lineCommand.Parameters.AddWithValue("unit_price", line.UnitPrice);
                    lineCommand.Parameters.AddWithValue("amount", line.Amount);
                    lineCommand.Parameters.AddWithValue("adjusted", (object?)line.AdjustedPeriodStart ?? DBNull.Value);
                    batchCommand.BatchCommands.Add(lineCommand);
                }

                var outbox = new NpgsqlBatchCommand("""
                    INSERT INTO billing.outbox_messages (id, subject, message_id, payload, invoice_id, created_at, attempts)
                    VALUES (@id, @subject, @message_id, '{}'::jsonb, @invoice, @now, 0)
                    """);
                outbox.Parameters.AddWithValue("id", Guid.CreateVersion7(now));
                outbox.Parameters.AddWithValue("subject", nats.Value.InvoiceGeneratedSubject);
                outbox.Parameters.AddWithValue("message_id", id.ToString());
                outbox.Parameters.AddWithValue("invoice", id);
                outbox.Parameters.AddWithValue("now", now);
                batchCommand.BatchCommands.Add(outbox);
                await batchCommand.ExecuteNonQueryAsync(cancellationToken);
            }
            issued++;
        }

        await using (var update = new NpgsqlCommand("UPDATE billing.invoice_number_counters SET last_number = @last WHERE year = @year", connection, transaction))
        {
            update.Parameters.AddWithValue("last", lastNumber);
            update.Parameters.AddWithValue("year", year);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return issued;
    }
}
