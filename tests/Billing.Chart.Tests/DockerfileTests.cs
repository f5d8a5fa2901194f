using System.Xml.Linq;
using Billing.Chart.Tests.Infrastructure;

namespace Billing.Chart.Tests;

/// <summary>
/// The Dockerfiles, read (no Docker engine here to build them): each starts the assembly its project builds, copies
/// every project that project references, restores before copying sources, and runs as the non-root app user on the
/// ASP.NET Core runtime without the SDK.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class DockerfileTests
{
    private static readonly object[] Images =
    [
        new object[] { "services/ingest-worker", "Billing.IngestWorker.csproj", "billing/ingest-worker" },
        new object[] { "services/invoice-worker", "Billing.InvoiceWorker.csproj", "billing/invoice-worker" },
        new object[] { "services/billing-api", "Billing.Api.csproj", "billing/billing-api" },
        new object[] { "migrations", "Billing.Migrations.csproj", "billing/billing-ops" },
    ];

    [TestCaseSource(nameof(Images))]
    public void Image_starts_the_projects_assembly_on_the_runtime_as_the_app_user(string directory, string project, string repository)
    {
        var lines = DockerfileLines(directory);
        var assembly = XDocument.Load(Path.Combine(HelmChart.RepositoryRoot, directory, project)).Descendants("AssemblyName").Single().Value;
        var final = lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal));
        var runtime = lines[final..];
        Assert.Multiple(() =>
        {
            Assert.That(lines.First(l => l.StartsWith("FROM ", StringComparison.Ordinal)), Does.StartWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 "));
            Assert.That(lines[final], Does.Match(@"^FROM mcr\.microsoft\.com/dotnet/(aspnet|runtime):10\.0\b"), "no SDK in the runtime image");
            Assert.That(runtime, Does.Contain("USER $APP_UID"), "the image's non-root app user");
            Assert.That(runtime.Last(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)),
                Is.EqualTo($"ENTRYPOINT [\"dotnet\", \"{assembly}.dll\"]"), $"{project} builds {assembly}.dll");
            Assert.That(lines, Has.Some.Match($@"^RUN dotnet publish {directory}/{project} -c Release\b"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, RepositoryValue(repository)), Is.EqualTo(repository), "the chart's image repository");
        });
    }

    [TestCaseSource(nameof(Images))]
    public void Restore_layer_comes_from_the_project_files_before_the_sources(string directory, string project, string repository)
    {
        var lines = DockerfileLines(directory);
        var restore = lines.FindIndex(l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var beforeRestore = lines[..restore];
        var references = ProjectClosure(Path.Combine(HelmChart.RepositoryRoot, directory, project))
            .Select(path => Path.GetRelativePath(HelmChart.RepositoryRoot, path).Replace('\\', '/'))
            .ToList();
        Assert.That(restore, Is.Positive, "the Dockerfile should restore in a step of its own");
        Assert.Multiple(() =>
        {
            Assert.That(beforeRestore.Single(l => l.StartsWith("COPY global.json", StringComparison.Ordinal)),
                Does.Contain("Directory.Build.props").And.Contain("Directory.Packages.props"));
            foreach (var csproj in references)
            {
                Assert.That(beforeRestore, Has.Some.StartsWith($"COPY {csproj} "), $"{repository}: {csproj} before the restore");
                Assert.That(lines[restore..], Has.Some.StartsWith($"COPY {Path.GetDirectoryName(csproj)!.Replace('\\', '/')}/ "),
                    $"{repository}: the sources of {csproj} after the restore");
            }
            var copiedBeforeRestore = beforeRestore.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))
                .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1]);
            Assert.That(copiedBeforeRestore, Has.All.Match(@"(\.csproj|\.props|^global\.json)$"),
                "only project and build files before the restore, so the layer survives source edits");
        });
    }

    [Test]
    public void Docker_ignore_keeps_build_output_local_servers_and_history_out_of_the_context()
    {
        var ignored = File.ReadAllLines(Path.Combine(HelmChart.RepositoryRoot, ".dockerignore")).Select(l => l.Trim()).ToList();
        Assert.That(ignored, Is.SupersetOf(new[] { ".git", ".local/", "**/bin/", "**/obj/" }));
    }

    private static List<string> DockerfileLines(string directory) =>
        [.. File.ReadAllLines(Path.Combine(HelmChart.RepositoryRoot, directory, "Dockerfile")).Select(l => l.Trim())];

    /// <summary>The project and every project it references, transitively.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
            }
        }
        return seen;
    }

    private static string[] RepositoryValue(string repository) => repository switch
    {
        "billing/ingest-worker" => ["ingest", "image", "repository"],
        "billing/invoice-worker" => ["invoices", "image", "repository"],
        "billing/billing-api" => ["api", "image", "repository"],
        _ => ["migrations", "image", "repository"],
    };
}
