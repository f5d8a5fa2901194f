using Billing.Core.Domain;
using Billing.EventGenerator;

namespace Billing.Core.Tests.Tools;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class TrafficGeneratorTests
{
    private static readonly TrafficReferenceData ReferenceData = new(
        [.. Enumerable.Range(1, 20).Select(i => $"acc_{1000 + i}")],
        [
            new("63902", "KE"), new("63903", "KE"), new("62130", "NG"), new("65501", "ZA"),
            new("26201", "DE"), new("20801", "FR"), new("23415", "GB"), new("310260", "US"),
        ],
        [new("acc_1002", "20801"), new("acc_1005", "20801")]);

    private static readonly TrafficPlan CleanPlan = new()
    {
        Seed = 42,
        Events = 20_000,
        ReferenceData = ReferenceData,
        Window = TrafficWindow.Month(2026, 11),
    };

    private static readonly TrafficPlan FaultyPlan = CleanPlan with
    {
        DuplicateFraction = 0.02,
        RedeliveryFraction = 0.01,
        UnknownAccountFraction = 0.01,
        UnpricedFraction = 0.01,
        PoisonFraction = 0.01,
    };

    private static readonly Lazy<IReadOnlyList<Publication>> Faulty = new(() => [.. TrafficGenerator.Generate(FaultyPlan)]);

    private static List<Publication> Generate(TrafficPlan plan) => [.. TrafficGenerator.Generate(plan)];

    private static List<Publication> Originals(IEnumerable<Publication> publications) =>
        [.. publications.Where(p => p.Kind == PublicationKind.Event)];

    /// <summary>Everything that goes on the wire, comparable by value.</summary>
    private static List<string> Wire(IEnumerable<Publication> publications) =>
        [.. publications.Select(p => $"{p.Kind} {p.Subject} {p.MsgId} {p.Origin} {p.PoisonReason} {Convert.ToBase64String(p.Payload)}")];

    [Test]
    public void The_same_seed_gives_the_same_publications_byte_for_byte()
    {
        Assert.That(Wire(Generate(FaultyPlan)), Is.EqualTo(Wire(Faulty.Value)));
    }

    [Test]
    public void Enumerating_the_traffic_again_gives_the_same_publications()
    {
        var traffic = TrafficGenerator.Generate(CleanPlan with { Events = 1_000 });

        var first = Wire(traffic);
        var second = Wire(traffic);

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Another_seed_gives_other_events()
    {
        var other = Generate(FaultyPlan with { Seed = 43 });

        var ids = TrafficExpectation.Of(Faulty.Value).EventIds;
        var otherIds = TrafficExpectation.Of(other).EventIds;
        Assert.That(ids.Overlaps(otherIds), Is.False);
        Assert.That(Wire(other), Is.Not.EqualTo(Wire(Faulty.Value)));
        Assert.That(
            other.Select(p => p.Event?.AccountId).Take(100),
            Is.Not.EqualTo(Faulty.Value.Select(p => p.Event?.AccountId).Take(100)),
            "the accounts differ, not just the ids");
    }

    [Test]
    public void Fault_fractions_leave_the_regular_traffic_of_a_seed_unchanged()
    {
        var clean = Generate(CleanPlan);
        var faulty = Originals(Faulty.Value).Where(p => p.Origin == EventOrigin.Regular).ToList();

        Assert.That(faulty, Has.Count.GreaterThan(19_000));
        var cleanById = clean.ToDictionary(p => p.Event!.EventId);
        Assert.That(faulty.Select(p => p.Event), Is.EqualTo(faulty.Select(p => cleanById[p.Event!.EventId].Event)));
    }

    [Test]
    public void Exactly_the_requested_number_of_distinct_valid_events_is_generated([Values(1, 2, 3, 1_000, 20_000)] int events)
    {
        var publications = Generate(CleanPlan with { Events = events });

        Assert.That(publications, Has.Count.EqualTo(events));
        Assert.That(TrafficExpectation.Of(publications).EventIds, Has.Count.EqualTo(events));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void The_mix_of_types_receipts_and_segments_is_within_tolerance(int seed)
    {
        var events = Generate(CleanPlan with { Seed = seed }).Select(p => p.Event!).ToList();
        var submitted = events.Where(e => e.Type == SmsEventType.Submitted).ToList();
        var receipts = events.Where(e => e.Type != SmsEventType.Submitted).ToList();
        double ShareOfReceipts(SmsEventType type) => receipts.Count(e => e.Type == type) / (double)receipts.Count;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(receipts.Count / (double)submitted.Count, Is.EqualTo(0.98).Within(0.001), "receipts per message");
            Assert.That(ShareOfReceipts(SmsEventType.Delivered), Is.EqualTo(TrafficGenerator.DeliveredShare).Within(0.015));
            Assert.That(ShareOfReceipts(SmsEventType.Failed), Is.EqualTo(TrafficGenerator.FailedShare).Within(0.01));
            Assert.That(ShareOfReceipts(SmsEventType.Expired), Is.EqualTo(TrafficGenerator.ExpiredShare).Within(0.007));
            Assert.That(submitted.Select(e => e.Segments), Is.All.InRange(1, 255));
            Assert.That(submitted.Count(e => e.Segments <= 3) / (double)submitted.Count, Is.EqualTo(0.95).Within(0.02), "mostly 1-3 segments");
            Assert.That(submitted.Max(e => e.Segments), Is.GreaterThan(10), "a long tail");
        }
    }

    [Test]
    public void Traffic_is_skewed_towards_a_few_accounts_and_operators_yet_reaches_them_all()
    {
        var submitted = Originals(Generate(CleanPlan)).Select(p => p.Event!).Where(e => e.Type == SmsEventType.Submitted).ToList();
        var byAccount = submitted.CountBy(e => e.AccountId).Select(c => c.Value).OrderDescending().ToList();
        var byOperator = submitted.CountBy(e => e.Operator).Select(c => c.Value).OrderDescending().ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(byAccount, Has.Count.EqualTo(ReferenceData.Accounts.Count));
            Assert.That(byOperator, Has.Count.EqualTo(ReferenceData.Operators.Count));
            // Zipf with exponent 1 over 20 accounts: the busiest sends ~28 % of messages, the quietest ~1.4 %.
            Assert.That(byAccount[0] / (double)submitted.Count, Is.InRange(0.22, 0.34));
            Assert.That(byAccount[0], Is.GreaterThan(10 * byAccount[^1]));
            Assert.That(byOperator[0], Is.GreaterThan(4 * byOperator[^1]));
        }
    }

    [Test]
    public void Every_valid_event_parses_as_accepted_and_equal_to_what_was_generated()
    {
        foreach (var publication in Faulty.Value.Where(p => !p.IsPoison))
        {
            var result = BillingEventParser.Parse(publication.Subject, publication.Payload);

            Assert.That(result.IsAccepted, Is.True, () => $"{publication.Kind} {result}");
            Assert.That(result.Event, Is.EqualTo(publication.Event));
        }
    }

    [Test]
    public void Receipts_follow_their_submission_within_minutes_with_the_same_message_fields()
    {
        var events = Originals(Faulty.Value).Select(p => p.Event!).ToList();
        var submissions = events.Where(e => e.Type == SmsEventType.Submitted).ToDictionary(e => e.MessageId);
        var receipts = events.Where(e => e.Type != SmsEventType.Submitted).ToList();

        Assert.That(submissions, Has.Count.EqualTo(events.Count - receipts.Count), "message ids are unique");
        Assert.That(receipts.CountBy(e => e.MessageId).Select(c => c.Value), Is.All.EqualTo(1), "at most one receipt per message");
        foreach (var receipt in receipts)
        {
            var submission = submissions[receipt.MessageId];
            Assert.That(receipt with { EventId = submission.EventId, Type = submission.Type, OccurredAt = submission.OccurredAt }, Is.EqualTo(submission));
            Assert.That(receipt.OccurredAt - submission.OccurredAt, Is.InRange(TimeSpan.FromSeconds(1), TrafficGenerator.MaxReceiptDelay));
        }
    }

    [Test]
    public void Every_event_occurs_inside_the_window_in_whole_milliseconds_and_comes_in_time_order()
    {
        var events = Originals(Faulty.Value).Select(p => p.Event!).ToList();

        Assert.That(events.Select(e => e.OccurredAt), Is.All.Matches<DateTimeOffset>(FaultyPlan.Window.Contains));
        Assert.That(events.Select(e => e.OccurredAt.Ticks % TimeSpan.TicksPerMillisecond), Is.All.Zero);
        Assert.That(events.Select(e => e.OccurredAt), Is.Ordered);
        Assert.That(events.Min(e => e.OccurredAt), Is.LessThan(FaultyPlan.Window.Start.AddDays(1)), "spread over the whole window");
        Assert.That(events.Max(e => e.OccurredAt), Is.GreaterThan(FaultyPlan.Window.End.AddDays(-1)));
    }

    [Test]
    public void Live_traffic_lies_in_the_last_hour()
    {
        var now = new DateTimeOffset(2026, 11, 30, 23, 59, 0, TimeSpan.Zero);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now);

        var events = Generate(CleanPlan with { Events = 1_000, Window = TrafficWindow.Live(time) }).Select(p => p.Event!).ToList();

        Assert.That(events.Select(e => e.OccurredAt), Is.All.InRange(now - TrafficWindow.LiveLength, now));
    }

    [Test]
    public void Duplicates_repeat_the_msg_id_and_redeliveries_use_another_with_the_same_bytes()
    {
        var originals = Originals(Faulty.Value).ToDictionary(p => p.Event!.EventId);
        var duplicates = Faulty.Value.Where(p => p.Kind == PublicationKind.Duplicate).ToList();
        var redeliveries = Faulty.Value.Where(p => p.Kind == PublicationKind.Redelivery).ToList();
        var expectation = TrafficExpectation.Of(Faulty.Value);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(duplicates, Has.Count.InRange(300, 500), "2 % of 20,000");
            Assert.That(redeliveries, Has.Count.InRange(140, 260), "1 % of 20,000");
            Assert.That(duplicates.Select(d => d.MsgId), Is.EqualTo(duplicates.Select(d => originals[d.Event!.EventId].MsgId)));
            Assert.That(redeliveries.Select(r => r.MsgId), Has.None.AnyOf(originals.Values.Select(o => o.MsgId).ToArray()));
            Assert.That(redeliveries.Select(r => r.MsgId), Is.Unique);
            Assert.That(duplicates.Concat(redeliveries).Select(c => c.Payload), Is.EqualTo(duplicates.Concat(redeliveries).Select(c => originals[c.Event!.EventId].Payload)));
            Assert.That(expectation.EventIds, Has.Count.EqualTo(FaultyPlan.Events), "copies add no events");
            Assert.That(expectation.StreamMessages, Is.EqualTo(FaultyPlan.Events + redeliveries.Count + expectation.DeadLetters));
        }
    }

    [Test]
    public void Unknown_account_and_unpriced_traffic_is_what_the_plan_asks_for_and_regular_traffic_is_priced()
    {
        var originals = Originals(Faulty.Value);
        var unpriced = ReferenceData.UnpricedPairs.Select(p => (p.AccountId, p.Operator)).ToHashSet();
        var messages = originals.Count(p => p.Event!.Type == SmsEventType.Submitted);
        double ShareOfMessages(EventOrigin origin) =>
            originals.Count(p => p.Origin == origin && p.Event!.Type == SmsEventType.Submitted) / (double)messages;
        var expectation = TrafficExpectation.Of(Faulty.Value);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ShareOfMessages(EventOrigin.UnknownAccount), Is.EqualTo(0.01).Within(0.004));
            Assert.That(ShareOfMessages(EventOrigin.UnpricedPair), Is.EqualTo(0.01).Within(0.004));
            foreach (var publication in originals)
            {
                var e = publication.Event!;
                Assert.That(TrafficGenerator.UnknownAccounts.Contains(e.AccountId), Is.EqualTo(publication.Origin == EventOrigin.UnknownAccount), e.ToString);
                Assert.That(unpriced.Contains((e.AccountId, e.Operator)), Is.EqualTo(publication.Origin == EventOrigin.UnpricedPair), e.ToString);
            }
            Assert.That(expectation.UnknownAccountEventIds, Is.EquivalentTo(originals.Where(p => p.Origin == EventOrigin.UnknownAccount).Select(p => p.Event!.EventId)));
            Assert.That(expectation.UnpricedEventIds, Is.EquivalentTo(originals.Where(p => p.Origin == EventOrigin.UnpricedPair).Select(p => p.Event!.EventId)));
        }
    }

    private static IEnumerable<EventRejectionReason> Reasons() => Enum.GetValues<EventRejectionReason>();

    [TestCaseSource(nameof(Reasons))]
    public void Poison_of_each_kind_is_rejected_for_its_intended_reason(EventRejectionReason reason)
    {
        var poison = Faulty.Value.Where(p => p.IsPoison && p.PoisonReason == reason).ToList();

        Assert.That(poison, Has.Count.GreaterThanOrEqualTo(20), "200 poison messages cycle through 7 reasons");
        Assert.That(poison.Select(p => p.Payload), Is.Unique);
        foreach (var publication in poison)
        {
            var result = BillingEventParser.Parse(publication.Subject, publication.Payload);

            Assert.That(result.IsAccepted, Is.False, result.ToString);
            Assert.That(result.Rejection!.Reason, Is.EqualTo(reason), result.ToString);
            Assert.That(publication.Subject, Does.StartWith(SmsEventTypeExtensions.SubjectPrefix), "the stream captures it");
        }
    }

    [Test]
    public void Poison_is_counted_as_dead_letters_with_ids_of_its_own()
    {
        var expectation = TrafficExpectation.Of(Faulty.Value);
        var poison = Faulty.Value.Where(p => p.IsPoison).ToList();

        Assert.That(expectation.DeadLetters, Is.EqualTo(poison.Count).And.InRange(140, 260));
        Assert.That(expectation.DeadLettersByReason.Values.Sum(), Is.EqualTo(poison.Count));
        Assert.That(Faulty.Value.Where(p => p.Kind != PublicationKind.Duplicate).Select(p => p.MsgId), Is.Unique, "only duplicates share a Nats-Msg-Id");
    }

    [Test]
    public void An_impossible_plan_is_refused_when_generating_not_when_enumerating()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => TrafficGenerator.Generate(CleanPlan with { Events = 0 }), Throws.ArgumentException);
            Assert.That(() => TrafficGenerator.Generate(CleanPlan with { PoisonFraction = 1.5 }), Throws.ArgumentException.With.Message.Contains("PoisonFraction"));
            Assert.That(
                () => TrafficGenerator.Generate(CleanPlan with { Window = new TrafficWindow(CleanPlan.Window.Start, CleanPlan.Window.Start.AddMinutes(30)) }),
                Throws.ArgumentException.With.Message.Contains("too short"));
            Assert.That(
                () => TrafficGenerator.Generate(CleanPlan with { UnpricedFraction = 0.1, ReferenceData = ReferenceData with { UnpricedPairs = [] } }),
                Throws.ArgumentException.With.Message.Contains("unpriced pairs"));
            Assert.That(
                () => TrafficGenerator.Generate(CleanPlan with { ReferenceData = ReferenceData with { Accounts = ["acc_unknown_1"], UnpricedPairs = [] } }),
                Throws.ArgumentException.With.Message.Contains("acc_unknown_1"));
            Assert.That(
                () => TrafficGenerator.Generate(CleanPlan with
                {
                    ReferenceData = ReferenceData with { UnpricedPairs = [.. ReferenceData.Operators.Select(o => new UnpricedPair("acc_1001", o.Mccmnc))] },
                }),
                Throws.ArgumentException.With.Message.Contains("acc_1001 has no priced operator"));
        }
    }
}
