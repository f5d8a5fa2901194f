using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Http;

/// <summary>
/// Collects what is wrong with a request's parameters, each message naming the parameter and the value, and turns them
/// into one 400 validation problem (RFC 9457 with an <c>errors</c> member). Handlers take every parameter as a string
/// and parse it here, so malformed input is a 400 that says why, never a binding failure or a 5xx.
/// </summary>
public sealed class RequestErrors
{
    /// <summary>Longest range of days one usage request may cover.</summary>
    public const int MaxRangeYears = 1;

    private const int MaxQuoted = 64;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string parameter, string message)
    {
        if (!_errors.TryGetValue(parameter, out var messages))
        {
            _errors[parameter] = messages = [];
        }
        messages.Add(message);
    }

    public ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(
            _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal),
            detail: string.Join("; ", _errors.SelectMany(e => e.Value)) + ".",
            title: "The request's parameters are not valid.");

    /// <summary>An account id as <c>billing-ops import accounts</c> accepts it (letters, digits, <c>_ . : -</c>; at most 64).</summary>
    public string? AccountId(string parameter, string? value)
    {
        if (value is { Length: > 0 and <= 64 } && ApiPatterns.AccountIdRegex().IsMatch(value))
        {
            return value;
        }
        Add(parameter, $"{parameter} {Quote(value)} is not an account id (1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit)");
        return null;
    }

    /// <summary>A UUID in its usual 36-character form.</summary>
    public Guid? Uuid(string parameter, string? value)
    {
        if (value is { Length: 36 } && Guid.TryParseExact(value, "D", out var id))
        {
            return id;
        }
        Add(parameter, $"{parameter} {Quote(value)} is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
        return null;
    }

    /// <summary>A UTC day, <c>YYYY-MM-DD</c>.</summary>
    public DateOnly? Date(string parameter, string? value, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                Add(parameter, $"{parameter} is required (a UTC day, YYYY-MM-DD)");
            }
            return null;
        }
        if (value.Length == 10 && DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }
        Add(parameter, $"{parameter} {Quote(value)} is not a date (YYYY-MM-DD)");
        return null;
    }

    /// <summary>
    /// An instant: <c>2026-11-15T12:00:00Z</c>, with an explicit offset (<c>+03:00</c>, sent as <c>%2B03:00</c> in a query
    /// string) or a day (<c>2026-11-15</c>, midnight UTC), as the CSV files write them. Returned in UTC.
    /// </summary>
    public DateTimeOffset? Instant(string parameter, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (value.Length == 10 && DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day, TimeOnly.MinValue, TimeSpan.Zero);
        }
        if (value.Length <= 40 && ApiPatterns.IsoInstantRegex().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var instant))
        {
            return instant.ToUniversalTime();
        }
        Add(parameter, $"{parameter} {Quote(value)} is not an instant (2026-11-15T12:00:00Z, an explicit offset, or a day 2026-11-15)");
        return null;
    }

    /// <summary>One of <paramref name="allowed"/>, or <paramref name="fallback"/> when absent.</summary>
    public string? OneOf(string parameter, string? value, string fallback, params string[] allowed)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }
        if (allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }
        Add(parameter, $"{parameter} {Quote(value)} is not one of {string.Join(", ", allowed)}");
        return null;
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public int? Integer(string parameter, string? value, int fallback, int min, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }
        if (value.Length <= 9 && value.All(char.IsAsciiDigit)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }
        Add(parameter, $"{parameter} {Quote(value)} is not a whole number from {min} to {max}");
        return null;
    }

    /// <summary>An optional filter value that must match <paramref name="pattern"/> (described for the message).</summary>
    public string? Matching(string parameter, string? value, Regex pattern, int maxLength, string description)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (value.Length <= maxLength && pattern.IsMatch(value))
        {
            return value;
        }
        Add(parameter, $"{parameter} {Quote(value)} is not {description}");
        return null;
    }

    /// <summary>A day range <c>[from, to]</c>, both ends included, <c>to</c> not before <c>from</c> and within a year of it.</summary>
    public void DayRange(DateOnly from, DateOnly to)
    {
        if (to < from)
        {
            Add("to", $"to {Iso(to)} is before from {Iso(from)}");
            return;
        }
        var last = from.Year < DateOnly.MaxValue.Year ? from.AddYears(MaxRangeYears).AddDays(-1) : DateOnly.MaxValue;
        if (to > last)
        {
            Add("to", $"the range {Iso(from)} to {Iso(to)} is longer than a year: to may be {Iso(last)} at the latest");
        }
    }

    /// <summary>A value as a message shows it: quoted, control characters escaped, long ones cut.</summary>
    internal static string Quote(string? value)
    {
        if (value is null)
        {
            return "(missing)";
        }
        var text = new StringBuilder(Math.Min(value.Length, MaxQuoted) + 8).Append('\'');
        foreach (var c in value.Length > MaxQuoted ? value[..MaxQuoted] : value)
        {
            text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }
        return text.Append(value.Length > MaxQuoted ? "...'" : "'").ToString();
    }

    private static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
