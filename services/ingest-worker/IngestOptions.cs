namespace Billing.IngestWorker;

/// <summary>How the ingest worker consumes; bound from the <c>Ingest</c> section, plus the seed's flag.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>The seed's feature flag, read from <c>BILLING_CONSUMER_ENABLED</c>: false (phase 0) consumes nothing.</summary>
    public bool ConsumerEnabled { get; set; }

    /// <summary>Most messages fetched, rated and written in one transaction.</summary>
    public int BatchSize { get; set; } = 5000;

    /// <summary>
    /// Most batches in hand at once under a backlog (the next one is fetched, then parsed, rated and written, while the
    /// others' transactions run). Each is one transaction on its own connection; summaries are upserted in key order,
    /// so they cannot deadlock. The messages a worker holds unacked are at most this times <see cref="BatchSize"/>.
    /// </summary>
    public int ConcurrentBatches { get; set; } = 2;

    /// <summary>How long one fetch waits for the first message when the consumer is idle.</summary>
    public TimeSpan IdleFetchWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>While a batch is being written for longer than this, its messages get in-progress acks (AckWait is 30 s).</summary>
    public TimeSpan InProgressInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reference data is reloaded on every import notification, and at least this often.</summary>
    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>On shutdown, how long the batch in hand may take to finish before it is rolled back and released.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The loop is reported not live when it has not come round for this long.</summary>
    public TimeSpan LivenessTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
