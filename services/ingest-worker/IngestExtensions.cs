using Billing.Core.Hosting;
using Billing.Core.Messaging;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Billing.IngestWorker;

public static class IngestExtensions
{
    /// <summary>The seed's feature flag, exactly as named there.</summary>
    public const string ConsumerEnabledVariable = "BILLING_CONSUMER_ENABLED";

    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        var enabled = ParseFlag(builder.Configuration[ConsumerEnabledVariable]);
        builder.Services.AddOptions<IngestOptions>()
            .BindConfiguration(IngestOptions.Section)
            .Configure(o => o.ConsumerEnabled = enabled)
            .Validate(o => o.BatchSize is >= 1 and <= NatsTopology.MaxAckPending, $"Ingest:BatchSize must be between 1 and {NatsTopology.MaxAckPending}")
            .Validate(o => o.ConcurrentBatches is >= 1 and <= 8, "Ingest:ConcurrentBatches must be between 1 and 8")
            .Validate(o => (long)o.ConcurrentBatches * o.BatchSize <= NatsTopology.MaxAckPending,
                $"Ingest:ConcurrentBatches x Ingest:BatchSize must not exceed the consumer's MaxAckPending ({NatsTopology.MaxAckPending})")
            .Validate(o => o.InProgressInterval < NatsTopology.AckWait, "Ingest:InProgressInterval must be shorter than the 30 s AckWait")
            .ValidateOnStart();
        builder.Services.AddOptions<NatsOptions>().BindConfiguration(NatsOptions.Section);

        // The ingest connections keep their session (the COPY staging table) when they go back to the pool.
        builder.AddBillingDatabase(configure: dataSource => dataSource.ConnectionStringBuilder.NoResetOnClose = true);
        builder.Services.AddSingleton(services =>
        {
            var nats = services.GetRequiredService<IOptions<NatsOptions>>().Value;
            return new NatsConnection(nats.ClientOptions("ingest-worker"));
        });

        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddSingleton<IngestState>();
        builder.Services.AddSingleton<EventStore>();
        builder.Services.AddSingleton<BatchIngester>();
        builder.Services.AddSingleton<RatingCatalogCache>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RatingCatalogCache>());
        builder.Services.AddHostedService<IngestWorker>();
        builder.Services.AddHostedService<MaxDeliveriesWatcher>();
        builder.Services.AddHealthChecks()
            .AddCheck<IngestLivenessCheck>("ingest-loop", tags: [ServiceDefaults.LiveTag])
            .AddCheck<IngestReadinessCheck>("ingest-consumer", tags: [ServiceDefaults.ReadyTag]);
        return builder;
    }

    /// <summary><c>true</c>/<c>false</c> (any case); absent means false, the seed's phase-0 default; anything else stops start-up.</summary>
    public static bool ParseFlag(string? value) =>
        string.IsNullOrWhiteSpace(value) ? false
        : bool.TryParse(value.Trim(), out var flag) ? flag
        : throw new InvalidOperationException($"{ConsumerEnabledVariable} must be true or false, not '{value}'.");
}

internal sealed class IngestLivenessCheck(IngestState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Liveness());
}

internal sealed class IngestReadinessCheck(IngestState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Readiness());
}
