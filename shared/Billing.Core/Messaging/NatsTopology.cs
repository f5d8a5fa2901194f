using NATS.Client.JetStream.Models;

namespace Billing.Core.Messaging;

/// <summary>
/// The wanted JetStream configuration (SPEC sections 4 and 8): <c>billing-ops provision nats</c> creates it, preflight
/// compares the live configuration with it, and the workers rely on it.
/// </summary>
public static class NatsTopology
{
    /// <summary>The contract's ack wait: a message not acked within it is redelivered.</summary>
    public static readonly TimeSpan AckWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deliveries before JetStream gives up on a message. Poison messages are terminated at once, so only transient
    /// failures (the database down) count towards it; with the worker's capped back-off this bounds an outage the
    /// consumer rides out to several hours.
    /// </summary>
    public const int MaxDeliver = 100;

    /// <summary>Unacked messages in flight over all pods: room for several pods' batches.</summary>
    public const int MaxAckPending = 50_000;

    public static StreamConfig EventsStream(NatsOptions options) => new(options.EventsStream, [options.EventsSubjects])
    {
        Description = "SMS billing events from sms-orchestrator and dlr-processor",
        Storage = StreamConfigStorage.File,
        Retention = StreamConfigRetention.Limits,
        Discard = StreamConfigDiscard.Old,
        MaxAge = options.EventsMaxAge,
        DuplicateWindow = options.DuplicateWindow,
        NumReplicas = options.Replicas,
    };

    public static ConsumerConfig EventsConsumer(NatsOptions options) => new(options.EventsConsumer)
    {
        Description = "billing ingest worker (all pods share it)",
        DurableName = options.EventsConsumer,
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        AckWait = AckWait,
        MaxDeliver = MaxDeliver,
        MaxAckPending = MaxAckPending,
        FilterSubject = options.EventsSubjects,
        DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        ReplayPolicy = ConsumerConfigReplayPolicy.Instant,
    };

    public static StreamConfig InvoicesStream(NatsOptions options) => new(options.InvoicesStream, [options.InvoicesSubjects])
    {
        Description = "billing.invoice.generated announcements for notification-service and customer-portal",
        Storage = StreamConfigStorage.File,
        Retention = StreamConfigRetention.Limits,
        Discard = StreamConfigDiscard.Old,
        MaxAge = options.InvoicesMaxAge,
        DuplicateWindow = options.InvoicesDuplicateWindow,
        NumReplicas = options.Replicas,
    };
}
