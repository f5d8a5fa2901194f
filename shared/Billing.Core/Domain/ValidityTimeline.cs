namespace Billing.Core.Domain;

/// <summary>A row valid over the half-open period [<see cref="ValidFrom"/>, <see cref="ValidTo"/>).</summary>
internal interface IValidityPeriod
{
    long Id { get; }

    DateTimeOffset ValidFrom { get; }

    DateTimeOffset? ValidTo { get; }
}

/// <summary>
/// The rows of one key (one pricing key, one operator) ordered by start, answering "which row is valid at t" by
/// binary search.
/// </summary>
/// <remarks>
/// The database forbids overlapping periods for a key; should they overlap anyway, the answer is still
/// deterministic: among the rows valid at t, the one with the latest <see cref="IValidityPeriod.ValidFrom"/>, and
/// of equal starts the highest <see cref="IValidityPeriod.Id"/>. Without overlaps a lookup costs one binary search
/// and at most one comparison more.
/// </remarks>
internal sealed class ValidityTimeline<T>
    where T : class, IValidityPeriod
{
    private readonly T[] _rows;
    private readonly long[] _fromTicks;
    private readonly long[] _toTicks;

    // _latestToTicks[i] = max(_toTicks[0..i]): once it is <= t, no row at or before i can be valid at t.
    private readonly long[] _latestToTicks;

    public ValidityTimeline(IEnumerable<T> rows)
    {
        _rows = [.. rows.OrderBy(r => r.ValidFrom.UtcTicks).ThenBy(r => r.Id)];
        _fromTicks = new long[_rows.Length];
        _toTicks = new long[_rows.Length];
        _latestToTicks = new long[_rows.Length];
        long latest = long.MinValue;
        for (int i = 0; i < _rows.Length; i++)
        {
            _fromTicks[i] = _rows[i].ValidFrom.UtcTicks;
            _toTicks[i] = _rows[i].ValidTo?.UtcTicks ?? long.MaxValue; // Open-ended: later than any DateTimeOffset.
            latest = Math.Max(latest, _toTicks[i]);
            _latestToTicks[i] = latest;
        }
    }

    public int Count => _rows.Length;

    public T? FindValidAt(DateTimeOffset at)
    {
        long t = at.UtcTicks;

        // Binary search for the last row with ValidFrom <= t.
        int low = 0;
        int high = _fromTicks.Length;
        while (low < high)
        {
            int middle = (int)((uint)(low + high) >> 1);
            if (_fromTicks[middle] <= t)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        // Every row from low - 1 down has started; take the first (latest-starting) one not yet ended.
        for (int i = low - 1; i >= 0 && _latestToTicks[i] > t; i--)
        {
            if (t < _toTicks[i])
            {
                return _rows[i];
            }
        }

        return null;
    }
}
