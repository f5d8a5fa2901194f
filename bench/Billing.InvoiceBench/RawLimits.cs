using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Billing.Core.Domain;
using Billing.Core.Storage;
using Billing.InvoiceWorker.Invoicing;
using Billing.InvoiceWorker.Pdf;
using Npgsql;

namespace Billing.InvoiceBench;

/// <summary>A timed loop: how many, how long.</summary>
internal readonly record struct Measured(long Count, TimeSpan Elapsed)
{
    public double Rate => Count / Elapsed.TotalSeconds;
}

/// <summary>An invoice of the run as the worker renders it, with the SHA-256 the run stored for its PDF.</summary>
internal sealed record RunInvoice(Guid Id, InvoiceDocument Document, string AccountId, DateOnly PeriodStart, string StoredSha256);

/// <summary>
/// The two raw limits of the invoice run, each alone, on the invoices the run just made: rendering their PDFs (the
/// worker's renderer, as many at once as the worker's parallelism, documents in memory, no I/O) and uploading the same
/// bytes (the worker's S3 client and store: SSE-KMS, SHA-256, If-None-Match, as many in flight as the worker's
/// parallelism) to fresh keys.
/// </summary>
internal static class RawLimits
{
    /// <summary>
    /// Reads the period's invoices back as documents, the way the worker's storer builds them from the database (the
    /// invoice row, its lines in order and the frozen document snapshot).
    /// </summary>
    public static async Task<List<RunInvoice>> LoadAsync(NpgsqlDataSource dataSource, InvoicePeriod period, CancellationToken cancellationToken)
    {
        var lines = new Dictionary<Guid, List<InvoiceDocumentLine>>();
        await using (var command = dataSource.CreateCommand("""
            SELECT l.invoice_id, l.kind, l.description, l.operator, l.quantity, l.unit_price, l.amount
            FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
            WHERE i.period_start = @period ORDER BY l.invoice_id, l.line_no
            """))
        {
            command.Parameters.AddWithValue("period", period.Start);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                if (!lines.TryGetValue(id, out var list))
                {
                    lines[id] = list = [];
                }
                list.Add(new InvoiceDocumentLine(reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetInt64(4), reader.GetDecimal(5), reader.GetDecimal(6)));
            }
        }

        var invoices = new List<RunInvoice>();
        await using (var command = dataSource.CreateCommand("""
            SELECT id, number, account_id, currency::text, period_start, period_end, usage_recorded_from, issued_at, due_date,
                   tax_rate, subtotal, tax, total, document::text, pdf_sha256
            FROM billing.invoices WHERE period_start = @period AND status = 'stored' ORDER BY number
            """))
        {
            command.Parameters.AddWithValue("period", period.Start);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var number = reader.GetString(1);
                var snapshot = JsonSerializer.Deserialize(reader.GetString(13), InvoiceSnapshotJsonContext.Default.InvoiceSnapshot)
                    ?? throw new BenchmarkException($"invoice {number} has no document snapshot");
                var document = new InvoiceDocument(
                    number, reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateOnly>(8), reader.GetFieldValue<DateOnly>(4),
                    reader.GetFieldValue<DateOnly>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    new SupplierDetails(snapshot.Supplier.Name, snapshot.Supplier.AddressLines, snapshot.Supplier.TaxId, snapshot.Supplier.Email, snapshot.Supplier.PaymentDetails),
                    new BillTo(snapshot.BillTo.AccountId, snapshot.BillTo.Name, snapshot.BillTo.Address, snapshot.BillTo.Email),
                    Currency.FromCode(reader.GetString(3)), lines.GetValueOrDefault(reader.GetGuid(0)) ?? [],
                    reader.GetDecimal(10), reader.GetDecimal(9), reader.GetDecimal(11), reader.GetDecimal(12), snapshot.Notes);
                invoices.Add(new RunInvoice(reader.GetGuid(0), document, reader.GetString(2), reader.GetFieldValue<DateOnly>(4), reader.GetString(14).Trim()));
            }
        }
        return invoices;
    }

    /// <summary>Renders every invoice, <paramref name="parallelism"/> at once, into memory.</summary>
    public static (Measured Measured, byte[][] Pdfs) Render(IReadOnlyList<RunInvoice> invoices, int parallelism)
    {
        var renderer = new InvoicePdfRenderer();
        // Warm-up outside the clock, as the worker is warm after its first invoice: fonts loaded, code compiled.
        renderer.Render(invoices[0].Document);
        var pdfs = new byte[invoices.Count][];
        var started = Stopwatch.GetTimestamp();
        Parallel.For(0, invoices.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, i => pdfs[i] = renderer.Render(invoices[i].Document));
        return (new Measured(invoices.Count, Stopwatch.GetElapsedTime(started)), pdfs);
    }

    /// <summary>How many rendered PDFs are byte for byte what the run stored (by SHA-256).</summary>
    public static int SameAsStored(IReadOnlyList<RunInvoice> invoices, byte[][] pdfs) =>
        Enumerable.Range(0, invoices.Count).Count(i => Convert.ToHexStringLower(SHA256.HashData(pdfs[i])) == invoices[i].StoredSha256);

    /// <summary>
    /// Uploads the bytes to <c>{prefix}/YYYY/MM/account/number.pdf</c> through a new client and store built as the
    /// worker builds them, <paramref name="parallelism"/> in flight. Every key is fresh, so every put really writes.
    /// </summary>
    public static async Task<Measured> UploadAsync(
        S3Options options, IReadOnlyList<RunInvoice> invoices, byte[][] pdfs, int parallelism, string prefix, CancellationToken cancellationToken)
    {
        using var client = S3ClientFactory.Create(options);
        var store = new InvoiceObjectStore(client, options, TimeProvider.System);
        // One put outside the clock: the connection and the SDK's first-call set-up, as the worker has them warm.
        var warm = invoices[0];
        await store.PutInvoiceAsync($"{prefix}-warm-up/{warm.Document.Number}.pdf", pdfs[0], new Dictionary<string, string>(), cancellationToken);
        var stored = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, invoices.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var invoice = invoices[i];
                var key = $"{prefix}/{InvoiceObjectStore.KeyFor(invoice.PeriodStart, invoice.AccountId, invoice.Document.Number)}";
                var result = await store.PutInvoiceAsync(key, pdfs[i], new Dictionary<string, string>
                {
                    ["invoice-id"] = invoice.Id.ToString(),
                    ["invoice-number"] = invoice.Document.Number,
                }, token);
                if (result.AlreadyStored)
                {
                    throw new BenchmarkException($"raw upload: {key} was not a fresh key");
                }
                Interlocked.Increment(ref stored);
            });
        return new Measured(stored, Stopwatch.GetElapsedTime(started));
    }
}
