using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.OpenTelemetry;
using Npgsql;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Billing.Core.Hosting;

/// <summary>
/// Traces. The billing code opens its own spans on <see cref="Source"/> (an ingest batch, an invoice run, each invoice
/// stored) with the ids that correlate them (event counts, invoice id and number); NATS.Net, Npgsql and ASP.NET Core add
/// theirs. Exported over OTLP only where the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set: without a collector
/// nothing listens, and the spans cost nothing. Serilog stamps every log event written inside a span with its trace and
/// span ids (<c>@tr</c>, <c>@sp</c>), so logs and traces join up.
/// </summary>
public static class BillingTelemetry
{
    public const string SourceName = "Billing";

    /// <summary>The billing code's own spans.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    public static IHostApplicationBuilder AddBillingTracing(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithTracing(tracing => tracing
                .AddSource(SourceName)
                .AddNatsClientInstrumentation()
                .AddNpgsql()
                .AddAspNetCoreInstrumentation(options =>
                    // Probes and scrapes every few seconds are noise, not traces.
                    options.Filter = context => context.Request.Path.Value is not ("/healthz" or "/readyz" or "/metrics"))
                .AddOtlpExporter());
        return builder;
    }
}
