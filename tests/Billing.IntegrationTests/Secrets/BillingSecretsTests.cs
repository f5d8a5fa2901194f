using Amazon.Runtime;
using Billing.Core.Hosting;
using Billing.Core.Secrets;
using Billing.Core.Storage;
using Billing.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Billing.IntegrationTests.Secrets;

/// <summary>
/// <c>AddBillingSecrets</c>: Vault secrets and the Vault Agent's files as configuration keys, their precedence against
/// environment variables, start-up failure, reload after renewal, and the wiring every deployable gets from its defaults.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class BillingSecretsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A configuration as a host's starts: "appsettings" values, then the settings given.</summary>
    private static ConfigurationManager Configuration(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(settings);
        // No Agent directory unless a test gives one: a developer machine might have /vault/secrets.
        if (configuration[BillingSecrets.DirectoryKey] is null)
        {
            configuration[BillingSecrets.DirectoryKey] = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}");
        }
        return configuration;
    }

    [Test]
    public async Task Each_secret_key_is_a_configuration_key_written_with_double_underscores_and_the_deployables_own_secret_wins()
    {
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?>
        {
            ["ConnectionStrings__Billing"] = "Host=db;Username=billing;Password=common",
            ["AWS_ACCESS_KEY_ID"] = "AKIACOMMON",
            ["AWS_SECRET_ACCESS_KEY"] = "secret-common",
            ["Api__Clients__crm__KeySha256"] = "ab12",
        });
        vault.PutSecret("invoice-worker", new Dictionary<string, string?>
        {
            ["ConnectionStrings__Billing"] = "Host=db;Username=invoicer;Password=own",
            ["S3__KmsKeyId"] = "arn:aws:kms:eu-west-1:123456789012:key/invoices",
        });
        using var configuration = Configuration(vault.Configuration());

        using var secrets = configuration.AddBillingSecrets("invoice-worker");

        Assert.That(secrets, Is.Not.Null);
        Assert.That(configuration.GetConnectionString("Billing"), Is.EqualTo("Host=db;Username=invoicer;Password=own"));
        Assert.That(configuration["Api:Clients:crm:KeySha256"], Is.EqualTo("ab12"));
        Assert.That(configuration.GetSection("S3").Get<S3Options>()!.KmsKeyId, Is.EqualTo("arn:aws:kms:eu-west-1:123456789012:key/invoices"));
        Assert.That(vault.Requests.Where(r => r.Method == "GET").Select(r => r.Path),
            Is.EqualTo(new[] { "/v1/secret/data/billing/common", "/v1/secret/data/billing/invoice-worker" }));
        var credentials = S3ClientFactory.CredentialsFrom(configuration)!.GetCredentials();
        Assert.That((credentials.AccessKey, credentials.SecretKey), Is.EqualTo(("AKIACOMMON", "secret-common")),
            "the S3 keys come from Vault, where the SDK itself would look only in the process environment");
    }

    [Test]
    public void Without_S3_keys_in_configuration_the_SDKs_default_chain_applies()
    {
        using var keysOnlyHalf = Configuration([new("AWS_ACCESS_KEY_ID", "AKIA")]);
        using var session = Configuration([new("AWS_ACCESS_KEY_ID", "AKIA"), new("AWS_SECRET_ACCESS_KEY", "s"), new("AWS_SESSION_TOKEN", "t")]);

        Assert.That(S3ClientFactory.CredentialsFrom(keysOnlyHalf), Is.Null);
        Assert.That(S3ClientFactory.CredentialsFrom(session), Is.InstanceOf<SessionAWSCredentials>());
    }

    [Test]
    public void The_Vault_Agents_files_are_configuration_keys_one_per_file()
    {
        var directory = Directory.CreateTempSubdirectory("vault-agent-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "ConnectionStrings__Billing"), "Host=db;Password=from-file\n");
            File.WriteAllText(Path.Combine(directory.FullName, "Api__Clients__crm__KeySha256"), "cd34");
            using var configuration = Configuration([new(BillingSecrets.DirectoryKey, directory.FullName)]);

            var secrets = configuration.AddBillingSecrets("billing-api");

            Assert.That(secrets, Is.Null, "no Vault__Address: no Vault");
            Assert.That(configuration.GetConnectionString("Billing"), Is.EqualTo("Host=db;Password=from-file"), "the file's final newline is not part of the value");
            Assert.That(configuration["Api:Clients:crm:KeySha256"], Is.EqualTo("cd34"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task Environment_variables_override_Vault_which_overrides_the_Agents_files_which_override_appsettings()
    {
        var key = $"Precedence{Guid.NewGuid():N}";
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?> { [$"{key}__Env"] = "vault", [$"{key}__Vault"] = "vault" });
        vault.PutSecret("ingest-worker", new Dictionary<string, string?>());
        var directory = Directory.CreateTempSubdirectory("vault-agent-");
        Environment.SetEnvironmentVariable($"{key}__Env", "environment");
        try
        {
            foreach (var name in new[] { "Env", "Vault", "File" })
            {
                File.WriteAllText(Path.Combine(directory.FullName, $"{key}__{name}"), "file");
            }
            using var configuration = Configuration(
                [.. vault.Configuration(), new(BillingSecrets.DirectoryKey, directory.FullName), new($"{key}:File", "appsettings"), new($"{key}:Default", "appsettings")]);
            configuration.AddEnvironmentVariables();
            configuration.AddCommandLine([$"--{key}:CommandLine=command-line"]);

            using var secrets = configuration.AddBillingSecrets("ingest-worker");

            Assert.That(configuration.GetSection(key).GetChildren().ToDictionary(c => c.Key, c => c.Value), Is.EquivalentTo(new Dictionary<string, string?>
            {
                ["Env"] = "environment", ["Vault"] = "vault", ["File"] = "file", ["Default"] = "appsettings", ["CommandLine"] = "command-line",
            }));
            var order = configuration.Sources.Select(s => s.GetType().Name).ToList();
            Assert.That(order.IndexOf("VaultConfigurationSource"), Is.EqualTo(order.IndexOf("EnvironmentVariablesConfigurationSource") - 1));
            Assert.That(order.IndexOf("KeyPerFileConfigurationSource"), Is.EqualTo(order.IndexOf("VaultConfigurationSource") - 1));
        }
        finally
        {
            Environment.SetEnvironmentVariable($"{key}__Env", null);
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task Vault_configured_but_denying_a_secret_stops_start_up_naming_the_path_and_adds_nothing()
    {
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?> { ["A"] = "1" });
        vault.Denied["billing-api"] = true;
        using var configuration = Configuration(vault.Configuration());

        var e = Assert.Throws<VaultException>(() => configuration.AddBillingSecrets("billing-api"))!;

        Assert.That(e.Message, Does.StartWith($"Vault at {vault.Address} denied reading secret/billing/billing-api (403: permission denied)"));
        Assert.That(configuration["A"], Is.Null);
        Assert.That(configuration.Sources.Select(s => s.GetType().Name), Does.Not.Contain("VaultConfigurationSource"));
    }

    [Test]
    public void Vault_misconfigured_stops_start_up_naming_the_variables()
    {
        using var configuration = Configuration([new("Vault:Address", "https://vault:8200")]);

        var e = Assert.Throws<VaultException>(() => configuration.AddBillingSecrets("billing-api"))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.Configuration));
        Assert.That(e.Message, Does.StartWith("Vault is misconfigured: Vault__Role is not set"));
    }

    [Test]
    public async Task A_secret_rotated_in_Vault_reaches_configuration_after_the_next_renewal()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await VaultStandIn.StartAsync(time);
        vault.PutSecret("common", new Dictionary<string, string?> { ["Api__Clients__crm__KeySha256"] = "old" });
        vault.PutSecret("billing-api", new Dictionary<string, string?>());
        using var configuration = Configuration(vault.Configuration());
        using var secrets = configuration.AddBillingSecrets("billing-api", time)!;
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ((IConfiguration)configuration).GetReloadToken().RegisterChangeCallback(_ => reloaded.TrySetResult(), null);
        using var stop = new CancellationTokenSource();
        var keepAlive = secrets.KeepAliveAsync(null, stop.Token);

        vault.PutSecret("common", new Dictionary<string, string?> { ["Api__Clients__crm__KeySha256"] = "new" });
        Assert.That(configuration["Api:Clients:crm:KeySha256"], Is.EqualTo("old"), "nothing is read before the renewal");
        time.Advance(TimeSpan.FromMinutes(40));
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(configuration["Api:Clients:crm:KeySha256"], Is.EqualTo("new"));
        Assert.That(vault.Requests.Select(r => r.Path), Does.Contain("/v1/auth/token/renew-self"));
        await stop.CancelAsync();
        Assert.That(async () => await keepAlive, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Every_deployables_defaults_load_its_own_Vault_secret_before_anything_reads_configuration()
    {
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?> { ["Nats__Url"] = "nats://from-vault:4222" });
        vault.PutSecret("ingest-worker", new Dictionary<string, string?> { ["ConnectionStrings__Billing"] = "Host=from-vault" });
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = "ingest-worker", EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(vault.Configuration());
        builder.Configuration[BillingSecrets.DirectoryKey] = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}");

        builder.AddBillingDefaults();

        Assert.That(builder.Configuration.GetConnectionString("Billing"), Is.EqualTo("Host=from-vault"));
        Assert.That(builder.Configuration["Nats:Url"], Is.EqualTo("nats://from-vault:4222"));
        Assert.That(builder.Services.Any(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType?.Name == "VaultRenewalService"),
            "the token is kept alive for the life of the host");
        await using var app = builder.Build();
        Assert.That(app.Services.GetRequiredService<VaultSecrets>().Names, Is.EqualTo(new[] { "common", "ingest-worker" }));
    }
}
