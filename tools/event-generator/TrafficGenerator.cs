using Billing.Core.Domain;

namespace Billing.EventGenerator;

/// <summary>
/// Turns a <see cref="TrafficPlan"/> into publications, deterministically (SPEC section 4 traffic):
/// <list type="bullet">
/// <item>each message is an <c>sms.submitted</c> (1..255 segments, mostly 1-3), followed, for
/// <see cref="TrafficPlan.ReceiptFraction"/> of them, by one receipt: <c>sms.delivered</c> (~90 %), <c>sms.failed</c>
/// (~7 %) or <c>sms.expired</c> (~3 %), seconds to minutes later, with the same account, operator and segments;</item>
/// <item>accounts and operators are drawn with Zipf-like popularity, their ranks shuffled by the seed;</item>
/// <item>submissions are spread evenly over the window, and publications come in the order of their time, as the
/// platform would publish them;</item>
/// <item>every event occurs inside the window; event ids and message ids are unique.</item>
/// </list>
/// </summary>
/// <remarks>
/// Independent random streams drive the traffic, the fault decisions and the poison contents, so changing a fault
/// fraction leaves the regular traffic (times, accounts, operators, segments, types) of a seed unchanged, except that
/// messages turned into unknown-account or unpriced ones take those accounts and operators. Event ids come from the
/// seed too: publishing the same plan again republishes the same events, which a correct consumer stores once.
/// </remarks>
public static class TrafficGenerator
{
    /// <summary>Share of receipts that are <c>sms.delivered</c>.</summary>
    public const double DeliveredShare = 0.90;

    /// <summary>Share of receipts that are <c>sms.failed</c>.</summary>
    public const double FailedShare = 0.07;

    /// <summary>Share of receipts that are <c>sms.expired</c>.</summary>
    public const double ExpiredShare = 0.03;

    /// <summary>The latest a receipt follows its submission (an expired message's validity period).</summary>
    public static readonly TimeSpan MaxReceiptDelay = TimeSpan.FromMinutes(30);

    /// <summary>The account ids that unknown-account traffic uses, none of which may be a real account.</summary>
    public static IReadOnlyList<string> UnknownAccounts { get; } = ["acc_unknown_1", "acc_unknown_2", "acc_unknown_3"];

    /// <summary>
    /// The publications of the plan, lazily (a run of millions never holds them all): exactly
    /// <see cref="TrafficPlan.Events"/> distinct valid events, plus the duplicates, redeliveries and poison asked for.
    /// Each enumeration starts afresh and gives the same publications.
    /// </summary>
    /// <exception cref="ArgumentException">The plan is not valid (thrown at once, not on enumeration).</exception>
    public static IEnumerable<Publication> Generate(TrafficPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Validate();
        if (plan.ReferenceData.Accounts.Intersect(UnknownAccounts).FirstOrDefault() is { } clash)
        {
            throw new ArgumentException($"Account {clash} exists, but the generator uses it as an unknown account.", nameof(plan));
        }
        return new Traffic(plan);
    }

    private sealed class Traffic(TrafficPlan plan) : IEnumerable<Publication>
    {
        public IEnumerator<Publication> GetEnumerator() => new Run(plan).Publications().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>One pass over a plan; all state of the random streams lives here.</summary>
    private sealed class Run(TrafficPlan plan)
    {
        // Separate streams, so one kind of choice never shifts another (see the remarks on the class).
        private readonly Random _traffic = new(plan.Seed);
        private readonly Random _faults = new(Derive(plan.Seed, 1));
        private readonly Random _poison = new(Derive(plan.Seed, 2));

        // Publications waiting for their time, in (time, order of scheduling): receipts and faulty copies.
        private readonly PriorityQueue<Publication, (DateTimeOffset At, long Order)> _pending = new();
        private long _scheduled;
        private int _poisonCount;

        private readonly HashSet<(string, string)> _unpriced = plan.ReferenceData.UnpricedPairs.Select(p => (p.AccountId, p.Operator)).ToHashSet();
        private readonly Dictionary<string, TrafficOperator> _operators = plan.ReferenceData.Operators.ToDictionary(o => o.Mccmnc, StringComparer.Ordinal);

        public IEnumerable<Publication> Publications()
        {
            var data = plan.ReferenceData;
            var accounts = new ZipfSampler<string>(data.Accounts, plan.Skew, _traffic);
            var operators = new ZipfSampler<TrafficOperator>(data.Operators, plan.Skew, _traffic);
            var runTag = _traffic.Next().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

            // Exactly plan.Events events: `messages` submissions, and receipts for exactly `receipts` of them, chosen
            // by selection sampling (each message gets one with probability receipts left / messages left).
            var messages = (int)Math.Ceiling(plan.Events / (1 + plan.ReceiptFraction));
            var receipts = plan.Events - messages;
            var slot = (plan.Window.Length - MaxReceiptDelay) / messages;

            for (var i = 0; i < messages; i++)
            {
                var submittedAt = Truncate(plan.Window.Start + slot * (i + _traffic.NextDouble()));
                foreach (var due in Due(submittedAt))
                {
                    yield return due;
                }

                var account = accounts.Sample(_traffic);
                var destination = operators.Sample(_traffic);
                while (_unpriced.Contains((account, destination.Mccmnc)))
                {
                    destination = operators.Sample(_traffic);
                }
                var segments = Segments();
                var getsReceipt = _traffic.NextDouble() * (messages - i) < receipts;
                var receiptType = ReceiptType();
                var receiptAt = Truncate(submittedAt + ReceiptDelay(receiptType));
                var submittedId = NewEventId(_traffic);
                var receiptId = NewEventId(_traffic);

                var origin = EventOrigin.Regular;
                var fault = _faults.NextDouble();
                var pick = _faults.Next();
                if (fault < plan.UnknownAccountFraction)
                {
                    origin = EventOrigin.UnknownAccount;
                    account = UnknownAccounts[pick % UnknownAccounts.Count];
                }
                else if (fault < plan.UnknownAccountFraction + plan.UnpricedFraction)
                {
                    origin = EventOrigin.UnpricedPair;
                    var pair = data.UnpricedPairs[pick % data.UnpricedPairs.Count];
                    (account, destination) = (pair.AccountId, _operators[pair.Operator]);
                }

                var submitted = new BillingEvent(
                    submittedId, SmsEventType.Submitted, submittedAt, account, $"msg_{runTag}_{i:x6}",
                    destination.Mccmnc, destination.Country, segments);
                yield return Publish(submitted, origin);

                if (getsReceipt)
                {
                    receipts--;
                    Schedule(receiptAt, Publish(submitted with { EventId = receiptId, Type = receiptType, OccurredAt = receiptAt }, origin));
                }
            }

            foreach (var due in Due(DateTimeOffset.MaxValue))
            {
                yield return due;
            }
        }

        /// <summary>An original event, with its faulty copies and any poison scheduled after it.</summary>
        private Publication Publish(BillingEvent billingEvent, EventOrigin origin)
        {
            var publication = Publication.Original(billingEvent, origin);
            var at = billingEvent.OccurredAt;

            // Always draw, so that the decisions of later events do not depend on these outcomes.
            var (duplicate, redelivery, poison) = (_faults.NextDouble(), _faults.NextDouble(), _faults.NextDouble());
            var (retryDelay, republishDelay) = (_faults.NextDouble(), _faults.NextDouble());
            if (duplicate < plan.DuplicateFraction)
            {
                // A publisher retry shortly after a lost ack: within any duplicate window.
                Schedule(at + TimeSpan.FromSeconds(0.2 + 5 * retryDelay), publication.AsDuplicate());
            }
            if (redelivery < plan.RedeliveryFraction)
            {
                // A publisher that restarted and sent its outbox again, under new message ids.
                Schedule(at + TimeSpan.FromMinutes(1 + 10 * republishDelay), publication.AsRedelivery());
            }
            if (poison < plan.PoisonFraction)
            {
                var reason = PoisonMessages.Reasons[_poisonCount++ % PoisonMessages.Reasons.Count];
                var template = billingEvent with { EventId = NewEventId(_poison), MessageId = $"{billingEvent.MessageId}_poison" };
                Schedule(at, PoisonMessages.Create(reason, template, _poison));
            }
            return publication;
        }

        private void Schedule(DateTimeOffset at, Publication publication) => _pending.Enqueue(publication, (at, _scheduled++));

        private IEnumerable<Publication> Due(DateTimeOffset until)
        {
            while (_pending.TryPeek(out var publication, out var key) && key.At <= until)
            {
                _pending.Dequeue();
                yield return publication;
            }
        }

        /// <summary>1..255, mostly 1-3: a long tail of concatenated messages.</summary>
        private int Segments() => _traffic.NextDouble() switch
        {
            < 0.70 => 1,
            < 0.88 => 2,
            < 0.95 => 3,
            < 0.99 => _traffic.Next(4, 11),
            _ => _traffic.Next(11, BillingEventParser.MaxSegments + 1),
        };

        private SmsEventType ReceiptType() => _traffic.NextDouble() switch
        {
            < DeliveredShare => SmsEventType.Delivered,
            < DeliveredShare + FailedShare => SmsEventType.Failed,
            _ => SmsEventType.Expired,
        };

        /// <summary>Log-uniform, so short delays are common and long ones rare, within each type's range.</summary>
        private TimeSpan ReceiptDelay(SmsEventType type)
        {
            var (min, max) = type switch
            {
                SmsEventType.Delivered => (TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2)),
                SmsEventType.Failed => (TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)),
                _ => (TimeSpan.FromMinutes(5), MaxReceiptDelay),
            };
            return min * Math.Pow(max / min, _traffic.NextDouble());
        }
    }

    /// <summary>A random (version 4) UUID from the given stream.</summary>
    internal static Guid NewEventId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (Guid's byte order puts it here)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    /// <summary>Millisecond precision, as publishers send it (and PostgreSQL keeps it exactly).</summary>
    private static DateTimeOffset Truncate(DateTimeOffset instant) =>
        new(instant.UtcTicks - instant.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    private static int Derive(int seed, int stream) => unchecked((seed * 397) ^ (stream * 0x2545F491));
}

/// <summary>Draws items with probability proportional to 1/rank^exponent, ranks shuffled by the random stream.</summary>
internal sealed class ZipfSampler<T>
{
    private readonly T[] _items;
    private readonly double[] _cumulative;

    public ZipfSampler(IReadOnlyList<T> items, double exponent, Random random)
    {
        _items = [.. items];
        random.Shuffle(_items);
        _cumulative = new double[_items.Length];
        var total = 0.0;
        for (var rank = 1; rank <= _items.Length; rank++)
        {
            total += 1 / Math.Pow(rank, exponent);
            _cumulative[rank - 1] = total;
        }
    }

    public T Sample(Random random)
    {
        var target = random.NextDouble() * _cumulative[^1];
        var index = Array.BinarySearch(_cumulative, target);
        return _items[Math.Min(index < 0 ? ~index : index + 1, _items.Length - 1)];
    }
}
