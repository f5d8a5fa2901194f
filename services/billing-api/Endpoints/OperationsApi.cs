using Billing.Api.Contracts;
using Billing.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Billing.Api.Endpoints;

/// <summary><c>GET /v1/ops/status</c>: what an operator checks first (unrated events, dead letters, the last invoice run).</summary>
public static class OperationsApi
{
    public static RouteGroupBuilder MapOperationsApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/ops/status", GetStatusAsync)
            .WithName("GetOpsStatus")
            .WithTags("Operations")
            .WithSummary("Unrated events by reason, dead letters by reason, the last invoice run")
            .WithDescription("""
                Unrated events are stored but priced at nothing until their rule or account is loaded and re-rated
                (billing-ops rerate); dead letters are messages that broke the event contract, kept with their bytes.
                Zero counts and a null last run before anything happened.
                """);
        return v1;
    }

    private static async Task<Ok<OpsStatus>> GetStatusAsync(
        IDbContextFactory<BillingDbContext> contexts, TimeProvider time, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var unrated = await db.BillingEvents.AsNoTracking()
            .Where(e => e.Status == "unrated")
            .GroupBy(e => e.UnratedReason!)
            .Select(g => new UnratedReasonCount(g.Key, g.LongCount(), g.Min(e => e.OccurredAt), g.Max(e => e.OccurredAt)))
            .ToListAsync(cancellationToken);
        var deadLetters = await db.DeadLetters.AsNoTracking()
            .GroupBy(d => d.ReasonCode)
            .Select(g => new DeadLetterReasonCount(g.Key, g.LongCount(), g.Max(d => d.ReceivedAt)))
            .ToListAsync(cancellationToken);
        var lastRun = await db.InvoiceRuns.AsNoTracking()
            .OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id)
            .Select(r => new InvoiceRunStatus(r.Id, r.PeriodStart, r.AccountFilter, r.DryRun, r.Status, r.StartedAt, r.FinishedAt,
                r.InvoicesIssued, r.Error))
            .FirstOrDefaultAsync(cancellationToken);
        var ingestionStart = await db.IngestionStarts.AsNoTracking()
            .Select(i => (DateTimeOffset?)i.FirstEnabledAt).FirstOrDefaultAsync(cancellationToken);

        return TypedResults.Ok(new OpsStatus(
            at,
            new UnratedStatus(unrated.Sum(u => u.Count), [.. unrated.OrderBy(u => u.Reason, StringComparer.Ordinal)]),
            new DeadLetterStatus(deadLetters.Sum(d => d.Count), deadLetters.Count == 0 ? null : deadLetters.Max(d => d.LastReceivedAt),
                [.. deadLetters.OrderBy(d => d.ReasonCode, StringComparer.Ordinal)]),
            lastRun,
            ingestionStart));
    }
}
