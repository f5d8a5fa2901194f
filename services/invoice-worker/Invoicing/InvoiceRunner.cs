using System.Diagnostics;
using Billing.Core.Data;
using Billing.Core.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Billing.InvoiceWorker.Invoicing;

/// <summary>What to invoice: a period, optionally one account, optionally without writing anything.</summary>
public sealed record InvoiceRunRequest(InvoicePeriod Period, string? AccountId, bool DryRun);

/// <summary>
/// How a run ended; exit code 0 only when every invoice of the period is issued, stored and announced. A dry run
/// carries the invoices it would issue in <paramref name="Preview"/>.
/// </summary>
public sealed record InvoiceRunResult(
    int Planned, int Issued, int AlreadyIssued, int Stored, int Announced, int Incomplete, IReadOnlyList<string> Refusals,
    IReadOnlyList<PlannedInvoice> Preview)
{
    public bool Succeeded => Incomplete == 0 && Refusals.Count == 0;
}

/// <summary>
/// The monthly run, under a PostgreSQL advisory lock (a second run waits for the first, then finds its work done):
/// plan, issue (numbers, lines, outbox in one transaction per batch), store every issued PDF of the period (this run's
/// and any a crashed run left), announce every stored invoice through the outbox, and report what is incomplete.
/// Safe to kill at any point and run again.
/// </summary>
public sealed partial class InvoiceRunner(
    NpgsqlDataSource dataSource,
    InvoicePlanner planner,
    InvoiceIssuer issuer,
    InvoiceStorer storer,
    OutboxPublisher publisher,
    IOptions<InvoiceOptions> options,
    TimeProvider time,
    ILogger<InvoiceRunner> logger)
{
    public async Task<InvoiceRunResult> RunAsync(InvoiceRunRequest request, CancellationToken cancellationToken)
    {
        using var activity = BillingTelemetry.Source.StartActivity("invoice run");
        activity?.SetTag("billing.period", request.Period.ToString());
        activity?.SetTag("billing.account", request.AccountId);
        activity?.SetTag("billing.dry_run", request.DryRun);
        var result = await RunLockedAsync(request, cancellationToken);
        activity?.SetTag("billing.invoices.issued", result.Issued);
        activity?.SetTag("billing.invoices.incomplete", result.Incomplete);
        if (!result.Succeeded)
        {
            activity?.SetStatus(ActivityStatusCode.Error, $"{result.Incomplete} incomplete, {result.Refusals.Count} refused");
        }
        return result;
    }

    private async Task<InvoiceRunResult> RunLockedAsync(InvoiceRunRequest request, CancellationToken cancellationToken)
    {
        if (request.DryRun)
        {
            var preview = await planner.PlanAsync(request.Period, request.AccountId, cancellationToken);
            return new InvoiceRunResult(preview.Invoices.Count, 0, preview.AlreadyIssued, 0, 0, 0, preview.Refusals, preview.Invoices);
        }

        // The lock is held by this connection's session for the whole run.
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SET lock_timeout = '{(int)options.Value.LockWait.TotalMilliseconds}ms'; SELECT pg_advisory_lock(@key)", lockConnection))
        {
            take.Parameters.AddWithValue("key", AdvisoryLocks.InvoiceRun);
            LogWaitingForLock();
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        // Holding the lock, no other run is alive: a run still marked running was killed or crashed before it could
        // record how it ended. This run completes its work; record that one as failed so the history does not lie.
        await using (var abandoned = dataSource.CreateCommand("""
            UPDATE billing.invoice_runs SET status = 'failed', finished_at = @now,
                error = 'the run ended without recording an outcome (killed or crashed); a later run completed its work'
            WHERE status = 'running'
            """))
        {
            abandoned.Parameters.AddWithValue("now", time.GetUtcNow());
            if (await abandoned.ExecuteNonQueryAsync(cancellationToken) is var count and > 0)
            {
                LogAbandonedRuns(count);
            }
        }

        var runId = Guid.CreateVersion7(time.GetUtcNow());
        await using (var start = dataSource.CreateCommand("""
            INSERT INTO billing.invoice_runs (id, period_start, account_filter, dry_run, started_at, status, invoices_issued)
            VALUES (@id, @period, @account, false, @now, 'running', 0)
            """))
        {
            start.Parameters.AddWithValue("id", runId);
            start.Parameters.AddWithValue("period", request.Period.Start);
            start.Parameters.AddWithValue("account", (object?)request.AccountId ?? DBNull.Value);
            start.Parameters.AddWithValue("now", time.GetUtcNow());
            await start.ExecuteNonQueryAsync(cancellationToken);
        }

        InvoiceRunResult result;
        try
        {
            var plan = await planner.PlanAsync(request.Period, request.AccountId, cancellationToken);
            foreach (var refusal in plan.Refusals)
            {
                LogRefused(refusal);
            }
            var issued = await issuer.IssueAsync(plan, runId, cancellationToken);
            var stored = await storer.StorePendingAsync(request.Period, request.AccountId, cancellationToken);
            var announced = await publisher.PublishPendingAsync(cancellationToken);
            var incomplete = await CountIncompleteAsync(request, cancellationToken);
            result = new InvoiceRunResult(plan.Invoices.Count, issued, plan.AlreadyIssued, stored, announced, incomplete, plan.Refusals, []);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FinishAsync(runId, "failed", 0, e.Message, CancellationToken.None);
            throw;
        }
        await FinishAsync(runId, result.Succeeded ? "succeeded" : "failed", result.Issued,
            result.Succeeded ? null : $"{result.Incomplete} invoice(s) not stored or not announced; {result.Refusals.Count} account(s) refused",
            cancellationToken);
        return result;
    }

    /// <summary>Invoices of the period (and account) whose PDF is not stored or whose announcement is not sent.</summary>
    private async Task<int> CountIncompleteAsync(InvoiceRunRequest request, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT count(*)::int FROM billing.invoices i
            WHERE i.period_start = @period AND (@account::text IS NULL OR i.account_id = @account)
              AND (i.status <> 'stored' OR EXISTS (SELECT 1 FROM billing.outbox_messages o WHERE o.invoice_id = i.id AND o.sent_at IS NULL))
            """);
        command.Parameters.AddWithValue("period", request.Period.Start);
        command.Parameters.Add(new NpgsqlParameter("account", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)request.AccountId ?? DBNull.Value });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task FinishAsync(Guid runId, string status, int issued, string? error, CancellationToken cancellationToken)
    {
        await using var finish = dataSource.CreateCommand(
            "UPDATE billing.invoice_runs SET status = @status, finished_at = @now, invoices_issued = @issued, error = @error WHERE id = @id");
        finish.Parameters.AddWithValue("status", status);
        finish.Parameters.AddWithValue("now", time.GetUtcNow());
        finish.Parameters.AddWithValue("issued", issued);
        finish.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
        finish.Parameters.AddWithValue("id", runId);
        await finish.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking the invoice-run lock (waits while another run holds it)")]
    private partial void LogWaitingForLock();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} earlier invoice run(s) ended without recording an outcome (killed or crashed); marked failed, and this run completes their work")]
    private partial void LogAbandonedRuns(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Not invoiced: {Refusal}")]
    private partial void LogRefused(string refusal);
}
