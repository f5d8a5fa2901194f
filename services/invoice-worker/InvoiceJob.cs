using System.Globalization;
using Billing.InvoiceWorker.Invoicing;

namespace Billing.InvoiceWorker;

/// <summary>
/// Runs the invoice run once, prints what it did, sets the exit code (0 only when every invoice of the period is
/// issued, stored and announced) and stops the host: a run-to-completion program for a Kubernetes CronJob.
/// </summary>
public sealed partial class InvoiceJob(
    InvoiceRunRequest request, InvoiceRunner runner, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<InvoiceJob> logger)
    : BackgroundService
{
    public const int Incomplete = 1;
    public const int Crashed = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (request.Period.EndInstant > time.GetUtcNow())
            {
                // Allowed (nothing is lost: usage arriving later reaches the next invoice as an adjustment), but unusual.
                LogOpenPeriod(request.Period.ToString());
            }
            var result = await runner.RunAsync(request, stoppingToken);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"invoice run {request.Period}{(request.AccountId is null ? "" : $" account {request.AccountId}")}{(request.DryRun ? " (dry run)" : "")}: " +
                $"{result.Planned} planned, {result.Issued} issued, {result.AlreadyIssued} already issued, {result.Stored} stored, " +
                $"{result.Announced} announced, {result.Incomplete} incomplete, {result.Refusals.Count} refused");
            Console.Out.WriteLine(line);
            foreach (var refusal in result.Refusals)
            {
                Console.Out.WriteLine($"  refused: {refusal}");
            }
            if (request.DryRun)
            {
                WritePreview(Console.Out, result.Preview);
            }
            Environment.ExitCode = result.Succeeded ? 0 : Incomplete;
            LogFinished(line);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Environment.ExitCode = Incomplete;
        }
        catch (Exception e)
        {
            LogCrashed(e);
            Environment.ExitCode = Crashed;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    /// <summary>What a dry run would issue, one row per invoice, amounts in the currency's minor unit.</summary>
    public static void WritePreview(TextWriter output, IReadOnlyList<PlannedInvoice> invoices)
    {
        if (invoices.Count == 0)
        {
            return;
        }
        string[] header = ["account", "currency", "lines", "adjustments", "subtotal", "tax", "total", "notes"];
        var rows = invoices.Select(i =>
        {
            var adjustments = i.Lines.Count(l => l.Kind == "adjustment");
            return new[]
            {
                i.AccountId, i.Currency.Code, (i.Lines.Count - adjustments).ToString(CultureInfo.InvariantCulture),
                adjustments.ToString(CultureInfo.InvariantCulture), i.Currency.Format(i.Subtotal), i.Currency.Format(i.Tax), i.Currency.Format(i.Total),
                i.Notes.Count.ToString(CultureInfo.InvariantCulture),
            };
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(r => r[c].Length))).ToArray();
        // Text columns left-aligned, numbers right-aligned.
        string Format(string[] cells) => "  " + string.Join("  ", cells.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd();
        output.WriteLine(Format(header));
        foreach (var row in rows)
        {
            output.WriteLine(Format(row));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Period {Period} has not ended yet: its usage after this run will be billed on the next invoice as a prior-period adjustment")]
    private partial void LogOpenPeriod(string period);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Summary}")]
    private partial void LogFinished(string summary);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The invoice run failed; run it again: it completes what this run left")]
    private partial void LogCrashed(Exception exception);
}
