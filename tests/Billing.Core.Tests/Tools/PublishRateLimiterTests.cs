using Billing.EventGenerator;
using Microsoft.Extensions.Time.Testing;

namespace Billing.Core.Tests.Tools;

/// <summary>The schedule on a fake clock: no sleeps, no real time.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class PublishRateLimiterTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Takes <paramref name="permits"/> permits one after another, as the publishing loop does, advancing the fake clock
    /// a millisecond whenever the next permit is not yet due; returns when each was granted, relative to the start.
    /// </summary>
    private static List<TimeSpan> GrantTimes(PublishRateLimiter limiter, FakeTimeProvider time, int permits)
    {
        var granted = new List<TimeSpan>();
        var wait = limiter.WaitAsync();
        while (granted.Count < permits)
        {
            if (wait.IsCompleted)
            {
                granted.Add(time.GetUtcNow() - Start);
                wait = limiter.WaitAsync();
            }
            else
            {
                time.Advance(TimeSpan.FromMilliseconds(1)); // a due timer completes its wait inside Advance
            }
        }
        return granted;
    }

    private static IEnumerable<TimeSpan> Milliseconds(params int[] values) => values.Select(v => TimeSpan.FromMilliseconds(v));

    [Test]
    public void Permits_are_due_one_interval_apart()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new PublishRateLimiter(100, time, burst: 1);

        Assert.That(GrantTimes(limiter, time, 6), Is.EqualTo(Milliseconds(0, 10, 20, 30, 40, 50)));
    }

    [Test]
    public void A_wait_completes_exactly_when_its_permit_falls_due()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new PublishRateLimiter(10, time, burst: 1);

        Assert.That(limiter.WaitAsync().IsCompleted, Is.True, "the first permit is due at once");
        var second = limiter.WaitAsync();
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.That(second.IsCompleted, Is.False);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(second.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public void A_burst_is_granted_at_once_then_the_steady_rate_follows()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new PublishRateLimiter(100, time, burst: 4);

        Assert.That(GrantTimes(limiter, time, 7), Is.EqualTo(Milliseconds(0, 0, 0, 0, 10, 20, 30)));
    }

    [Test]
    public void After_a_stall_the_caller_catches_up_by_at_most_the_burst()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new PublishRateLimiter(100, time, burst: 3);
        _ = GrantTimes(limiter, time, 1);

        time.Advance(TimeSpan.FromSeconds(1)); // the server was slow: 100 permits' worth of time passed unused

        Assert.That(GrantTimes(limiter, time, 5), Is.EqualTo(Milliseconds(1000, 1000, 1000, 1010, 1020)));
    }

    [Test]
    public void The_average_rate_holds_when_permits_are_closer_than_the_clock_steps()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new PublishRateLimiter(50_000, time); // 20 µs apart; the driver's clock moves in 1 ms steps

        var granted = GrantTimes(limiter, time, 10_000);

        // The first 2,500 (the default burst, 50 ms worth) at once, the other 7,500 at 50,000/s: 150 ms.
        Assert.That(limiter.Burst, Is.EqualTo(2_500));
        Assert.That(granted[^1], Is.EqualTo(TimeSpan.FromMilliseconds(150)).Within(TimeSpan.FromMilliseconds(1)));
        var perStep = granted.CountBy(t => t).ToDictionary();
        Assert.That(perStep[TimeSpan.Zero], Is.EqualTo(2_500 + 49), "and those due within the first millisecond, which no timer can wait for");
        Assert.That(perStep.Where(s => s.Key > TimeSpan.Zero).Select(s => s.Value), Is.All.LessThanOrEqualTo(50), "then a millisecond's worth at each step");
    }

    [Test]
    public async Task A_cancelled_wait_throws()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new PublishRateLimiter(1, time, burst: 1);
        await limiter.WaitAsync();
        using var cancellation = new CancellationTokenSource();

        var wait = limiter.WaitAsync(cancellation.Token).AsTask();
        await cancellation.CancelAsync();

        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
    }

    [TestCase(0.0)]
    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void A_rate_that_is_not_a_positive_number_is_refused(double rate)
    {
        Assert.That(() => new PublishRateLimiter(rate, TimeProvider.System), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
