using System.Globalization;

namespace Billing.IngestBench;

/// <summary>Reads samples out of Prometheus' text exposition format (<c>name{labels} value</c>, one per line).</summary>
internal static class PrometheusText
{
    /// <param name="text">What <c>/metrics</c> answered.</param>
    /// <param name="series">The metric name with its labels exactly as exposed, e.g. <c>x_seconds{quantile="0.99"}</c>.</param>
    public static double Value(string text, string series)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series, StringComparison.Ordinal) && line.Length > series.Length && line[series.Length] == ' ')
            {
                return double.Parse(line[(series.Length + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }
        throw new BenchmarkException($"the worker's /metrics has no {series}");
    }

    /// <summary>
    /// The <paramref name="quantile"/> of histogram <paramref name="name"/> (without labels) as Prometheus'
    /// <c>histogram_quantile</c> estimates it: linear within the bucket the rank falls in.
    /// </summary>
    public static double HistogramQuantile(string text, string name, double quantile)
    {
        var prefix = name + "_bucket{le=\"";
        var buckets = new List<(double UpperBound, double Count)>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            var close = line.IndexOf("\"}", prefix.Length, StringComparison.Ordinal);
            var bound = line[prefix.Length..close];
            buckets.Add((bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, NumberStyles.Float, CultureInfo.InvariantCulture),
                double.Parse(line[(close + 2)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        if (buckets.Count == 0 || buckets[^1].Count == 0)
        {
            throw new BenchmarkException($"the worker's /metrics has no observations of {name}");
        }
        buckets.Sort((a, b) => a.UpperBound.CompareTo(b.UpperBound));
        var rank = quantile * buckets[^1].Count;
        var (lower, below) = (0.0, 0.0);
        foreach (var (upper, count) in buckets)
        {
            if (count >= rank)
            {
                // In the +Inf bucket the estimate is the highest finite bound, as histogram_quantile answers.
                return double.IsPositiveInfinity(upper) ? lower : lower + ((upper - lower) * (rank - below) / (count - below));
            }
            (lower, below) = (upper, count);
        }
        return lower;
    }
}
