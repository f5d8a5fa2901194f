using Microsoft.EntityFrameworkCore;

namespace Billing.Core.Data;

/// <summary>A pricing gap: an active tier and active operator with no rule valid at the instant asked about.</summary>
/// <param name="Currency">
/// The currency that active accounts of the tier are billed in and that no rule covers; null when the tier has no
/// active accounts and no rule in any currency covers the pair.
/// </param>
public sealed record PricingGap(string Tier, string Operator, string? Currency);

/// <summary>An active operator without an operator cost valid at the instant asked about.</summary>
public sealed record OperatorCostGap(string Operator, string Name);

/// <summary>Which reference data is missing for rating (risk R-BILL-05): used by preflight and the API.</summary>
public static class ReferenceDataCoverage
{
    public static Task<List<PricingGap>> FindPricingGapsAsync(
        BillingDbContext db, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<PricingGap>($"""
            WITH needed AS (
                SELECT t.code AS tier, o.mccmnc AS operator, c.currency
                FROM billing.account_tiers t
                CROSS JOIN billing.operators o
                LEFT JOIN LATERAL (
                    SELECT DISTINCT a.currency::text AS currency
                    FROM billing.accounts a
                    WHERE a.active AND a.tier = t.code) c ON true
                WHERE t.active AND o.active)
            SELECT n.tier AS "Tier", n.operator AS "Operator", n.currency AS "Currency"
            FROM needed n
            WHERE NOT EXISTS (
                SELECT 1 FROM billing.pricing_rules r
                WHERE r.tier = n.tier AND r.operator = n.operator
                  AND (n.currency IS NULL OR r.currency = n.currency)
                  AND r.valid_from <= {at} AND (r.valid_to IS NULL OR r.valid_to > {at}))
            ORDER BY 1, 2, 3
            """).ToListAsync(cancellationToken);

    public static Task<List<OperatorCostGap>> FindOperatorCostGapsAsync(
        BillingDbContext db, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<OperatorCostGap>($"""
            SELECT o.mccmnc AS "Operator", o.name AS "Name"
            FROM billing.operators o
            WHERE o.active AND NOT EXISTS (
                SELECT 1 FROM billing.operator_costs c
                WHERE c.operator = o.mccmnc
                  AND c.valid_from <= {at} AND (c.valid_to IS NULL OR c.valid_to > {at}))
            ORDER BY 1
            """).ToListAsync(cancellationToken);
}
