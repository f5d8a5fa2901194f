using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class RatingCatalogTests
{
    private static readonly DateTimeOffset Jan1 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Feb1 = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Mar1 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Apr1 = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Dec1 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    // ---- Validity of one row ------------------------------------------------------------------------------------

    [Test]
    public void Rule_validity_is_half_open()
    {
        PricingRule rule = Rule(1, Jan1, Feb1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rule.IsValidAt(Jan1.AddTicks(-1)), Is.False, "before ValidFrom");
            Assert.That(rule.IsValidAt(Jan1), Is.True, "at ValidFrom");
            Assert.That(rule.IsValidAt(Feb1.AddTicks(-1)), Is.True, "one tick before ValidTo");
            Assert.That(rule.IsValidAt(Feb1), Is.False, "at ValidTo");
            Assert.That(Rule(2, Jan1, null).IsValidAt(DateTimeOffset.MaxValue), Is.True, "open-ended");
        }
    }

    [Test]
    public void Cost_validity_is_half_open()
    {
        OperatorCost cost = Cost(1, "63902", Jan1, Feb1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cost.IsValidAt(Jan1.AddTicks(-1)), Is.False, "before ValidFrom");
            Assert.That(cost.IsValidAt(Jan1), Is.True, "at ValidFrom");
            Assert.That(cost.IsValidAt(Feb1.AddTicks(-1)), Is.True, "one tick before ValidTo");
            Assert.That(cost.IsValidAt(Feb1), Is.False, "at ValidTo");
            Assert.That(Cost(2, "63902", Jan1, null).IsValidAt(DateTimeOffset.MaxValue), Is.True, "open-ended");
        }
    }

    [Test]
    public void Validity_compares_instants_whatever_the_offsets()
    {
        // 03:00 at +03:00 is midnight UTC.
        PricingRule rule = Rule(1, new DateTimeOffset(2026, 1, 1, 3, 0, 0, TimeSpan.FromHours(3)), null);

        Assert.That(rule.IsValidAt(Jan1), Is.True);
        Assert.That(rule.IsValidAt(Jan1.AddTicks(-1)), Is.False);
        Assert.That(Catalog([rule]).FindRule("gold", "63902", "USD", Jan1), Is.SameAs(rule));
    }

    // ---- Rule lookup --------------------------------------------------------------------------------------------

    [Test]
    public void Rule_is_found_from_exactly_its_valid_from_and_the_next_takes_over_at_its_valid_to()
    {
        PricingRule january = Rule(1, Jan1, Feb1);
        PricingRule fromFebruary = Rule(2, Feb1, null);
        RatingCatalog catalog = Catalog([fromFebruary, january]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Find(catalog, Jan1.AddTicks(-1)), Is.Null, "before the first rule");
            Assert.That(Find(catalog, Jan1), Is.SameAs(january), "at ValidFrom");
            Assert.That(Find(catalog, Feb1.AddTicks(-1)), Is.SameAs(january), "one tick before ValidTo");
            Assert.That(Find(catalog, Feb1), Is.SameAs(fromFebruary), "at ValidTo the next rule applies");
            Assert.That(Find(catalog, new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero)), Is.SameAs(fromFebruary), "open-ended");
        }
    }

    [Test]
    public void Between_two_rules_there_is_no_rule()
    {
        RatingCatalog catalog = Catalog([Rule(1, Jan1, Feb1), Rule(2, Mar1, Apr1)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Find(catalog, Feb1), Is.Null);
            Assert.That(Find(catalog, Mar1.AddTicks(-1)), Is.Null);
            Assert.That(Find(catalog, Mar1)?.Id, Is.EqualTo(2));
            Assert.That(Find(catalog, Apr1), Is.Null, "after the last rule ended");
        }
    }

    [TestCase("silver", "63902", "USD", TestName = "Rule of another tier does not match")]
    [TestCase("gold", "63903", "USD", TestName = "Rule of another operator does not match")]
    [TestCase("gold", "63902", "EUR", TestName = "Rule of another currency does not match")]
    [TestCase("Gold", "63902", "USD", TestName = "Tier is matched case-sensitively")]
    [TestCase("gold", "63902", "usd", TestName = "Currency is matched case-sensitively")]
    public void Rule_keys_must_match_exactly(string tier, string @operator, string currency)
    {
        RatingCatalog catalog = Catalog([Rule(1, Jan1, null)]);

        Assert.That(catalog.FindRule(tier, @operator, currency, Feb1), Is.Null);
        Assert.That(catalog.FindRule("gold", "63902", "USD", Feb1)?.Id, Is.EqualTo(1), "the rule itself is found");
    }

    [Test]
    public void Each_key_has_its_own_timeline()
    {
        PricingRule goldUsd = Rule(1, Jan1, null);
        PricingRule goldEur = Rule(2, Jan1, null) with { Currency = "EUR", UnitPrice = 0.9m };
        PricingRule silverUsd = Rule(3, Feb1, null) with { Tier = "silver" };
        RatingCatalog catalog = Catalog([goldUsd, goldEur, silverUsd]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(catalog.FindRule("gold", "63902", "USD", Feb1), Is.SameAs(goldUsd));
            Assert.That(catalog.FindRule("gold", "63902", "EUR", Feb1), Is.SameAs(goldEur));
            Assert.That(catalog.FindRule("silver", "63902", "USD", Feb1), Is.SameAs(silverUsd));
            Assert.That(catalog.FindRule("silver", "63902", "USD", Jan1), Is.Null);
        }
    }

    [Test]
    public void Overlapping_rules_resolve_to_the_later_valid_from()
    {
        // The database forbids this; the catalog must still answer the same way every time.
        PricingRule year = Rule(1, Jan1, Dec1);
        PricingRule march = Rule(2, Mar1, Apr1);
        PricingRule sameStartLowerId = Rule(3, Feb1, Mar1);
        PricingRule sameStartHigherId = Rule(4, Feb1, Mar1);
        RatingCatalog catalog = Catalog([march, sameStartHigherId, year, sameStartLowerId]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Find(catalog, Jan1), Is.SameAs(year));
            Assert.That(Find(catalog, Feb1), Is.SameAs(sameStartHigherId), "equal starts: higher id");
            Assert.That(Find(catalog, Mar1), Is.SameAs(march));
            Assert.That(Find(catalog, Apr1), Is.SameAs(year), "the long rule again once the short one ended");
            Assert.That(Find(catalog, Dec1), Is.Null);
        }
    }

    [Test]
    public void Lookup_agrees_with_a_linear_scan_on_many_rules_with_overlaps_and_gaps()
    {
        var random = new Random(20261112);
        var rules = new List<PricingRule>();
        for (int id = 1; id <= 300; id++)
        {
            DateTimeOffset from = Jan1.AddHours(random.Next(0, 24 * 365));
            DateTimeOffset? to = random.Next(10) == 0 ? null : from.AddHours(random.Next(1, 24 * 20));
            rules.Add(Rule(id, from, to));
        }

        RatingCatalog catalog = Catalog(rules);
        IEnumerable<DateTimeOffset> instants = rules
            .SelectMany(r => new[] { r.ValidFrom, r.ValidFrom.AddTicks(-1), r.ValidTo ?? Jan1, (r.ValidTo ?? Jan1).AddTicks(-1) })
            .Concat(Enumerable.Range(0, 2000).Select(_ => Jan1.AddMinutes(random.Next(-60 * 24 * 10, 60 * 24 * 400))));

        foreach (DateTimeOffset at in instants)
        {
            PricingRule? expected = rules
                .Where(r => r.IsValidAt(at))
                .OrderByDescending(r => r.ValidFrom)
                .ThenByDescending(r => r.Id)
                .FirstOrDefault();
            Assert.That(Find(catalog, at), Is.SameAs(expected), $"at {at:O}");
        }
    }

    // ---- Cost and account lookup --------------------------------------------------------------------------------

    [Test]
    public void Cost_is_found_by_operator_at_its_validity_boundaries()
    {
        OperatorCost old = Cost(1, "63902", Jan1, Feb1);
        OperatorCost current = Cost(2, "63902", Feb1, null) with { Currency = "KES", UnitCost = 0.45m };
        OperatorCost other = Cost(3, "63903", Jan1, null);
        RatingCatalog catalog = new([], [current, other, old], []);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(catalog.FindCost("63902", Jan1.AddTicks(-1)), Is.Null);
            Assert.That(catalog.FindCost("63902", Jan1), Is.SameAs(old));
            Assert.That(catalog.FindCost("63902", Feb1.AddTicks(-1)), Is.SameAs(old));
            Assert.That(catalog.FindCost("63902", Feb1), Is.SameAs(current));
            Assert.That(catalog.FindCost("63903", Feb1), Is.SameAs(other));
            Assert.That(catalog.FindCost("63904", Feb1), Is.Null);
        }
    }

    [Test]
    public void Account_is_found_by_exact_id()
    {
        var account = new RatedAccount("acc_1042", "gold", "USD");
        RatingCatalog catalog = new([], [], [account, new RatedAccount("acc_1043", "silver", "EUR")]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(catalog.FindAccount("acc_1042"), Is.SameAs(account));
            Assert.That(catalog.FindAccount("ACC_1042"), Is.Null);
            Assert.That(catalog.FindAccount("acc_104"), Is.Null);
            Assert.That(catalog.AccountCount, Is.EqualTo(2));
        }
    }

    [Test]
    public void Empty_catalog_finds_nothing()
    {
        RatingCatalog catalog = RatingCatalog.Empty;

        using (Assert.EnterMultipleScope())
        {
            Assert.That((catalog.RuleCount, catalog.CostCount, catalog.AccountCount), Is.EqualTo((0, 0, 0)));
            Assert.That(Find(catalog, Jan1), Is.Null);
            Assert.That(catalog.FindCost("63902", Jan1), Is.Null);
            Assert.That(catalog.FindAccount("acc_1042"), Is.Null);
        }
    }

    [Test]
    public void Catalog_keeps_what_it_was_built_from_even_if_the_source_list_changes()
    {
        var rules = new List<PricingRule> { Rule(1, Jan1, null) };
        RatingCatalog catalog = Catalog(rules);

        rules.Clear();

        Assert.That(Find(catalog, Feb1)?.Id, Is.EqualTo(1));
        Assert.That(catalog.RuleCount, Is.EqualTo(1));
    }

    // ---- Rows that would make rating wrong ----------------------------------------------------------------------

    private static IEnumerable<TestCaseData> InvalidRules()
    {
        PricingRule valid = Rule(7, Jan1, Feb1);
        yield return Invalid(valid with { UnitPrice = -0.01m }, "negative").SetName("Rule with a negative price is refused");
        yield return Invalid(valid with { UnitPrice = 0.0000001m }, "more than 6 decimals").SetName("Rule with a price of 7 decimals is refused");
        yield return Invalid(valid with { Currency = "usd" }, "'usd'").SetName("Rule in a lower-case currency is refused");
        yield return Invalid(valid with { Currency = "ABC" }, "'ABC'").SetName("Rule in an unknown currency is refused");
        yield return Invalid(valid with { Currency = "XXX" }, "'XXX'").SetName("Rule in no currency is refused");
        yield return Invalid(valid with { ValidTo = Jan1 }, "not after validFrom").SetName("Rule with an empty period is refused");
        yield return Invalid(valid with { ValidTo = Jan1.AddDays(-1) }, "not after validFrom").SetName("Rule ending before it starts is refused");
        yield return Invalid(valid with { ChargeOn = (ChargeOn)9 }, "chargeOn 9").SetName("Rule with an undefined chargeOn is refused");
        yield return Invalid(valid with { Tier = "" }, "no tier").SetName("Rule without a tier is refused");
        yield return Invalid(valid with { Operator = "" }, "no operator").SetName("Rule without an operator is refused");

        static TestCaseData Invalid(PricingRule rule, string says) => new(rule, says);
    }

    [TestCaseSource(nameof(InvalidRules))]
    public void Invalid_rule_is_refused_naming_it(PricingRule rule, string says) =>
        Assert.That(
            () => Catalog([Rule(1, Jan1, null), rule]),
            Throws.ArgumentException.With.Message.Contains("Pricing rule 7").And.Message.Contains(says)
                .And.Property(nameof(ArgumentException.ParamName)).EqualTo("rules"));

    [TestCase("-1", "negative")]
    [TestCase("0.1234567", "more than 6 decimals")]
    public void Invalid_cost_is_refused_naming_it(string unitCost, string says) =>
        Assert.That(
            () => new RatingCatalog([], [Cost(5, "63902", Jan1, null) with { UnitCost = decimal.Parse(unitCost, System.Globalization.CultureInfo.InvariantCulture) }], []),
            Throws.ArgumentException.With.Message.Contains("Operator cost 5").And.Message.Contains(says));

    [Test]
    public void Cost_in_an_unknown_currency_is_refused() =>
        Assert.That(
            () => new RatingCatalog([], [Cost(5, "63902", Jan1, null) with { Currency = "KSH" }], []),
            Throws.ArgumentException.With.Message.Contains("Operator cost 5").And.Message.Contains("'KSH'"));

    [Test]
    public void Prices_with_six_decimals_or_trailing_zeros_are_accepted()
    {
        RatingCatalog catalog = Catalog([Rule(1, Jan1, Feb1) with { UnitPrice = 0.000001m }, Rule(2, Feb1, null) with { UnitPrice = 1.5000000000m }]);

        Assert.That(catalog.RuleCount, Is.EqualTo(2));
    }

    [Test]
    public void Account_given_twice_is_refused_naming_it() =>
        Assert.That(
            () => new RatingCatalog([], [], [new RatedAccount("acc_1", "gold", "USD"), new RatedAccount("acc_1", "silver", "USD")]),
            Throws.ArgumentException.With.Message.Contains("'acc_1'").And.Message.Contains("more than once"));

    [TestCase("", "gold", "USD", "no id")]
    [TestCase("acc_1", "", "USD", "no tier")]
    [TestCase("acc_1", "gold", "Usd", "'Usd'")]
    [TestCase("acc_1", "gold", "XXX", "'XXX'")]
    public void Invalid_account_is_refused(string accountId, string tier, string currency, string says) =>
        Assert.That(
            () => new RatingCatalog([], [], [new RatedAccount(accountId, tier, currency)]),
            Throws.ArgumentException.With.Message.Contains(says).And.Property(nameof(ArgumentException.ParamName)).EqualTo("accounts"));

    [Test]
    public void Null_rows_are_refused()
    {
        Assert.That(() => new RatingCatalog([null!], [], []), Throws.ArgumentNullException);
        Assert.That(() => new RatingCatalog([], [null!], []), Throws.ArgumentNullException);
        Assert.That(() => new RatingCatalog([], [], [null!]), Throws.ArgumentNullException);
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private static PricingRule Rule(long id, DateTimeOffset from, DateTimeOffset? to) =>
        new(id, "gold", "63902", "USD", 0.01m * id, ChargeOn.Submitted, from, to);

    private static OperatorCost Cost(long id, string @operator, DateTimeOffset from, DateTimeOffset? to) =>
        new(id, @operator, "USD", 0.004m, from, to);

    private static RatingCatalog Catalog(IEnumerable<PricingRule> rules) => new(rules, [], []);

    private static PricingRule? Find(RatingCatalog catalog, DateTimeOffset at) => catalog.FindRule("gold", "63902", "USD", at);
}
