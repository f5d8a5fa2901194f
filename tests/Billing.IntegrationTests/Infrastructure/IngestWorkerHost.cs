using Billing.IngestWorker;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// The ingest worker in-process (its real Program, configuration and hosted services) against a fixture's database
/// and NATS corner, with metrics of its own so fixtures do not count each other's events.
/// </summary>
public sealed class IngestWorkerHost(TestDatabase database, TestNats nats, bool consumerEnabled = true, int batchSize = 500)
    : WebApplicationFactory<IngestOptions>
{
    public IngestMetrics Metrics { get; } = new(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));

    /// <summary>Starts the host (hosted services included) if it is not running yet.</summary>
    public IngestWorkerHost Start()
    {
        _ = Services;
        return this;
    }

    public IngestWorker.IngestWorker Worker => Services.GetServices<IHostedService>().OfType<IngestWorker.IngestWorker>().Single();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Billing", database.ConnectionString);
        foreach (var (key, value) in nats.Configuration())
        {
            builder.UseSetting(key, value);
        }
        builder.UseSetting(IngestExtensions.ConsumerEnabledVariable, consumerEnabled ? "true" : "false");
        builder.UseSetting("Ingest:BatchSize", batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        builder.ConfigureTestServices(services => services.AddSingleton(Metrics));
    }
}
