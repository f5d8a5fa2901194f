using Billing.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Billing.Migrations.Schema;

/// <summary>Applies, rolls back and scripts the EF Core migrations of the billing schema.</summary>
internal sealed class SchemaMigrator(BillingDbContext db, TimeProvider time)
{
    /// <summary>How far ahead of the current month <c>migrate</c> creates monthly event partitions.</summary>
    public const int PartitionMonthsAhead = 24;

    /// <summary>
    /// Applies pending migrations, then makes sure event partitions exist from last month through
    /// <see cref="PartitionMonthsAhead"/> months after the current one.
    /// </summary>
    public async Task<MigrateResult> MigrateAsync(CancellationToken cancellationToken)
    {
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var from = new DateOnly(today.Year, today.Month, 1).AddMonths(-1);
        var created = await db.Database
            .SqlQuery<int>($"SELECT billing.ensure_event_partitions({from}, {PartitionMonthsAhead + 2}) AS \"Value\"")
            .SingleAsync(cancellationToken);
        return new MigrateResult(pending, created);
    }

    /// <summary>
    /// Reverts every migration. The down-migration itself refuses while any billing table holds data; <paramref name="force"/>
    /// sets the session flag it checks, on the same connection the migrator then uses.
    /// </summary>
    public async Task<IReadOnlyList<string>> RollbackAsync(bool force, CancellationToken cancellationToken)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Reverse().ToList();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (force)
            {
                await db.Database.ExecuteSqlAsync(
                    $"SELECT set_config({SchemaSql.AllowDestructiveRollbackSetting}, 'on', false)", cancellationToken);
            }
            await db.GetService<IMigrator>().MigrateAsync(Migration.InitialDatabase, cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        return applied;
    }

    /// <summary>The idempotent SQL script of every migration, as the CI migration pipeline applies it.</summary>
    public string GenerateIdempotentScript() =>
        db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent).ReplaceLineEndings("\n");

    public async Task<SchemaState> GetStateAsync(CancellationToken cancellationToken)
    {
        var known = db.Database.GetMigrations().ToList();
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
        return new SchemaState(
            applied,
            known.Except(applied).ToList(),
            applied.Except(known).ToList());
    }
}

internal sealed record MigrateResult(IReadOnlyList<string> Applied, int PartitionsCreated);

/// <param name="Applied">Migrations recorded in the database.</param>
/// <param name="Pending">Migrations this build knows that the database has not applied.</param>
/// <param name="Unknown">Migrations the database has applied that this build does not know (the database is newer).</param>
internal sealed record SchemaState(IReadOnlyList<string> Applied, IReadOnlyList<string> Pending, IReadOnlyList<string> Unknown)
{
    public bool IsCurrent => Applied.Count > 0 && Pending.Count == 0 && Unknown.Count == 0;
}
