using Npgsql;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// A test's own open transaction holding row locks, to stop a program at an exact point (it waits on the lock), so a
/// test can kill it there, deterministically, instead of guessing with timers. Disposing rolls back and releases.
/// </summary>
public sealed class Blocker : IAsyncDisposable
{
    private readonly TestDatabase _database;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly int _pid;

    private Blocker(TestDatabase database, NpgsqlConnection connection, NpgsqlTransaction transaction, int pid)
    {
        _database = database;
        _connection = connection;
        _transaction = transaction;
        _pid = pid;
    }

    /// <summary>
    /// Opens a transaction and runs <paramref name="sql"/> in it (an insert or update, which takes the locks); fails if it
    /// touched no row.
    /// </summary>
    public static async Task<Blocker> HoldAsync(TestDatabase database, string sql)
    {
        var connection = await database.DataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var pid = new NpgsqlCommand("SELECT pg_backend_pid()", connection, transaction))
        await using (var take = new NpgsqlCommand(sql, connection, transaction))
        {
            var backend = (int)(await pid.ExecuteScalarAsync())!;
            var rows = await take.ExecuteNonQueryAsync();
            Assert.That(rows, Is.GreaterThan(0), $"the blocker took no lock: {sql}");
            return new Blocker(database, connection, transaction, backend);
        }
    }

    /// <summary>
    /// Holds an uncommitted November 2026 invoice of the account and currency: a run's insert of that invoice waits on
    /// the unique index until the blocker is disposed (rolled back), so the run stops exactly there.
    /// </summary>
    public static Task<Blocker> HoldNovemberInvoiceAsync(TestDatabase database, string account, string currency) =>
        HoldAsync(database, $"""
            INSERT INTO billing.invoice_runs (id, period_start, dry_run, started_at, status, invoices_issued)
            VALUES ('00000000-0000-0000-0000-00000000b10c', '2026-11-01', false, now(), 'succeeded', 0);
            INSERT INTO billing.invoices (id, number, account_id, currency, period_start, period_end, issued_at, due_date,
                tax_rate, subtotal, tax, total, status, invoice_run_id)
            VALUES (gen_random_uuid(), 'INV-1999-000001', '{account}', '{currency}', '2026-11-01', '2026-12-01', now(), '2026-12-31',
                0, 0, 0, 0, 'issued', '00000000-0000-0000-0000-00000000b10c')
            """);

    /// <summary>Waits until some session of the database waits for a lock this blocker holds; fails if the process ends first.</summary>
    public async Task WaitUntilBlockingAsync(WorkerProcess process, TimeSpan timeout) =>
        await WaitUntilAsync(_database, $"SELECT count(*) FROM pg_stat_activity WHERE {_pid} = ANY(pg_blocking_pids(pid))",
            process, timeout, "block on the test's lock");

    /// <summary>
    /// Polls <paramref name="countSql"/> until it counts at least one row; fails if the process (when there is one: an
    /// in-process host has none) exits first or the time runs out.
    /// </summary>
    public static async Task WaitUntilAsync(TestDatabase database, string countSql, WorkerProcess? process, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await database.ScalarAsync<long>(countSql) == 0)
        {
            if (process is { HasExited: true })
            {
                Assert.Fail($"the process exited before it came to {what}:\n{process.Tail}");
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the process did not {what} within {timeout}:\n{process?.Tail}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(25));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.RollbackAsync();
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
