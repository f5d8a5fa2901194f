using System.Globalization;
using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class RaterTests
{
    private static readonly DateTimeOffset PriceChange = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset OccurredAt = new(2026, 11, 12, 10, 15, 30, 123, TimeSpan.Zero);

    private static readonly RatedAccount Gold = new("acc_gold", "gold", "USD");
    private static readonly RatedAccount DeliveredOnly = new("acc_dlr", "dlr-only", "USD");
    private static readonly RatedAccount Euro = new("acc_eur", "gold", "EUR");
    private static readonly RatedAccount NoRules = new("acc_new", "platinum", "USD");

    private static readonly PricingRule GoldOctober = new(10, "gold", "63902", "USD", 0.0100m, ChargeOn.Submitted, PriceChange.AddMonths(-1), PriceChange);
    private static readonly PricingRule GoldNovember = new(11, "gold", "63902", "USD", 0.0125m, ChargeOn.Submitted, PriceChange, null);
    private static readonly PricingRule DeliveredOnlyRule = new(20, "dlr-only", "63902", "USD", 0.0125m, ChargeOn.Delivered, PriceChange.AddMonths(-1), null);
    private static readonly PricingRule TinyPrice = new(30, "gold", "62130", "USD", 0.000123m, ChargeOn.Submitted, PriceChange.AddMonths(-1), null);

    private static readonly OperatorCost SafaricomOctober = new(100, "63902", "KES", 0.80m, PriceChange.AddMonths(-1), PriceChange);
    private static readonly OperatorCost SafaricomNovember = new(101, "63902", "KES", 0.85m, PriceChange, null);

    private static readonly RatingCatalog Catalog = new(
        [GoldOctober, GoldNovember, DeliveredOnlyRule, TinyPrice],
        [SafaricomOctober, SafaricomNovember],
        [Gold, DeliveredOnly, Euro, NoRules]);

    // ---- Billable or not: 4 event types x 2 chargeOn ------------------------------------------------------------

    [TestCase(SmsEventType.Submitted, "acc_gold", true, "0.0375", TestName = "Submitted event under chargeOn submitted is billed")]
    [TestCase(SmsEventType.Delivered, "acc_gold", false, "0", TestName = "Delivered event under chargeOn submitted is not billed")]
    [TestCase(SmsEventType.Failed, "acc_gold", false, "0", TestName = "Failed event under chargeOn submitted is not billed")]
    [TestCase(SmsEventType.Expired, "acc_gold", false, "0", TestName = "Expired event under chargeOn submitted is not billed")]
    [TestCase(SmsEventType.Submitted, "acc_dlr", false, "0", TestName = "Submitted event under chargeOn delivered is not billed")]
    [TestCase(SmsEventType.Delivered, "acc_dlr", true, "0.0375", TestName = "Delivered event under chargeOn delivered is billed")]
    [TestCase(SmsEventType.Failed, "acc_dlr", false, "0", TestName = "Failed event under chargeOn delivered is not billed")]
    [TestCase(SmsEventType.Expired, "acc_dlr", false, "0", TestName = "Expired event under chargeOn delivered is not billed")]
    public void Event_is_billable_only_when_its_type_is_the_rules_charge_on(SmsEventType type, string accountId, bool billable, string amount)
    {
        RatingResult result = Rater.Rate(Event(type, accountId, segments: 3), Catalog);

        PricingRule rule = accountId == Gold.AccountId ? GoldNovember : DeliveredOnlyRule;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Status, Is.EqualTo(RatingStatus.Rated));
            Assert.That(result.IsRated, Is.True);
            Assert.That(result.UnratedReason, Is.Null);
            Assert.That(result.Billable, Is.EqualTo(billable));
            Assert.That(result.Amount, Is.EqualTo(Dec(amount)));
            Assert.That(result.RuleId, Is.EqualTo(rule.Id), "a non-billable event still records its rule");
            Assert.That(result.UnitPrice, Is.EqualTo(rule.UnitPrice));
            Assert.That(result.ChargeOn, Is.EqualTo(rule.ChargeOn));
            Assert.That(result.Currency, Is.EqualTo("USD"));
            Assert.That(result.Tier, Is.EqualTo(rule.Tier));
            Assert.That(result.Operator, Is.EqualTo("63902"));
        }
    }

    [Test]
    public void Amount_is_segments_times_unit_price_exactly_without_rounding()
    {
        RatingResult result = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 255, @operator: "62130"), Catalog);

        Assert.That(result.Amount, Is.EqualTo(0.031365m));
        Assert.That(result.Amount!.Value.ToString(CultureInfo.InvariantCulture), Is.EqualTo("0.031365"));
    }

    [Test]
    public void Rule_valid_at_the_events_time_is_used_across_a_price_change()
    {
        RatingResult before = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 2, at: PriceChange.AddTicks(-1)), Catalog);
        RatingResult at = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 2, at: PriceChange), Catalog);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((before.RuleId, before.Amount), Is.EqualTo(((long?)10, (decimal?)0.0200m)));
            Assert.That((at.RuleId, at.Amount), Is.EqualTo(((long?)11, (decimal?)0.0250m)));
        }
    }

    // ---- Unrated ------------------------------------------------------------------------------------------------

    [Test]
    public void Unknown_account_is_unrated_and_carries_no_price()
    {
        RatingResult result = Rater.Rate(Event(SmsEventType.Delivered, "acc_unknown", segments: 2), Catalog);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Status, Is.EqualTo(RatingStatus.Unrated));
            Assert.That(result.IsRated, Is.False);
            Assert.That(result.UnratedReason, Is.EqualTo(UnratedReason.AccountNotFound));
            Assert.That(result.Operator, Is.EqualTo("63902"));
            Assert.That(result.Tier, Is.Null);
            Assert.That(result.Currency, Is.Null);
            Assert.That(result.RuleId, Is.Null);
            Assert.That(result.UnitPrice, Is.Null);
            Assert.That(result.ChargeOn, Is.Null);
            Assert.That(result.Amount, Is.Null, "unrated must not look like a price of zero");
            Assert.That(result.Billable, Is.False);
        }
    }

    [TestCase("acc_new", "platinum", "63902", TestName = "Tier without rules is pricing not found")]
    [TestCase("acc_gold", "gold", "64110", TestName = "Operator without a rule for the tier is pricing not found")]
    [TestCase("acc_eur", "gold", "63902", TestName = "Rule in another currency than the account is pricing not found")]
    public void Event_without_a_valid_rule_is_unrated_carrying_tier_and_operator(string accountId, string tier, string @operator)
    {
        RatingResult result = Rater.Rate(Event(SmsEventType.Submitted, accountId, segments: 1, @operator: @operator), Catalog);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Status, Is.EqualTo(RatingStatus.Unrated));
            Assert.That(result.UnratedReason, Is.EqualTo(UnratedReason.PricingNotFound));
            Assert.That(result.Tier, Is.EqualTo(tier));
            Assert.That(result.Operator, Is.EqualTo(@operator));
            Assert.That(result.Currency, Is.EqualTo(Catalog.FindAccount(accountId)!.Currency));
            Assert.That(result.RuleId, Is.Null);
            Assert.That(result.Amount, Is.Null);
            Assert.That(result.Billable, Is.False);
        }
    }

    [Test]
    public void Event_before_the_first_rule_is_pricing_not_found()
    {
        RatingResult result = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 1, at: GoldOctober.ValidFrom.AddTicks(-1)), Catalog);

        Assert.That(result.UnratedReason, Is.EqualTo(UnratedReason.PricingNotFound));
    }

    // ---- Cost ---------------------------------------------------------------------------------------------------

    [Test]
    public void Submitted_event_is_costed_in_the_operators_currency()
    {
        RatingResult result = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 3), Catalog);

        Assert.That(result.HasCost, Is.True);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.CostId, Is.EqualTo(101));
            Assert.That(result.UnitCost, Is.EqualTo(0.85m));
            Assert.That(result.CostAmount, Is.EqualTo(2.55m));
            Assert.That(result.CostCurrency, Is.EqualTo("KES"));
            Assert.That(result.Currency, Is.EqualTo("USD"), "price and cost currencies are independent");
            Assert.That(result.CostMissing, Is.False);
        }
    }

    [Test]
    public void Cost_valid_at_the_events_time_is_used()
    {
        RatingResult before = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 1, at: PriceChange.AddTicks(-1)), Catalog);
        RatingResult at = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 1, at: PriceChange), Catalog);

        Assert.That((before.CostId, before.CostAmount), Is.EqualTo(((long?)100, (decimal?)0.80m)));
        Assert.That((at.CostId, at.CostAmount), Is.EqualTo(((long?)101, (decimal?)0.85m)));
    }

    [Test]
    public void Submitted_event_without_a_valid_cost_is_still_rated_and_flags_the_cost_missing()
    {
        RatingResult result = Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments: 1, @operator: "62130"), Catalog);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Status, Is.EqualTo(RatingStatus.Rated));
            Assert.That(result.Amount, Is.EqualTo(0.000123m));
            Assert.That(result.HasCost, Is.False);
            Assert.That(result.CostMissing, Is.True);
            Assert.That(result.CostId, Is.Null);
            Assert.That(result.UnitCost, Is.Null);
            Assert.That(result.CostAmount, Is.Null);
            Assert.That(result.CostCurrency, Is.Null);
        }
    }

    [TestCase(SmsEventType.Delivered)]
    [TestCase(SmsEventType.Failed)]
    [TestCase(SmsEventType.Expired)]
    public void Delivery_receipts_have_no_cost_and_none_is_missing(SmsEventType type)
    {
        RatingResult withCost = Rater.Rate(Event(type, Gold.AccountId, segments: 3), Catalog);
        RatingResult withoutCost = Rater.Rate(Event(type, Gold.AccountId, segments: 3, @operator: "62130"), Catalog);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((withCost.HasCost, withCost.CostMissing, withCost.CostAmount), Is.EqualTo((false, false, (decimal?)null)));
            Assert.That((withoutCost.HasCost, withoutCost.CostMissing, withoutCost.CostAmount), Is.EqualTo((false, false, (decimal?)null)));
        }
    }

    [Test]
    public void Unrated_submitted_event_is_still_costed_because_the_operator_charges_anyway()
    {
        RatingResult unknownAccount = Rater.Rate(Event(SmsEventType.Submitted, "acc_unknown", segments: 2), Catalog);
        RatingResult noRule = Rater.Rate(Event(SmsEventType.Submitted, NoRules.AccountId, segments: 2), Catalog);
        RatingResult noRuleNoCost = Rater.Rate(Event(SmsEventType.Submitted, NoRules.AccountId, segments: 2, @operator: "62130"), Catalog);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((unknownAccount.UnratedReason, unknownAccount.CostId, unknownAccount.CostAmount), Is.EqualTo(((UnratedReason?)UnratedReason.AccountNotFound, (long?)101, (decimal?)1.70m)));
            Assert.That((noRule.UnratedReason, noRule.CostId, noRule.CostAmount), Is.EqualTo(((UnratedReason?)UnratedReason.PricingNotFound, (long?)101, (decimal?)1.70m)));
            Assert.That((noRuleNoCost.HasCost, noRuleNoCost.CostMissing), Is.EqualTo((false, true)));
        }
    }

    // ---- Guards -------------------------------------------------------------------------------------------------

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(256)]
    public void Event_with_segments_outside_the_contract_is_never_priced(int segments) =>
        Assert.That(() => Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, segments), Catalog), Throws.TypeOf<ArgumentOutOfRangeException>());

    [Test]
    public void Event_of_an_undefined_type_is_never_priced() =>
        Assert.That(() => Rater.Rate(Event((SmsEventType)9, Gold.AccountId, 1), Catalog), Throws.TypeOf<ArgumentOutOfRangeException>());

    [Test]
    public void Rating_against_the_empty_catalog_finds_no_account() =>
        Assert.That(Rater.Rate(Event(SmsEventType.Submitted, Gold.AccountId, 1), RatingCatalog.Empty).UnratedReason, Is.EqualTo(UnratedReason.AccountNotFound));

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private static BillingEvent Event(SmsEventType type, string accountId, int segments, string @operator = "63902", DateTimeOffset? at = null) =>
        new(Guid.NewGuid(), type, at ?? OccurredAt, accountId, "msg_1", @operator, "KE", segments);

    private static decimal Dec(string value) => decimal.Parse(value, CultureInfo.InvariantCulture);
}
