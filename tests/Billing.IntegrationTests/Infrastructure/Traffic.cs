using Billing.Core.Domain;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>Valid events spread over the sample accounts and operators, from a seed, in a month (November 2026 by default).</summary>
public static class Traffic
{
    public static readonly DateTimeOffset November = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Accounts = ["acc_1001", "acc_1002", "acc_1003", "acc_1004", "acc_1005", "acc_1006", "acc_1008", "acc_1012", "acc_unknown"];
    private static readonly string[] Operators = ["63902", "63903", "62130", "62120", "65501", "26201", "20801", "310260"];

    /// <param name="count">How many events.</param>
    /// <param name="seed">The same seed gives the same events (ids included).</param>
    /// <param name="month">The first instant of the month the events occur in (all but its last day); default November 2026.</param>
    /// <param name="accounts">The accounts to spread over; default the sample accounts and one unknown account.</param>
    public static List<BillingEvent> Events(int count, int seed, DateTimeOffset? month = null, IReadOnlyList<string>? accounts = null)
    {
        var random = new Random(seed);
        var start = month ?? November;
        var seconds = (int)(start.AddMonths(1) - start).TotalSeconds - 24 * 3600;
        accounts ??= Accounts;
        return Enumerable.Range(0, count).Select(i => new BillingEvent(
            new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16)),
            (SmsEventType)random.Next(4),
            start.AddSeconds(random.Next(seconds)),
            accounts[random.Next(accounts.Count)],
            $"msg_{seed}_{i}",
            Operators[random.Next(Operators.Length)],
            "KE",
            random.Next(1, 5))).ToList();
    }
}
