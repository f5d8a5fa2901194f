namespace Billing.EventGenerator;

/// <summary>
/// The half-open UTC interval [<see cref="Start"/>, <see cref="End"/>) in which every generated event occurs.
/// </summary>
public sealed record TrafficWindow
{
    /// <summary>How far back <see cref="Live"/> reaches.</summary>
    public static readonly TimeSpan LiveLength = TimeSpan.FromHours(1);

    /// <exception cref="ArgumentException"><paramref name="end"/> is not after <paramref name="start"/>.</exception>
    public TrafficWindow(DateTimeOffset start, DateTimeOffset end)
    {
        if (end <= start)
        {
            throw new ArgumentException($"The window must end after it starts ({start:O} .. {end:O}).", nameof(end));
        }

        Start = start.ToUniversalTime();
        End = end.ToUniversalTime();
    }

    public DateTimeOffset Start { get; }

    public DateTimeOffset End { get; }

    public TimeSpan Length => End - Start;

    /// <summary>A calendar month in UTC, e.g. <c>Month(2026, 11)</c> = [2026-11-01, 2026-12-01).</summary>
    public static TrafficWindow Month(int year, int month)
    {
        var start = new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero);
        return new TrafficWindow(start, start.AddMonths(1));
    }

    /// <summary>The last <see cref="LiveLength"/> before now: recent traffic, none of it in the future.</summary>
    public static TrafficWindow Live(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        return new TrafficWindow(now - LiveLength, now);
    }

    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    public override string ToString() => $"{Start:yyyy-MM-ddTHH:mm:ssZ} .. {End:yyyy-MM-ddTHH:mm:ssZ}";
}

/// <summary>
/// What <see cref="TrafficGenerator"/> produces: <see cref="Events"/> distinct, valid events (every message an
/// <c>sms.submitted</c>, most followed by one receipt), plus the faults the fractions ask for. The same plan always
/// gives the same publications.
/// </summary>
/// <remarks>
/// Fractions are probabilities: <see cref="UnknownAccountFraction"/> and <see cref="UnpricedFraction"/> per message
/// (its submission and receipt alike), the others per distinct event, whose faulty copies come on top of
/// <see cref="Events"/>.
/// </remarks>
public sealed record TrafficPlan
{
    /// <summary>Every random choice follows from it: same seed, same publications.</summary>
    public required int Seed { get; init; }

    /// <summary>Distinct valid events: what a correct consumer stores, once each.</summary>
    public required int Events { get; init; }

    public required TrafficReferenceData ReferenceData { get; init; }

    /// <summary>When the events occur. It must be longer than twice <see cref="TrafficGenerator.MaxReceiptDelay"/>.</summary>
    public required TrafficWindow Window { get; init; }

    /// <summary>Share of messages that get a delivery receipt; the rest never hear back (as happens).</summary>
    public double ReceiptFraction { get; init; } = 0.98;

    /// <summary>Zipf exponent of account and operator popularity: the k-th most popular gets weight 1/k^s.</summary>
    public double Skew { get; init; } = 1.0;

    /// <summary>Events republished with the same <c>Nats-Msg-Id</c>: the stream drops them (within its duplicate window).</summary>
    public double DuplicateFraction { get; init; }

    /// <summary>Events republished with another <c>Nats-Msg-Id</c>: they reach the consumer twice, as after a publisher restart.</summary>
    public double RedeliveryFraction { get; init; }

    /// <summary>Messages from an account that does not exist: stored unrated (account not found).</summary>
    public double UnknownAccountFraction { get; init; }

    /// <summary>Messages on an <see cref="UnpricedPair"/>: stored unrated (pricing not found).</summary>
    public double UnpricedFraction { get; init; }

    /// <summary>Extra contract-breaking messages, one per distinct event with this probability, cycling through every <c>EventRejectionReason</c>.</summary>
    public double PoisonFraction { get; init; }

    /// <exception cref="ArgumentException">The plan cannot be generated; the message says why.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(ReferenceData);
        ArgumentNullException.ThrowIfNull(Window);
        ReferenceData.Validate();
        if (Events < 1)
        {
            throw new ArgumentException($"Events must be positive, not {Events}.");
        }
        if (Window.Length < 2 * TrafficGenerator.MaxReceiptDelay)
        {
            throw new ArgumentException($"The window {Window} is too short: receipts may follow up to {TrafficGenerator.MaxReceiptDelay} after submission.");
        }
        if (!double.IsFinite(Skew) || Skew < 0)
        {
            throw new ArgumentException($"Skew must be a non-negative number, not {Skew}.");
        }

        foreach (var (name, value) in new[]
                 {
                     (nameof(ReceiptFraction), ReceiptFraction), (nameof(DuplicateFraction), DuplicateFraction),
                     (nameof(RedeliveryFraction), RedeliveryFraction), (nameof(UnknownAccountFraction), UnknownAccountFraction),
                     (nameof(UnpricedFraction), UnpricedFraction), (nameof(PoisonFraction), PoisonFraction),
                 })
        {
            if (value is not (>= 0 and <= 1))
            {
                throw new ArgumentException($"{name} must be between 0 and 1, not {value}.");
            }
        }

        if (UnknownAccountFraction + UnpricedFraction > 1)
        {
            throw new ArgumentException("UnknownAccountFraction and UnpricedFraction together must not exceed 1.");
        }
        if (UnpricedFraction > 0 && ReferenceData.UnpricedPairs.Count == 0)
        {
            throw new ArgumentException("UnpricedFraction needs unpriced pairs in the reference data (load it with a pricing file).");
        }
    }
}
