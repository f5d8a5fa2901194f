using System.Globalization;

namespace Billing.IngestBench;

/// <summary>Reads one sample out of Prometheus' text exposition format (<c>name{labels} value</c>, one per line).</summary>
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
}
