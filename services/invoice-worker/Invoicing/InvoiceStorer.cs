using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Threading.Channels;
using Billing.Core.Domain;
using Billing.Core.Messaging;
using Billing.Core.Storage;
using Billing.InvoiceWorker.Pdf;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Prometheus;

namespace Billing.InvoiceWorker.Invoicing;

/// <summary>
/// Renders and stores the PDF of every issued invoice of a period that is not stored yet (this run's, and any a crashed
/// run left), several at once: render from the invoice as issued (its lines and frozen document), put it under
/// <c>invoices/YYYY/MM/&lt;accountId&gt;/&lt;number&gt;.pdf</c> with SSE-KMS and never over an existing object, then mark the
/// invoice stored and complete its announcement's payload with the PDF's bucket, key and SHA-256, in one transaction
/// (with the other invoices uploaded meanwhile). Rendering is deterministic, so a rerun after a crash that followed the
/// upload finds the same bytes already stored.
/// </summary>
public sealed partial class InvoiceStorer(
    NpgsqlDataSource dataSource,
    InvoicePdfRenderer renderer,
    InvoiceObjectStore store,
    IOptions<InvoiceOptions> options,
    ILogger<InvoiceStorer> logger)
{
    /// <summary>
    /// Per invoice, from the start of its render to the commit that marked it stored: what one invoice costs the run, and
    /// the run's p99 (a CronJob's process is scraped while it runs; the same figures are in each invoice's log line).
    /// </summary>
    private static readonly Histogram StoreSeconds = Metrics.CreateHistogram(
        "billing_invoice_store_seconds", "Per invoice: render the PDF, upload it, mark the invoice stored.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 12) });

    private sealed record PendingInvoice(
        Guid Id, string Number, string AccountId, string Currency, DateOnly PeriodStart, DateOnly PeriodEnd, DateTimeOffset? UsageFrom,
        DateTimeOffset IssuedAt, DateOnly DueDate, decimal TaxRate, decimal Subtotal, decimal Tax, decimal Total, string Document)
    {
        public List<InvoiceDocumentLine> Lines { get; } = [];
    }

    /// <summary>Most invoices marked stored in one transaction.</summary>
    public const int MaxMarkBatch = 100;

    // An uploaded invoice waiting to be marked stored, with the instants of its steps (Stopwatch timestamps).
    private sealed record Uploaded(PendingInvoice Invoice, StoredObject Pdf, long Started, long Rendered, long UploadStarted, long UploadedAt);

    /// <returns>How many invoices were stored now.</returns>
    /// <remarks>
    /// Uploads run <see cref="InvoiceOptions.Parallelism"/> at once, fed by renders on as many lanes as there are cores;
    /// one loop marks the uploaded invoices stored, in one transaction for all those uploaded while the previous
    /// transaction committed (a group commit: under load many per commit, with no wait when there is one). A crash between an upload and its commit leaves the invoice
    /// issued with its PDF in the bucket; the next run renders the same bytes, finds them stored and marks it.
    /// </remarks>
    public async Task<int> StorePendingAsync(InvoicePeriod period, string? accountId, CancellationToken cancellationToken)
    {
        var pending = await LoadPendingAsync(period, accountId, cancellationToken);
        LogStoring(pending.Count, period.ToString(), RenderParallelism(options.Value.Parallelism), options.Value.Parallelism);
        var uploaded = Channel.CreateUnbounded<Uploaded>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var uploads = RenderAndUploadAsync(pending, uploaded.Writer, stop.Token);
        int stored;
        try
        {
            stored = await MarkUploadedAsync(uploaded.Reader, cancellationToken);
        }
        catch
        {
            // Marking failed (the database, or the run was cancelled): stop uploading; what is uploaded is marked by
            // the next run. The uploads end cancelled, or with an error of their own: marking's is the one reported.
            await stop.CancelAsync();
            try
            {
                await uploads;
            }
            catch (Exception)
            {
                // Marking's failure is the one rethrown below.
            }
            throw;
        }
        // Everything uploaded is marked; an upload that failed fails the run now.
        await uploads;
        return stored;
    }

    /// <summary>
    /// Renders at once for <paramref name="parallelism"/> uploads in flight: rendering only uses the CPU, so no more than
    /// the cores (or the uploads, if fewer).
    /// </summary>
    public static int RenderParallelism(int parallelism) => Math.Max(1, Math.Min(Environment.ProcessorCount, parallelism));

    // A rendered PDF waiting for an upload slot.
    private sealed record Rendered(PendingInvoice Invoice, byte[] Pdf, long Started, long RenderedAt);

    /// <summary>
    /// Renders on as many lanes as there are cores into a short queue, and uploads from it on
    /// <see cref="InvoiceOptions.Parallelism"/> lanes, so that this many puts are in flight at every moment: an upload
    /// mostly waits for the object store, which takes many puts at once for little more than the price of one. Whichever
    /// side fails first stops the other; its failure is the one reported.
    /// </summary>
    private async Task RenderAndUploadAsync(List<PendingInvoice> pending, ChannelWriter<Uploaded> uploaded, CancellationToken cancellationToken)
    {
        var parallelism = Math.Max(options.Value.Parallelism, 1);
        var rendered = Channel.CreateBounded<Rendered>(new BoundedChannelOptions(parallelism) { SingleWriter = false, SingleReader = false });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renders = RenderAllAsync(pending, rendered.Writer, stop.Token);
        try
        {
            await Parallel.ForEachAsync(rendered.Reader.ReadAllAsync(stop.Token),
                new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = stop.Token },
                async (pdf, token) =>
                {
                    var invoice = pdf.Invoice;
                    var uploadStarted = Stopwatch.GetTimestamp();
                    var key = InvoiceObjectStore.KeyFor(invoice.PeriodStart, invoice.AccountId, invoice.Number);
                    var result = await store.PutInvoiceAsync(key, pdf.Pdf, new Dictionary<string, string>
                    {
                        ["invoice-id"] = invoice.Id.ToString(),
                        ["invoice-number"] = invoice.Number,
                    }, token);
                    await uploaded.WriteAsync(
                        new Uploaded(invoice, result, pdf.Started, pdf.RenderedAt, uploadStarted, Stopwatch.GetTimestamp()), token);
                });
        }
        catch (Exception) when (!renders.IsCompletedSuccessfully)
        {
            // A render that failed first is the cause (the uploads then ended for want of PDFs); otherwise the upload's
            // own failure is, and the renders are stopped.
            await stop.CancelAsync();
            try
            {
                await renders;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ExceptionDispatchInfo.Throw(e);
            }
            catch (OperationCanceledException)
            {
                // Stopped because the upload failed: the upload's failure is rethrown below.
            }
            throw;
        }
        finally
        {
            uploaded.Complete();
        }
        await renders;
    }

    private async Task RenderAllAsync(List<PendingInvoice> pending, ChannelWriter<Rendered> rendered, CancellationToken cancellationToken)
    {
        // Off the caller's thread: the uploads start reading at once.
        await Task.Yield();
        try
        {
            await Parallel.ForEachAsync(pending,
                new ParallelOptions { MaxDegreeOfParallelism = RenderParallelism(options.Value.Parallelism), CancellationToken = cancellationToken },
                async (invoice, token) =>
                {
                    var started = Stopwatch.GetTimestamp();
                    var pdf = renderer.Render(ToDocument(invoice));
                    await rendered.WriteAsync(new Rendered(invoice, pdf, started, Stopwatch.GetTimestamp()), token);
                });
            rendered.Complete();
        }
        catch (Exception e)
        {
            rendered.Complete(e);
            throw;
        }
    }

    private async Task<int> MarkUploadedAsync(ChannelReader<Uploaded> uploaded, CancellationToken cancellationToken)
    {
        var stored = 0;
        var batch = new List<Uploaded>(MaxMarkBatch);
        while (await uploaded.WaitToReadAsync(cancellationToken))
        {
            while (batch.Count < MaxMarkBatch && uploaded.TryRead(out var next))
            {
                batch.Add(next);
            }
            await MarkStoredAsync(batch, cancellationToken);
            var marked = Stopwatch.GetTimestamp();
            foreach (var (invoice, pdf, started, rendered, uploadStarted, uploadedAt) in batch)
            {
                StoreSeconds.Observe(Stopwatch.GetElapsedTime(started, marked).TotalSeconds);
                LogStored(invoice.Number, pdf.Key, pdf.Size, pdf.AlreadyStored, Milliseconds(started, rendered),
                    Milliseconds(rendered, uploadStarted), Milliseconds(uploadStarted, uploadedAt), Milliseconds(uploadedAt, marked));
            }
            stored += batch.Count;
            batch.Clear();
        }
        return stored;
    }

    private static InvoiceDocument ToDocument(PendingInvoice invoice)
    {
        var snapshot = JsonSerializer.Deserialize(invoice.Document, InvoiceSnapshotJsonContext.Default.InvoiceSnapshot)
            ?? throw new InvalidOperationException($"invoice {invoice.Number} has no document snapshot");
        return new InvoiceDocument(
            invoice.Number, invoice.IssuedAt, invoice.DueDate, invoice.PeriodStart, invoice.PeriodEnd, invoice.UsageFrom,
            new SupplierDetails(snapshot.Supplier.Name, snapshot.Supplier.AddressLines, snapshot.Supplier.TaxId, snapshot.Supplier.Email, snapshot.Supplier.PaymentDetails),
            new BillTo(snapshot.BillTo.AccountId, snapshot.BillTo.Name, snapshot.BillTo.Address, snapshot.BillTo.Email),
            Currency.FromCode(invoice.Currency), invoice.Lines, invoice.Subtotal, invoice.TaxRate, invoice.Tax, invoice.Total, snapshot.Notes);
    }

    /// <summary>
    /// Marks the invoices stored and completes each announcement's payload with its PDF's bucket, key and SHA-256, all in
    /// one transaction: two set-based statements for the whole group, whatever its size.
    /// </summary>
    private async Task MarkStoredAsync(List<Uploaded> uploaded, CancellationToken cancellationToken)
    {
        var ids = new Guid[uploaded.Count];
        var buckets = new string[uploaded.Count];
        var keys = new string[uploaded.Count];
        var hashes = new string[uploaded.Count];
        var payloads = new string[uploaded.Count];
        for (var i = 0; i < uploaded.Count; i++)
        {
            var (invoice, pdf, _, _, _, _) = uploaded[i];
            var currency = Currency.FromCode(invoice.Currency);
            var message = new InvoiceGenerated(
                invoice.Id, invoice.Number, invoice.AccountId, InvoicePeriod.Of(invoice.PeriodStart).ToString(), invoice.PeriodStart, invoice.PeriodEnd,
                invoice.Currency, currency.Format(invoice.Subtotal), currency.Format(invoice.Tax), currency.Format(invoice.Total), invoice.IssuedAt,
                new InvoicePdfLocation(pdf.Bucket, pdf.Key, pdf.Sha256));
            (ids[i], buckets[i], keys[i], hashes[i]) = (invoice.Id, pdf.Bucket, pdf.Key, pdf.Sha256);
            payloads[i] = JsonSerializer.Serialize(message, InvoiceMessagesJsonContext.Default.InvoiceGenerated);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    UPDATE billing.invoices i SET status = 'stored', pdf_bucket = u.bucket, pdf_key = u.key, pdf_sha256 = u.sha256
                    FROM unnest(@ids, @buckets, @keys, @hashes) AS u(id, bucket, key, sha256)
                    WHERE i.id = u.id AND i.status = 'issued'
                    """)
                {
                    Parameters = { new("ids", ids), new("buckets", buckets), new("keys", keys), new("hashes", hashes) },
                },
                new NpgsqlBatchCommand("""
                    UPDATE billing.outbox_messages o SET payload = u.payload::jsonb
                    FROM unnest(@ids, @payloads) AS u(id, payload)
                    WHERE o.invoice_id = u.id AND o.sent_at IS NULL
                    """)
                {
                    Parameters = { new("ids", ids), new("payloads", payloads) },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<List<PendingInvoice>> LoadPendingAsync(InvoicePeriod period, string? accountId, CancellationToken cancellationToken)
    {
        var invoices = new Dictionary<Guid, PendingInvoice>();
        await using (var command = dataSource.CreateCommand("""
            SELECT id, number, account_id, currency::text, period_start, period_end, usage_recorded_from, issued_at, due_date,
                   tax_rate, subtotal, tax, total, document::text
            FROM billing.invoices
            WHERE status = 'issued' AND period_start = @period AND (@account::text IS NULL OR account_id = @account)
            ORDER BY number
            """))
        {
            command.Parameters.AddWithValue("period", period.Start);
            command.Parameters.Add(new NpgsqlParameter("account", NpgsqlDbType.Text) { Value = (object?)accountId ?? DBNull.Value });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var invoice = new PendingInvoice(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<DateOnly>(4), reader.GetFieldValue<DateOnly>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7),
                    reader.GetFieldValue<DateOnly>(8), reader.GetDecimal(9), reader.GetDecimal(10), reader.GetDecimal(11),
                    reader.GetDecimal(12), reader.GetString(13));
                invoices.Add(invoice.Id, invoice);
            }
        }
        if (invoices.Count == 0)
        {
            return [];
        }
        await using (var lines = dataSource.CreateCommand("""
            SELECT invoice_id, kind, description, operator, quantity, unit_price, amount
            FROM billing.invoice_lines WHERE invoice_id = ANY(@ids) ORDER BY invoice_id, line_no
            """))
        {
            lines.Parameters.AddWithValue("ids", invoices.Keys.ToArray());
            await using var reader = await lines.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                invoices[reader.GetGuid(0)].Lines.Add(new InvoiceDocumentLine(reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4), reader.GetDecimal(5), reader.GetDecimal(6)));
            }
        }
        return [.. invoices.Values];
    }

    [LoggerMessage(Level = LogLevel.Information, Message =
        "Storing the PDFs of {PendingInvoices} issued invoice(s) of {Period}: {Renders} rendered and {Parallelism} uploaded at once")]
    private partial void LogStoring(int pendingInvoices, string period, int renders, int parallelism);

    private static double Milliseconds(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds, 3);

    [LoggerMessage(Level = LogLevel.Information, Message =
        "Invoice {InvoiceNumber} stored at {Key} ({Size} bytes; already there from an earlier run: {AlreadyStored}; " +
        "render {RenderMs} ms, queued for upload {QueuedMs} ms, upload {UploadMs} ms, mark stored {MarkMs} ms)")]
    private partial void LogStored(
        string invoiceNumber, string key, long size, bool alreadyStored, double renderMs, double queuedMs, double uploadMs, double markMs);
}
