using System.Net;
using Billing.Api;
using Billing.IntegrationTests.Infrastructure;
using Npgsql;

namespace Billing.IntegrationTests.Api;

/// <summary>
/// <c>Api__DatabaseConnections</c> bounds the connections one API process opens: requests beyond it wait for a free
/// connection instead of opening another, and all of them are answered.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ApiDatabasePoolTests
{
    private const string Key = "pool-key";

    [Test]
    public async Task Requests_beyond_the_pool_wait_for_a_connection_and_are_all_answered()
    {
        // A database of each test's own: the API's read-only login role is one per database.
        await using var database = await TestDatabase.CreateMigratedAsync(nameof(ApiDatabasePoolTests));
        await using var api = await ApiHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            [ApiExtensions.DatabaseConnectionsSetting] = "2",
        });
        api.SetClient("portal", Key);
        using var client = api.Client(Key);
        var role = new NpgsqlConnectionStringBuilder(api.ReadOnlyConnectionString).Username!;

        // Every usage query blocks on this lock until it is released, so all eight requests are in flight at once.
        await using var blocker = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE billing.usage_summaries IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }
        var requests = Enumerable.Range(1, 8)
            .Select(i => client.GetAsync($"/v1/accounts/acc_{i}/usage?from=2026-10-01&to=2026-10-31"))
            .ToArray();
        await Blocker.WaitUntilAsync(database,
            $"SELECT (count(*) >= 2)::int::bigint FROM pg_stat_activity WHERE {Backends(role)} AND wait_event_type = 'Lock'",
            process: null, TimeSpan.FromSeconds(30), "have two of the API's queries wait on the lock");
        await transaction.RollbackAsync();
        var responses = await Task.WhenAll(requests);

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await database.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE {Backends(role)}"), Is.EqualTo(2),
            "connections the API opened (its pool keeps them)");
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [TestCase("0")]
    [TestCase("-3")]
    public async Task A_pool_of_less_than_one_connection_stops_the_start(string value)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(nameof(ApiDatabasePoolTests));
        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await (await ApiHost.StartAsync(database,
            settings: new Dictionary<string, string?> { [ApiExtensions.DatabaseConnectionsSetting] = value })).DisposeAsync());

        Assert.That(error!.Message, Does.Contain("Api__DatabaseConnections must be at least 1").And.Contain(value));
    }

    /// <summary>The condition on <c>pg_stat_activity</c> of this database's sessions as <paramref name="role"/> (a generated name).</summary>
    private static string Backends(string role) => $"datname = current_database() AND usename = '{role}'";
}
