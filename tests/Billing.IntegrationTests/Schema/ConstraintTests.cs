using Billing.IntegrationTests.Infrastructure;
using Npgsql;

namespace Billing.IntegrationTests.Schema;

/// <summary>What the database itself guarantees, whatever application code does.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ConstraintTests
{
    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await TestDatabase.CreateMigratedAsync(nameof(ConstraintTests));
        await _database.ExecuteAsync("""
            INSERT INTO billing.account_tiers (code, name, active) VALUES ('standard', 'Standard', true);
            INSERT INTO billing.operators (mccmnc, name, country, active) VALUES ('63902', 'Safaricom', 'KE', true), ('62130', 'MTN Nigeria', 'NG', true);
            """);
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [SetUp]
    public Task ClearRules() => _database.ExecuteAsync("DELETE FROM billing.pricing_rules; DELETE FROM billing.operator_costs;");

    private Task AddRuleAsync(string @operator, string currency, string from, string? to) => _database.ExecuteAsync($"""
        INSERT INTO billing.pricing_rules (tier, operator, currency, unit_price, charge_on, valid_from, valid_to)
        VALUES ('standard', '{@operator}', '{currency}', 0.01, 'submitted', '{from}', {(to is null ? "NULL" : $"'{to}'")})
        """);

    private Task AddCostAsync(string @operator, string from, string? to) => _database.ExecuteAsync($"""
        INSERT INTO billing.operator_costs (operator, currency, unit_cost, valid_from, valid_to)
        VALUES ('{@operator}', 'USD', 0.005, '{from}', {(to is null ? "NULL" : $"'{to}'")})
        """);

    [TestCase("2026-03-01Z", "2026-09-01Z", TestName = "Overlapping_pricing_rule_inside_an_existing_one_is_rejected")]
    [TestCase("2025-12-01Z", "2026-01-02Z", TestName = "Overlapping_pricing_rule_ending_inside_an_existing_one_is_rejected")]
    [TestCase("2026-06-30Z", null, TestName = "Open_ended_pricing_rule_starting_inside_an_existing_one_is_rejected")]
    public async Task Overlapping_pricing_rule_is_rejected(string from, string? to)
    {
        await AddRuleAsync("63902", "KES", "2026-01-01Z", "2026-07-01Z");

        var error = Assert.ThrowsAsync<PostgresException>(() => AddRuleAsync("63902", "KES", from, to));

        Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.ExclusionViolation));
        Assert.That(error.ConstraintName, Is.EqualTo("ex_pricing_rules_no_overlap"));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.pricing_rules"), Is.EqualTo(1));
    }

    [Test]
    public async Task Pricing_rule_starting_where_the_previous_ends_is_accepted_because_validity_is_half_open()
    {
        await AddRuleAsync("63902", "KES", "2026-01-01Z", "2026-07-01Z");
        await AddRuleAsync("63902", "KES", "2026-07-01Z", null);

        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.pricing_rules"), Is.EqualTo(2));
    }

    [Test]
    public async Task Same_period_for_another_currency_or_operator_is_a_different_key()
    {
        await AddRuleAsync("63902", "KES", "2026-01-01Z", null);
        await AddRuleAsync("63902", "USD", "2026-01-01Z", null);
        await AddRuleAsync("62130", "KES", "2026-01-01Z", null);

        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.pricing_rules"), Is.EqualTo(3));
    }

    [Test]
    public async Task Overlapping_operator_cost_is_rejected()
    {
        await AddCostAsync("63902", "2026-01-01Z", null);

        var error = Assert.ThrowsAsync<PostgresException>(() => AddCostAsync("63902", "2026-05-01Z", "2026-06-01Z"));

        Assert.That(error!.ConstraintName, Is.EqualTo("ex_operator_costs_no_overlap"));
    }

    [Test]
    public void Rule_that_ends_before_it_starts_is_rejected()
    {
        var error = Assert.ThrowsAsync<PostgresException>(() => AddRuleAsync("63902", "KES", "2026-07-01Z", "2026-01-01Z"));

        Assert.That(error!.ConstraintName, Is.EqualTo("ck_pricing_rules_validity"));
    }

    [Test]
    public void Rule_for_an_unknown_operator_is_rejected()
    {
        var error = Assert.ThrowsAsync<PostgresException>(() => AddRuleAsync("99999", "KES", "2026-01-01Z", null));

        Assert.That(error!.ConstraintName, Is.EqualTo("fk_pricing_rules_operator"));
    }

    [Test]
    public async Task Event_is_stored_in_the_partition_of_its_utc_month()
    {
        var id = Guid.NewGuid();
        await InsertEventAsync(id, "2026-11-30T23:59:59.999Z");
        await InsertEventAsync(Guid.NewGuid(), "2026-12-01T00:00:00Z");

        Assert.That(await _database.ScalarAsync<string>($"SELECT tableoid::regclass::text FROM billing.billing_events WHERE event_id = '{id}'"),
            Is.EqualTo("billing.billing_events_y2026m11"));
    }

    [Test]
    public async Task Event_outside_every_partition_is_kept_in_the_default_partition_and_moved_when_its_month_is_created()
    {
        var id = Guid.NewGuid();
        await InsertEventAsync(id, "2041-03-15T10:00:00Z");
        Assert.That(await _database.ScalarAsync<string>($"SELECT tableoid::regclass::text FROM billing.billing_events WHERE event_id = '{id}'"),
            Is.EqualTo("billing.billing_events_default"));

        var created = await _database.ScalarAsync<int>("SELECT billing.ensure_event_partitions(DATE '2041-03-01', 1)");

        Assert.That(created, Is.EqualTo(1));
        Assert.That(await _database.ScalarAsync<string>($"SELECT tableoid::regclass::text FROM billing.billing_events WHERE event_id = '{id}'"),
            Is.EqualTo("billing.billing_events_y2041m03"));
        Assert.That(await _database.ScalarAsync<int>("SELECT billing.ensure_event_partitions(DATE '2041-03-01', 1)"), Is.Zero, "idempotent");
    }

    [Test]
    public async Task Event_id_is_claimed_once_whatever_month_the_event_claims()
    {
        var id = Guid.NewGuid();
        await _database.ExecuteAsync($"INSERT INTO billing.billing_event_ids (event_id, occurred_at, stream_sequence) VALUES ('{id}', '2026-11-12Z', 1)");

        var error = Assert.ThrowsAsync<PostgresException>(() => _database.ExecuteAsync(
            $"INSERT INTO billing.billing_event_ids (event_id, occurred_at, stream_sequence) VALUES ('{id}', '2026-12-12Z', 2)"));

        Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.UniqueViolation));
    }

    [Test]
    public async Task Read_only_role_can_read_but_not_write()
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var setRole = new NpgsqlCommand("SET LOCAL ROLE billing_reader", connection, transaction))
        {
            await setRole.ExecuteNonQueryAsync();
        }
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM billing.operators", connection, transaction))
        {
            Assert.That(await read.ExecuteScalarAsync(), Is.EqualTo(2L));
        }

        await using var write = new NpgsqlCommand("INSERT INTO billing.account_tiers (code, name, active) VALUES ('x', 'X', true)", connection, transaction);
        var error = Assert.ThrowsAsync<PostgresException>(() => write.ExecuteNonQueryAsync());
        Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege));
    }

    [Test]
    public async Task Read_write_role_can_write_rows_and_create_partitions_but_not_change_the_schema()
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var setRole = new NpgsqlCommand("SET LOCAL ROLE billing_writer", connection, transaction))
        {
            await setRole.ExecuteNonQueryAsync();
        }
        await using (var write = new NpgsqlCommand("""
            INSERT INTO billing.dead_letters (stream, stream_sequence, subject, payload, reason_code, reason, delivery_count, received_at)
            VALUES ('BILLING_EVENTS', 42, 'billing.events.sms.submitted', '\x7b'::bytea, 'InvalidJson', 'test', 1, now());
            SELECT billing.ensure_event_partitions(DATE '2045-01-01', 1);
            """, connection, transaction))
        {
            await write.ExecuteNonQueryAsync();
        }
        await using (var partition = new NpgsqlCommand("SELECT to_regclass('billing.billing_events_y2045m01') IS NOT NULL", connection, transaction))
        {
            Assert.That(await partition.ExecuteScalarAsync(), Is.True);
        }

        await using var ddl = new NpgsqlCommand("DROP TABLE billing.usage_summaries", connection, transaction);
        var error = Assert.ThrowsAsync<PostgresException>(() => ddl.ExecuteNonQueryAsync());
        Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege));
    }

    private Task InsertEventAsync(Guid id, string occurredAt) => _database.ExecuteAsync($"""
        INSERT INTO billing.billing_events (event_id, occurred_at, type, account_id, message_id, operator, country, segments,
            stream_sequence, received_at, status, unrated_reason, billable)
        VALUES ('{id}', '{occurredAt}', 'sms.submitted', 'acc_1', 'msg_1', '63902', 'KE', 1, 1, now(), 'unrated', 'account_not_found', false)
        """);
}
