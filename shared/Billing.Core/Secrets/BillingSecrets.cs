using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.KeyPerFile;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Billing.Core.Secrets;

/// <summary>
/// Where a deployable's secrets come from (SPEC section 3): the Vault Agent injector's files, Vault itself, and plain
/// environment variables for local runs.
/// </summary>
/// <remarks>
/// Precedence, lowest first: <c>appsettings.json</c>, the files in <c>Secrets__Directory</c>, Vault, environment variables,
/// the command line. This is .NET's usual layering (a file gives defaults, the environment overrides it, the command line
/// overrides both), so an operator or developer can override one value for one process (a local database, an incident)
/// without touching Vault, and what the chart sets explicitly is what runs. The flip side: the chart must not also set a
/// secret's key as a plain environment variable, or that copy shadows Vault's.
/// </remarks>
public static class BillingSecrets
{
    /// <summary>The configuration key of the Vault Agent injector's directory (<c>Secrets__Directory</c>).</summary>
    public const string DirectoryKey = "Secrets:Directory";

    /// <summary>Where the Vault Agent injector writes its files by default.</summary>
    public const string DefaultDirectory = "/vault/secrets";

    /// <summary>
    /// Adds the deployable's secrets to the host's configuration (see <see cref="AddBillingSecrets(IConfigurationManager, string, TimeProvider?)"/>)
    /// and, with Vault, a background service that renews the token and reloads rotated secrets.
    /// </summary>
    /// <param name="deployable"><c>ingest-worker</c>, <c>invoice-worker</c>, <c>billing-api</c> or <c>billing-ops</c>.</param>
    public static IHostApplicationBuilder AddBillingSecrets(this IHostApplicationBuilder builder, string deployable)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var secrets = builder.Configuration.AddBillingSecrets(deployable);
        if (secrets is not null)
        {
            // A factory registration, so the container disposes it (and its HTTP client) at shutdown.
            builder.Services.AddSingleton(_ => secrets);
            builder.Services.AddHostedService<VaultRenewalService>();
        }
        return builder;
    }

    /// <summary>
    /// Adds, just below the environment variables, (a) the key-per-file directory <c>Secrets__Directory</c> (default
    /// <c>/vault/secrets</c>, ignored if absent; each file's name is a configuration key written with <c>__</c>, its content
    /// the value) and (b) when <c>Vault__Address</c> is set, the deployable's Vault secrets, read now. Throws
    /// <see cref="VaultException"/> when Vault is configured but misconfigured, unreachable, sealed or denies a read, so the
    /// deployable stops at start-up saying why instead of running without its secrets.
    /// </summary>
    /// <returns>The loaded Vault secrets (to keep alive), or null without Vault.</returns>
    public static VaultSecrets? AddBillingSecrets(this IConfigurationManager configuration, string deployable, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(deployable);
        var directory = configuration[DirectoryKey] is { Length: > 0 } configured ? configured : DefaultDirectory;
        var files = new KeyPerFileConfigurationSource { Optional = true, ReloadOnChange = Directory.Exists(directory) };
        if (Directory.Exists(directory))
        {
            files.FileProvider = new PhysicalFileProvider(Path.GetFullPath(directory));
        }

        // Below the unprefixed environment variables (and so the command line after them); at the end if there are none.
        var index = configuration.Sources.Count;
        for (var i = 0; i < configuration.Sources.Count; i++)
        {
            if (configuration.Sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            {
                index = i;
                break;
            }
        }
        configuration.Sources.Insert(index, files);

        var options = VaultOptions.Bind(configuration);
        if (!options.IsConfigured)
        {
            return null;
        }
        // Read before its source is added: a failure leaves the configuration without it, files and environment intact.
        var secrets = VaultSecrets.LoadAsync(options, deployable, time ?? TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
        configuration.Sources.Insert(index + 1, new VaultConfigurationSource(secrets));
        return secrets;
    }
}

/// <summary>Builds a <see cref="VaultConfigurationProvider"/> over secrets already read (a rebuild reads nothing again).</summary>
internal sealed class VaultConfigurationSource(VaultSecrets secrets) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new VaultConfigurationProvider(secrets);
}

/// <summary>The configuration view of <see cref="VaultSecrets.Values"/>; reloads when a renewal's re-read changed them.</summary>
internal sealed class VaultConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly VaultSecrets _secrets;
    private readonly IDisposable _subscription;

    public VaultConfigurationProvider(VaultSecrets secrets)
    {
        _secrets = secrets;
        _subscription = ChangeToken.OnChange(secrets.GetChangeToken, () =>
        {
            Load();
            OnReload();
        });
    }

    public override void Load() => Data = new Dictionary<string, string?>(_secrets.Values, StringComparer.OrdinalIgnoreCase);

    public void Dispose() => _subscription.Dispose();

    public override string ToString() => $"Vault ({string.Join(", ", _secrets.Names)} at {_secrets.Client.Address})";
}

/// <summary>Keeps the Vault token alive for the life of the host and reloads rotated secrets (<see cref="VaultSecrets.KeepAliveAsync"/>).</summary>
internal sealed partial class VaultRenewalService(VaultSecrets secrets, ILogger<VaultRenewalService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Loaded(logger, secrets.Values.Count, string.Join(", ", secrets.Names), secrets.Client.Address, secrets.Client.RenewalDueAt);
        try
        {
            await secrets.KeepAliveAsync(e => RenewalFailed(logger, e.Message, VaultSecrets.RetryAfterFailure.TotalSeconds), stoppingToken);
            if (!stoppingToken.IsCancellationRequested)
            {
                NoRenewal(logger);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration holds {Keys} key(s) from Vault secrets {Secrets} at {Address}; token renewal due at {RenewalDue}")]
    private static partial void Loaded(ILogger logger, int keys, string secrets, string address, DateTimeOffset? renewalDue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Vault token renewal or secret re-read failed: {Reason}; the secrets read last stay in force; retrying in {Seconds} s")]
    private static partial void RenewalFailed(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The Vault token needs no renewal (it never expires, or it is a token that cannot be renewed)")]
    private static partial void NoRenewal(ILogger logger);
}
