using Prometheus;

namespace Billing.IngestWorker;

/// <summary>The ingest worker's Prometheus metrics (names follow Prometheus conventions; see the README).</summary>
public sealed class IngestMetrics(IMetricFactory factory)
{
    public IngestMetrics() : this(Metrics.DefaultFactory)
    {
    }

    public Counter Ingested { get; } = factory.CreateCounter(
        "billing_events_ingested_total", "Events stored for the first time.", ["type", "status"]);

    public Counter Duplicates { get; } = factory.CreateCounter(
        "billing_events_duplicates_total",
        "Events whose id was already stored: redelivered (same event again) or conflicting (same id, other content; dead-lettered).",
        ["kind"]);

    public Counter PricingNotFound { get; } = factory.CreateCounter(
        "billing_pricing_not_found_total", "Events stored unrated because no pricing rule was valid (R-BILL-05).", ["tier", "operator"]);

    public Counter AccountNotFound { get; } = factory.CreateCounter(
        "billing_account_not_found_total", "Events stored unrated because the account is unknown.");

    public Counter OperatorCostMissing { get; } = factory.CreateCounter(
        "billing_operator_cost_missing_total", "Submitted events stored without a cost because no operator cost was valid.", ["operator"]);

    public Counter DeadLettered { get; } = factory.CreateCounter(
        "billing_events_dead_lettered_total", "Messages stored in the dead-letter table and terminated.", ["reason"]);

    public Counter MaxDeliveriesExceeded { get; } = factory.CreateCounter(
        "billing_max_deliveries_exceeded_total", "Messages JetStream stopped delivering after MaxDeliver attempts (dead-lettered for replay).");

    public Counter WriteFailures { get; } = factory.CreateCounter(
        "billing_ingest_write_failures_total", "Batches whose write failed: transient (retried, then Nak) or rejected (isolated).", ["kind"]);

    public Histogram BatchSize { get; } = factory.CreateHistogram(
        "billing_ingest_batch_size", "Messages per batch.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 4, 8) });

    public Histogram BatchDuration { get; } = factory.CreateHistogram(
        "billing_ingest_batch_duration_seconds", "From the end of a fetch to the commit of its batch.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });

    public Histogram AckDuration { get; } = factory.CreateHistogram(
        "billing_ingest_ack_duration_seconds", "Time to send the acks of one committed batch.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });

    // A histogram, not a summary: pods' histograms add up (histogram_quantile over all of them), and an observation is
    // a bucket increment where a summary's quantile stream cost the worker ~1.3 us per message under a backlog.
    public Histogram PublishToCommit { get; } = factory.CreateHistogram(
        "billing_ingest_publish_to_commit_seconds",
        "From the stream's receipt of a message to the commit that stored it (the ingest lag).",
        new HistogramConfiguration { Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30, 60, 120, 300] });

    public Gauge ConsumerPending { get; } = factory.CreateGauge(
        "billing_consumer_pending_messages", "Messages in the stream not yet delivered to the consumer (from the consumer info).");

    public Gauge CatalogRules { get; } = factory.CreateGauge(
        "billing_ingest_catalog_pricing_rules", "Pricing rules in the worker's cached rating catalog.");
}
