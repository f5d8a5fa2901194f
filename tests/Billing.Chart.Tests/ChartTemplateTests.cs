using Billing.Chart.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Billing.Chart.Tests;

/// <summary>The chart's templates against its values.yaml, without helm: what the templates read is defined, what is
/// defined is read, and every manifest template is YAML once its template actions are taken out.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class ChartTemplateTests
{
    private static IEnumerable<string> ManifestTemplates() => HelmChart.ManifestTemplates();

    [Test]
    public void Every_values_path_a_template_reads_is_defined_in_values_yaml()
    {
        var missing = new List<string>();
        var read = 0;
        foreach (var file in HelmChart.TemplateFiles())
        {
            var text = HelmChart.ReadTemplate(file);
            foreach (var action in GoTemplate.Actions(text).Where(a => !a.IsComment))
            {
                foreach (var path in GoTemplate.ValuesPaths(action.Inner))
                {
                    read++;
                    if (HelmChart.ValueAt(path) is null)
                    {
                        missing.Add($"{file} line {GoTemplate.LineOf(text, action.Start)}: .Values.{path}");
                    }
                }
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(read, Is.GreaterThan(50), "the templates should read their settings from .Values");
            Assert.That(missing, Is.Empty, "values the templates read but values.yaml does not define");
        });
    }

    [Test]
    public void Every_value_in_values_yaml_is_read_by_a_template()
    {
        var read = HelmChart.TemplateFiles()
            .SelectMany(file => GoTemplate.Actions(HelmChart.ReadTemplate(file)))
            .Where(a => !a.IsComment)
            .SelectMany(a => GoTemplate.ValuesPaths(a.Inner))
            .ToHashSet(StringComparer.Ordinal);
        var unread = Leaves(HelmChart.Values, "")
            .Where(leaf => !PrefixesOf(leaf).Any(read.Contains))
            .ToList();
        Assert.That(unread, Is.Empty, "values.yaml settings that no template reads (dead or misspelt)");
    }

    [TestCaseSource(nameof(ManifestTemplates))]
    public void Template_is_yaml_once_its_actions_are_stripped(string template)
    {
        IReadOnlyList<YamlNode> documents = [];
        Assert.That(() => documents = HelmChart.Manifest(template).Documents, Throws.Nothing, template);
        Assert.That(documents.OfType<YamlMappingNode>().Select(d => HelmChart.Scalar(d, "kind")), Is.Not.Empty.And.All.Not.Null,
            $"{template} should hold Kubernetes objects, each with its kind");
    }

    [Test]
    public void Values_yaml_is_yaml_with_the_contract_defaults()
    {
        Assert.Multiple(() =>
        {
            Assert.That(HelmChart.Scalar(HelmChart.Values, "ingest", "consumerEnabled"), Is.EqualTo("false"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "invoices", "suspend"), Is.EqualTo("true"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "vault", "mode"), Is.EqualTo("none"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "s3", "bucket"), Is.EqualTo("ghasi-invoices"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "nats", "replicas"), Is.EqualTo("3"));
        });
    }

    [Test]
    public void A_yaml_error_in_a_stripped_template_is_reported()
    {
        // The check above rests on the parser refusing broken YAML; an indentation slip is the usual chart bug.
        var stripped = GoTemplate.Strip("kind: ConfigMap\ndata:\n  a: {{ .Values.a }}\n b: 1\n");
        Assert.That(() => HelmChart.LoadYaml(stripped.Yaml), Throws.InstanceOf<YamlException>());
    }

    private static IEnumerable<string> Leaves(YamlNode node, string path) => node switch
    {
        YamlMappingNode { Children.Count: > 0 } mapping => mapping.Children.SelectMany(child =>
            Leaves(child.Value, path.Length == 0 ? ((YamlScalarNode)child.Key).Value! : $"{path}.{((YamlScalarNode)child.Key).Value}")),
        _ => [path],
    };

    private static IEnumerable<string> PrefixesOf(string path)
    {
        var parts = path.Split('.');
        return Enumerable.Range(1, parts.Length).Select(n => string.Join('.', parts.Take(n)));
    }
}
