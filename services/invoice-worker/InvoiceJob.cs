using System.Globalization;
using Billing.InvoiceWorker.Invoicing;

namespace Billing.InvoiceWorker;

/// <summary>
/// Runs the invoice run once, prints what it did, sets the exit code (0 only when every invoice of the period is
/// issued, stored and announced) and stops the host: a run-to-completion program for a Kubernetes CronJob.
/// </summary>
public sealed partial class InvoiceJob(
    InvoiceRunRequest request, InvoiceRunner runner, IHostApplicationLifetime lifetime, ILogger<InvoiceJob> logger) : BackgroundService
{
    public const int Incomplete = 1;
    public const int Crashed = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
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

    [LoggerMessage(Level = LogLevel.Information, Message = "{Summary}")]
    private partial void LogFinished(string summary);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The invoice run failed; run it again: it completes what this run left")]
    private partial void LogCrashed(Exception exception);
}
