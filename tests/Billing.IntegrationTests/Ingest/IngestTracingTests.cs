using System.Collections.Concurrent;
using System.Diagnostics;
using Billing.Core.Hosting;
using Billing.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Billing.IntegrationTests.Ingest;

/// <summary>Traces: each ingest batch is a span carrying its counts; OTLP export is wired only where a collector is configured.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class IngestTracingTests
{
    [Test]
    public async Task Each_batch_is_a_span_with_the_stream_the_message_count_and_what_was_inserted()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == BillingTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var database = await TestDatabase.CreateMigratedAsync(nameof(IngestTracingTests));
        await Ops.ImportSampleAsync(database);
        await using var nats = await TestNats.CreateAsync(nameof(IngestTracingTests));
        await nats.CreateEventsStreamAndConsumerAsync();

        await using (var worker = new IngestWorkerHost(database, nats).Start())
        {
            foreach (var e in Traffic.Events(120, seed: 5))
            {
                await nats.PublishAsync(e);
            }
            await nats.WaitUntilConsumerDrainedAsync(TimeSpan.FromSeconds(30));
        }

        // Other fixtures' workers run in this process too: only this fixture's stream counts.
        var batches = spans.Where(s => s.GetTagItem("messaging.destination.name") as string == nats.Options.EventsStream).ToList();
        Assert.That(batches, Is.Not.Empty);
        Assert.That(batches.All(b => b.OperationName == "ingest batch" && b.Kind == ActivityKind.Consumer), Is.True);
        Assert.That(batches.Sum(b => (int)b.GetTagItem("messaging.batch.message_count")!), Is.EqualTo(120));
        Assert.That(batches.Sum(b => (int)b.GetTagItem("billing.events.inserted")!), Is.EqualTo(120));
        Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM billing.billing_events"), Is.EqualTo(120));
    }

    [TestCase(null, false)]
    [TestCase("http://127.0.0.1:4317", true)]
    public void Traces_are_exported_only_where_an_otlp_endpoint_is_configured(string? endpoint, bool exported)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;

        builder.AddBillingTracing();
        using var host = builder.Build();

        Assert.That(host.Services.GetService<TracerProvider>() is not null, Is.EqualTo(exported));
    }
}
