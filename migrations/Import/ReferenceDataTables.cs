using System.Text.RegularExpressions;
using Npgsql;

namespace Billing.Migrations.Import;

/// <summary>How one kind of reference-data row is validated and written.</summary>
internal interface IReferenceDataTable
{
    IReadOnlyList<string> Columns { get; }

    Task<RowOutcome> UpsertAsync(CsvRow row, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    /// <summary>The CSV field a database constraint of this table guards, to name it in the error.</summary>
    string FieldOf(string constraintName);
}

internal static partial class ReferenceDataTables
{
    public static IReferenceDataTable For(ReferenceDataKind kind) => kind switch
    {
        ReferenceDataKind.Tiers => new TiersTable(),
        ReferenceDataKind.Operators => new OperatorsTable(),
        ReferenceDataKind.Accounts => new AccountsTable(),
        ReferenceDataKind.Pricing => new PricingTable(),
        ReferenceDataKind.OperatorCosts => new OperatorCostsTable(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*\\z")]
    internal static partial Regex TierCode();

    [GeneratedRegex("^[0-9]{5,6}\\z")]
    internal static partial Regex MccMnc();

    [GeneratedRegex("^[A-Z]{2}\\z")]
    internal static partial Regex CountryCode();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.:-]*\\z")]
    internal static partial Regex AccountId();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+\z")]
    internal static partial Regex Email();

    [GeneratedRegex("^[A-Z]{3}\\z")]
    internal static partial Regex CurrencyCode();

    /// <summary>
    /// Runs an <c>INSERT ... ON CONFLICT DO UPDATE ... WHERE (changed)</c> whose RETURNING yields <c>xmax = 0</c>:
    /// a row back means inserted (true) or updated (false); no row means the record was already identical.
    /// </summary>
    internal static async Task<RowOutcome> UpsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql,
        IEnumerable<(string Name, object? Value)> parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result switch
        {
            true => RowOutcome.Inserted,
            false => RowOutcome.Updated,
            _ => RowOutcome.Unchanged,
        };
    }

    internal static string Currency(CsvRow row, string column)
    {
        var code = row.Text(column, 3, CurrencyCode(), "an ISO 4217 currency code such as USD");
        return Billing.Core.Domain.Currency.TryFromCode(code, out var currency) && currency != Billing.Core.Domain.Currency.None
            ? code
            : throw row.Error(column, $"'{code}' is not an ISO 4217 currency this service bills in");
    }
}

internal sealed class TiersTable : IReferenceDataTable
{
    public IReadOnlyList<string> Columns { get; } = ["code", "name", "active"];

    public string FieldOf(string constraintName) => "code";

    public Task<RowOutcome> UpsertAsync(CsvRow row, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        ReferenceDataTables.UpsertAsync(connection, transaction, """
            INSERT INTO billing.account_tiers AS t (code, name, active) VALUES (@code, @name, @active)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, active = excluded.active
            WHERE (t.name, t.active) IS DISTINCT FROM (excluded.name, excluded.active)
            RETURNING (xmax = 0)
            """,
            [
                ("code", row.Text("code", 32, ReferenceDataTables.TierCode(), "a lower-case tier code (letters, digits, '-', '_')")),
                ("name", row.Text("name", 100)),
                ("active", row.Boolean("active")),
            ], cancellationToken);
}

internal sealed class OperatorsTable : IReferenceDataTable
{
    public IReadOnlyList<string> Columns { get; } = ["mccmnc", "name", "country", "active"];

    public string FieldOf(string constraintName) => constraintName.Contains("country", StringComparison.Ordinal) ? "country" : "mccmnc";

    public Task<RowOutcome> UpsertAsync(CsvRow row, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        ReferenceDataTables.UpsertAsync(connection, transaction, """
            INSERT INTO billing.operators AS o (mccmnc, name, country, active) VALUES (@mccmnc, @name, @country, @active)
            ON CONFLICT (mccmnc) DO UPDATE SET name = excluded.name, country = excluded.country, active = excluded.active
            WHERE (o.name, o.country, o.active) IS DISTINCT FROM (excluded.name, excluded.country, excluded.active)
            RETURNING (xmax = 0)
            """,
            [
                ("mccmnc", row.Text("mccmnc", 6, ReferenceDataTables.MccMnc(), "an MCC+MNC of 5 or 6 digits")),
                ("name", row.Text("name", 100)),
                ("country", row.Text("country", 2, ReferenceDataTables.CountryCode(), "an ISO 3166 alpha-2 country code such as KE")),
                ("active", row.Boolean("active")),
            ], cancellationToken);
}

internal sealed class AccountsTable : IReferenceDataTable
{
    public IReadOnlyList<string> Columns { get; } = ["account_id", "name", "tier", "currency", "email", "address", "tax_rate", "active"];

    public string FieldOf(string constraintName) => constraintName switch
    {
        "fk_accounts_tier" => "tier",
        "ck_accounts_currency" => "currency",
        "ck_accounts_tax_rate" => "tax_rate",
        _ => "account_id",
    };

    public Task<RowOutcome> UpsertAsync(CsvRow row, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        ReferenceDataTables.UpsertAsync(connection, transaction, """
            INSERT INTO billing.accounts AS a (account_id, name, tier, currency, email, address, tax_rate, active)
            VALUES (@account_id, @name, @tier, @currency, @email, @address, @tax_rate, @active)
            ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, tier = excluded.tier, currency = excluded.currency,
                email = excluded.email, address = excluded.address, tax_rate = excluded.tax_rate, active = excluded.active
            WHERE (a.name, a.tier, a.currency, a.email, a.address, a.tax_rate, a.active)
                IS DISTINCT FROM (excluded.name, excluded.tier, excluded.currency, excluded.email, excluded.address, excluded.tax_rate, excluded.active)
            RETURNING (xmax = 0)
            """,
            [
                ("account_id", row.Text("account_id", 64, ReferenceDataTables.AccountId(), "an account id (letters, digits, '_', '.', ':', '-')")),
                ("name", row.Text("name", 200)),
                ("tier", row.Text("tier", 32, ReferenceDataTables.TierCode(), "a lower-case tier code")),
                ("currency", ReferenceDataTables.Currency(row, "currency")),
                ("email", row.Text("email", 254, ReferenceDataTables.Email(), "an e-mail address")),
                ("address", row.Text("address", 1000)),
                ("tax_rate", row.Decimal("tax_rate", 6, maxExclusive: 1m)),
                ("active", row.Boolean("active")),
            ], cancellationToken);
}

/// <summary>
/// Rules are history: a row whose (tier, operator, currency, valid_from) exists already must match it, except that an
/// open or later <c>valid_to</c> may be set (ending a rule so a new price can follow). Overlaps are refused by the
/// database's exclusion constraint; the importer names the rule it overlaps.
/// </summary>
internal sealed class PricingTable : IReferenceDataTable
{
    public IReadOnlyList<string> Columns { get; } = ["tier", "operator", "currency", "unit_price", "charge_on", "valid_from", "valid_to"];

    public string FieldOf(string constraintName) => constraintName switch
    {
        "fk_pricing_rules_tier" => "tier",
        "fk_pricing_rules_operator" => "operator",
        "ck_pricing_rules_validity" => "valid_to",
        "ex_pricing_rules_no_overlap" => "valid_from",
        _ => "tier",
    };

    public async Task<RowOutcome> UpsertAsync(CsvRow row, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var tier = row.Text("tier", 32, ReferenceDataTables.TierCode(), "a lower-case tier code");
        var @operator = row.Text("operator", 6, ReferenceDataTables.MccMnc(), "an MCC+MNC of 5 or 6 digits");
        var currency = ReferenceDataTables.Currency(row, "currency");
        var unitPrice = row.Decimal("unit_price", 6);
        var chargeOn = row.Choice("charge_on", "submitted", "delivered");
        var validFrom = row.Instant("valid_from");
        var validTo = row.OptionalInstant("valid_to");
        if (validTo <= validFrom)
        {
            throw row.Error("valid_to", "must be later than valid_from");
        }

        var key = new ValidityKey("billing.pricing_rules", "tier = @a AND operator = @b AND currency = @c", tier, @operator, currency);
        var existing = await ValidityHistory.FindAsync(key, validFrom, connection, transaction, cancellationToken,
            "unit_price", "charge_on");
        if (existing is not null)
        {
            if ((decimal)existing.Values[0] != unitPrice || (string)existing.Values[1] != chargeOn)
            {
                throw row.Error("unit_price",
                    $"a rule for {tier}/{@operator}/{currency} from {validFrom:O} already exists with unit_price {existing.Values[0]} " +
                    $"charge_on {existing.Values[1]}; prices are history and are not edited in place: end that rule with valid_to and add a new one");
            }
            return await ValidityHistory.ChangeValidToAsync(row, key, existing, validTo, "pricing_rule_id", connection, transaction, cancellationToken);
        }

        await ValidityHistory.RefuseOverlapAsync(row, key, validFrom, validTo, null, connection, transaction, cancellationToken);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO billing.pricing_rules (tier, operator, currency, unit_price, charge_on, valid_from, valid_to)
            VALUES (@tier, @operator, @currency, @unit_price, @charge_on, @valid_from, @valid_to)
            """, connection, transaction);
        insert.Parameters.AddWithValue("tier", tier);
        insert.Parameters.AddWithValue("operator", @operator);
        insert.Parameters.AddWithValue("currency", currency);
        insert.Parameters.AddWithValue("unit_price", unitPrice);
        insert.Parameters.AddWithValue("charge_on", chargeOn);
        insert.Parameters.AddWithValue("valid_from", validFrom);
        insert.Parameters.AddWithValue("valid_to", (object?)validTo ?? DBNull.Value);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return RowOutcome.Inserted;
    }
}

/// <summary>One unit cost per operator at any instant, with the same history rules as pricing.</summary>
internal sealed class OperatorCostsTable : IReferenceDataTable
{
    public IReadOnlyList<string> Columns { get; } = ["operator", "currency", "unit_cost", "valid_from", "valid_to"];

    public string FieldOf(string constraintName) => constraintName switch
    {
        "fk_operator_costs_operator" => "operator",
        "ck_operator_costs_validity" => "valid_to",
        "ex_operator_costs_no_overlap" => "valid_from",
        _ => "operator",
    };

    public async Task<RowOutcome> UpsertAsync(CsvRow row, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var @operator = row.Text("operator", 6, ReferenceDataTables.MccMnc(), "an MCC+MNC of 5 or 6 digits");
        var currency = ReferenceDataTables.Currency(row, "currency");
        var unitCost = row.Decimal("unit_cost", 6);
        var validFrom = row.Instant("valid_from");
        var validTo = row.OptionalInstant("valid_to");
        if (validTo <= validFrom)
        {
            throw row.Error("valid_to", "must be later than valid_from");
        }

        var key = new ValidityKey("billing.operator_costs", "operator = @a", @operator);
        var existing = await ValidityHistory.FindAsync(key, validFrom, connection, transaction, cancellationToken,
            "unit_cost", "currency");
        if (existing is not null)
        {
            if ((decimal)existing.Values[0] != unitCost || ((string)existing.Values[1]).Trim() != currency)
            {
                throw row.Error("unit_cost",
                    $"a cost for operator {@operator} from {validFrom:O} already exists with unit_cost {existing.Values[0]} {existing.Values[1]}; " +
                    "costs are history and are not edited in place: end that cost with valid_to and add a new one");
            }
            return await ValidityHistory.ChangeValidToAsync(row, key, existing, validTo, "operator_cost_id", connection, transaction, cancellationToken);
        }

        await ValidityHistory.RefuseOverlapAsync(row, key, validFrom, validTo, null, connection, transaction, cancellationToken);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO billing.operator_costs (operator, currency, unit_cost, valid_from, valid_to)
            VALUES (@operator, @currency, @unit_cost, @valid_from, @valid_to)
            """, connection, transaction);
        insert.Parameters.AddWithValue("operator", @operator);
        insert.Parameters.AddWithValue("currency", currency);
        insert.Parameters.AddWithValue("unit_cost", unitCost);
        insert.Parameters.AddWithValue("valid_from", validFrom);
        insert.Parameters.AddWithValue("valid_to", (object?)validTo ?? DBNull.Value);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return RowOutcome.Inserted;
    }
}

/// <summary>The key columns of a table with validity history, as a SQL condition over parameters @a, @b, @c.</summary>
internal sealed record ValidityKey(string Table, string Condition, params string[] Values)
{
    public void Bind(NpgsqlCommand command)
    {
        string[] names = ["a", "b", "c"];
        for (var i = 0; i < Values.Length; i++)
        {
            command.Parameters.AddWithValue(names[i], Values[i]);
        }
    }
}

internal sealed record ExistingValidity(long Id, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo, object[] Values);

/// <summary>Shared rules for the two tables whose rows are valid in [valid_from, valid_to).</summary>
internal static class ValidityHistory
{
    public static async Task<ExistingValidity?> FindAsync(
        ValidityKey key, DateTimeOffset validFrom, NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken, params string[] columns)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT id, valid_from, valid_to, {string.Join(", ", columns)} FROM {key.Table} WHERE {key.Condition} AND valid_from = @from FOR UPDATE",
            connection, transaction);
        key.Bind(command);
        command.Parameters.AddWithValue("from", validFrom);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var values = new object[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            values[i] = reader.GetValue(3 + i);
        }
        return new ExistingValidity(
            reader.GetInt64(0),
            reader.GetFieldValue<DateTimeOffset>(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
            values);
    }

    /// <summary>
    /// Sets a new <c>valid_to</c> on an otherwise identical record, unless that would take away the validity of an
    /// event already rated with it (those events would then have been priced by a record not valid at their time).
    /// </summary>
    public static async Task<RowOutcome> ChangeValidToAsync(
        CsvRow row, ValidityKey key, ExistingValidity existing, DateTimeOffset? validTo, string eventColumn,
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (existing.ValidTo == validTo)
        {
            return RowOutcome.Unchanged;
        }
        if (validTo is not null)
        {
            await using var used = new NpgsqlCommand(
                $"SELECT max(occurred_at) FROM billing.billing_events WHERE {eventColumn} = @id", connection, transaction);
            used.Parameters.AddWithValue("id", existing.Id);
            await using var reader = await used.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var lastUse = reader.GetFieldValue<DateTimeOffset?>(0);
            if (lastUse >= validTo)
            {
                throw row.Error("valid_to",
                    $"ending record {existing.Id} at {validTo:O} would take it away from events it already rated (the last at {lastUse.Value:O})");
            }
        }
        await RefuseOverlapAsync(row, key, existing.ValidFrom, validTo, existing.Id, connection, transaction, cancellationToken);
        await using var update = new NpgsqlCommand($"UPDATE {key.Table} SET valid_to = @to WHERE id = @id", connection, transaction);
        update.Parameters.AddWithValue("to", (object?)validTo ?? DBNull.Value);
        update.Parameters.AddWithValue("id", existing.Id);
        await update.ExecuteNonQueryAsync(cancellationToken);
        return RowOutcome.Updated;
    }

    /// <summary>Names the record a new validity would overlap (the exclusion constraint refuses it anyway).</summary>
    public static async Task RefuseOverlapAsync(
        CsvRow row, ValidityKey key, DateTimeOffset validFrom, DateTimeOffset? validTo, long? exceptId,
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT id, valid_from, valid_to FROM {key.Table}
            WHERE {key.Condition} AND tstzrange(valid_from, valid_to, '[)') && tstzrange(@from, @to, '[)')
              AND id IS DISTINCT FROM @except
            ORDER BY valid_from LIMIT 1
            """, connection, transaction);
        key.Bind(command);
        command.Parameters.AddWithValue("from", validFrom);
        command.Parameters.AddWithValue("to", (object?)validTo ?? DBNull.Value);
        command.Parameters.Add(new NpgsqlParameter<long?>("except", exceptId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            var otherTo = reader.IsDBNull(2) ? "open end" : reader.GetFieldValue<DateTimeOffset>(2).ToString("O");
            throw row.Error(validTo is null ? "valid_from" : "valid_to",
                $"[{validFrom:O}, {(validTo is null ? "open end" : validTo.Value.ToString("O"))}) overlaps record {reader.GetInt64(0)} " +
                $"valid [{reader.GetFieldValue<DateTimeOffset>(1):O}, {otherTo}) for the same key");
        }
    }
}
