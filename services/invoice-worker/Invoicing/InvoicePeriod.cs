using System.Globalization;

namespace Billing.InvoiceWorker.Invoicing;

/// <summary>A calendar month in UTC, [Start, End).</summary>
public readonly record struct InvoicePeriod(DateOnly Start)
{
    public DateOnly End => Start.AddMonths(1);

    public DateTimeOffset StartInstant => new(Start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public DateTimeOffset EndInstant => new(End.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public override string ToString() => Start.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>The default: the calendar month before the current one, in UTC.</summary>
    public static InvoicePeriod PreviousMonth(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new InvoicePeriod(new DateOnly(now.Year, now.Month, 1).AddMonths(-1));
    }

    public static bool TryParse(string? text, out InvoicePeriod period)
    {
        period = default;
        if (!DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
        {
            return false;
        }
        period = new InvoicePeriod(start);
        return true;
    }

    public static InvoicePeriod Of(DateOnly day) => new(new DateOnly(day.Year, day.Month, 1));
}
