using System.Text.RegularExpressions;
using Billing.Chart.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Billing.Chart.Tests;

/// <summary>
/// docs/runbook.md against what it refers to: every alert's <c>runbook_url</c> lands on a section of it, its own links
/// resolve, the README links it, and the chart values and metrics it names exist (a renamed value or metric would
/// otherwise leave an operator typing a command that does nothing during an incident).
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed partial class RunbookTests
{
    private static readonly string Runbook = File.ReadAllText(Path.Combine(HelmChart.RepositoryRoot, "docs", "runbook.md"));

    [Test]
    public void Every_alert_links_a_section_the_runbook_has()
    {
        var anchors = Markdown.Anchors(Runbook);
        var links = AlertRuleTests.Rules()
            .Select(rule => (Alert: HelmChart.Scalar(rule, "alert")!, Url: HelmChart.Scalar(rule, "annotations", "runbook_url") ?? ""))
            .ToList();
        Assert.That(links, Has.Count.GreaterThanOrEqualTo(6));
        var broken = links
            .Where(link => !link.Url.Contains('#', StringComparison.Ordinal) || !anchors.Contains(link.Url[(link.Url.IndexOf('#', StringComparison.Ordinal) + 1)..]))
            .Select(link => $"{link.Alert}: {link.Url}")
            .ToList();
        Assert.That(broken, Is.Empty, "runbook_url anchors that no heading or <a id> of docs/runbook.md produces");
    }

    [Test]
    public void Every_link_within_the_runbook_resolves()
    {
        var links = Markdown.LinksWithin(Runbook);
        Assert.That(links, Has.Count.GreaterThan(10), "the runbook links its own sections");
        Assert.That(links.Except(Markdown.Anchors(Runbook)), Is.Empty, "links to sections the runbook does not have");
    }

    [Test]
    public void Readme_links_the_runbook()
    {
        Assert.That(File.ReadAllText(Path.Combine(HelmChart.RepositoryRoot, "README.md")), Does.Contain("](docs/runbook.md)"));
    }

    [Test]
    public void Every_chart_value_the_runbook_names_is_defined_in_values_yaml()
    {
        var topLevel = HelmChart.Values.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet(StringComparer.Ordinal);
        var named = SetFlag().Matches(Runbook).Select(m => m.Groups["path"].Value)
            .Concat(QuotedPath().Matches(Runbook).Select(m => m.Groups["path"].Value).Where(path => topLevel.Contains(path.Split('.')[0])))
            .Where(path => path != "KEY")
            .ToHashSet(StringComparer.Ordinal);
        Assert.That(named, Is.SupersetOf(new[] { "ingest.consumerEnabled", "invoices.suspend", "ingest.replicas", "nats.replicas" }),
            "the rollout and scaling steps name these values");
        Assert.That(named.Where(path => !IsDefined(path)), Is.Empty, "values the runbook names that values.yaml does not define");
    }

    [Test]
    public void Every_metric_the_runbook_names_is_exported_by_the_code()
    {
        var exported = Metrics.ExportedByCode();
        var schema = File.ReadAllText(Path.Combine(HelmChart.RepositoryRoot, "migrations", "billing-schema.sql"));
        var names = BillingIdentifier().Matches(Runbook).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        Assert.That(names, Is.SupersetOf(new[] { "billing_pricing_not_found_total", "billing_consumer_pending_messages" }));
        // Tables, columns, functions, roles and monthly partitions of the schema are billing_* names too; anything else
        // must be a metric.
        var unknown = names
            .Where(name => !exported.Contains(name) && !schema.Contains(name, StringComparison.Ordinal) && !EventPartition().IsMatch(name))
            .ToList();
        Assert.That(unknown, Is.Empty, "billing_* names in the runbook that are neither exported metrics nor schema objects");
    }

    /// <summary>A path of values.yaml; below a mapping that values.yaml leaves empty (<c>extraConfig: {}</c>) any key is allowed.</summary>
    private static bool IsDefined(string path)
    {
        YamlNode node = HelmChart.Values;
        foreach (var key in path.Split('.'))
        {
            if (node is not YamlMappingNode mapping)
            {
                return false;
            }
            if (!mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return mapping.Children.Count == 0;
            }
            node = child;
        }
        return true;
    }

    /// <summary><c>--set a.b=...</c>, <c>--set-json "a.b=..."</c>.</summary>
    [GeneratedRegex(@"--set(?:-json)?[ =]""?(?<path>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)=")]
    private static partial Regex SetFlag();

    /// <summary>A dotted path in backticks, alone or with a value: <c>`ingest.replicas`</c>, <c>`nats.replicas=3`</c>.</summary>
    [GeneratedRegex(@"`(?<path>[a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+)(?:=[^`]*)?`")]
    private static partial Regex QuotedPath();

    /// <summary>The names <c>billing.ensure_event_partitions</c> gives monthly partitions.</summary>
    [GeneratedRegex(@"^billing_events_y[0-9]{4}m[0-9]{2}$")]
    private static partial Regex EventPartition();

    [GeneratedRegex(@"\bbilling_[a-z0-9_]+")]
    private static partial Regex BillingIdentifier();
}
