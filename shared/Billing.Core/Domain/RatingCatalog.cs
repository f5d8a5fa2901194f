using System.Collections.Frozen;
using System.Globalization;

namespace Billing.Core.Domain;

/// <summary>
/// The reference data rating needs (pricing rules, operator costs, accounts), indexed for lookups on the ingest hot
/// path. Immutable once built and safe to share between threads: build a new one when reference data changes and
/// swap the reference.
/// </summary>
/// <remarks>
/// <para>
/// Keys (tier, operator, currency, account id) are matched exactly and case-sensitively. Validity periods are
/// half-open, <c>[ValidFrom, ValidTo)</c>: at the instant one rule ends and the next begins, the next one applies.
/// </para>
/// <para>
/// The database forbids overlapping periods for a key and this class does not look for them. Should two overlap
/// anyway, lookups stay deterministic: the row valid at the instant with the later <c>ValidFrom</c> wins (of equal
/// starts, the higher id).
/// </para>
/// <para>
/// The constructor refuses rows that would make rating wrong rather than merely incomplete, naming the row: an
/// unknown or <c>XXX</c> currency, a negative price or cost, one with more than 6 decimals (the database's
/// <c>numeric(20,6)</c>; rating multiplies exactly and must never need to round), an empty or reversed period,
/// an undefined <see cref="ChargeOn"/>, an empty key, or an account id given twice.
/// </para>
/// </remarks>
public sealed class RatingCatalog
{
    /// <summary>Most decimals a unit price or cost may have.</summary>
    public const int MaxUnitDecimals = 6;

    private readonly FrozenDictionary<(string Tier, string Operator, string Currency), ValidityTimeline<PricingRule>> _rules;
    private readonly FrozenDictionary<string, ValidityTimeline<OperatorCost>> _costs;
    private readonly FrozenDictionary<string, RatedAccount> _accounts;

    /// <summary>Builds a catalog.</summary>
    /// <exception cref="ArgumentException">A row is invalid (see remarks); the message names it.</exception>
    public RatingCatalog(IEnumerable<PricingRule> rules, IEnumerable<OperatorCost> costs, IEnumerable<RatedAccount> accounts)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(accounts);

        PricingRule[] ruleRows = [.. rules];
        foreach (PricingRule rule in ruleRows)
        {
            Validate(rule);
        }

        OperatorCost[] costRows = [.. costs];
        foreach (OperatorCost cost in costRows)
        {
            Validate(cost);
        }

        var accountsById = new Dictionary<string, RatedAccount>(StringComparer.Ordinal);
        foreach (RatedAccount account in accounts)
        {
            Validate(account);
            if (!accountsById.TryAdd(account.AccountId, account))
            {
                throw new ArgumentException($"Account {Excerpt.Quote(account.AccountId)} is given more than once.", nameof(accounts));
            }
        }

        _rules = ruleRows
            .GroupBy(r => (r.Tier, r.Operator, r.Currency))
            .ToFrozenDictionary(g => g.Key, g => new ValidityTimeline<PricingRule>(g));
        _costs = costRows
            .GroupBy(c => c.Operator, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => new ValidityTimeline<OperatorCost>(g), StringComparer.Ordinal);
        _accounts = accountsById.ToFrozenDictionary(StringComparer.Ordinal);
        RuleCount = ruleRows.Length;
        CostCount = costRows.Length;
    }

    /// <summary>A catalog with no data: every event rated against it is unrated, account not found.</summary>
    public static RatingCatalog Empty { get; } = new([], [], []);

    /// <summary>Number of pricing rules.</summary>
    public int RuleCount { get; }

    /// <summary>Number of operator costs.</summary>
    public int CostCount { get; }

    /// <summary>Number of accounts.</summary>
    public int AccountCount => _accounts.Count;

    /// <summary>The pricing rule for (tier, operator, currency) valid at <paramref name="at"/>, if any.</summary>
    public PricingRule? FindRule(string tier, string @operator, string currency, DateTimeOffset at) =>
        _rules.TryGetValue((tier, @operator, currency), out ValidityTimeline<PricingRule>? timeline) ? timeline.FindValidAt(at) : null;

    /// <summary>The operator's cost valid at <paramref name="at"/>, if any.</summary>
    public OperatorCost? FindCost(string @operator, DateTimeOffset at) =>
        _costs.TryGetValue(@operator, out ValidityTimeline<OperatorCost>? timeline) ? timeline.FindValidAt(at) : null;

    /// <summary>The account with this id, if any.</summary>
    public RatedAccount? FindAccount(string accountId) => _accounts.GetValueOrDefault(accountId);

    private static void Validate(PricingRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule, "rules");
        string row = $"Pricing rule {rule.Id}";
        RequireKey(row, "tier", rule.Tier, "rules");
        RequireKey(row, "operator", rule.Operator, "rules");
        RequireBillingCurrency(row, rule.Currency, "rules");
        RequireUnitAmount(row, "unit price", rule.UnitPrice, "rules");
        RequirePeriod(row, rule.ValidFrom, rule.ValidTo, "rules");
        if (!Enum.IsDefined(rule.ChargeOn))
        {
            throw new ArgumentException($"{row}: chargeOn {(int)rule.ChargeOn} is not a defined value.", "rules");
        }
    }

    private static void Validate(OperatorCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost, "costs");
        string row = $"Operator cost {cost.Id}";
        RequireKey(row, "operator", cost.Operator, "costs");
        RequireBillingCurrency(row, cost.Currency, "costs");
        RequireUnitAmount(row, "unit cost", cost.UnitCost, "costs");
        RequirePeriod(row, cost.ValidFrom, cost.ValidTo, "costs");
    }

    private static void Validate(RatedAccount account)
    {
        ArgumentNullException.ThrowIfNull(account, "accounts");
        RequireKey("An account", "id", account.AccountId, "accounts");
        string row = $"Account {Excerpt.Quote(account.AccountId)}";
        RequireKey(row, "tier", account.Tier, "accounts");
        RequireBillingCurrency(row, account.Currency, "accounts");
    }

    private static void RequireKey(string row, string what, string? value, string parameter)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"{row} has no {what}.", parameter);
        }
    }

    private static void RequireBillingCurrency(string row, string? code, string parameter)
    {
        if (!Currency.TryFromCode(code, out Currency? currency) || currency == Currency.None)
        {
            throw new ArgumentException($"{row}: {(code is null ? "null" : Excerpt.Quote(code))} is not an ISO 4217 currency this service bills in.", parameter);
        }
    }

    private static void RequireUnitAmount(string row, string what, decimal value, string parameter)
    {
        if (value < 0m)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{row}: {what} {value} is negative."), parameter);
        }

        if (decimal.Round(value, MaxUnitDecimals) != value)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{row}: {what} {value} has more than {MaxUnitDecimals} decimals."), parameter);
        }
    }

    private static void RequirePeriod(string row, DateTimeOffset validFrom, DateTimeOffset? validTo, string parameter)
    {
        if (validTo <= validFrom)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{row}: validTo {validTo:O} is not after validFrom {validFrom:O}."), parameter);
        }
    }
}
