using Billing.Core.Data.Entities;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Billing.Core.Data;

/// <summary>The one EF Core schema shared by the three deployables and the operations CLI.</summary>
public sealed class BillingDbContext(DbContextOptions<BillingDbContext> options) : DbContext(options)
{
    public const string Schema = "billing";

    /// <summary>The assembly (the <c>billing-ops</c> project) that holds the migrations.</summary>
    public const string MigrationsAssembly = "billing-ops";

    public const string MigrationsHistoryTable = "__ef_migrations_history";

    public DbSet<AccountTier> AccountTiers => Set<AccountTier>();
    public DbSet<MobileOperator> Operators => Set<MobileOperator>();
    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<PricingRuleEntity> PricingRules => Set<PricingRuleEntity>();
    public DbSet<OperatorCostEntity> OperatorCosts => Set<OperatorCostEntity>();
    public DbSet<BillingEventId> BillingEventIds => Set<BillingEventId>();
    public DbSet<BillingEventEntity> BillingEvents => Set<BillingEventEntity>();
    public DbSet<UsageSummary> UsageSummaries => Set<UsageSummary>();
    public DbSet<DeadLetter> DeadLetters => Set<DeadLetter>();
    public DbSet<IngestionStart> IngestionStarts => Set<IngestionStart>();
    public DbSet<InvoiceRun> InvoiceRuns => Set<InvoiceRun>();
    public DbSet<Invoice> Invoices => Set<Invoice>();
    public DbSet<InvoiceLine> InvoiceLines => Set<InvoiceLine>();
    public DbSet<InvoiceNumberCounter> InvoiceNumberCounters => Set<InvoiceNumberCounter>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    /// <summary>Applies the Npgsql provider, the migrations assembly and the naming convention the schema uses.</summary>
    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, UseBillingSchema).UseSnakeCaseNamingConvention();

    /// <inheritdoc cref="Configure(DbContextOptionsBuilder, string)"/>
    public static void Configure(DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, UseBillingSchema).UseSnakeCaseNamingConvention();

    /// <summary>Works on an open connection (and its transaction) that the caller owns.</summary>
    public static void Configure(DbContextOptionsBuilder options, DbConnection connection) =>
        options.UseNpgsql(connection, UseBillingSchema).UseSnakeCaseNamingConvention();

    private static void UseBillingSchema(NpgsqlDbContextOptionsBuilder npgsql) =>
        npgsql.MigrationsAssembly(MigrationsAssembly).MigrationsHistoryTable(MigrationsHistoryTable, Schema);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.HasPostgresExtension("btree_gist");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(BillingDbContext).Assembly);
    }
}
