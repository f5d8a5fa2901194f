using Billing.Core.Data;
using Billing.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Billing.Core.Rating;

/// <summary>Reads every pricing rule, operator cost and account into an immutable <see cref="RatingCatalog"/>.</summary>
public static class RatingCatalogLoader
{
    public static async Task<RatingCatalog> LoadAsync(BillingDbContext db, CancellationToken cancellationToken)
    {
        var rules = await db.PricingRules.AsNoTracking().ToListAsync(cancellationToken);
        var costs = await db.OperatorCosts.AsNoTracking().ToListAsync(cancellationToken);
        var accounts = await db.Accounts.AsNoTracking()
            .Select(a => new RatedAccount(a.AccountId, a.Tier, a.Currency))
            .ToListAsync(cancellationToken);
        return new RatingCatalog(
            rules.Select(r => new PricingRule(r.Id, r.Tier, r.Operator, r.Currency, r.UnitPrice,
                ChargeOn.ParseWireName(r.ChargeOn), r.ValidFrom, r.ValidTo)),
            costs.Select(c => new OperatorCost(c.Id, c.Operator, c.Currency, c.UnitCost, c.ValidFrom, c.ValidTo)),
            accounts);
    }
}
