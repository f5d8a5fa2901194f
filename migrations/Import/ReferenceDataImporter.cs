using System.Text;
using Billing.Core.Data;
using Npgsql;

namespace Billing.Migrations.Import;

internal enum ReferenceDataKind
{
    Tiers,
    Operators,
    Accounts,
    Pricing,
    OperatorCosts,
}

/// <param name="Kind">What was imported.</param>
/// <param name="Rows">Data rows in the file.</param>
/// <param name="Inserted">Rows that created a record.</param>
/// <param name="Updated">Rows that changed an existing record.</param>
/// <param name="Unchanged">Rows identical to what the database already held (a re-import is a no-op).</param>
internal sealed record ImportResult(ReferenceDataKind Kind, int Rows, int Inserted, int Updated, int Unchanged);

internal enum RowOutcome
{
    Inserted,
    Updated,
    Unchanged,
}

/// <summary>
/// Imports one reference-data CSV file in one transaction: any bad row (in the file or refused by the database)
/// rolls everything back, and the error names the line and field. Rows identical to the database are no-ops.
/// </summary>
internal sealed class ReferenceDataImporter(NpgsqlDataSource dataSource)
{
    public static ReferenceDataKind ParseKind(string kind) => kind switch
    {
        "tiers" => ReferenceDataKind.Tiers,
        "operators" => ReferenceDataKind.Operators,
        "accounts" => ReferenceDataKind.Accounts,
        "pricing" => ReferenceDataKind.Pricing,
        "operator-costs" => ReferenceDataKind.OperatorCosts,
        _ => throw new ArgumentException($"unknown import kind '{kind}'; expected tiers, operators, accounts, pricing or operator-costs", nameof(kind)),
    };

    public async Task<ImportResult> ImportAsync(ReferenceDataKind kind, string path, CancellationToken cancellationToken)
    {
        var table = ReferenceDataTables.For(kind);
        var fileName = Path.GetFileName(path);
        using var reader = new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLocks.ReferenceData);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        int rows = 0, inserted = 0, updated = 0, unchanged = 0;
        try
        {
            foreach (var row in CsvTable.Read(reader, fileName, table.Columns))
            {
                rows++;
                RowOutcome outcome;
                try
                {
                    outcome = await table.UpsertAsync(row, connection, transaction, cancellationToken);
                }
                catch (PostgresException e) when (e.ConstraintName is not null)
                {
                    throw row.Error(table.FieldOf(e.ConstraintName), DescribeConstraintViolation(e));
                }
                switch (outcome)
                {
                    case RowOutcome.Inserted: inserted++; break;
                    case RowOutcome.Updated: updated++; break;
                    default: unchanged++; break;
                }
            }
        }
        catch (DecoderFallbackException)
        {
            throw new CsvImportException(fileName, rows + 2, null, "the file is not valid UTF-8");
        }

        if (inserted + updated > 0)
        {
            // Lets running ingest workers refresh their cached reference data at once.
            await using var notify = new NpgsqlCommand("SELECT pg_notify('billing_reference_data', @kind)", connection, transaction);
            notify.Parameters.AddWithValue("kind", kind.ToString());
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new ImportResult(kind, rows, inserted, updated, unchanged);
    }

    private static string DescribeConstraintViolation(PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.ForeignKeyViolation => $"refers to a record that does not exist ({e.ConstraintName}); import it first",
        PostgresErrorCodes.ExclusionViolation => $"its validity overlaps an existing record for the same key ({e.ConstraintName})",
        PostgresErrorCodes.CheckViolation => $"is refused by the database check {e.ConstraintName}",
        PostgresErrorCodes.UniqueViolation => $"duplicates an existing record ({e.ConstraintName})",
        _ => $"is refused by the database: {e.MessageText}",
    };
}
