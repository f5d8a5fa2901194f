using System.Text.Json;
using Billing.Core.Domain;
using Billing.Core.Messaging;
using NATS.Client.JetStream;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// What an invoice run needs, for one fixture: its own database with the sample reference data, its own events and
/// invoices streams, its own bucket (provisioned as <c>billing-ops provision s3</c> does), a way to ingest events with
/// the real ingest worker, and the built <c>invoice-worker</c> as a separate process, as the CronJob runs it.
/// </summary>
public sealed class InvoicingEnvironment : IAsyncDisposable
{
    private InvoicingEnvironment(TestDatabase database, TestNats nats, TestS3 s3, S3Server s3Server)
    {
        Database = database;
        Nats = nats;
        S3 = s3;
        S3Server = s3Server;
    }

    public TestDatabase Database { get; }

    public TestNats Nats { get; }

    public TestS3 S3 { get; }

    public S3Server S3Server { get; }

    /// <param name="fixture">Names the database, streams and bucket.</param>
    /// <param name="fillPricingGap">Imports <c>sample/pricing-gap-fill.csv</c> too, so no sample event stays unrated for want of a rule.</param>
    public static async Task<InvoicingEnvironment> CreateAsync(string fixture, bool fillPricingGap = true)
    {
        var database = await TestDatabase.CreateMigratedAsync(fixture);
        await Ops.ImportSampleAsync(database);
        if (fillPricingGap)
        {
            await Ops.ImportAsync(database, "pricing", Ops.Sample("pricing-gap-fill.csv"));
        }
        var nats = await TestNats.CreateAsync(fixture);
        await nats.CreateEventsStreamAndConsumerAsync();
        await nats.JetStream.CreateOrUpdateStreamAsync(NatsTopology.InvoicesStream(nats.Options));
        var s3 = await TestS3.CreateAsync(fixture);
        await s3.ProvisionAsync();
        return new InvoicingEnvironment(database, nats, s3, await TestServers.S3Async());
    }

    /// <summary>Publishes the events to the fixture's stream and waits until the ingest worker has written them all.</summary>
    public async Task IngestAsync(IEnumerable<BillingEvent> events)
    {
        await using var worker = new IngestWorkerHost(Database, Nats).Start();
        foreach (var e in events)
        {
            await Nats.PublishAsync(e);
        }
        await Nats.WaitUntilConsumerDrainedAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Sets when billing started (R-BILL-06): before a period, its invoices are whole; inside it, partial.</summary>
    public Task SetIngestionStartAsync(DateTimeOffset firstEnabledAt) =>
        Database.ExecuteAsync($"UPDATE billing.ingestion_start SET first_enabled_at = '{firstEnabledAt.UtcDateTime:O}'");

    /// <summary>Starts <c>invoice-worker</c> with these arguments; <paramref name="settings"/> add to or override the fixture's.</summary>
    public WorkerProcess StartInvoiceWorker(IEnumerable<string> args, IDictionary<string, string>? settings = null) =>
        WorkerProcess.StartProgram("invoice-worker", args,
        [
            new("ConnectionStrings:Billing", Database.ConnectionString),
            .. Nats.Configuration(),
            .. S3.Configuration(),
            new("AWS_ACCESS_KEY_ID", S3Server.AccessKey),
            new("AWS_SECRET_ACCESS_KEY", S3Server.SecretKey),
            .. (settings ?? new Dictionary<string, string>()).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)),
        ]);

    /// <summary>Runs <c>invoice-worker</c> to completion.</summary>
    public async Task<OpsResult> RunInvoiceWorkerAsync(params string[] args)
    {
        await using var process = StartInvoiceWorker(args);
        return await process.WaitForExitAsync(TimeSpan.FromMinutes(3));
    }

    /// <summary>The announcements on the fixture's invoices stream, each message's <c>Nats-Msg-Id</c> and its invoice id.</summary>
    public async Task<List<(string MessageId, Guid InvoiceId)>> AnnouncementsAsync()
    {
        var stream = await Nats.JetStream.GetStreamAsync(Nats.Options.InvoicesStream);
        var count = (int)stream.Info.State.Messages;
        var consumer = await stream.CreateOrderedConsumerAsync();
        var announcements = new List<(string, Guid)>();
        if (count == 0)
        {
            return announcements;
        }
        await foreach (var message in consumer.ConsumeAsync<byte[]>())
        {
            var payload = JsonSerializer.Deserialize(message.Data, InvoiceMessagesJsonContext.Default.InvoiceGenerated)!;
            announcements.Add((message.Headers?["Nats-Msg-Id"].ToString() ?? "", payload.InvoiceId));
            if (announcements.Count == count)
            {
                break;
            }
        }
        return announcements;
    }

    public async ValueTask DisposeAsync()
    {
        await S3.DisposeAsync();
        await Nats.DisposeAsync();
        await Database.DisposeAsync();
    }
}
