using System.Text;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Operations;

/// <summary><c>billing-ops import</c>: one transaction per file, errors that name line and field, re-imports that change nothing.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ImportTests
{
    private TestDatabase _database = null!;
    private string _directory = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await TestDatabase.CreateMigratedAsync(nameof(ImportTests));
        _directory = Directory.CreateTempSubdirectory("billing-import-tests-").FullName;
        await Ops.ImportSampleAsync(_database);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A database of its own holding the sample data, for a test that changes it successfully.</summary>
    private static async Task<TestDatabase> SampleDatabaseAsync(string name)
    {
        var database = await TestDatabase.CreateMigratedAsync(name);
        await Ops.ImportSampleAsync(database);
        return database;
    }

    private Task<string?> SnapshotAsync() => _database.ScalarAsync<string>("""
        SELECT concat_ws(E'\n--\n',
            (SELECT string_agg(t::text, E'\n' ORDER BY t::text) FROM billing.account_tiers t),
            (SELECT string_agg(o::text, E'\n' ORDER BY o::text) FROM billing.operators o),
            (SELECT string_agg(a::text, E'\n' ORDER BY a::text) FROM billing.accounts a),
            (SELECT string_agg(r::text, E'\n' ORDER BY r::text) FROM billing.pricing_rules r),
            (SELECT string_agg(c::text, E'\n' ORDER BY c::text) FROM billing.operator_costs c))
        """);

    private async Task<string> WriteCsvAsync(string name, string content)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}-{name}");
        await File.WriteAllTextAsync(path, content, new UTF8Encoding(false));
        return path;
    }

    [Test]
    public async Task Sample_reference_data_is_imported_in_full()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.account_tiers"), Is.EqualTo(4));
            Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.operators"), Is.EqualTo(12));
            Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.accounts"), Is.EqualTo(20));
            Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.pricing_rules"), Is.EqualTo(97));
            Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.operator_costs"), Is.EqualTo(11));
            Assert.That(await _database.ScalarAsync<long>("SELECT count(DISTINCT currency) FROM billing.accounts"), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Quoted_fields_and_any_unicode_survive_the_import()
    {
        Assert.That(await _database.ScalarAsync<string>("SELECT name FROM billing.accounts WHERE account_id = 'acc_1012'"),
            Is.EqualTo("Αθηνά Τηλεπικοινωνίες Α.Ε."));
        Assert.That(await _database.ScalarAsync<string>("SELECT address FROM billing.accounts WHERE account_id = 'acc_1008'"),
            Is.EqualTo("Königsallee 1, 40212 Düsseldorf, Germany"));
        Assert.That(await _database.ScalarAsync<decimal>("SELECT tax_rate FROM billing.accounts WHERE account_id = 'acc_1004'"),
            Is.EqualTo(0.075m));
    }

    [TestCase("tiers", "tiers.csv")]
    [TestCase("operators", "operators.csv")]
    [TestCase("accounts", "accounts.csv")]
    [TestCase("pricing", "pricing.csv")]
    [TestCase("operator-costs", "operator-costs.csv")]
    public async Task Reimporting_the_same_file_changes_nothing(string kind, string file)
    {
        var before = await SnapshotAsync();

        var result = await Ops.RunAsync(_database, "import", kind, Ops.Sample(file));

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output, Does.Match(@"row\(s\): 0 inserted, 0 updated, [1-9][0-9]* unchanged"));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [TestCase("operators", "mccmnc,name,country,active\n99901,Good Operator,KE,true\n9990,Short Code,KE,true\n", 3, "mccmnc")]
    [TestCase("operators", "mccmnc,name,country,active\n99901,Good Operator,KE,true\n99902,Bad Country,Kenya,true\n", 3, "country")]
    [TestCase("operators", "mccmnc,name,country,active\n99901,Good Operator,KE,yes\n", 2, "active")]
    [TestCase("accounts", "account_id,name,tier,currency,email,address,tax_rate,active\nacc_9001,Good,standard,USD,a@b.example,x,0.1,true\nacc_9002,Bad Tier,gold,USD,a@b.example,x,0.1,true\n", 3, "tier")]
    [TestCase("accounts", "account_id,name,tier,currency,email,address,tax_rate,active\nacc_9001,Percent Not Fraction,standard,USD,a@b.example,x,16,true\n", 2, "tax_rate")]
    [TestCase("accounts", "account_id,name,tier,currency,email,address,tax_rate,active\nacc_9001,Lower Currency,standard,usd,a@b.example,x,0.1,true\n", 2, "currency")]
    [TestCase("accounts", "account_id,name,tier,currency,email,address,tax_rate,active\nacc_9001,Made Up Currency,standard,ABC,a@b.example,x,0.1,true\n", 2, "currency")]
    [TestCase("accounts", "account_id,name,tier,currency,email,address,tax_rate,active\nacc_9001,No Mail,standard,USD,not-an-email,x,0.1,true\n", 2, "email")]
    [TestCase("pricing", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nlegacy,63902,USD,0.01,submitted,2026-01-01,\nlegacy,63903,USD,\"1,5\",submitted,2026-01-01,\n", 3, "unit_price")]
    [TestCase("pricing", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nlegacy,63902,USD,0.0000001,submitted,2026-01-01,\n", 2, "unit_price")]
    [TestCase("pricing", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nlegacy,63902,USD,0.01,always,2026-01-01,\n", 2, "charge_on")]
    [TestCase("pricing", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nlegacy,63902,USD,0.01,submitted,2026-01-01T00:00:00+03:00,\n", 2, "valid_from")]
    [TestCase("pricing", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nlegacy,63902,USD,0.01,submitted,2026-01-01,2025-12-01\n", 2, "valid_to")]
    [TestCase("pricing", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nlegacy,63902,USD,0.01,submitted,2026-01-01,\nlegacy,63903,USD,0.01,submitted,2026-01-01,\nlegacy,63902,USD,0.02,submitted,2026-06-01,\n", 4, "valid_from")]
    [TestCase("pricing", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nlegacy,63902,USD,0.01,submitted,2026-01-01,\nlegacy,99999,USD,0.01,submitted,2026-01-01,\n", 3, "operator")]
    [TestCase("operator-costs", "operator,currency,unit_cost,valid_from,valid_to\n64110,USD,0.004,2026-01-01,2026-02-01\n64110,USD,0.005,2026-01-15,\n", 3, "valid_from")]
    public async Task Bad_row_fails_the_whole_import_naming_line_and_field(string kind, string csv, int line, string field)
    {
        var before = await SnapshotAsync();
        var path = await WriteCsvAsync($"{kind}.csv", csv);

        var result = await Ops.RunAsync(_database, "import", kind, path);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain($"line {line}, field '{field}'").And.Contain("nothing was changed"));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "a failed import must leave every table unchanged");
    }

    [TestCase("tiers", "code,name\nx,X\n", "missing column(s) active")]
    [TestCase("tiers", "code,name,active,colour\nx,X,true,red\n", "unknown column(s) colour")]
    [TestCase("tiers", "code,name,active\nx,X,true\ny,Y\n", "line 3: has 2 field(s), the header has 3")]
    [TestCase("tiers", "code,name,active\nx,\"X,true\n", "line 2: a quoted field is not closed")]
    [TestCase("tiers", "", "line 1: the file is empty")]
    public async Task Malformed_file_is_refused_with_the_line(string kind, string csv, string expected)
    {
        var before = await SnapshotAsync();
        var path = await WriteCsvAsync($"{kind}.csv", csv);

        var result = await Ops.RunAsync(_database, "import", kind, path);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain(expected));
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Pricing_history_is_not_edited_in_place()
    {
        var path = await WriteCsvAsync("pricing.csv",
            "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nstandard,63903,USD,0.0999,submitted,2026-01-01,\n");

        var result = await Ops.RunAsync(_database, "import", "pricing", path);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain("line 2, field 'unit_price'").And.Contain("end that rule with valid_to"));
    }

    [Test]
    public async Task Ending_a_rule_and_adding_its_successor_in_one_file_is_accepted()
    {
        await using var database = await SampleDatabaseAsync("end_rule");
        var path = await WriteCsvAsync("pricing.csv", """
            tier,operator,currency,unit_price,charge_on,valid_from,valid_to
            standard,62120,USD,0.0176,submitted,2026-01-01,2027-01-01
            standard,62120,USD,0.0190,submitted,2027-01-01T00:00:00Z,
            """);

        var result = await Ops.RunAsync(database, "import", "pricing", path);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output, Does.Contain("2 row(s): 1 inserted, 1 updated, 0 unchanged"));
        Assert.That(await database.ScalarAsync<decimal>("""
            SELECT unit_price FROM billing.pricing_rules
            WHERE tier = 'standard' AND operator = '62120' AND currency = 'USD' AND valid_from <= '2027-03-01Z'
              AND (valid_to IS NULL OR valid_to > '2027-03-01Z')
            """), Is.EqualTo(0.0190m));
    }

    [Test]
    public async Task Ending_a_rule_before_an_event_it_rated_is_refused()
    {
        await using var database = await SampleDatabaseAsync("end_rule_used");
        var ruleId = await database.ScalarAsync<long>(
            "SELECT id FROM billing.pricing_rules WHERE tier = 'business' AND operator = '65501' AND currency = 'USD'");
        await database.ExecuteAsync($"""
            INSERT INTO billing.billing_events (event_id, occurred_at, type, account_id, message_id, operator, country, segments,
                stream_sequence, received_at, status, tier, currency, pricing_rule_id, unit_price, billable, amount)
            VALUES ('{Guid.NewGuid()}', '2026-10-10T10:00:00Z', 'sms.submitted', 'acc_1005', 'msg_1', '65501', 'ZA', 1, 1, now(),
                'rated', 'business', 'USD', {ruleId}, 0.0189, true, 0.0189)
            """);
        var path = await WriteCsvAsync("pricing.csv",
            "tier,operator,currency,unit_price,charge_on,valid_from,valid_to\nbusiness,65501,USD,0.0189,submitted,2026-01-01,2026-10-01\n");

        var result = await Ops.RunAsync(database, "import", "pricing", path);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain("line 2, field 'valid_to'").And.Contain("events it already rated"));
        Assert.That(await database.ScalarAsync<bool>($"SELECT valid_to IS NULL FROM billing.pricing_rules WHERE id = {ruleId}"), Is.True);
    }

    [Test]
    public async Task Missing_file_is_a_usage_error()
    {
        var result = await Ops.RunAsync(_database, "import", "pricing", Path.Combine(_directory, "no-such-file.csv"));

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("file not found"));
    }

    [Test]
    public async Task Unknown_import_kind_is_a_usage_error()
    {
        var result = await Ops.RunAsync(_database, "import", "prices", Ops.Sample("pricing.csv"));

        Assert.That(result.ExitCode, Is.Not.Zero, result.ToString());
        Assert.That(result.Error, Does.Contain("prices"));
    }
}
