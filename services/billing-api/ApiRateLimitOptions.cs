namespace Billing.Api;

/// <summary>
/// Per-client rate limit, bound from <c>Api:RateLimit</c>: a token bucket per authenticated client, so one client's burst
/// or runaway loop cannot starve the others (each client's name is its partition).
/// </summary>
public sealed class ApiRateLimitOptions
{
    public const string Section = "Api:RateLimit";

    /// <summary>Requests a client may make at once after being idle (the bucket's size).</summary>
    public int TokenLimit { get; set; } = 200;

    /// <summary>Requests added to the bucket every <see cref="ReplenishmentPeriod"/>.</summary>
    public int TokensPerPeriod { get; set; } = 100;

    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>What is wrong with these settings, naming the environment variable; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (TokenLimit < 1)
        {
            problems.Add($"Api__RateLimit__TokenLimit must be at least 1, not {TokenLimit}");
        }
        if (TokensPerPeriod < 1)
        {
            problems.Add($"Api__RateLimit__TokensPerPeriod must be at least 1, not {TokensPerPeriod}");
        }
        if (ReplenishmentPeriod <= TimeSpan.Zero)
        {
            problems.Add($"Api__RateLimit__ReplenishmentPeriod must be positive, not {ReplenishmentPeriod}");
        }
        return problems;
    }
}
