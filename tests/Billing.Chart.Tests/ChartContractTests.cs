using Billing.Chart.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Billing.Chart.Tests;

/// <summary>
/// The operational contract the chart carries (SPEC sections 8, 10, 12; the seed's rollout plan), as the default values
/// render it: the invoice CronJob's schedule and safety settings, the consumer flag, the migration hook, Vault, security.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class ChartContractTests
{
    [Test]
    public void Invoice_cron_job_runs_at_two_on_the_first_of_the_month_utc_one_at_a_time_and_is_suspended_by_default()
    {
        var (cronJob, stripped) = HelmChart.Document("invoice-worker-cronjob.yaml", "CronJob");
        var spec = HelmChart.At(cronJob, "spec")!;
        var jobSpec = HelmChart.At(spec, "jobTemplate", "spec")!;
        Assert.Multiple(() =>
        {
            Assert.That(HelmChart.Render(HelmChart.At(spec, "schedule")!, stripped).Value, Is.EqualTo("0 2 1 * *"));
            Assert.That(HelmChart.Render(HelmChart.At(spec, "timeZone")!, stripped).Value, Is.EqualTo("UTC"));
            Assert.That(HelmChart.Render(HelmChart.At(spec, "concurrencyPolicy")!, stripped).Value, Is.EqualTo("Forbid"));
            Assert.That(HelmChart.Render(HelmChart.At(spec, "suspend")!, stripped).Value, Is.EqualTo("true"), "suspended until phase 2");
            Assert.That(int.Parse(HelmChart.Render(HelmChart.At(spec, "startingDeadlineSeconds")!, stripped).Value), Is.Positive);
            Assert.That(int.Parse(HelmChart.Render(HelmChart.At(jobSpec, "backoffLimit")!, stripped).Value), Is.Positive,
                "a failed run is retried: a rerun completes a crashed run");
            Assert.That(int.Parse(HelmChart.Render(HelmChart.At(jobSpec, "activeDeadlineSeconds")!, stripped).Value), Is.Positive);
            Assert.That(HelmChart.Scalar(jobSpec, "template", "spec", "restartPolicy"), Is.EqualTo("Never"));
            Assert.That(ContainerNames(HelmChart.At(jobSpec, "template", "spec")!), Is.EqualTo(new[] { "invoice-worker" }));
        });
    }

    [Test]
    public void Consumer_flag_is_the_seeds_variable_and_false_by_default()
    {
        var (configMap, stripped) = HelmChart.Document("configmap.yaml", "ConfigMap");
        var flag = HelmChart.At(configMap, "data", "BILLING_CONSUMER_ENABLED");
        Assert.That(flag, Is.Not.Null, "the ConfigMap should set BILLING_CONSUMER_ENABLED, the seed's name exactly");
        var (value, quoted) = HelmChart.Render(flag!, stripped);
        Assert.Multiple(() =>
        {
            Assert.That(value, Is.EqualTo("false"));
            Assert.That(quoted, Is.True, "ConfigMap data are strings: the value must be quoted");
        });
    }

    [Test]
    public void Config_map_sets_the_non_secret_settings_of_the_contract()
    {
        var (configMap, stripped) = HelmChart.Document("configmap.yaml", "ConfigMap");
        var data = (YamlMappingNode)HelmChart.At(configMap, "data")!;
        var rendered = data.Children.Where(c => c.Key.ToString() is var k && !k.StartsWith("TPL_", StringComparison.Ordinal))
            .ToDictionary(c => c.Key.ToString(), c => HelmChart.Render(c.Value, stripped));
        Assert.Multiple(() =>
        {
            Assert.That(rendered.Keys, Is.SupersetOf(new[]
            {
                "Nats__Url", "Nats__Replicas", "S3__Bucket", "S3__KmsKeyId", "S3__ServiceUrl", "S3__ForcePathStyle", "AWS_REGION",
                "BILLING_CONSUMER_ENABLED",
            }));
            Assert.That(rendered.Values.Select(v => v.Quoted), Is.All.True, "ConfigMap data are strings: every value quoted");
            Assert.That(rendered["S3__Bucket"].Value, Is.EqualTo("ghasi-invoices"));
            Assert.That(rendered["Nats__Replicas"].Value, Is.EqualTo("3"));
        });
    }

    [TestCase("ingest-worker-deployment.yaml", "Deployment")]
    [TestCase("invoice-worker-cronjob.yaml", "CronJob")]
    [TestCase("api-deployment.yaml", "Deployment")]
    public void Workloads_read_the_config_map(string template, string kind)
    {
        var text = HelmChart.ReadTemplate(template);
        Assert.That(text, Does.Contain("include \"billing-service.envFrom\" (dict \"root\" . \"config\" true)"),
            $"the {kind} should take its settings (the consumer flag among them) from the chart's ConfigMap");
    }

    [Test]
    public void Migration_runs_billing_ops_migrate_as_a_pre_install_and_pre_upgrade_hook()
    {
        var (job, stripped) = HelmChart.Document("migrations-job.yaml", "Job");
        var annotations = HelmChart.At(job, "metadata", "annotations")!;
        var container = ((YamlSequenceNode)HelmChart.At(job, "spec", "template", "spec", "containers")!).Children.Single();
        Assert.Multiple(() =>
        {
            Assert.That(HelmChart.Scalar(annotations, "helm.sh/hook")?.Split(','), Is.EquivalentTo(new[] { "pre-install", "pre-upgrade" }));
            Assert.That(HelmChart.Scalar(annotations, "helm.sh/hook-delete-policy")?.Split(','),
                Is.EquivalentTo(new[] { "before-hook-creation", "hook-succeeded" }));
            Assert.That(int.TryParse(HelmChart.Render(HelmChart.At(annotations, "helm.sh/hook-weight")!, stripped).Value, out _), Is.True,
                "the hook weight is a number");
            Assert.That(((YamlSequenceNode)HelmChart.At(container, "args")!).Children.Select(a => a.ToString()), Is.EqualTo(new[] { "migrate" }));
            Assert.That(HelmChart.Scalar(job, "spec", "template", "spec", "restartPolicy"), Is.EqualTo("Never"));
        });
        // On a first install the hook runs before the release's resources: it may not use the release's ServiceAccount.
        Assert.That(HelmChart.ReadTemplate("migrations-job.yaml"), Does.Contain("include \"billing-service.hookServiceAccountName\" ."));
    }

    [Test]
    public void Vault_agent_and_client_wiring_name_the_apps_configuration_keys()
    {
        var helpers = HelmChart.ReadTemplate("_helpers.tpl");
        Assert.Multiple(() =>
        {
            Assert.That(helpers, Does.Contain("vault.hashicorp.com/agent-inject: \"true\""));
            Assert.That(helpers, Does.Contain("vault.hashicorp.com/role:"));
            Assert.That(helpers, Does.Contain("vault.hashicorp.com/agent-inject-secret-"));
            Assert.That(helpers, Does.Contain("vault.hashicorp.com/agent-inject-template-"));
            Assert.That(helpers, Does.Contain("vault.hashicorp.com/agent-inject-file-"), "the file name is the configuration key");
            Assert.That(helpers, Does.Contain("- name: Secrets__Directory\n  value: /vault/secrets"));
            foreach (var variable in new[] { "Vault__Address", "Vault__AuthMethod", "Vault__Role", "Vault__Secrets" })
            {
                Assert.That(helpers, Does.Contain($"- name: {variable}\n"));
            }
            Assert.That(HelmChart.Scalar(HelmChart.Values, "vault", "client", "authMethod"), Is.EqualTo("kubernetes"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "vault", "client", "secrets", "ingestWorker"), Is.EqualTo("common,ingest-worker"));
        });
        var keys = (YamlMappingNode)HelmChart.ValueAt("vault.agent.keys")!;
        var clientSecrets = (YamlMappingNode)HelmChart.ValueAt("vault.client.secrets")!;
        Assert.That(keys.Children.Keys.Select(k => k.ToString()), Is.EquivalentTo(clientSecrets.Children.Keys.Select(k => k.ToString())),
            "agent and client mode should know the same workloads");
    }

    [Test]
    public void Vault_policy_grants_read_on_the_billing_secrets_and_is_rendered_into_a_config_map()
    {
        var policy = File.ReadAllText(Path.Combine(HelmChart.Directory, "files", "vault-policy.hcl"));
        Assert.Multiple(() =>
        {
            Assert.That(policy, Does.Match(@"path\s+""secret/data/billing/\*""\s*\{\s*capabilities\s*=\s*\[\s*""read""\s*\]\s*\}"));
            Assert.That(policy, Does.Not.Contain("\"create\"").And.Not.Contain("\"update\"").And.Not.Contain("\"delete\""));
            Assert.That(HelmChart.ReadTemplate("vault-policy-configmap.yaml"), Does.Contain(".Files.Get \"files/vault-policy.hcl\""));
        });
    }

    [Test]
    public void Pods_run_as_non_root_on_a_read_only_root_filesystem_without_capabilities()
    {
        Assert.Multiple(() =>
        {
            Assert.That(HelmChart.Scalar(HelmChart.Values, "podSecurityContext", "runAsNonRoot"), Is.EqualTo("true"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "podSecurityContext", "runAsUser"), Is.EqualTo("1654"), "the images' app user");
            Assert.That(HelmChart.Scalar(HelmChart.Values, "podSecurityContext", "seccompProfile", "type"), Is.EqualTo("RuntimeDefault"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "containerSecurityContext", "readOnlyRootFilesystem"), Is.EqualTo("true"));
            Assert.That(HelmChart.Scalar(HelmChart.Values, "containerSecurityContext", "allowPrivilegeEscalation"), Is.EqualTo("false"));
            Assert.That(((YamlSequenceNode)HelmChart.ValueAt("containerSecurityContext.capabilities.drop")!).Children.Select(c => c.ToString()),
                Is.EqualTo(new[] { "ALL" }));
        });
    }

    [TestCase("ingest-worker-deployment.yaml")]
    [TestCase("invoice-worker-cronjob.yaml")]
    [TestCase("api-deployment.yaml")]
    [TestCase("migrations-job.yaml")]
    [TestCase("_helpers.tpl")]
    public void Every_container_gets_the_security_context_and_a_writable_tmp(string template)
    {
        var text = HelmChart.ReadTemplate(template);
        var containers = text.Split('\n').Count(line => line.TrimStart().StartsWith("image: {{ include \"billing-service.image\"", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(containers, Is.Positive, $"{template} should define a billing container");
            Assert.That(Occurrences(text, "toYaml .Values.containerSecurityContext") + Occurrences(text, "toYaml .root.Values.containerSecurityContext"),
                Is.EqualTo(containers), "each container's securityContext");
            Assert.That(Occurrences(text, "include \"billing-service.tmpVolumeMount\""), Is.EqualTo(containers), "each container's /tmp");
        });
    }

    [Test]
    public void Ingest_worker_outlasts_a_batch_on_shutdown_and_probes_its_worker_port()
    {
        var (deployment, stripped) = HelmChart.Document("ingest-worker-deployment.yaml", "Deployment");
        var pod = HelmChart.At(deployment, "spec", "template", "spec")!;
        var container = ((YamlSequenceNode)HelmChart.At(pod, "containers")!).Children.Single();
        var grace = int.Parse(HelmChart.Render(HelmChart.At(pod, "terminationGracePeriodSeconds")!, stripped).Value);
        var port = ((YamlSequenceNode)HelmChart.At(container, "env")!).Children
            .Where(e => HelmChart.Scalar(e, "name") == "Worker__HttpPort")
            .Select(e => (Value: HelmChart.At(e, "value")!, Found: true))
            .SingleOrDefault();
        Assert.That(port.Found, Is.True, "the worker's HTTP port should be set explicitly");
        Assert.Multiple(() =>
        {
            Assert.That(grace, Is.GreaterThan(30), "longer than the 30 s AckWait within which a batch is written and acked");
            Assert.That(HelmChart.Scalar(container, "livenessProbe", "httpGet", "path"), Is.EqualTo("/healthz"));
            Assert.That(HelmChart.Scalar(container, "readinessProbe", "httpGet", "path"), Is.EqualTo("/readyz"));
            Assert.That(HelmChart.Render(port.Value, stripped).Value, Is.EqualTo("8081"), "Worker__HttpPort, the port the probes use");
            var named = ((YamlSequenceNode)HelmChart.At(container, "ports")!).Children.Single();
            Assert.That(HelmChart.Render(HelmChart.At(named, "containerPort")!, stripped).Value, Is.EqualTo("8081"));
            Assert.That(new[] { HelmChart.Scalar(container, "livenessProbe", "httpGet", "port"), HelmChart.Scalar(container, "readinessProbe", "httpGet", "port") },
                Is.All.EqualTo(HelmChart.Scalar(named, "name")), "the probes use the worker port");
        });
    }

    private static IEnumerable<string> ContainerNames(YamlNode podSpec) =>
        ((YamlSequenceNode)HelmChart.At(podSpec, "containers")!).Children.Select(c => HelmChart.Scalar(c, "name")!);

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
