using System.Text;

namespace Billing.Migrations.Import;

/// <summary>One data record of a CSV file, with the physical line it starts on (the header is line 1).</summary>
internal sealed record CsvRecord(int Line, IReadOnlyList<string> Values);

/// <summary>
/// A strict RFC 4180 reader: comma separated, fields optionally in double quotes (a quote inside is doubled, quoted
/// fields may span lines), LF or CRLF line ends. Blank lines are skipped. Errors name the line.
/// </summary>
internal static class CsvReader
{
    public static IEnumerable<CsvRecord> Read(TextReader reader, string fileName)
    {
        var line = 1;
        var values = new List<string>();
        var field = new StringBuilder();
        var recordLine = 1;
        var inQuotes = false;
        var fieldWasQuoted = false;
        var recordHasContent = false;

        while (true)
        {
            var c = reader.Read();
            if (inQuotes)
            {
                if (c == -1)
                {
                    throw new CsvImportException(fileName, recordLine, null, "a quoted field is not closed before the end of the file");
                }
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }
                    field.Append((char)c);
                }
                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0 && !fieldWasQuoted:
                    inQuotes = true;
                    fieldWasQuoted = true;
                    recordHasContent = true;
                    break;
                case '"':
                    throw new CsvImportException(fileName, line, null, "a double quote may only appear inside a quoted field");
                case ',':
                    values.Add(field.ToString());
                    field.Clear();
                    fieldWasQuoted = false;
                    recordHasContent = true;
                    break;
                case '\r' when reader.Peek() == '\n':
                    break;
                case '\n':
                case -1:
                    if (recordHasContent || field.Length > 0)
                    {
                        values.Add(field.ToString());
                        yield return new CsvRecord(recordLine, values.ToArray());
                    }
                    values.Clear();
                    field.Clear();
                    fieldWasQuoted = false;
                    recordHasContent = false;
                    if (c == -1)
                    {
                        yield break;
                    }
                    line++;
                    recordLine = line;
                    break;
                default:
                    if (fieldWasQuoted)
                    {
                        throw new CsvImportException(fileName, line, null, "text follows the closing quote of a quoted field");
                    }
                    field.Append((char)c);
                    recordHasContent = true;
                    break;
            }
        }
    }
}

/// <summary>An import error that names the file, the line and, where known, the field.</summary>
internal sealed class CsvImportException(string fileName, int line, string? field, string problem)
    : Exception(field is null ? $"{fileName} line {line}: {problem}" : $"{fileName} line {line}, field '{field}': {problem}")
{
    public string FileName { get; } = fileName;
    public int Line { get; } = line;
    public string? Field { get; } = field;
}
