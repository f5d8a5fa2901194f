using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Billing.Chart.Tests.Infrastructure;

/// <summary>The repository (found by walking up to <c>Billing.sln</c>) and the chart <c>helm/billing-service</c> in it.</summary>
public static partial class HelmChart
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Directory { get; } = Path.Combine(RepositoryRoot, "helm", "billing-service");

    public static string TemplatesDirectory { get; } = Path.Combine(Directory, "templates");

    /// <summary>values.yaml, parsed.</summary>
    public static YamlMappingNode Values { get; } = (YamlMappingNode)LoadYaml(File.ReadAllText(Path.Combine(Directory, "values.yaml")))[0];

    /// <summary>Every file under templates/ (the manifests, the helpers and NOTES.txt), by file name.</summary>
    public static IEnumerable<string> TemplateFiles() =>
        System.IO.Directory.EnumerateFiles(TemplatesDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    /// <summary>The templates that render manifests (not the helpers, not NOTES.txt).</summary>
    public static IEnumerable<string> ManifestTemplates() =>
        TemplateFiles().Where(name => name.EndsWith(".yaml", StringComparison.Ordinal) && !name.StartsWith('_'));

    public static string ReadTemplate(string name) => File.ReadAllText(Path.Combine(TemplatesDirectory, name));

    /// <summary>A manifest template as YAML documents (actions replaced by tokens), with the token -> action map.</summary>
    public static (IReadOnlyList<YamlNode> Documents, StrippedTemplate Stripped) Manifest(string name)
    {
        var stripped = GoTemplate.Strip(ReadTemplate(name));
        return (LoadYaml(stripped.Yaml), stripped);
    }

    /// <summary>The one document of <paramref name="kind"/> in a manifest template.</summary>
    public static (YamlMappingNode Document, StrippedTemplate Stripped) Document(string template, string kind)
    {
        var (documents, stripped) = Manifest(template);
        var matching = documents.OfType<YamlMappingNode>().Where(d => Scalar(d, "kind") == kind).ToList();
        Assert.That(matching, Has.Count.EqualTo(1), $"{template} should hold one {kind}");
        return (matching[0], stripped);
    }

    public static IReadOnlyList<YamlNode> LoadYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => d.RootNode).Where(n => n is not YamlScalarNode { Value: null or "" }).ToList();
    }

    /// <summary>The node at a path of mapping keys, or null.</summary>
    public static YamlNode? At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }
            node = child;
        }
        return node;
    }

    public static string? Scalar(YamlNode node, params string[] path) => (At(node, path) as YamlScalarNode)?.Value;

    /// <summary>The value at a dotted path of values.yaml (<c>invoices.schedule</c>), or null when it is not defined.</summary>
    public static YamlNode? ValueAt(string dottedPath) => At(Values, dottedPath.Split('.'));

    /// <summary>
    /// What a templated scalar renders to with the default values: a plain scalar as it is, or a token standing for
    /// <c>{{ .Values.a.b }}</c> or <c>{{ .Values.a.b | quote }}</c> as that value. Anything else is beyond this reader
    /// and fails the test, so a contract value cannot hide behind a computation.
    /// </summary>
    public static (string Value, bool Quoted) Render(YamlNode node, StrippedTemplate stripped)
    {
        var scalar = node as YamlScalarNode ?? throw new AssertionException($"not a scalar: {node}");
        var text = scalar.Value ?? "";
        if (!text.Contains("TPL_", StringComparison.Ordinal))
        {
            return (text, scalar.Style is YamlDotNet.Core.ScalarStyle.DoubleQuoted or YamlDotNet.Core.ScalarStyle.SingleQuoted);
        }
        if (!stripped.Actions.TryGetValue(text, out var action))
        {
            throw new AssertionException($"'{text}' mixes text and template actions");
        }
        var match = ValueReference().Match(action);
        Assert.That(match.Success, Is.True, $"{{{{ {action} }}}} is not a plain reference to a value");
        var value = ValueAt(match.Groups["path"].Value) as YamlScalarNode
            ?? throw new AssertionException($"{{{{ {action} }}}}: values.yaml has no scalar {match.Groups["path"].Value}");
        return (value.Value ?? "", match.Groups["quote"].Success);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Billing.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Billing.sln not found above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^\$?\.Values\.(?<path>[A-Za-z0-9_.]+)(?<quote>\s*\|\s*quote)?$")]
    private static partial Regex ValueReference();
}
