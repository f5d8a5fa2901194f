using System.Text.Json;
using Billing.Core.Messaging;
using Billing.IntegrationTests.Infrastructure;
using Billing.Migrations.Provisioning;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Billing.IntegrationTests.Operations;

/// <summary>
/// <c>billing-ops provision nats</c> against a real nats-server: creates the streams and the consumer, changes nothing
/// on a second run, reports and corrects drift, and refuses with advice what JetStream cannot change in place.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class ProvisionNatsTests
{
    private static Task<OpsResult> ProvisionAsync(TestNats nats) => Ops.RunAsync(nats.Configuration(), "provision", "nats");

    private static async Task<StreamConfig> StreamAsync(TestNats nats, string stream) =>
        (await nats.JetStream.GetStreamAsync(stream)).Info.Config;

    private static async Task<ConsumerConfig> ConsumerAsync(TestNats nats) =>
        (await nats.JetStream.GetConsumerAsync(nats.Options.EventsStream, nats.Options.EventsConsumer)).Info.Config;

    [Test]
    public async Task Provisioning_a_fresh_server_creates_both_streams_and_the_consumer_with_the_wanted_settings()
    {
        await using var nats = await TestNats.CreateAsync("provision_fresh");
        var options = nats.Options;

        var result = await ProvisionAsync(nats);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.OutputLines, Is.EqualTo(new[]
        {
            $"stream {options.EventsStream}: created",
            $"consumer {options.EventsConsumer}: created",
            $"stream {options.InvoicesStream}: created",
        }));

        var events = await StreamAsync(nats, options.EventsStream);
        Assert.Multiple(() =>
        {
            Assert.That(events.Subjects, Is.EqualTo(new[] { nats.Subject("billing.events.>") }));
            Assert.That(events.Storage, Is.EqualTo(StreamConfigStorage.File));
            Assert.That(events.Retention, Is.EqualTo(StreamConfigRetention.Limits));
            Assert.That(events.Discard, Is.EqualTo(StreamConfigDiscard.Old));
            Assert.That(events.MaxAge, Is.EqualTo(TimeSpan.FromDays(7)));
            Assert.That(events.DuplicateWindow, Is.EqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(events.NumReplicas, Is.EqualTo(1));
        });

        var consumer = await ConsumerAsync(nats);
        Assert.Multiple(() =>
        {
            Assert.That(consumer.DurableName, Is.EqualTo(options.EventsConsumer));
            Assert.That(consumer.AckPolicy, Is.EqualTo(ConsumerConfigAckPolicy.Explicit));
            Assert.That(consumer.AckWait, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(consumer.MaxDeliver, Is.EqualTo(100));
            Assert.That(consumer.MaxAckPending, Is.EqualTo(50_000));
            Assert.That(consumer.FilterSubject, Is.EqualTo(nats.Subject("billing.events.>")));
            Assert.That(consumer.DeliverPolicy, Is.EqualTo(ConsumerConfigDeliverPolicy.All));
        });

        var invoices = await StreamAsync(nats, options.InvoicesStream);
        Assert.Multiple(() =>
        {
            Assert.That(invoices.Subjects, Is.EqualTo(new[] { nats.Subject("billing.invoice.>") }));
            Assert.That(invoices.Storage, Is.EqualTo(StreamConfigStorage.File));
            Assert.That(invoices.Retention, Is.EqualTo(StreamConfigRetention.Limits));
            Assert.That(invoices.MaxAge, Is.EqualTo(TimeSpan.FromDays(90)));
            Assert.That(invoices.DuplicateWindow, Is.EqualTo(TimeSpan.FromDays(1)), "a rerun of a crashed invoice run within a day must not announce twice");
        });
    }

    [Test]
    public async Task The_provisioned_events_stream_drops_a_republished_event_id()
    {
        await using var nats = await TestNats.CreateAsync("provision_dedup");
        var provision = await ProvisionAsync(nats);
        Assert.That(provision.ExitCode, Is.Zero, provision.ToString());
        var subject = nats.Subject("billing.events.sms.submitted");
        var eventId = Guid.NewGuid().ToString();

        var first = await nats.JetStream.PublishAsync(subject, "{}"u8.ToArray(), opts: new NatsJSPubOpts { MsgId = eventId });
        var again = await nats.JetStream.PublishAsync(subject, "{}"u8.ToArray(), opts: new NatsJSPubOpts { MsgId = eventId });

        Assert.That(first.Duplicate, Is.False);
        Assert.That(again.Duplicate, Is.True);
        Assert.That((await nats.JetStream.GetStreamAsync(nats.Options.EventsStream)).Info.State.Messages, Is.EqualTo(1));
    }

    [Test]
    public async Task A_second_run_reports_up_to_date_and_changes_nothing()
    {
        await using var nats = await TestNats.CreateAsync("provision_twice");
        var options = nats.Options;
        var first = await ProvisionAsync(nats);
        Assert.That(first.ExitCode, Is.Zero, first.ToString());
        var before = await SnapshotAsync(nats);

        var second = await ProvisionAsync(nats);

        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.OutputLines, Is.EqualTo(new[]
        {
            $"stream {options.EventsStream}: up to date",
            $"consumer {options.EventsConsumer}: up to date",
            $"stream {options.InvoicesStream}: up to date",
        }));
        Assert.That(second.Error, Is.Empty);
        Assert.That(await SnapshotAsync(nats), Is.EqualTo(before));
    }

    /// <summary>The configurations and creation times of the three objects, as JSON.</summary>
    private static async Task<string> SnapshotAsync(TestNats nats)
    {
        var events = (await nats.JetStream.GetStreamAsync(nats.Options.EventsStream)).Info;
        var consumer = (await nats.JetStream.GetConsumerAsync(nats.Options.EventsStream, nats.Options.EventsConsumer)).Info;
        var invoices = (await nats.JetStream.GetStreamAsync(nats.Options.InvoicesStream)).Info;
        return JsonSerializer.Serialize(new object[] { events.Created, events.Config, consumer.Created, consumer.Config, invoices.Created, invoices.Config });
    }

    [Test]
    public async Task Drift_is_reported_setting_by_setting_and_corrected_in_place()
    {
        await using var nats = await TestNats.CreateAsync("provision_drift");
        var options = nats.Options;
        // Drift an operator might leave behind, plus a setting the topology does not set (max_bytes), which must stay.
        await nats.JetStream.CreateStreamAsync(NatsTopology.EventsStream(options) with { MaxAge = TimeSpan.FromDays(1), MaxBytes = 1 << 30 });
        await nats.JetStream.CreateConsumerAsync(options.EventsStream, NatsTopology.EventsConsumer(options) with { AckWait = TimeSpan.FromSeconds(10) });
        await nats.JetStream.PublishAsync(nats.Subject("billing.events.sms.submitted"), "{}"u8.ToArray());

        var result = await ProvisionAsync(nats);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.OutputLines, Is.EqualTo(new[]
        {
            $"stream {options.EventsStream}: max_age 1.00:00:00 -> 7.00:00:00",
            $"stream {options.EventsStream}: updated",
            $"consumer {options.EventsConsumer}: ack_wait 00:00:10 -> 00:00:30",
            $"consumer {options.EventsConsumer}: updated",
            $"stream {options.InvoicesStream}: created",
        }));
        var events = (await nats.JetStream.GetStreamAsync(options.EventsStream)).Info;
        Assert.That(events.Config.MaxAge, Is.EqualTo(TimeSpan.FromDays(7)));
        Assert.That(events.Config.MaxBytes, Is.EqualTo(1 << 30), "a setting the topology does not set is left as it is");
        Assert.That(events.State.Messages, Is.EqualTo(1), "updated in place, not recreated");
        Assert.That((await ConsumerAsync(nats)).AckWait, Is.EqualTo(TimeSpan.FromSeconds(30)));

        var again = await ProvisionAsync(nats);
        Assert.That(again.Output, Does.Not.Contain("->").And.Not.Contain("updated"), again.ToString());
    }

    [Test]
    public async Task Subjects_discard_duplicate_window_and_consumer_limits_are_each_reported_and_corrected()
    {
        await using var nats = await TestNats.CreateAsync("provision_drift_many");
        var options = nats.Options;
        var stray = nats.Subject("other.>");
        await nats.JetStream.CreateStreamAsync(NatsTopology.EventsStream(options) with
        {
            Subjects = [options.EventsSubjects, stray],
            Discard = StreamConfigDiscard.New,
            DuplicateWindow = TimeSpan.FromMinutes(2),
        });
        await nats.JetStream.CreateConsumerAsync(options.EventsStream, NatsTopology.EventsConsumer(options) with
        {
            MaxDeliver = 5,
            MaxAckPending = 1000,
            FilterSubject = nats.Subject("billing.events.sms.>"),
        });

        var result = await ProvisionAsync(nats);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.OutputLines, Does.Contain($"stream {options.EventsStream}: subjects {options.EventsSubjects}, {stray} -> {options.EventsSubjects}")
            .And.Contain($"stream {options.EventsStream}: discard new -> old")
            .And.Contain($"stream {options.EventsStream}: duplicate_window 00:02:00 -> 00:10:00")
            .And.Contain($"consumer {options.EventsConsumer}: max_deliver 5 -> 100")
            .And.Contain($"consumer {options.EventsConsumer}: max_ack_pending 1000 -> 50000")
            .And.Contain($"consumer {options.EventsConsumer}: filter_subject {nats.Subject("billing.events.sms.>")} -> {options.EventsSubjects}"));
        var consumer = await ConsumerAsync(nats);
        Assert.That(consumer.FilterSubject, Is.EqualTo(options.EventsSubjects));
        Assert.That((await StreamAsync(nats, options.EventsStream)).Subjects, Is.EqualTo(new[] { options.EventsSubjects }));
    }

    [Test]
    public async Task A_storage_type_JetStream_cannot_change_in_place_fails_naming_the_setting_and_what_to_do()
    {
        await using var nats = await TestNats.CreateAsync("provision_storage");
        var options = nats.Options;
        await nats.JetStream.CreateStreamAsync(NatsTopology.EventsStream(options) with
        {
            Storage = StreamConfigStorage.Memory,
            MaxAge = TimeSpan.FromDays(1),
        });

        var result = await ProvisionAsync(nats);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.OutputLines, Does.Contain($"stream {options.EventsStream}: storage memory -> file")
            .And.Contain($"stream {options.EventsStream}: max_age 1.00:00:00 -> 7.00:00:00"));
        Assert.That(result.Error, Does.Contain($"stream {options.EventsStream}: not updated, nothing was changed: ")
            .And.Contain("can not change storage type")
            .And.Contain($"nats stream rm {options.EventsStream}")
            .And.Contain("run billing-ops provision nats again"));
        var events = await StreamAsync(nats, options.EventsStream);
        Assert.That(events.Storage, Is.EqualTo(StreamConfigStorage.Memory));
        Assert.That(events.MaxAge, Is.EqualTo(TimeSpan.FromDays(1)), "an update is all or nothing");
        // The other objects are still provisioned, so one run shows every problem.
        Assert.That(result.Output, Does.Contain($"consumer {options.EventsConsumer}: created")
            .And.Contain($"stream {options.InvoicesStream}: created"));
    }

    [Test]
    public async Task An_ack_policy_JetStream_cannot_change_in_place_fails_naming_the_setting_and_what_to_do()
    {
        await using var nats = await TestNats.CreateAsync("provision_ack_policy");
        var options = nats.Options;
        await nats.JetStream.CreateStreamAsync(NatsTopology.EventsStream(options));
        await nats.JetStream.CreateConsumerAsync(options.EventsStream, NatsTopology.EventsConsumer(options) with
        {
            AckPolicy = ConsumerConfigAckPolicy.All,
        });

        var result = await ProvisionAsync(nats);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.OutputLines, Does.Contain($"consumer {options.EventsConsumer}: ack_policy all -> explicit"));
        Assert.That(result.Error, Does.Contain("ack policy can not be updated")
            .And.Contain($"nats consumer rm {options.EventsStream} {options.EventsConsumer}"));
        Assert.That((await ConsumerAsync(nats)).AckPolicy, Is.EqualTo(ConsumerConfigAckPolicy.All));
    }

    [Test]
    public async Task A_refusal_that_is_not_about_changing_in_place_passes_on_the_servers_reason()
    {
        await using var nats = await TestNats.CreateAsync("provision_replicas");
        // A single nats-server cannot place three replicas.
        var result = await Ops.RunAsync([.. nats.Configuration(), new("Nats:Replicas", "3")], "provision", "nats");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain($"stream {nats.Options.EventsStream}: not created: JetStream refused: ")
            .And.Contain("replicas > 1 not supported in non-clustered mode"));
        Assert.That(result.Error, Does.Contain($"consumer {nats.Options.EventsConsumer}: not created: stream {nats.Options.EventsStream} does not exist"));
    }

    [Test]
    public async Task An_unreachable_server_fails_naming_the_url_without_its_password()
    {
        var result = await Ops.RunAsync([new("Nats:Url", "nats://ops:s3cret@127.0.0.1:1")], "provision", "nats");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Contain("cannot reach NATS at nats://ops:***@127.0.0.1:1"));
        Assert.That(result.ToString(), Does.Not.Contain("s3cret"));
    }

    [Test]
    public async Task Without_Nats_Url_provisioning_is_a_configuration_error()
    {
        var result = await Ops.RunAsync([], "provision", "nats");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("not configured: set Nats__Url"));
    }

    [Test]
    public void Every_setting_the_topology_sets_is_compared_and_applied()
    {
        // Copying our settings onto a blank configuration must give the wanted one: a setting added to NatsTopology
        // but not to the provisioner would be neither compared nor applied, and shows up here.
        var options = new NatsOptions();
        var stream = NatsTopology.EventsStream(options);
        var consumer = NatsTopology.EventsConsumer(options);

        Assert.That(Json(NatsProvisioner.WithWantedSettings(new StreamConfig(stream.Name!, []), stream)), Is.EqualTo(Json(stream)));
        Assert.That(Json(NatsProvisioner.WithWantedSettings(new ConsumerConfig(consumer.Name!) { DurableName = consumer.DurableName }, consumer)),
            Is.EqualTo(Json(consumer)));
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    [TestCase("nats://ops:s3cret@a:4222,nats://t0ken@b:4222,c:4222", "nats://ops:***@a:4222,nats://***@b:4222,c:4222")]
    [TestCase("nats://127.0.0.1:4222", "nats://127.0.0.1:4222")]
    public void Urls_are_shown_without_passwords_or_tokens(string url, string shown) =>
        Assert.That(NatsProvisioner.Redacted(url), Is.EqualTo(shown));
}
