using Billing.Core.Data;
using Billing.Core.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Prometheus;
using Serilog;
using Serilog.Formatting.Compact;

namespace Billing.Core.Hosting;

/// <summary>
/// What every billing deployable shares (the way eShop's ServiceDefaults serve every service): its secrets (Vault, the
/// Vault Agent's files), Serilog compact JSON to stdout, traces over OTLP where a collector is configured, the system
/// <see cref="TimeProvider"/>, health checks tagged <c>live</c>/<c>ready</c>, and Prometheus metrics.
/// </summary>
public static class ServiceDefaults
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <remarks>
    /// Secrets come first, so that everything after (the database's connection string, say) sees them. The deployable's
    /// name, which picks its Vault secret <c>secret/billing/&lt;name&gt;</c>, is the application name: the project's
    /// <c>AssemblyName</c> (<c>ingest-worker</c>, <c>invoice-worker</c>, <c>billing-api</c>).
    /// </remarks>
    public static IHostApplicationBuilder AddBillingDefaults(this IHostApplicationBuilder builder)
    {
        builder.AddBillingSecrets(builder.Environment.ApplicationName);
        builder.Services.AddSerilog((services, logger) => logger
            .ReadFrom.Configuration(builder.Configuration)
            // Sinks and enrichers registered as services join the console (tests capture events this way).
            .ReadFrom.Services(services)
            .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http.HttpClient", Serilog.Events.LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("service", builder.Environment.ApplicationName)
            .WriteTo.Console(new RenderedCompactJsonFormatter()),
            // Each host logs through its own logger, never the static Log.Logger (which nothing here uses): tests run
            // several hosts in one process, and each must see its own log.
            preserveStaticLogger: true);

        builder.AddBillingTracing();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Workers serve health and metrics on <c>Worker:HttpPort</c> (default 8081) unless ASPNETCORE_URLS or --urls say
    /// otherwise.
    /// </summary>
    public static WebApplicationBuilder UseWorkerHttpPort(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            var port = builder.Configuration.GetValue("Worker:HttpPort", 8081);
            builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        }
        return builder;
    }

    /// <summary>The read-write database, as one pooled data source for Npgsql and EF Core alike.</summary>
    public static IHostApplicationBuilder AddBillingDatabase(this IHostApplicationBuilder builder, string connectionName = "Billing",
        Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"No database configured: set ConnectionStrings__{connectionName}.");
        }
        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
        configure?.Invoke(dataSourceBuilder);
        var dataSource = dataSourceBuilder.Build();
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddDbContextFactory<BillingDbContext>(options => BillingDbContext.Configure(options, dataSource));
        builder.Services.AddHealthChecks().AddCheck("database", new DatabaseHealthCheck(dataSource), tags: [ReadyTag]);
        return builder;
    }

    /// <summary><c>/healthz</c> (liveness: the process answers), <c>/readyz</c> (its dependencies answer) and <c>/metrics</c>.</summary>
    public static WebApplication MapBillingDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        app.MapMetrics("/metrics");
        return app;
    }
}

/// <summary>Ready when the database answers a trivial query.</summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("the database does not answer", e);
        }
    }
}
