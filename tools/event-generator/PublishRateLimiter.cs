namespace Billing.EventGenerator;

/// <summary>
/// Paces one caller to a steady rate: the n-th permit is due at <c>start + n / rate</c> (virtual scheduling, the
/// token bucket's equivalent), and <see cref="WaitAsync"/> sleeps on the injected <see cref="TimeProvider"/> until then,
/// never spinning. A caller that falls behind (a slow server) may catch up by at most <see cref="Burst"/> permits at
/// once, so the rate stays steady rather than making up for lost time in one rush.
/// </summary>
/// <remarks>
/// Timers count whole milliseconds, far coarser than the 20 µs between permits at 50,000 per second: a permit due
/// within <see cref="TimerResolution"/> is granted at once, and because each due time comes from the schedule rather
/// than from when the previous wait ended, the permits that fell due while a timer was late are granted at once too,
/// so the average rate holds. Not thread-safe: one publishing loop calls it.
/// </remarks>
public sealed class PublishRateLimiter
{
    /// <summary>Timers count whole milliseconds (<c>Task.Delay</c> would not wait for less): a permit due sooner is granted now.</summary>
    public static readonly TimeSpan TimerResolution = TimeSpan.FromMilliseconds(1);

    private readonly TimeProvider _time;
    private readonly long _interval; // in TimeProvider timestamp ticks
    private long _nextDue = long.MinValue;

    /// <param name="permitsPerSecond">The target rate.</param>
    /// <param name="time">The clock to wait on.</param>
    /// <param name="burst">
    /// Permits that may be handed out at once after falling behind; default 50 ms worth, at least 1. With 10 ms
    /// worth, 10,000/s came out as 9,300/s on a busy 2-core machine, whose timers are late by more than that now and then.
    /// </param>
    public PublishRateLimiter(double permitsPerSecond, TimeProvider time, int? burst = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!double.IsFinite(permitsPerSecond) || permitsPerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(permitsPerSecond), permitsPerSecond, "The rate must be a positive number.");
        }

        _time = time;
        _interval = Math.Max(1, (long)Math.Round(time.TimestampFrequency / permitsPerSecond));
        Burst = burst ?? Math.Max(1, (int)(permitsPerSecond / 20));
        ArgumentOutOfRangeException.ThrowIfLessThan(Burst, 1, nameof(burst));
    }

    public int Burst { get; }

    /// <summary>
    /// Completes when the next permit is due: at once while on or behind schedule, or when it is due within
    /// <see cref="TimerResolution"/>.
    /// </summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        var delay = Reserve();
        return delay < TimerResolution
            ? ValueTask.CompletedTask
            : new ValueTask(Task.Delay(delay, _time, cancellationToken));
    }

    /// <summary>Takes the next permit and says how long until it is due (zero or less: now).</summary>
    private TimeSpan Reserve()
    {
        var now = _time.GetTimestamp();
        // Behind schedule: forget what is older than the burst allowance.
        var earliest = now - (Burst - 1) * _interval;
        var due = Math.Max(_nextDue, earliest);
        _nextDue = due + _interval;
        return due <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, due);
    }
}
