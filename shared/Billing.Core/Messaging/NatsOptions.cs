namespace Billing.Core.Messaging;

/// <summary>
/// The NATS side of the operational contract, bound from the <c>Nats</c> configuration section. The names default to
/// the contract's (<c>BILLING_EVENTS</c>, <c>billing-consumer</c>, <c>BILLING_INVOICES</c>); a subject prefix and other
/// stream names let several environments (or test fixtures) share one NATS account without their subjects overlapping.
/// </summary>
public sealed class NatsOptions
{
    public const string Section = "Nats";

    public string Url { get; set; } = "nats://127.0.0.1:4222";

    /// <summary>Put in front of every subject, e.g. <c>staging.</c>; empty in production.</summary>
    public string SubjectPrefix { get; set; } = "";

    public string EventsStream { get; set; } = "BILLING_EVENTS";

    public string EventsConsumer { get; set; } = "billing-consumer";

    public string InvoicesStream { get; set; } = "BILLING_INVOICES";

    /// <summary>Stream replicas: 1 on a single server, 3 on a production cluster.</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>How long the events stream keeps messages (limits-based retention): the window for replay after an incident.</summary>
    public TimeSpan EventsMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long the stream remembers a <c>Nats-Msg-Id</c> to drop a republished copy.</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the invoices stream remembers an invoice id: a rerun of a crashed invoice run within it that publishes an
    /// announcement again (sent, but not yet marked sent) is dropped by the stream rather than delivered twice.
    /// </summary>
    public TimeSpan InvoicesDuplicateWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long the invoices stream keeps announcements for downstream consumers.</summary>
    public TimeSpan InvoicesMaxAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// How long a first connection may take. The client's 2 s default is too short for a pod starting on a busy node,
    /// and a connection that fails at start fails the first work the program does.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The client's options for a program's long-lived connection; <paramref name="program"/> names it on the server.</summary>
    public NATS.Client.Core.NatsOpts ClientOptions(string program) => new()
    {
        Url = Url,
        Name = $"{program}@{Environment.MachineName}",
        ConnectTimeout = ConnectTimeout,
    };

    public string EventsSubjects => $"{SubjectPrefix}billing.events.>";

    public string InvoicesSubjects => $"{SubjectPrefix}billing.invoice.>";

    public string InvoiceGeneratedSubject => $"{SubjectPrefix}billing.invoice.generated";

    /// <summary>The contract's subject (<c>billing.events.sms.submitted</c>) of a subject as received.</summary>
    public string ContractSubject(string subject) =>
        SubjectPrefix.Length > 0 && subject.StartsWith(SubjectPrefix, StringComparison.Ordinal) ? subject[SubjectPrefix.Length..] : subject;
}
