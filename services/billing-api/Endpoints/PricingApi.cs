using System.ComponentModel;
using Billing.Api.Contracts;
using Billing.Api.Http;
using Billing.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Billing.Api.Endpoints;

/// <summary>Pricing rules and pricing coverage gaps (risk R-BILL-05).</summary>
public static class PricingApi
{
    public static RouteGroupBuilder MapPricingApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/pricing/rules", ListRulesAsync)
            .WithName("ListPricingRules")
            .ProducesValidationProblem()
            .WithTags("Pricing")
            .WithSummary("Pricing rules, filtered by tier, operator and instant of validity")
            .WithDescription("""
                Every rule (history included) matching the filters given, ordered by tier, operator, currency and start of
                validity. With at, only the rules valid at that instant: at most one per tier, operator and currency.
                A tier or operator without rules gives an empty list.
                """);
        v1.MapGet("/pricing/gaps", ListGapsAsync)
            .WithName("ListPricingGaps")
            .ProducesValidationProblem()
            .WithTags("Pricing")
            .WithSummary("Active tier x active operator pairs without a valid pricing rule")
            .WithDescription("""
                What billing-ops preflight reports: each active tier and active operator that has no rule valid at the
                instant, in every currency active accounts of the tier are billed in. Events on such a pair are stored
                unrated until a rule is loaded and re-rated. Empty when every pair is covered.
                """);
        return v1;
    }

    private static async Task<Results<Ok<PricingRuleList>, ValidationProblem>> ListRulesAsync(
        [Description("Only this tier's rules."), ApiParameter(Pattern = ApiPatterns.TierCode, MaxLength = 32)] string? tier,
        [Description("Only this operator's rules (MCC+MNC)."), ApiParameter(Pattern = ApiPatterns.MccMnc)] string? @operator,
        [Description("Only rules valid at this instant: 2026-11-15T12:00:00Z, an explicit offset (%2B03:00), or a day (midnight UTC)."), ApiParameter(Format = "date-time")]
        string? at,
        IDbContextFactory<BillingDbContext> contexts,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var tierCode = errors.Matching(nameof(tier), tier, ApiPatterns.TierCodeRegex(), 32, "a tier code (lower-case letters, digits, '_' and '-')");
        var mccMnc = errors.Matching("operator", @operator, ApiPatterns.MccMncRegex(), 6, "an operator MCC+MNC (5 or 6 digits)");
        var instant = errors.Instant(nameof(at), at);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rules = db.PricingRules.AsNoTracking();
        if (tierCode is not null)
        {
            rules = rules.Where(r => r.Tier == tierCode);
        }
        if (mccMnc is not null)
        {
            rules = rules.Where(r => r.Operator == mccMnc);
        }
        if (instant is { } when)
        {
            rules = rules.Where(r => r.ValidFrom <= when && (r.ValidTo == null || r.ValidTo > when));
        }
        var items = await rules.OrderBy(r => r.Tier).ThenBy(r => r.Operator).ThenBy(r => r.Currency).ThenBy(r => r.ValidFrom)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new PricingRuleList([.. items.Select(r => new PricingRuleResponse(
            r.Id, r.Tier, r.Operator, r.Currency, ApiAmount.Format(r.UnitPrice, r.Currency), r.ChargeOn, r.ValidFrom, r.ValidTo))]));
    }

    private static async Task<Results<Ok<PricingGapList>, ValidationProblem>> ListGapsAsync(
        [Description("The instant to check (default now): 2026-11-15T12:00:00Z, an explicit offset (%2B03:00), or a day (midnight UTC)."), ApiParameter(Format = "date-time")]
        string? at,
        IDbContextFactory<BillingDbContext> contexts,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var instant = errors.Instant(nameof(at), at);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var when = instant ?? time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var gaps = await ReferenceDataCoverage.FindPricingGapsAsync(db, when, cancellationToken);
        return TypedResults.Ok(new PricingGapList(when, gaps));
    }
}
