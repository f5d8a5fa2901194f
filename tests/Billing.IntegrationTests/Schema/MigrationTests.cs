using Billing.IntegrationTests.Infrastructure;
using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Billing.IntegrationTests.Schema;

/// <summary>The migrations, the checked-in idempotent script, and the guarded rollback, on databases of their own.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class MigrationTests
{
    private static string CheckedInScript => RepositoryRoot.Combine("migrations", "billing-schema.sql");

    /// <summary>How many migrations this build has (what a fresh database ends up with).</summary>
    private static int KnownMigrations { get; } = typeof(Billing.Migrations.Schema.SchemaMigrator).Assembly.GetTypes()
        .Count(t => t.IsSubclassOf(typeof(Microsoft.EntityFrameworkCore.Migrations.Migration)));

    [Test]
    public async Task Checked_in_sql_script_is_the_one_the_migrations_generate()
    {
        await using var database = await TestDatabase.CreateEmptyAsync(nameof(Checked_in_sql_script_is_the_one_the_migrations_generate));
        await using var db = database.CreateDbContext();
        var generated = new SchemaMigrator(db, TimeProvider.System).GenerateIdempotentScript();

        var checkedIn = (await File.ReadAllTextAsync(CheckedInScript)).ReplaceLineEndings("\n");

        Assert.That(checkedIn, Is.EqualTo(generated),
            "migrations/billing-schema.sql is stale: regenerate it with `make sql-script` and commit it");
    }

    [Test]
    public async Task Checked_in_sql_script_applies_to_an_empty_database_and_again()
    {
        await using var database = await TestDatabase.CreateEmptyAsync("script_twice");
        var script = await File.ReadAllTextAsync(CheckedInScript);

        await database.ExecuteAsync(script);
        var afterFirst = await SchemaFingerprint.ReadAsync(database);
        await database.ExecuteAsync(script);
        var afterSecond = await SchemaFingerprint.ReadAsync(database);

        Assert.Multiple(() =>
        {
            Assert.That(afterFirst, Has.Some.StartsWith("partition billing_events_y2026m11 "));
            Assert.That(afterFirst, Has.Some.StartsWith("constraint billing.pricing_rules ex_pricing_rules_no_overlap EXCLUDE USING gist"));
            Assert.That(afterSecond, Is.EqualTo(afterFirst));
        });
        Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.__ef_migrations_history"), Is.EqualTo(KnownMigrations));
    }

    [Test]
    public async Task Sql_script_and_ef_core_migrate_build_the_same_schema()
    {
        await using var scripted = await TestDatabase.CreateEmptyAsync("scripted");
        await using var migrated = await TestDatabase.CreateEmptyAsync("migrated");

        await scripted.ExecuteAsync(await File.ReadAllTextAsync(CheckedInScript));
        await using (var db = migrated.CreateDbContext())
        {
            await db.Database.MigrateAsync();
        }

        var fromScript = await SchemaFingerprint.ReadAsync(scripted);
        Assert.That(fromScript, Has.Count.GreaterThan(100));
        Assert.That(await SchemaFingerprint.ReadAsync(migrated), Is.EqualTo(fromScript));
    }

    [Test]
    public async Task Migrate_creates_event_partitions_two_years_ahead_of_its_clock()
    {
        await using var database = await TestDatabase.CreateEmptyAsync("partitions_ahead");
        await using var db = database.CreateDbContext();
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 6, 10, 0, 0, 0, TimeSpan.Zero));

        var result = await new SchemaMigrator(db, time).MigrateAsync(CancellationToken.None);

        Assert.That(result.Applied, Has.Count.EqualTo(KnownMigrations));
        Assert.That(await database.ScalarAsync<bool>("SELECT to_regclass('billing.billing_events_y2030m05') IS NOT NULL"), Is.True, "last month");
        Assert.That(await database.ScalarAsync<bool>("SELECT to_regclass('billing.billing_events_y2032m06') IS NOT NULL"), Is.True, "24 months ahead");
        Assert.That(await database.ScalarAsync<bool>("SELECT to_regclass('billing.billing_events_y2032m07') IS NOT NULL"), Is.False, "25 months ahead");
    }

    [Test]
    public async Task Rollback_refuses_while_a_billing_table_holds_data_and_names_it()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("rollback_refused");
        await database.ExecuteAsync("INSERT INTO billing.account_tiers (code, name, active) VALUES ('standard', 'Standard', true)");

        var result = await Ops.RunAsync(database, "migrate", "--rollback");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain("refusing to roll back").And.Contain("account_tiers").And.Contain("--force"));
        Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.account_tiers"), Is.EqualTo(1));
        Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.__ef_migrations_history"), Is.EqualTo(KnownMigrations));
    }

    [Test]
    public async Task Rollback_of_an_empty_schema_drops_it_and_migrate_restores_it()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("rollback_empty");

        var rollback = await Ops.RunAsync(database, "migrate", "--rollback");
        Assert.That(rollback.ExitCode, Is.Zero, rollback.ToString());
        Assert.That(await database.ScalarAsync<bool>("SELECT to_regclass('billing.billing_events') IS NULL"), Is.True);
        Assert.That(await database.ScalarAsync<bool>("SELECT to_regclass('billing.pricing_rules') IS NULL"), Is.True);

        var migrate = await Ops.RunAsync(database, "migrate");
        Assert.That(migrate.ExitCode, Is.Zero, migrate.ToString());
        Assert.That(migrate.Output, Does.Contain($"applied {KnownMigrations} migration(s)"));
        Assert.That(await database.ScalarAsync<bool>("SELECT to_regclass('billing.billing_events') IS NOT NULL"), Is.True);
    }

    [Test]
    public async Task Forced_rollback_drops_tables_that_hold_data()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("rollback_forced");
        await database.ExecuteAsync("INSERT INTO billing.account_tiers (code, name, active) VALUES ('standard', 'Standard', true)");

        var result = await Ops.RunAsync(database, "migrate", "--rollback", "--force");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(await database.ScalarAsync<bool>("SELECT to_regclass('billing.account_tiers') IS NULL"), Is.True);
    }

    [Test]
    public async Task Force_without_rollback_is_a_usage_error()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("force_alone");

        var result = await Ops.RunAsync(database, "migrate", "--force");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("--force is only valid with --rollback"));
    }

    [Test]
    public async Task Migrate_twice_applies_nothing_the_second_time()
    {
        await using var database = await TestDatabase.CreateEmptyAsync("migrate_twice");

        var first = await Ops.RunAsync(database, "migrate");
        var second = await Ops.RunAsync(database, "migrate");

        Assert.That(first.Output, Does.Contain($"applied {KnownMigrations} migration(s)"), first.ToString());
        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.Output, Does.Contain("no pending migration"));
    }
}
