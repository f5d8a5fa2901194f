using Billing.Core.Domain;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Ingest;

/// <summary>The ingest worker in-process against real NATS JetStream and PostgreSQL, with the sample reference data.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class IngestWorkerTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset November = new(2026, 11, 12, 10, 15, 30, 123, TimeSpan.Zero);

    private TestDatabase _database = null!;
    private TestNats _nats = null!;
    private IngestWorkerHost _worker = null!;

    [OneTimeSetUp]
    public async Task StartWorker()
    {
        _database = await TestDatabase.CreateMigratedAsync(nameof(IngestWorkerTests));
        await Ops.ImportSampleAsync(_database);
        _nats = await TestNats.CreateAsync(nameof(IngestWorkerTests));
        await _nats.CreateEventsStreamAndConsumerAsync();
        _worker = new IngestWorkerHost(_database, _nats).Start();
    }

    [OneTimeTearDown]
    public async Task StopWorker()
    {
        await _worker.DisposeAsync();
        await _nats.DisposeAsync();
        await _database.DisposeAsync();
    }

    [TearDown]
    public async Task Summaries_equal_the_sums_over_their_events() =>
        Assert.That(await Summaries.MismatchesAsync(_database.DataSource), Is.Empty, "usage_summaries must equal the sums over billing_events");

    private static BillingEvent Event(string account, string @operator, SmsEventType type = SmsEventType.Submitted,
        DateTimeOffset? at = null, int segments = 2) =>
        new(Guid.NewGuid(), type, at ?? November, account, $"msg_{Guid.NewGuid():N}", @operator, "KE", segments);

    private Task<long> CountAsync(string where) => _database.ScalarAsync<long>($"SELECT count(*) FROM billing.billing_events WHERE {where}");

    [Test]
    public async Task Rated_event_is_priced_by_the_rule_valid_at_its_time_and_costed_by_its_operator()
    {
        var submitted = Event("acc_1001", "63902", segments: 3);

        await _nats.PublishAsync(submitted);
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        var unitPrice = await _database.ScalarAsync<decimal>("""
            SELECT unit_price FROM billing.pricing_rules
            WHERE tier = 'standard' AND operator = '63902' AND currency = 'KES' AND valid_from <= '2026-11-12Z' AND (valid_to IS NULL OR valid_to > '2026-11-12Z')
            """);
        var unitCost = await _database.ScalarAsync<decimal>("SELECT unit_cost FROM billing.operator_costs WHERE operator = '63902'");
        Assert.That(await _database.ScalarAsync<string>($"""
            SELECT concat_ws(' ', status, currency, billable, amount = 3 * {unitPrice}, cost = 3 * {unitCost}, cost_currency, stream_sequence > 0)
            FROM billing.billing_events WHERE event_id = '{submitted.EventId}'
            """), Is.EqualTo("rated KES t t t USD t"));
    }

    [Test]
    public async Task Tier_that_pays_on_delivery_is_billed_for_the_delivered_event_only()
    {
        // acc_1003 is on the enterprise tier, whose rules charge on delivery.
        var submitted = Event("acc_1003", "63903", SmsEventType.Submitted);
        var delivered = submitted with { EventId = Guid.NewGuid(), Type = SmsEventType.Delivered, OccurredAt = November.AddSeconds(5) };

        await _nats.PublishAsync(submitted);
        await _nats.PublishAsync(delivered);
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        Assert.That(await _database.ScalarAsync<string>($"SELECT concat_ws(' ', billable, amount = 0, cost IS NOT NULL) FROM billing.billing_events WHERE event_id = '{submitted.EventId}'"),
            Is.EqualTo("f t t"), "submitted: not billable, but the operator charges us");
        Assert.That(await _database.ScalarAsync<string>($"SELECT concat_ws(' ', billable, amount > 0, cost IS NULL) FROM billing.billing_events WHERE event_id = '{delivered.EventId}'"),
            Is.EqualTo("t t t"), "delivered: billable, no operator cost");
    }

    [Test]
    public async Task Redelivered_event_with_another_message_id_is_stored_once_and_counted_once()
    {
        var original = Event("acc_1004", "62130");
        var redeliveredBefore = _worker.Metrics.Duplicates.WithLabels("redelivered").Value;

        await _nats.PublishAsync(original);
        var republished = await _nats.PublishAsync(original); // same Nats-Msg-Id: the stream's duplicate window drops it
        await _nats.PublishAsync(original, messageId: $"{original.EventId}-retry"); // another id: reaches the consumer
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        Assert.That(republished.Duplicate, Is.True);
        Assert.That(await CountAsync($"event_id = '{original.EventId}'"), Is.EqualTo(1));
        Assert.That(await _database.ScalarAsync<long>($"""
            SELECT submitted_count FROM billing.usage_summaries
            WHERE account_id = 'acc_1004' AND usage_date = '2026-11-12' AND operator = '62130' AND currency = 'USD'
            """), Is.EqualTo(1));
        Assert.That(_worker.Metrics.Duplicates.WithLabels("redelivered").Value - redeliveredBefore, Is.EqualTo(1));
    }

    [Test]
    public async Task Event_id_republished_in_another_month_is_not_stored_again_and_is_dead_lettered_as_conflicting()
    {
        var original = Event("acc_1005", "62120");
        var republished = original with { OccurredAt = original.OccurredAt.AddMonths(1) };
        var conflictingBefore = _worker.Metrics.Duplicates.WithLabels("conflicting").Value;

        await _nats.PublishAsync(original);
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);
        var ack = await _nats.PublishAsync(republished, messageId: $"{original.EventId}-december");
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        Assert.That(await CountAsync($"event_id = '{original.EventId}'"), Is.EqualTo(1));
        Assert.That(await CountAsync($"event_id = '{original.EventId}' AND occurred_at = '{original.OccurredAt:O}'"), Is.EqualTo(1));
        Assert.That(await _database.ScalarAsync<string>($"""
            SELECT reason_code || ' ' || (reason LIKE '%already stored%')::text FROM billing.dead_letters WHERE stream_sequence = {ack.Seq}
            """), Is.EqualTo("ConflictingDuplicate true"));
        Assert.That(_worker.Metrics.Duplicates.WithLabels("conflicting").Value - conflictingBefore, Is.EqualTo(1));
    }

    private static readonly BillingEventPayload Valid = BillingEventPayload.FromEvent(Event("acc_1001", "63902"));

    private static IEnumerable<TestCaseData> PoisonMessages()
    {
        static TestCaseData Case(string name, string subject, byte[] payload, EventRejectionReason reason) =>
            new TestCaseData(subject, payload, reason.ToString()).SetName($"Poison_message_{name}_is_dead_lettered_with_its_reason_and_the_next_message_is_ingested");

        yield return Case("that_is_not_json", "billing.events.sms.submitted", "{not json"u8.ToArray(), EventRejectionReason.InvalidJson);
        yield return Case("of_an_unknown_schema_version", "billing.events.sms.submitted", (Valid with { SchemaVersion = 2 }).ToUtf8Json(), EventRejectionReason.UnsupportedSchemaVersion);
        yield return Case("missing_a_field", "billing.events.sms.submitted", (Valid with { AccountId = null }).ToUtf8Json(), EventRejectionReason.MissingField);
        yield return Case("with_an_invalid_field", "billing.events.sms.submitted", (Valid with { EventId = "not-a-uuid" }).ToUtf8Json(), EventRejectionReason.InvalidField);
        yield return Case("of_an_unknown_type", "billing.events.sms.submitted", (Valid with { Type = "sms.read" }).ToUtf8Json(), EventRejectionReason.UnknownType);
        yield return Case("on_the_wrong_subject", "billing.events.sms.delivered", Valid.ToUtf8Json(), EventRejectionReason.SubjectTypeMismatch);
        yield return Case("with_segments_out_of_range", "billing.events.sms.submitted", (Valid with { Segments = 256 }).ToUtf8Json(), EventRejectionReason.SegmentsOutOfRange);
    }

    [TestCaseSource(nameof(PoisonMessages))]
    public async Task Poison_message_is_dead_lettered_with_its_reason_and_the_next_message_is_ingested(string subject, byte[] payload, string reason)
    {
        var next = Event("acc_1007", "65501");
        var deadLetteredBefore = _worker.Metrics.DeadLettered.WithLabels(reason).Value;

        var ack = await _nats.PublishRawAsync(subject, payload, messageId: Guid.NewGuid().ToString());
        await _nats.PublishAsync(next);
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        await using var command = _database.DataSource.CreateCommand(
            $"SELECT reason_code, reason, payload, subject, stream FROM billing.dead_letters WHERE stream_sequence = {ack.Seq}");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True, "the poison message must be in dead_letters");
        Assert.Multiple(() =>
        {
            Assert.That(reader.GetString(0), Is.EqualTo(reason));
            Assert.That(reader.GetString(1), Is.Not.Empty);
            Assert.That(reader.GetFieldValue<byte[]>(2), Is.EqualTo(payload), "raw bytes kept");
            Assert.That(reader.GetString(3), Is.EqualTo(_nats.Subject(subject)));
            Assert.That(reader.GetString(4), Is.EqualTo(_nats.Options.EventsStream));
        });
        Assert.That(await CountAsync($"event_id = '{next.EventId}'"), Is.EqualTo(1), "the message after the poison one is ingested");
        Assert.That(_worker.Metrics.DeadLettered.WithLabels(reason).Value - deadLetteredBefore, Is.EqualTo(1));
    }

    [Test]
    public async Task Event_the_database_refuses_is_dead_lettered_with_the_databases_reason_and_the_rest_is_ingested()
    {
        // Valid JSON and within the contract, but PostgreSQL's text cannot hold U+0000: the COPY of its batch fails, the
        // worker writes the batch event by event, and only this one becomes a dead letter.
        var refused = Event("acc_1007", "65501") with { MessageId = "msg_\u0000_nul" };
        var next = Event("acc_1007", "65501");
        var deadLetteredBefore = _worker.Metrics.DeadLettered.WithLabels("RejectedByDatabase").Value;

        var ack = await _nats.PublishAsync(refused);
        await _nats.PublishAsync(next);
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        Assert.That(await _database.ScalarAsync<string>(
            $"SELECT concat_ws(' ', reason_code, reason LIKE '%{refused.EventId}%22021%') FROM billing.dead_letters WHERE stream_sequence = {ack.Seq}"),
            Is.EqualTo("RejectedByDatabase t"), "dead-lettered with the event id and the database's SQLSTATE");
        Assert.That(await CountAsync($"event_id = '{refused.EventId}'"), Is.Zero);
        Assert.That(await CountAsync($"event_id = '{next.EventId}'"), Is.EqualTo(1), "the event after it is ingested");
        Assert.That(_worker.Metrics.DeadLettered.WithLabels("RejectedByDatabase").Value - deadLetteredBefore, Is.EqualTo(1));
    }

    [Test]
    public async Task Event_without_a_pricing_rule_is_stored_unrated_and_counted()
    {
        // The sample data has no price for the business tier (acc_1002) on Orange France (20801), on purpose.
        var unpriced = Event("acc_1002", "20801");
        var before = _worker.Metrics.PricingNotFound.WithLabels("business", "20801").Value;

        await _nats.PublishAsync(unpriced);
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        Assert.That(await _database.ScalarAsync<string>($"""
            SELECT concat_ws(' ', status, unrated_reason, tier, currency, amount IS NULL, billable)
            FROM billing.billing_events WHERE event_id = '{unpriced.EventId}'
            """), Is.EqualTo("unrated pricing_not_found business KES t f"));
        Assert.That(await _database.ScalarAsync<long>("""
            SELECT unrated_count FROM billing.usage_summaries
            WHERE account_id = 'acc_1002' AND operator = '20801' AND currency = 'KES' AND usage_date = '2026-11-12'
            """), Is.GreaterThanOrEqualTo(1));
        Assert.That(_worker.Metrics.PricingNotFound.WithLabels("business", "20801").Value - before, Is.EqualTo(1));
    }

    [Test]
    public async Task Event_of_an_unknown_account_is_stored_unrated_under_no_currency_and_counted()
    {
        var stranger = Event("acc_unknown_9", "63902");
        var before = _worker.Metrics.AccountNotFound.Value;

        await _nats.PublishAsync(stranger);
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        Assert.That(await _database.ScalarAsync<string>($"""
            SELECT concat_ws(' ', status, unrated_reason, coalesce(currency, 'null'), amount IS NULL)
            FROM billing.billing_events WHERE event_id = '{stranger.EventId}'
            """), Is.EqualTo("unrated account_not_found null t"));
        Assert.That(await _database.ScalarAsync<long>("""
            SELECT unrated_count FROM billing.usage_summaries WHERE account_id = 'acc_unknown_9' AND currency = 'XXX'
            """), Is.EqualTo(1));
        Assert.That(_worker.Metrics.AccountNotFound.Value - before, Is.EqualTo(1));
    }

    [Test]
    public async Task Ingestion_start_is_recorded_once()
    {
        await _nats.PublishAsync(Event("acc_1001", "63902"));
        await _nats.WaitUntilConsumerDrainedAsync(DrainTimeout);

        Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM billing.ingestion_start"), Is.EqualTo(1));
    }

    [Test]
    public async Task Health_and_metrics_endpoints_answer()
    {
        using var client = _worker.CreateClient();

        using var live = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.That(live.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), await ready.Content.ReadAsStringAsync());
        Assert.That(metrics, Does.Contain("# TYPE"));
    }
}
