using System.Text;
using System.Text.RegularExpressions;

namespace Billing.Chart.Tests.Infrastructure;

/// <summary>
/// Reads a Markdown document the way GitHub links into it: the anchors its headings get (GitHub's slugs, with
/// <c>-1</c>, <c>-2</c> for repeated headings) and explicit <c>&lt;a id="..."&gt;</c> anchors, outside fenced code
/// blocks, where a <c>#</c> line is a shell comment, not a heading. Alerts link <c>docs/runbook.md#anchor</c>, and a
/// renamed heading would break those links without a word.
/// </summary>
public static partial class Markdown
{
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in OutsideCodeBlocks(markdown))
        {
            var heading = Heading().Match(line);
            if (heading.Success)
            {
                var slug = Slug(heading.Groups["text"].Value);
                var count = seen.GetValueOrDefault(slug);
                seen[slug] = count + 1;
                anchors.Add(count == 0 ? slug : $"{slug}-{count}");
            }
            foreach (Match explicitAnchor in ExplicitAnchor().Matches(line))
            {
                anchors.Add(explicitAnchor.Groups["id"].Value);
            }
        }
        return anchors;
    }

    /// <summary>The anchors of the document's own links (<c>](#anchor)</c>), outside code blocks.</summary>
    public static IReadOnlySet<string> LinksWithin(string markdown) =>
        OutsideCodeBlocks(markdown).SelectMany(line => InternalLink().Matches(line).Select(m => m.Groups["anchor"].Value))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// GitHub's heading slug: the heading's text (link targets, HTML tags and inline-code backticks dropped), lower-cased,
    /// every character that is not a letter, digit, <c>-</c>, <c>_</c> or space removed, spaces turned into <c>-</c>.
    /// </summary>
    public static string Slug(string headingText)
    {
        var text = LinkTarget().Replace(headingText, "$1");
        text = HtmlTag().Replace(text, "");
        var slug = new StringBuilder(text.Length);
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }
        return slug.ToString();
    }

    /// <summary>The lines outside fenced code blocks (<c>```</c> or <c>~~~</c>).</summary>
    public static IEnumerable<string> OutsideCodeBlocks(string markdown)
    {
        string? fence = null;
        foreach (var line in markdown.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (fence is null && (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal)))
            {
                fence = trimmed[..3];
                continue;
            }
            if (fence is not null)
            {
                if (trimmed.StartsWith(fence, StringComparison.Ordinal))
                {
                    fence = null;
                }
                continue;
            }
            yield return line.TrimEnd('\r');
        }
    }

    [GeneratedRegex(@"^ {0,3}#{1,6}\s+(?<text>.*?)(?:\s+#+)?\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"<a\s+(?:id|name)=""(?<id>[^""]+)""")]
    private static partial Regex ExplicitAnchor();

    [GeneratedRegex(@"\]\(#(?<anchor>[^)\s]+)\)")]
    private static partial Regex InternalLink();

    [GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex LinkTarget();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex HtmlTag();
}
