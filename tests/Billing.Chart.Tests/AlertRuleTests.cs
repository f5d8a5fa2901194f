using Billing.Chart.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Billing.Chart.Tests;

/// <summary>
/// The PrometheusRule (SPEC section 10): the alerts the runbook names, each with a severity, a summary and its runbook
/// section, and every metric an expression reads either exported by the C# code (so renaming a metric fails here) or
/// one of kube-state-metrics' series.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class AlertRuleTests
{
    /// <summary>Alert -> (runbook anchor, a metric its expression must read).</summary>
    private static readonly Dictionary<string, (string Anchor, string Metric)> Expected = new()
    {
        ["BillingPricingNotFound"] = ("pricing-not-found", "billing_pricing_not_found_total"),
        ["BillingAccountNotFound"] = ("account-not-found", "billing_account_not_found_total"),
        ["BillingDeadLetters"] = ("dead-letters", "billing_events_dead_lettered_total"),
        ["BillingConsumerLagGrowing"] = ("consumer-lag", "billing_consumer_pending_messages"),
        ["BillingInvoiceRunFailed"] = ("invoice-run", "kube_job_failed"),
        ["BillingInvoiceRunMissing"] = ("invoice-run", "kube_cronjob_status_last_successful_time"),
    };

    /// <summary>The kube-state-metrics series the invoice-run alerts read (kube-state-metrics v2 names).</summary>
    private static readonly HashSet<string> KubeStateMetrics = new(StringComparer.Ordinal)
    {
        "kube_job_failed", "kube_job_status_failed", "kube_cronjob_status_last_successful_time", "kube_cronjob_spec_suspend",
        "kube_cronjob_next_schedule_time",
    };

    [Test]
    public void Rule_holds_the_alerts_of_the_runbook_each_with_severity_summary_and_runbook_section()
    {
        var rules = Rules().ToList();
        Assert.That(rules.Select(r => HelmChart.Scalar(r, "alert")), Is.EquivalentTo(Expected.Keys));
        Assert.Multiple(() =>
        {
            foreach (var rule in rules)
            {
                var alert = HelmChart.Scalar(rule, "alert")!;
                Assert.That(HelmChart.Scalar(rule, "labels", "severity"), Is.AnyOf("warning", "critical"), alert);
                Assert.That(HelmChart.Scalar(rule, "annotations", "summary"), Is.Not.Null.And.Not.Empty, alert);
                Assert.That(HelmChart.Scalar(rule, "annotations", "runbook_url"), Does.EndWith($"#{Expected[alert].Anchor}"), alert);
                Assert.That(HelmChart.Scalar(rule, "annotations", "runbook_url"), Does.StartWith("TPL_"),
                    $"{alert}: the runbook link starts at prometheusRule.runbookUrl");
            }
            Assert.That(HelmChart.Scalar(HelmChart.Values, "prometheusRule", "runbookUrl"), Does.EndWith("docs/runbook.md"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "prometheusRule", "enabled"), Is.EqualTo("true"));
        });
    }

    [Test]
    public void Each_alert_reads_its_metric()
    {
        Assert.Multiple(() =>
        {
            foreach (var rule in Rules())
            {
                var alert = HelmChart.Scalar(rule, "alert")!;
                Assert.That(Metrics.InExpression(HelmChart.Scalar(rule, "expr")!), Does.Contain(Expected[alert].Metric), alert);
            }
        });
    }

    [Test]
    public void Every_metric_an_alert_reads_is_exported_by_the_code_or_by_kube_state_metrics()
    {
        var exported = Metrics.ExportedByCode();
        Assert.That(exported, Has.Count.GreaterThan(10), "the scan of the C# sources should find the ingest worker's metrics");
        var unknown = Rules()
            .SelectMany(rule => Metrics.InExpression(HelmChart.Scalar(rule, "expr")!).Select(metric => (Alert: HelmChart.Scalar(rule, "alert"), Metric: metric)))
            .Where(use => !exported.Contains(use.Metric) && !KubeStateMetrics.Contains(use.Metric))
            .Select(use => $"{use.Alert}: {use.Metric}")
            .ToList();
        Assert.That(unknown, Is.Empty, "metrics no code exports (renamed or misspelt?)");
    }

    [Test]
    public void Consumer_lag_alert_fires_on_growth_above_a_threshold()
    {
        var expression = Rules().Single(r => HelmChart.Scalar(r, "alert") == "BillingConsumerLagGrowing")["expr"].ToString();
        Assert.Multiple(() =>
        {
            Assert.That(expression, Does.Match(@"deriv\(billing_consumer_pending_messages\{[^}]*\}\[15m\]\)\)?\s*>\s*0"));
            Assert.That(expression, Does.Contain("> TPL_"), "and above prometheusRule.consumerLagThreshold");
            Assert.That(int.Parse(HelmChart.Scalar(HelmChart.Values, "prometheusRule", "consumerLagThreshold")!), Is.Positive);
        });
    }

    [Test]
    public void Invoice_run_alerts_select_the_jobs_of_the_charts_cron_job()
    {
        var (cronJob, stripped) = HelmChart.Document("invoice-worker-cronjob.yaml", "CronJob");
        var rule = HelmChart.ReadTemplate("prometheusrule.yaml");
        Assert.Multiple(() =>
        {
            Assert.That(stripped.Actions[HelmChart.Scalar(cronJob, "metadata", "name")!], Is.EqualTo("include \"billing-service.invoiceCronJobName\" ."));
            Assert.That(rule, Does.Contain("$cronJob := include \"billing-service.invoiceCronJobName\" ."));
            Assert.That(rule, Does.Contain("job_name=~\"{{ $cronJob }}-.*\""));
            Assert.That(rule, Does.Contain("cronjob=\"{{ $cronJob }}\""));
        });
    }

    internal static IEnumerable<YamlMappingNode> Rules()
    {
        var (rule, _) = HelmChart.Document("prometheusrule.yaml", "PrometheusRule");
        return ((YamlSequenceNode)HelmChart.At(rule, "spec", "groups")!).Children
            .SelectMany(group => ((YamlSequenceNode)HelmChart.At(group, "rules")!).Children)
            .Cast<YamlMappingNode>();
    }
}
