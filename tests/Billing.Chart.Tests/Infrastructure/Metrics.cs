using System.Text.RegularExpressions;

namespace Billing.Chart.Tests.Infrastructure;

/// <summary>Metric names: those the C# code exports, and those a PromQL expression reads.</summary>
public static partial class Metrics
{
    /// <summary>
    /// The series names the services export, from every prometheus-net <c>CreateCounter/Gauge/Histogram/Summary("name", ...)</c>
    /// under services/ and shared/, with the series a histogram (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>) or a summary
    /// (<c>_sum</c>, <c>_count</c>) adds.
    /// </summary>
    public static IReadOnlySet<string> ExportedByCode()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in new[] { "services", "shared" })
        {
            var sources = Directory.EnumerateFiles(Path.Combine(HelmChart.RepositoryRoot, root), "*.cs", SearchOption.AllDirectories)
                .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));
            foreach (var source in sources)
            {
                foreach (Match match in Registration().Matches(File.ReadAllText(source)))
                {
                    AddSeries(names, match.Groups["type"].Value, match.Groups["name"].Value);
                }
            }
        }
        return names;
    }

    public static void AddSeries(ISet<string> names, string type, string name)
    {
        names.Add(name);
        string[] suffixes = type switch
        {
            "Histogram" => ["_bucket", "_sum", "_count"],
            "Summary" => ["_sum", "_count"],
            _ => [],
        };
        foreach (var suffix in suffixes)
        {
            names.Add(name + suffix);
        }
    }

    /// <summary>
    /// The metric names a PromQL expression selects: identifiers that are not functions or aggregations (followed by
    /// a parenthesis), keywords, label names (inside braces or a by/on/... list), durations, strings or numbers.
    /// Chart tokens (<c>TPL_n</c>, a template action such as a threshold) are not names either.
    /// </summary>
    public static IReadOnlySet<string> InExpression(string expression)
    {
        var text = StringLiteral().Replace(expression, " ");
        text = LabelMatchers().Replace(text, " ");
        text = RangeOrSubquery().Replace(text, " ");
        text = LabelList().Replace(text, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in Identifier().Matches(text))
        {
            var following = text.AsSpan(match.Index + match.Length).TrimStart();
            if (following.StartsWith("(") || Keywords.Contains(match.Value) || ChartToken().IsMatch(match.Value))
            {
                continue;
            }
            names.Add(match.Value);
        }
        return names;
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan",
    };

    [GeneratedRegex(@"\bCreate(?<type>Counter|Gauge|Histogram|Summary)\s*\(\s*""(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)""")]
    private static partial Regex Registration();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex LabelList();

    [GeneratedRegex(@"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^TPL_\d+$")]
    private static partial Regex ChartToken();
}
