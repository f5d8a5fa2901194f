using Billing.Core.Data;
using Npgsql;

namespace Billing.IngestBench;

/// <summary>What the database holds against what was published: each event once, nothing else, summaries = sums.</summary>
internal sealed record Verification(
    long Rows, long DistinctIds, long ClaimedIds, int Missing, int Unexpected, long DeadLetters, IReadOnlyList<string> Mismatches)
{
    public bool Passed => Missing == 0 && Unexpected == 0 && Rows == DistinctIds && ClaimedIds == Rows && DeadLetters == 0 && Mismatches.Count == 0;

    public static async Task<Verification> RunAsync(NpgsqlDataSource dataSource, IReadOnlySet<Guid> expected, CancellationToken cancellationToken)
    {
        var stored = new HashSet<Guid>(expected.Count);
        long rows = 0;
        await using (var command = dataSource.CreateCommand("SELECT event_id FROM billing.billing_events"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows++;
                stored.Add(reader.GetGuid(0));
            }
        }
        var missing = expected.Count(id => !stored.Contains(id));
        var unexpected = stored.Count(id => !expected.Contains(id));
        var claimed = await ScalarAsync(dataSource, "SELECT count(*) FROM billing.billing_event_ids", cancellationToken);
        var deadLetters = await ScalarAsync(dataSource, "SELECT count(*) FROM billing.dead_letters", cancellationToken);
        var mismatches = new List<string>();
        await using (var command = dataSource.CreateCommand(UsageSummarySql.Mismatches))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                mismatches.Add(reader.GetString(0));
            }
        }
        return new Verification(rows, stored.Count, claimed, missing, unexpected, deadLetters, mismatches);
    }

    public string Describe(int expected)
    {
        var verdict = Passed ? "PASS" : "FAIL";
        var text = $"{Rows:N0} rows in billing_events for {expected:N0} events published: {Missing:N0} missing, {Rows - DistinctIds:N0} stored twice, "
            + $"{Unexpected:N0} unexpected, {ClaimedIds:N0} ids claimed, {DeadLetters:N0} dead letters; summaries equal the sums: "
            + (Mismatches.Count == 0 ? "yes" : $"no, {Mismatches.Count:N0} differ, e.g. {Mismatches[0]}");
        return $"{text}: {verdict}";
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
