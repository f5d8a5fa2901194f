using Billing.Core.Domain;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>Valid events spread over the sample accounts and operators, from a seed, in November 2026.</summary>
public static class Traffic
{
    private static readonly string[] Accounts = ["acc_1001", "acc_1002", "acc_1003", "acc_1004", "acc_1005", "acc_1006", "acc_1008", "acc_1012", "acc_unknown"];
    private static readonly string[] Operators = ["63902", "63903", "62130", "62120", "65501", "26201", "20801", "310260"];

    public static List<BillingEvent> Events(int count, int seed)
    {
        var random = new Random(seed);
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        return Enumerable.Range(0, count).Select(i => new BillingEvent(
            new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16)),
            (SmsEventType)random.Next(4),
            start.AddSeconds(random.Next(29 * 24 * 3600)),
            Accounts[random.Next(Accounts.Length)],
            $"msg_{seed}_{i}",
            Operators[random.Next(Operators.Length)],
            "KE",
            random.Next(1, 5))).ToList();
    }
}
