using Billing.Core.Data;
using Billing.Core.Domain;
using Billing.IntegrationTests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Billing.IntegrationTests.Ingest;

/// <summary>
/// The ingest path's own binary COPY encoding (<see cref="BinaryCopyWriter"/>, <see cref="EventStaging"/>) against
/// Npgsql's importer, on a real PostgreSQL: the same rows written both ways must be the same rows, value for value.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class BinaryCopyWriterTests
{
    private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 12, 7, 1, 2, 3, 456, TimeSpan.Zero).AddTicks(7_891);

    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await TestDatabase.CreateMigratedAsync(nameof(BinaryCopyWriterTests));

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public async Task Event_rows_written_by_the_writer_equal_the_same_rows_written_by_Npgsqls_importer()
    {
        var rows = SampleRows();
        await _database.ExecuteAsync("""
            CREATE TABLE public.by_importer (LIKE billing.billing_events);
            CREATE TABLE public.by_writer (LIKE billing.billing_events);
            """);

        await using (var connection = await _database.DataSource.OpenConnectionAsync())
        {
            await CopyWithImporterAsync(connection, "public.by_importer", rows);
            await EventStaging.CopyIntoAsync(connection, "public.by_writer", rows, Now, CancellationToken.None);
        }

        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM public.by_writer"), Is.EqualTo(rows.Count));
        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM public.by_importer"), Is.EqualTo(rows.Count));
        Assert.That(await _database.ScalarAsync<long>(
            "SELECT count(*) FROM (SELECT * FROM public.by_importer EXCEPT ALL SELECT * FROM public.by_writer) d"), Is.Zero,
            "rows the importer wrote that the writer did not");
        Assert.That(await _database.ScalarAsync<long>(
            "SELECT count(*) FROM (SELECT * FROM public.by_writer EXCEPT ALL SELECT * FROM public.by_importer) d"), Is.Zero,
            "rows the writer wrote that the importer did not");
        // Numeric equality ignores display scale (1.50 = 1.5); the text forms must match too.
        Assert.That(await _database.ScalarAsync<long>("""
            SELECT count(*) FROM public.by_importer a JOIN public.by_writer w USING (event_id)
            WHERE (a.unit_price::text, a.amount::text, a.unit_cost::text, a.cost::text, a.occurred_at::text, a.rated_at::text)
               IS DISTINCT FROM (w.unit_price::text, w.amount::text, w.unit_cost::text, w.cost::text, w.occurred_at::text, w.rated_at::text)
            """), Is.Zero);
    }

    private static readonly decimal[] Decimals =
    [
        0m, 0.0m, 0.000000m, -0m, 1m, -1m, 0.5m, 1.5m, 9999m, 10000m, 10001m, 99999999m, 100000000m, 0.0001m, 0.00001m,
        0.000001m, -0.000001m, 1234.5678m, 12345.6789m, 0.1234m, 0.12345m, 1e-28m, -1e-28m, 0.0000000000000000000000000001m,
        123456789012345678901234.5678m, 79228162514264337593543950335m, -79228162514264337593543950335m,
        7.9228162514264337593543950335m, 18446744073709551615m, 18446744073709551616m, 1844674407370955161.6m,
        99999999999999.999999m, 1.10m, 2.500000m, 3.14159265358979323846264338m,
    ];

    [Test]
    public async Task Every_decimal_and_text_reads_back_as_itself()
    {
        var longText = string.Concat(Enumerable.Repeat("Žluťoučký kůň 😀 ", 8_000)); // ~190 KB: past the writer's 64 KB buffer
        string?[] texts = ["", null, "acc_1042", "Ελληνικά", "漢字", longText];
        await _database.ExecuteAsync("CREATE TABLE public.numbers (n bigint NOT NULL, value numeric, note text)");
        await using (var connection = await _database.DataSource.OpenConnectionAsync())
        await using (var stream = await connection.BeginRawBinaryCopyAsync("COPY public.numbers (n, value, note) FROM STDIN (FORMAT BINARY)"))
        {
            using var writer = new BinaryCopyWriter(stream);
            for (var i = 0; i < Decimals.Length; i++)
            {
                var note = texts[i % texts.Length];
                await writer.StartRowAsync(3, 12 + BinaryCopyWriter.MaxNumericBytes + BinaryCopyWriter.MaxTextBytes(note), CancellationToken.None);
                writer.Int64(i);
                writer.Numeric(Decimals[i]);
                writer.Text(note);
            }
            await writer.CompleteAsync(CancellationToken.None);
        }

        await using var command = _database.DataSource.CreateCommand("SELECT n, value, value::text, note FROM public.numbers ORDER BY n");
        await using var reader = await command.ExecuteReaderAsync();
        var read = 0;
        while (await reader.ReadAsync())
        {
            var n = (int)reader.GetInt64(0);
            var expected = Decimals[n];
            Assert.Multiple(() =>
            {
                Assert.That(reader.GetDecimal(1), Is.EqualTo(expected), $"value of row {n}");
                Assert.That(reader.GetString(2), Is.EqualTo(expected.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"text of row {n} ({expected})");
                Assert.That(reader.IsDBNull(3) ? null : reader.GetString(3), Is.EqualTo(texts[n % texts.Length]), $"note of row {n}");
            });
            read++;
        }
        Assert.That(read, Is.EqualTo(Decimals.Length));
    }

    [Test]
    public async Task A_failed_copy_is_cancelled_and_the_connection_stays_usable()
    {
        var rows = SampleRows();
        await _database.ExecuteAsync("CREATE TABLE public.too_narrow (LIKE billing.billing_events); ALTER TABLE public.too_narrow ALTER COLUMN message_id TYPE varchar(4)");
        await using var connection = await _database.DataSource.OpenConnectionAsync();

        var error = Assert.ThrowsAsync<PostgresException>(() => EventStaging.CopyIntoAsync(connection, "public.too_narrow", rows, Now, CancellationToken.None));

        Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.StringDataRightTruncation));
        await using var check = new NpgsqlCommand("SELECT count(*) FROM public.too_narrow", connection);
        Assert.That(await check.ExecuteScalarAsync(), Is.EqualTo(0L));
    }

    /// <summary>Rated, unrated (no account, no rule), not billable, without a cost; odd scales, ticks and text.</summary>
    private static List<RatedEventRow> SampleRows()
    {
        var from = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var catalog = new RatingCatalog(
            [
                new PricingRule(1, "standard", "63902", "KES", 1.5m, ChargeOn.Submitted, from, null),
                new PricingRule(2, "standard", "62130", "NGN", 0.000001m, ChargeOn.Delivered, from, null),
                new PricingRule(3, "premium", "63902", "USD", 9999.999999m, ChargeOn.Submitted, from, null),
                new PricingRule(4, "premium", "62130", "EUR", 0m, ChargeOn.Submitted, from, null),
                new PricingRule(5, "standard", "20801", "KES", 0.12m, ChargeOn.Submitted, from, null),
            ],
            [
                new OperatorCost(11, "63902", "USD", 0.0025m, from, null),
                new OperatorCost(12, "62130", "USD", 12.34m, from, null),
            ],
            [new RatedAccount("acc_1", "standard", "KES"), new RatedAccount("acc_2", "premium", "USD"), new RatedAccount("acc_3", "premium", "EUR"), new RatedAccount("acc_4", "standard", "NGN")]);
        var random = new Random(20261207);
        string[] accounts = ["acc_1", "acc_2", "acc_3", "acc_4", "acc_unknown"];
        (string Operator, string Country)[] operators = [("63902", "KE"), ("62130", "NG"), ("20801", "FR"), ("310260", "US")];
        SmsEventType[] types = [SmsEventType.Submitted, SmsEventType.Delivered, SmsEventType.Failed, SmsEventType.Expired];
        var rows = new List<RatedEventRow>();
        for (var i = 0; i < 2_000; i++)
        {
            var (op, country) = operators[random.Next(operators.Length)];
            var occurredAt = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)
                .AddTicks(random.NextInt64(TimeSpan.TicksPerDay * 30)); // sub-microsecond ticks: truncated alike
            var billingEvent = new BillingEvent(
                Guid.NewGuid(), types[random.Next(types.Length)], occurredAt, accounts[random.Next(accounts.Length)],
                i % 7 == 0 ? $"msg_ünïcødé_{i}_😀" : $"msg_{i:x8}", op, country, random.Next(1, 256));
            rows.Add(new RatedEventRow(billingEvent, Rater.Rate(billingEvent, catalog), i + 1));
        }
        return rows;
    }

    /// <summary>The rows as Npgsql's importer writes them: the reference.</summary>
    private static async Task CopyWithImporterAsync(NpgsqlConnection connection, string table, IReadOnlyList<RatedEventRow> rows)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({EventStaging.Columns}) FROM STDIN (FORMAT BINARY)");
        foreach (var (e, rating, sequence) in rows)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(e.EventId, NpgsqlDbType.Uuid);
            await importer.WriteAsync(e.OccurredAt, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(e.Type.ToWireName(), NpgsqlDbType.Text);
            await importer.WriteAsync(e.AccountId, NpgsqlDbType.Text);
            await importer.WriteAsync(e.MessageId, NpgsqlDbType.Text);
            await importer.WriteAsync(e.Operator, NpgsqlDbType.Text);
            await importer.WriteAsync(e.Country, NpgsqlDbType.Text);
            await importer.WriteAsync((short)e.Segments, NpgsqlDbType.Smallint);
            await importer.WriteAsync(sequence, NpgsqlDbType.Bigint);
            await importer.WriteAsync(Now, NpgsqlDbType.TimestampTz);
            await StoredRating.WriteAsync(importer, rating, Now, CancellationToken.None);
        }
        await importer.CompleteAsync();
    }
}
