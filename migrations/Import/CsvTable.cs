using System.Globalization;
using System.Text.RegularExpressions;

namespace Billing.Migrations.Import;

/// <summary>Reads a CSV file whose header must hold exactly the expected columns (in any order).</summary>
internal static class CsvTable
{
    public static IEnumerable<CsvRow> Read(TextReader reader, string fileName, IReadOnlyList<string> columns)
    {
        using var records = CsvReader.Read(reader, fileName).GetEnumerator();
        if (!records.MoveNext())
        {
            throw new CsvImportException(fileName, 1, null, $"the file is empty; expected the header row '{string.Join(',', columns)}'");
        }

        var header = records.Current.Values.Select(h => h.Trim()).ToList();
        var missing = columns.Where(c => !header.Contains(c, StringComparer.Ordinal)).ToList();
        var unknown = header.Where(h => !columns.Contains(h, StringComparer.Ordinal)).ToList();
        var repeated = header.GroupBy(h => h, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (missing.Count > 0 || unknown.Count > 0 || repeated.Count > 0)
        {
            var problems = new List<string>();
            if (missing.Count > 0) problems.Add($"missing column(s) {string.Join(", ", missing)}");
            if (unknown.Count > 0) problems.Add($"unknown column(s) {string.Join(", ", unknown)}");
            if (repeated.Count > 0) problems.Add($"repeated column(s) {string.Join(", ", repeated)}");
            throw new CsvImportException(fileName, 1, null,
                $"bad header: {string.Join("; ", problems)}; expected '{string.Join(',', columns)}'");
        }

        var index = header.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        while (records.MoveNext())
        {
            var record = records.Current;
            if (record.Values.Count != header.Count)
            {
                throw new CsvImportException(fileName, record.Line, null,
                    $"has {record.Values.Count} field(s), the header has {header.Count}");
            }
            yield return new CsvRow(fileName, record.Line, index, record.Values);
        }
    }
}

/// <summary>One data row; every accessor validates its field and throws an error naming the line and field.</summary>
internal sealed partial class CsvRow(string fileName, int line, IReadOnlyDictionary<string, int> index, IReadOnlyList<string> values)
{
    public int Line { get; } = line;

    public CsvImportException Error(string field, string problem) => new(fileName, Line, field, problem);

    public string Raw(string column) => values[index[column]].Trim();

    public string Text(string column, int maxLength, Regex? pattern = null, string? patternDescription = null)
    {
        var value = Raw(column);
        if (value.Length == 0)
        {
            throw Error(column, "is empty");
        }
        if (value.Length > maxLength)
        {
            throw Error(column, $"is {value.Length} characters long; at most {maxLength} are allowed");
        }
        if (pattern is not null && !pattern.IsMatch(value))
        {
            throw Error(column, $"'{Shorten(value)}' is not {patternDescription}");
        }
        return value;
    }

    public bool Boolean(string column) => Raw(column).ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        var other => throw Error(column, $"'{Shorten(other)}' is not true or false"),
    };

    public string Choice(string column, params string[] allowed)
    {
        var value = Raw(column);
        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw Error(column, $"'{Shorten(value)}' is not one of {string.Join(", ", allowed)}");
    }

    /// <summary>A plain decimal with '.' as the decimal point: no exponent, no thousands separator, no sign.</summary>
    public decimal Decimal(string column, int maxScale, decimal? maxExclusive = null)
    {
        var value = Raw(column);
        if (!PlainDecimal().IsMatch(value) ||
            !decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
        {
            throw Error(column, $"'{Shorten(value)}' is not a non-negative decimal number with '.' as the decimal point");
        }
        if (decimal.Round(parsed, maxScale) != parsed)
        {
            throw Error(column, $"'{value}' has more than {maxScale} decimal places");
        }
        if (maxExclusive is { } max && parsed >= max)
        {
            throw Error(column, $"'{value}' must be less than {max.ToString(CultureInfo.InvariantCulture)}");
        }
        return parsed;
    }

    /// <summary>An ISO 8601 UTC instant: a date (midnight UTC) or a date and time ending in 'Z' or '+00:00'.</summary>
    public DateTimeOffset Instant(string column) =>
        OptionalInstant(column) ?? throw Error(column, "is empty");

    public DateTimeOffset? OptionalInstant(string column)
    {
        var value = Raw(column);
        if (value.Length == 0)
        {
            return null;
        }
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        if (!IsoInstant().IsMatch(value) ||
            !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            throw Error(column, $"'{Shorten(value)}' is not an ISO 8601 date (2026-01-31) or UTC date and time (2026-01-31T10:00:00Z)");
        }
        if (instant.Offset != TimeSpan.Zero)
        {
            throw Error(column, $"'{value}' is not in UTC; write it with 'Z'");
        }
        return instant;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?\z")]
    private static partial Regex PlainDecimal();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})\z")]
    private static partial Regex IsoInstant();
}
