using System.Text;

namespace Billing.EventGenerator;

/// <summary>A destination network as traffic needs it.</summary>
/// <param name="Mccmnc">MCC+MNC, the event's <c>operator</c>.</param>
/// <param name="Country">ISO 3166-1 alpha-2 code, the event's <c>country</c>.</param>
public sealed record TrafficOperator(string Mccmnc, string Country);

/// <summary>An account and an operator between which no pricing rule exists: its events are stored unrated.</summary>
public sealed record UnpricedPair(string AccountId, string Operator);

/// <summary>
/// Who sends and where to: the account ids and operators that traffic is drawn from, and the pairs of them that have
/// no price. Regular traffic avoids those pairs, so the only unrated events are the ones a plan asks for.
/// </summary>
/// <param name="Accounts">Account ids, in file order (the generator ranks them by seed for its skewed distribution).</param>
/// <param name="Operators">Operators, in file order.</param>
/// <param name="UnpricedPairs">Pairs of <paramref name="Accounts"/> and <paramref name="Operators"/> without a pricing rule.</param>
public sealed record TrafficReferenceData(
    IReadOnlyList<string> Accounts,
    IReadOnlyList<TrafficOperator> Operators,
    IReadOnlyList<UnpricedPair> UnpricedPairs)
{
    /// <summary>
    /// Reads the reference-data CSV files (the <c>billing-ops import</c> format), keeping active rows only. With a
    /// pricing file, every active account x active operator that has no rule for (account tier, operator, account
    /// currency), at any time, is an <see cref="UnpricedPair"/>: in the sample data the <c>business</c> tier x Orange
    /// France (20801).
    /// </summary>
    /// <exception cref="InvalidDataException">A file lacks a column the generator needs or is not valid CSV.</exception>
    public static TrafficReferenceData LoadCsv(string accountsCsv, string operatorsCsv, string? pricingCsv = null)
    {
        var accounts = CsvFile.Read(accountsCsv, "account_id", "tier", "currency")
            .Where(row => row.IsActive)
            .Select(row => (Id: row["account_id"], Tier: row["tier"], Currency: row["currency"]))
            .ToList();
        var operators = CsvFile.Read(operatorsCsv, "mccmnc", "country")
            .Where(row => row.IsActive)
            .Select(row => new TrafficOperator(row["mccmnc"], row["country"]))
            .ToList();

        var unpriced = new List<UnpricedPair>();
        if (pricingCsv is not null)
        {
            var priced = CsvFile.Read(pricingCsv, "tier", "operator", "currency")
                .Select(row => (row["tier"], row["operator"], row["currency"]))
                .ToHashSet();
            unpriced.AddRange(
                from account in accounts
                from op in operators
                where !priced.Contains((account.Tier, op.Mccmnc, account.Currency))
                select new UnpricedPair(account.Id, op.Mccmnc));
        }

        return new TrafficReferenceData([.. accounts.Select(a => a.Id)], operators, unpriced);
    }

    /// <summary>Checks what the generator relies on; throws <see cref="ArgumentException"/> naming the first problem.</summary>
    internal void Validate()
    {
        if (Accounts.Count == 0 || Operators.Count == 0)
        {
            throw new ArgumentException("Traffic needs at least one account and one operator.");
        }

        var accounts = Accounts.ToHashSet(StringComparer.Ordinal);
        var operators = Operators.Select(o => o.Mccmnc).ToHashSet(StringComparer.Ordinal);
        if (accounts.Count != Accounts.Count || operators.Count != Operators.Count)
        {
            throw new ArgumentException("Account ids and operator codes must be distinct.");
        }

        foreach (var pair in UnpricedPairs)
        {
            if (!accounts.Contains(pair.AccountId) || !operators.Contains(pair.Operator))
            {
                throw new ArgumentException($"Unpriced pair {pair.AccountId} x {pair.Operator} names an account or operator not in the data.");
            }
        }

        var unpricedCounts = UnpricedPairs.Distinct().CountBy(p => p.AccountId).ToDictionary(StringComparer.Ordinal);
        if (Accounts.FirstOrDefault(a => unpricedCounts.GetValueOrDefault(a) == Operators.Count) is { } stranded)
        {
            throw new ArgumentException($"Account {stranded} has no priced operator, so it can send no regular traffic.");
        }
    }
}

/// <summary>
/// Just enough RFC 4180 for the reference-data files: a header row, comma-separated fields, optional double quotes
/// (a doubled quote inside stands for one; quoted fields may hold commas and line breaks).
/// </summary>
internal static class CsvFile
{
    public static IEnumerable<CsvRow> Read(string path, params string[] requiredColumns)
    {
        var name = Path.GetFileName(path);
        var records = Parse(File.ReadAllText(path, Encoding.UTF8), name);
        if (records.Count == 0)
        {
            throw new InvalidDataException($"{name}: no header row.");
        }

        var header = records[0].Fields;
        var columns = header.Select((column, index) => (column, index)).ToDictionary(c => c.column, c => c.index, StringComparer.Ordinal);
        if (requiredColumns.FirstOrDefault(c => !columns.ContainsKey(c)) is { } missing)
        {
            throw new InvalidDataException($"{name}: no column '{missing}' in the header ({string.Join(',', header)}).");
        }

        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count != header.Count)
            {
                throw new InvalidDataException($"{name} line {line}: {fields.Count} field(s), the header has {header.Count}.");
            }
            yield return new CsvRow(name, line, columns, fields);
        }
    }

    private static List<(int Line, List<string> Fields)> Parse(string text, string name)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var (line, recordLine, inQuotes) = (1, 1, false);

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    inQuotes = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }
                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    inQuotes = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (inQuotes)
        {
            throw new InvalidDataException($"{name} line {recordLine}: a quoted field is not closed before the end of the file.");
        }
        EndRecord();
        return records;

        void EndRecord()
        {
            fields.Add(field.ToString());
            field.Clear();
            if (fields is not [""])
            {
                records.Add((recordLine, fields));
            }
            fields = [];
        }
    }
}

/// <summary>One data row, read by column name.</summary>
internal sealed class CsvRow(string file, int line, IReadOnlyDictionary<string, int> columns, IReadOnlyList<string> fields)
{
    public string this[string column] => fields[columns[column]];

    /// <summary>Rows without an <c>active</c> column count as active.</summary>
    public bool IsActive => !columns.TryGetValue("active", out var index) || fields[index] switch
    {
        "true" => true,
        "false" => false,
        var other => throw new InvalidDataException($"{file} line {line}, field 'active': '{other}' is not true or false."),
    };
}
