using Billing.Core.Data;
using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// A database of its own for one fixture, dropped at the end. Copies of a template migrated once per run are cheap
/// (CREATE DATABASE ... TEMPLATE); an empty one serves the tests of migrations themselves.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private const string TemplateName = "billing_test_template";
    private static readonly Lazy<Task> Template = new(CreateTemplateAsync);

    private readonly string _adminConnectionString;
    private readonly List<string> _logins = [];

    private TestDatabase(string adminConnectionString, string name)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public string Name { get; }

    /// <summary>Superuser connection string to this database.</summary>
    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static Task MigratedTemplateAsync() => Template.Value;

    /// <summary>A database holding the current schema, named after the fixture.</summary>
    public static async Task<TestDatabase> CreateMigratedAsync(string fixture)
    {
        await Template.Value;
        return await CreateAsync(fixture, $"TEMPLATE {TemplateName}");
    }

    /// <summary>An empty database (no schema at all).</summary>
    public static Task<TestDatabase> CreateEmptyAsync(string fixture) => CreateAsync(fixture, "TEMPLATE template0");

    public BillingDbContext CreateDbContext()
    {
        var options = new DbContextOptionsBuilder<BillingDbContext>();
        BillingDbContext.Configure(options, ConnectionString);
        return new BillingDbContext(options.Options);
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A login role of its own that is a member of <c>billing_reader</c> (the API's read-only group role, created by the
    /// migration), the way an administrator or Vault's database engine makes one: <c>CREATE ROLE ... LOGIN</c>, then
    /// <c>GRANT billing_reader TO ...</c>. Returns a connection string to this database as that role. Roles belong to
    /// the cluster, so the name is unique and the role is dropped with the database.
    /// </summary>
    public async Task<string> CreateReadOnlyLoginAsync()
    {
        var role = $"{Name}_api";
        var password = Guid.NewGuid().ToString("N");
        await ExecuteAsync($"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'; GRANT {SchemaSql.ReaderRole} TO \"{role}\"");
        lock (_logins)
        {
            _logins.Add(role);
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Username = role, Password = password }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await using var admin = NpgsqlDataSource.Create(_adminConnectionString);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
        foreach (var role in _logins)
        {
            await using var dropRole = admin.CreateCommand($"DROP ROLE IF EXISTS \"{role}\"");
            await dropRole.ExecuteNonQueryAsync();
        }
    }

    private static async Task<TestDatabase> CreateAsync(string fixture, string template)
    {
        var server = await TestServers.PostgresAsync();
        var name = $"t_{Sanitize(fixture)}_{Guid.NewGuid().ToString("N")[..12]}";
        await using var admin = NpgsqlDataSource.Create(server.AdminConnectionString);
        await using var create = admin.CreateCommand($"CREATE DATABASE \"{name}\" {template}");
        await create.ExecuteNonQueryAsync();
        return new TestDatabase(server.AdminConnectionString, name);
    }

    private static async Task CreateTemplateAsync()
    {
        var server = await TestServers.PostgresAsync();
        await using (var admin = NpgsqlDataSource.Create(server.AdminConnectionString))
        {
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {TemplateName} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
            await using var create = admin.CreateCommand($"CREATE DATABASE {TemplateName} TEMPLATE template0");
            await create.ExecuteNonQueryAsync();
        }
        // No pooling: a template must have no open connection when it is copied.
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString)
        {
            Database = TemplateName,
            Pooling = false,
        }.ConnectionString;
        var options = new DbContextOptionsBuilder<BillingDbContext>();
        BillingDbContext.Configure(options, connectionString);
        await using var db = new BillingDbContext(options.Options);
        await new SchemaMigrator(db, TimeProvider.System).MigrateAsync(CancellationToken.None);
    }

    private static string Sanitize(string fixture) =>
        new(fixture.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(24).ToArray());
}
