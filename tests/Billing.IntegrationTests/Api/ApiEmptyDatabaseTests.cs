using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Billing.IntegrationTests.Api;

/// <summary>
/// Phase 0: a migrated database with no data at all. Every list route answers an empty result, not an error, and the
/// API's database role can read but not write.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ApiEmptyDatabaseTests
{
    private const string Key = "phase-0-key";
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 9, 30, 0, TimeSpan.Zero);

    private TestDatabase _database = null!;
    private ApiHost _api = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartApi()
    {
        _database = await TestDatabase.CreateMigratedAsync(nameof(ApiEmptyDatabaseTests));
        _api = await ApiHost.StartAsync(_database, time: new FakeTimeProvider(Now));
        _api.SetClient("portal", Key);
        _client = _api.Client(Key);
    }

    [OneTimeTearDown]
    public async Task CleanUp()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _database.DisposeAsync();
    }

    [TestCase("/v1/accounts/acc_1001/usage?from=2026-01-01&to=2026-12-31", "periods")]
    [TestCase("/v1/accounts/acc_1001/usage?from=2026-01-01&to=2026-12-31&granularity=month", "periods")]
    [TestCase("/v1/accounts/acc_1001/usage?from=2026-01-01&to=2026-12-31", "totals")]
    [TestCase("/v1/accounts/acc_1001/invoices", "items")]
    [TestCase("/v1/pricing/rules", "items")]
    [TestCase("/v1/pricing/rules?tier=standard&operator=63902&at=2026-11-15T12:00:00Z", "items")]
    [TestCase("/v1/pricing/gaps", "items")]
    [TestCase("/v1/ops/status", "unrated.byReason")]
    [TestCase("/v1/ops/status", "deadLetters.byReason")]
    public async Task Every_list_is_empty_with_no_data(string path, string list)
    {
        using var response = await _client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        var element = list.Split('.').Aggregate(json, (e, name) => e.GetProperty(name));
        Assert.That(element.ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(element.GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task The_first_page_of_no_invoices_has_no_next_cursor()
    {
        var page = await _client.GetFromJsonAsync<JsonElement>("/v1/accounts/acc_1001/invoices");

        Assert.That(page.GetProperty("nextCursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Ops_status_has_zero_counts_no_invoice_run_and_no_ingestion_start_at_the_injected_time()
    {
        var status = await _client.GetFromJsonAsync<JsonElement>("/v1/ops/status");

        Assert.That(status.GetProperty("at").GetDateTimeOffset(), Is.EqualTo(Now));
        Assert.That(status.GetProperty("unrated").GetProperty("total").GetInt64(), Is.Zero);
        Assert.That(status.GetProperty("deadLetters").GetProperty("total").GetInt64(), Is.Zero);
        Assert.That(status.GetProperty("deadLetters").GetProperty("lastReceivedAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(status.GetProperty("lastInvoiceRun").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(status.GetProperty("ingestionStartedAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Pricing_gaps_default_to_the_injected_now()
    {
        var gaps = await _client.GetFromJsonAsync<JsonElement>("/v1/pricing/gaps");

        Assert.That(gaps.GetProperty("at").GetDateTimeOffset(), Is.EqualTo(Now));
    }

    [Test]
    public async Task An_unknown_invoice_is_404_problem_details()
    {
        var id = Guid.NewGuid();
        foreach (var path in new[] { $"/v1/invoices/{id}", $"/v1/invoices/{id}/pdf" })
        {
            using var response = await _client.GetAsync(path);

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), path);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), path);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(404));
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain(id.ToString()));
        }
    }

    [Test]
    public async Task The_api_connects_as_a_login_role_that_only_inherits_billing_reader()
    {
        await using var connection = new NpgsqlConnection(_api.ReadOnlyConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT current_user, rolsuper, rolcreaterole, rolcreatedb,
                   pg_has_role(current_user, 'billing_reader', 'USAGE'), pg_has_role(current_user, 'billing_writer', 'USAGE')
            FROM pg_roles WHERE rolname = current_user
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True);
        Assert.That(reader.GetString(0), Does.StartWith(_database.Name));
        Assert.That(new[] { reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3) }, Is.All.False, "superuser, createrole, createdb");
        Assert.That(reader.GetBoolean(4), Is.True, "member of billing_reader");
        Assert.That(reader.GetBoolean(5), Is.False, "member of billing_writer");
    }

    [TestCase("INSERT INTO billing.account_tiers (code, name, active) VALUES ('hacked', 'Hacked', true)")]
    [TestCase("UPDATE billing.invoices SET total = 0")]
    [TestCase("DELETE FROM billing.usage_summaries")]
    [TestCase("INSERT INTO billing.usage_summaries (account_id, usage_date, operator, currency, submitted_count, delivered_count, failed_count, expired_count, billable_segments, amount, cost, unrated_count, updated_at) VALUES ('a', '2026-11-01', '63902', 'USD', 1, 0, 0, 0, 1, 1, 1, 0, now())")]
    [TestCase("UPDATE billing.billing_events SET amount = 0")]
    [TestCase("DELETE FROM billing.dead_letters")]
    [TestCase("TRUNCATE billing.invoice_lines")]
    public async Task The_api_database_role_cannot_write(string sql)
    {
        await using var connection = new NpgsqlConnection(_api.ReadOnlyConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);

        var error = Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege), error.Message);
    }

    [Test]
    public async Task The_api_database_role_can_read_every_billing_table()
    {
        await using var connection = new NpgsqlConnection(_api.ReadOnlyConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'billing' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        Assert.That(tables, Does.Contain("usage_summaries").And.Contain("invoices").And.Contain("billing_events"));
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT count(*) FROM billing.\"{table}\"", connection);
            var rows = await select.ExecuteScalarAsync();
            // Phase 0: nothing but the migrations' own history.
            Assert.That(rows, table == "__ef_migrations_history" ? Is.Positive : Is.Zero, table);
        }
    }
}
