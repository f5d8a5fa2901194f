using Billing.Chart.Tests.Infrastructure;

namespace Billing.Chart.Tests;

/// <summary>The readers the chart tests rest on, on small inputs with known answers: the template action scanner and
/// stripper, the .Values path finder, the PromQL and C# metric name readers, and the Markdown anchor reader.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class ReaderTests
{
    [Test]
    public void Action_ends_at_the_first_delimiter_outside_strings()
    {
        const string text = "a: {{ printf \"{{ x }}\" .b | quote }} c {{/* note }} */}} {{- `}}` -}}";
        var actions = GoTemplate.Actions(text);
        Assert.That(actions.Select(a => (a.Inner, a.IsComment)), Is.EqualTo(new[]
        {
            ("printf \"{{ x }}\" .b | quote", false),
            ("/* note }} */", true),
            ("`}}`", false),
        }));
    }

    [Test]
    public void Unclosed_action_is_reported_with_its_line()
    {
        Assert.That(() => GoTemplate.Actions("a: 1\nb: {{ .Values.x\n"), Throws.InstanceOf<FormatException>().With.Message.Contains("line 2"));
    }

    [Test]
    public void Strip_drops_action_only_lines_and_replaces_inline_actions_by_tokens()
    {
        const string text = """
            {{- if .Values.a }}
            kind: ConfigMap
            metadata:
              labels:
                {{- include "labels" . | nindent 4 }}
            data:
              key: {{ .Values.b | quote }}
              {{ $k }}: {{ $v }}
            {{/*
            a comment over lines
            */}}
            {{- end }}
            """;
        var stripped = GoTemplate.Strip(text);
        Assert.Multiple(() =>
        {
            Assert.That(stripped.Yaml, Is.EqualTo("kind: ConfigMap\nmetadata:\n  labels:\ndata:\n  key: TPL_2\n  TPL_3: TPL_4\n"));
            Assert.That(stripped.Actions["TPL_2"], Is.EqualTo(".Values.b | quote"));
            Assert.That(stripped.Actions["TPL_4"], Is.EqualTo("$v"));
        });
    }

    [Test]
    public void Values_paths_are_found_after_any_root_and_not_inside_strings()
    {
        var paths = GoTemplate.ValuesPaths("include \"x\" (dict \"root\" $ \"p\" .root.Values.a.b \"q\" $.Values.c) | default .Values.d_e \".Values.no\"");
        Assert.That(paths, Is.EqualTo(new[] { "a.b", "c", "d_e" }));
    }

    [Test]
    public void Metric_names_in_an_expression_leave_out_functions_labels_keywords_and_tokens()
    {
        const string expression = """
            (min by (namespace) (deriv(foo_pending{namespace="bar_baz", job=~"x.*"}[15m])) > 0)
            and on (namespace)
            (sum without (pod) (rate(qux_total[5m] offset 1h)) > TPL_7) or vector(0) unless absent(up)
            """;
        Assert.That(Metrics.InExpression(expression), Is.EquivalentTo(new[] { "foo_pending", "qux_total", "up" }));
    }

    [Test]
    public void Histogram_and_summary_export_their_derived_series()
    {
        var names = new HashSet<string>();
        Metrics.AddSeries(names, "Histogram", "h_seconds");
        Metrics.AddSeries(names, "Summary", "s_seconds");
        Metrics.AddSeries(names, "Counter", "c_total");
        Assert.That(names, Is.EquivalentTo(new[]
        {
            "h_seconds", "h_seconds_bucket", "h_seconds_sum", "h_seconds_count", "s_seconds", "s_seconds_sum", "s_seconds_count", "c_total",
        }));
    }

    [Test]
    public void Code_scan_finds_every_ingest_metric_with_its_type()
    {
        var exported = Metrics.ExportedByCode();
        Assert.That(exported, Is.SupersetOf(new[]
        {
            "billing_pricing_not_found_total", "billing_account_not_found_total", "billing_events_dead_lettered_total",
            "billing_max_deliveries_exceeded_total", "billing_consumer_pending_messages", "billing_ingest_batch_duration_seconds_bucket",
            "billing_ingest_publish_to_commit_seconds_count",
        }));
    }

    [Test]
    [TestCase("Consumer lag", "consumer-lag")]
    [TestCase("Partial first invoice (R-BILL-06)", "partial-first-invoice-r-bill-06")]
    [TestCase("Phase 0: deploy, observe", "phase-0-deploy-observe")]
    [TestCase("The `billing-ops` CLI, [linked](https://example.com) and <em>tagged</em>", "the-billing-ops-cli-linked-and-tagged")]
    [TestCase("Über_uns & more", "über_uns--more")]
    public void Heading_slugs_are_githubs(string heading, string slug)
    {
        Assert.That(Markdown.Slug(heading), Is.EqualTo(slug));
    }

    [Test]
    public void Anchors_come_from_headings_outside_code_blocks_and_explicit_anchors()
    {
        const string text = """
            # Title
            ## Dead letters
            <a id="r-bill-05"></a>Some text, [a link](#dead-letters).
            ```sh
            # a shell comment, not a heading
            ```
            ~~~
            ## Not a heading either
            ~~~
            ## Dead letters
            ### C# notes ##
            """;
        Assert.Multiple(() =>
        {
            Assert.That(Markdown.Anchors(text), Is.EquivalentTo(new[] { "title", "dead-letters", "r-bill-05", "dead-letters-1", "c-notes" }));
            Assert.That(Markdown.LinksWithin(text), Is.EquivalentTo(new[] { "dead-letters" }));
        });
    }
}
