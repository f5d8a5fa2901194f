using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Billing.Chart.Tests.Infrastructure;

/// <summary>One <c>{{ ... }}</c> action of a Go template: its span in the text and its inner text without delimiters.</summary>
public sealed record TemplateAction(int Start, int End, string Inner, bool IsComment);

/// <summary>A template with its actions replaced, ready for a YAML parser: each inline action became a token
/// <c>TPL_n</c> (<see cref="Actions"/> maps it back), and lines holding nothing but actions were dropped.</summary>
public sealed record StrippedTemplate(string Yaml, IReadOnlyDictionary<string, string> Actions);

/// <summary>
/// Reads Go templates the way text/template splits them, without evaluating them: helm is not installed on the
/// development and CI machines, so the chart is checked by reading its templates. An action ends at the first
/// <c>}}</c> outside a quoted or raw string, as in Go's lexer (so <c>{{ printf "{{ x }}" }}</c> is one action).
/// </summary>
public static partial class GoTemplate
{
    public static IReadOnlyList<TemplateAction> Actions(string text)
    {
        var actions = new List<TemplateAction>();
        var position = 0;
        while ((position = text.IndexOf("{{", position, StringComparison.Ordinal)) >= 0)
        {
            var start = position;
            var inner = start + 2;
            if (inner < text.Length && text[inner] == '-' && inner + 1 < text.Length && char.IsWhiteSpace(text[inner + 1]))
            {
                inner += 2;
            }
            var rest = text.AsSpan(inner).TrimStart();
            int end;
            bool comment;
            if (rest.StartsWith("/*"))
            {
                var close = text.IndexOf("*/", inner, StringComparison.Ordinal);
                var delimiter = close < 0 ? -1 : text.IndexOf("}}", close, StringComparison.Ordinal);
                if (delimiter < 0)
                {
                    throw new FormatException($"unclosed template comment at line {LineOf(text, start)}");
                }
                end = delimiter + 2;
                comment = true;
            }
            else
            {
                end = EndOfAction(text, inner, start);
                comment = false;
            }
            var body = text[(start + 2)..(end - 2)];
            body = body.StartsWith('-') ? body[1..] : body;
            body = body.EndsWith('-') ? body[..^1] : body;
            actions.Add(new TemplateAction(start, end, body.Trim(), comment));
            position = end;
        }
        return actions;
    }

    /// <summary>
    /// Replaces each action by a token (comments by nothing) and drops the lines that hold only actions and blanks,
    /// which in this chart are control flow (<c>if</c>, <c>range</c>, <c>end</c>) or includes of whole blocks.
    /// </summary>
    public static StrippedTemplate Strip(string text)
    {
        var actions = Actions(text);
        var tokens = new Dictionary<string, string>();
        var output = new StringBuilder();
        var lineStart = 0;
        var next = 0;
        while (lineStart < text.Length)
        {
            var newline = text.IndexOf('\n', lineStart);
            var lineEnd = newline < 0 ? text.Length : newline;
            var line = new StringBuilder();
            var touchesAction = false;
            var hasText = false;
            var position = lineStart;
            while (position < lineEnd)
            {
                while (next < actions.Count && actions[next].End <= position)
                {
                    next++;
                }
                if (next < actions.Count && actions[next].Start <= position)
                {
                    var action = actions[next];
                    touchesAction = true;
                    if (action.Start >= lineStart && !action.IsComment)
                    {
                        var token = string.Create(CultureInfo.InvariantCulture, $"TPL_{tokens.Count}");
                        tokens[token] = action.Inner;
                        line.Append(token);
                    }
                    position = Math.Min(action.End, lineEnd);
                    continue;
                }
                var c = text[position];
                hasText |= !char.IsWhiteSpace(c);
                line.Append(c);
                position++;
            }
            // A line inside a multi-line action (a long comment) also counts as touching it.
            touchesAction |= next < actions.Count && actions[next].Start < lineStart && actions[next].End > lineStart;
            if (!touchesAction || hasText)
            {
                output.Append(line).Append('\n');
            }
            lineStart = lineEnd + 1;
        }
        return new StrippedTemplate(output.ToString(), tokens);
    }

    /// <summary>The <c>.Values</c> paths an action reads, from <c>.Values.a.b</c>, <c>$.Values.a.b</c> or
    /// <c>.root.Values.a.b</c> (the helpers' argument dictionaries).</summary>
    public static IEnumerable<string> ValuesPaths(string actionInner) =>
        ValuesPathPattern().Matches(StripStrings(actionInner)).Select(m => m.Groups[1].Value[1..]);

    /// <summary>The action's text with its string literals emptied, so words inside strings are not read as code.</summary>
    public static string StripStrings(string actionInner) => StringLiteral().Replace(actionInner, "\"\"");

    public static int LineOf(string text, int offset) => text.AsSpan(0, offset).Count('\n') + 1;

    private static int EndOfAction(string text, int position, int start)
    {
        while (position < text.Length - 1)
        {
            switch (text[position])
            {
                case '"':
                    position++;
                    while (position < text.Length && text[position] != '"')
                    {
                        position += text[position] == '\\' ? 2 : 1;
                    }
                    break;
                case '`':
                    position = text.IndexOf('`', position + 1);
                    if (position < 0)
                    {
                        throw new FormatException($"unclosed raw string in the action at line {LineOf(text, start)}");
                    }
                    break;
                case '}' when text[position + 1] == '}':
                    return position + 2;
            }
            position++;
        }
        throw new FormatException($"unclosed action at line {LineOf(text, start)}");
    }

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesPathPattern();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`")]
    private static partial Regex StringLiteral();
}
