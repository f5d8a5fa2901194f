using Billing.Core.Messaging;
using Microsoft.Extensions.Configuration;

namespace Billing.Migrations.Provisioning;

/// <summary>
/// The <c>Nats</c> configuration section bound onto <see cref="NatsOptions"/>, or why it cannot be used. The options are
/// always there (the defaults when the section does not bind) so that a report can still name the streams.
/// </summary>
internal sealed record NatsSettings(NatsOptions Options, string? Problem)
{
    /// <summary>JetStream's limit on stream replicas.</summary>
    private const int MaxReplicas = 5;

    public static NatsSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(NatsOptions.Section);
        var options = new NatsOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key: "Failed to convert configuration value at 'Nats:Replicas' to type 'System.Int32'."
            return new(new NatsOptions(), $"bad NATS configuration: {e.Message}");
        }
        // NatsOptions.Url has a default for the workers' convenience; an operator's command must not silently
        // provision (or pass preflight against) whatever happens to listen on localhost.
        if (string.IsNullOrWhiteSpace(section[nameof(NatsOptions.Url)]))
        {
            return new(options, "not configured: set Nats__Url");
        }
        return options.Replicas is < 1 or > MaxReplicas
            ? new(options, $"Nats__Replicas must be 1 to {MaxReplicas}, not {options.Replicas}")
            : new(options, null);
    }
}
