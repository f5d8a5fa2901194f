using Billing.Core.Data;
using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore;

namespace Billing.Migrations.Preflight;

/// <summary>One line of the pre-launch checklist.</summary>
internal sealed record PreflightResult(string Item, bool Passed, string Detail)
{
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")}  {Item}: {Detail}";
}

/// <summary>
/// Makes the pre-launch checklist (seed section 2) executable: every item is checked and reported, and a failed item
/// never stops the others from being checked.
/// </summary>
internal sealed class PreflightRunner(BillingDbContext db, SchemaMigrator migrator, TimeProvider time)
{
    /// <summary>How many gaps a FAIL line lists before it summarises the rest.</summary>
    private const int MaxListed = 25;

    public async Task<IReadOnlyList<PreflightResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<PreflightResult>();
        SchemaState schema;
        try
        {
            schema = await migrator.GetStateAsync(cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
        {
            results.Add(new PreflightResult("database reachable", false, e.Message));
            return results;
        }
        results.Add(new PreflightResult("database reachable", true, db.Database.GetDbConnection().DataSource));
        results.Add(CheckSchema(schema));

        var now = time.GetUtcNow();
        if (!schema.IsCurrent)
        {
            results.Add(new PreflightResult("pricing rules cover active tiers x active operators", false, "not checked: schema not current"));
            results.Add(new PreflightResult("operator costs cover active operators", false, "not checked: schema not current"));
            return results;
        }

        var pricingGaps = await ReferenceDataCoverage.FindPricingGapsAsync(db, now, cancellationToken);
        results.Add(new PreflightResult(
            "pricing rules cover active tiers x active operators",
            pricingGaps.Count == 0,
            pricingGaps.Count == 0
                ? $"every active tier x active operator has a rule valid at {now:O}"
                : $"{pricingGaps.Count} gap(s) at {now:O}: " + List(pricingGaps.Select(g =>
                    $"tier={g.Tier} operator={g.Operator}{(g.Currency is null ? "" : $" currency={g.Currency}")}"))));

        var costGaps = await ReferenceDataCoverage.FindOperatorCostGapsAsync(db, now, cancellationToken);
        results.Add(new PreflightResult(
            "operator costs cover active operators",
            costGaps.Count == 0,
            costGaps.Count == 0
                ? $"every active operator has a cost valid at {now:O}"
                : $"{costGaps.Count} operator(s) without a cost at {now:O}: " + List(costGaps.Select(g => $"{g.Operator} ({g.Name})"))));
        return results;
    }

    private static PreflightResult CheckSchema(SchemaState schema)
    {
        const string item = "billing schema migrations applied";
        if (schema.Unknown.Count > 0)
        {
            return new(item, false, $"the database has migrations this build does not know: {string.Join(", ", schema.Unknown)} (deploy the newer build)");
        }
        if (schema.Applied.Count == 0)
        {
            return new(item, false, "no migration applied; run billing-ops migrate (or apply migrations/billing-schema.sql)");
        }
        return schema.Pending.Count > 0
            ? new(item, false, $"{schema.Pending.Count} pending: {string.Join(", ", schema.Pending)}")
            : new(item, true, $"{schema.Applied.Count} applied, none pending (latest {schema.Applied[^1]})");
    }

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        var shown = string.Join("; ", all.Take(MaxListed));
        return all.Count > MaxListed ? $"{shown}; and {all.Count - MaxListed} more" : shown;
    }
}
