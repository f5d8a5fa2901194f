using Billing.Core.Data;
using Npgsql;

namespace Billing.IntegrationTests.Infrastructure;

public static class Summaries
{
    /// <summary>Summary rows that differ from the sums over their events; empty when the invariant holds.</summary>
    public static async Task<List<string>> MismatchesAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(UsageSummarySql.Mismatches);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }
        return rows;
    }
}
