using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Billing.Core.Messaging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Billing.Migrations.Provisioning;

/// <summary>A setting of a live JetStream object that differs from the wanted one, named as in JetStream's API.</summary>
internal sealed record NatsDifference(string Setting, string Live, string Wanted)
{
    public override string ToString() => $"{Setting} {Live} -> {Wanted}";
}

/// <summary>A JetStream object as found on the server: missing, or there with its differences from the wanted configuration.</summary>
internal sealed record NatsObjectState(string Object, bool Exists, IReadOnlyList<NatsDifference> Differences)
{
    public bool IsAsWanted => Exists && Differences.Count == 0;
}

internal enum NatsProvisionOutcome
{
    Created,
    Updated,
    UpToDate,
    Failed,
}

/// <summary>What provisioning did with one object: the differences it found and, when it failed, why and what to do.</summary>
internal sealed record NatsProvisionResult(
    string Object, NatsProvisionOutcome Outcome, IReadOnlyList<NatsDifference> Differences, string? Problem = null);

/// <summary>
/// Compares the live JetStream objects with the wanted configuration (<see cref="NatsTopology"/>) and, for
/// <c>billing-ops provision nats</c>, creates or updates them; <c>preflight</c> uses the same comparison. Only the
/// settings the topology sets are compared and changed: whatever else the server filled in or an operator set is left
/// as it is. A change JetStream cannot make in place is left to the server to refuse, and reported with its reason.
/// </summary>
internal sealed class NatsProvisioner(INatsJSContext js, NatsOptions options)
{
    /// <summary>Long enough for a server across a network, short enough that preflight never hangs on a dead one.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    private const int StreamNotFound = 10059;
    private const int ConsumerNotFound = 10014;

    /// <summary>JetStream's codes for an invalid stream configuration and for a consumer it cannot create or update.</summary>
    private const int StreamInvalidConfig = 10052;
    private const int ConsumerCreate = 10012;

    private static readonly Setting<StreamConfig>[] StreamSettings =
    [
        new("subjects", c => c.Subjects, (live, wanted) => live with { Subjects = wanted.Subjects }),
        new("description", c => c.Description, (live, wanted) => live with { Description = wanted.Description }),
        new("storage", c => c.Storage, (live, wanted) => live with { Storage = wanted.Storage }),
        new("retention", c => c.Retention, (live, wanted) => live with { Retention = wanted.Retention }),
        new("discard", c => c.Discard, (live, wanted) => live with { Discard = wanted.Discard }),
        new("max_age", c => c.MaxAge, (live, wanted) => live with { MaxAge = wanted.MaxAge }),
        new("duplicate_window", c => c.DuplicateWindow, (live, wanted) => live with { DuplicateWindow = wanted.DuplicateWindow }),
        new("num_replicas", c => c.NumReplicas, (live, wanted) => live with { NumReplicas = wanted.NumReplicas }),
    ];

    private static readonly Setting<ConsumerConfig>[] ConsumerSettings =
    [
        new("description", c => c.Description, (live, wanted) => live with { Description = wanted.Description }),
        new("ack_policy", c => c.AckPolicy, (live, wanted) => live with { AckPolicy = wanted.AckPolicy }),
        new("ack_wait", c => c.AckWait, (live, wanted) => live with { AckWait = wanted.AckWait }),
        new("max_deliver", c => c.MaxDeliver, (live, wanted) => live with { MaxDeliver = wanted.MaxDeliver }),
        new("max_ack_pending", c => c.MaxAckPending, (live, wanted) => live with { MaxAckPending = wanted.MaxAckPending }),
        new("filter_subject", c => c.FilterSubject, (live, wanted) => live with { FilterSubject = wanted.FilterSubject }),
        new("deliver_policy", c => c.DeliverPolicy, (live, wanted) => live with { DeliverPolicy = wanted.DeliverPolicy }),
        new("replay_policy", c => c.ReplayPolicy, (live, wanted) => live with { ReplayPolicy = wanted.ReplayPolicy }),
    ];

    /// <summary>Connects with a short timeout; throws <see cref="NatsException"/> when no server answers.</summary>
    public static async Task<NatsConnection> ConnectAsync(NatsOptions options)
    {
        var connection = new NatsConnection(new NatsOpts { Url = options.Url, Name = "billing-ops", ConnectTimeout = ConnectTimeout });
        try
        {
            await connection.ConnectAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates or updates the events stream, its consumer and the invoices stream, in that order.</summary>
    public async IAsyncEnumerable<NatsProvisionResult> ProvisionAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return await ProvisionStreamAsync(NatsTopology.EventsStream(options), cancellationToken);
        yield return await ProvisionConsumerAsync(options.EventsStream, NatsTopology.EventsConsumer(options), cancellationToken);
        yield return await ProvisionStreamAsync(NatsTopology.InvoicesStream(options), cancellationToken);
    }

    /// <summary>The events stream and its durable consumer as found.</summary>
    public async Task<IReadOnlyList<NatsObjectState>> InspectEventsAsync(CancellationToken cancellationToken)
    {
        var stream = NatsTopology.EventsStream(options);
        var streamLive = await FindStreamAsync(options.EventsStream, cancellationToken);
        var consumer = NatsTopology.EventsConsumer(options);
        var consumerLive = await FindConsumerAsync(options.EventsStream, options.EventsConsumer, cancellationToken);
        return [State(Label(stream), streamLive, stream, Compare), State(Label(consumer), consumerLive, consumer, Compare)];
    }

    /// <summary>The invoices stream as found.</summary>
    public async Task<NatsObjectState> InspectInvoicesAsync(CancellationToken cancellationToken)
    {
        var stream = NatsTopology.InvoicesStream(options);
        return State(Label(stream), await FindStreamAsync(options.InvoicesStream, cancellationToken), stream, Compare);
    }

    /// <summary>The settings the topology sets that differ between a live stream and the wanted one.</summary>
    internal static IReadOnlyList<NatsDifference> Compare(StreamConfig live, StreamConfig wanted) => Compare(StreamSettings, live, wanted);

    internal static IReadOnlyList<NatsDifference> Compare(ConsumerConfig live, ConsumerConfig wanted) => Compare(ConsumerSettings, live, wanted);

    /// <summary>The live stream with the wanted values of the settings the topology sets, and its other settings kept.</summary>
    internal static StreamConfig WithWantedSettings(StreamConfig live, StreamConfig wanted) => Apply(StreamSettings, live, wanted);

    internal static ConsumerConfig WithWantedSettings(ConsumerConfig live, ConsumerConfig wanted) => Apply(ConsumerSettings, live, wanted);

    /// <summary>Why NATS could not be asked, naming the server (credentials hidden).</summary>
    public static string DescribeFailure(NatsOptions options, NatsException e) => e switch
    {
        NatsNoRespondersException => $"JetStream is not enabled at {Redacted(options.Url)}: nothing answers its API",
        NatsJSApiException api => $"NATS at {Redacted(options.Url)} refused a JetStream request: {Describe(api)}",
        _ => $"cannot reach NATS at {Redacted(options.Url)}: {e.InnerException?.Message ?? e.Message}",
    };

    /// <summary>The configured URL(s) with any password or token shown as <c>***</c>, as NATS.Net shows them.</summary>
    public static string Redacted(string url) => string.Join(',', url.Split(',').Select(RedactOne));

    private async Task<NatsProvisionResult> ProvisionStreamAsync(StreamConfig wanted, CancellationToken cancellationToken)
    {
        var label = Label(wanted);
        var live = await FindStreamAsync(wanted.Name!, cancellationToken);
        if (live is null)
        {
            try
            {
                var created = await js.CreateStreamAsync(wanted, cancellationToken);
                return Confirmed(label, NatsProvisionOutcome.Created, [], Compare(created.Info.Config, wanted));
            }
            catch (NatsJSApiException e)
            {
                return new(label, NatsProvisionOutcome.Failed, [], $"not created: JetStream refused: {Describe(e)}");
            }
        }

        var differences = Compare(live, wanted);
        if (differences.Count == 0)
        {
            return new(label, NatsProvisionOutcome.UpToDate, []);
        }
        try
        {
            var updated = await js.UpdateStreamAsync(WithWantedSettings(live, wanted), cancellationToken);
            return Confirmed(label, NatsProvisionOutcome.Updated, differences, Compare(updated.Info.Config, wanted));
        }
        catch (NatsJSApiException e)
        {
            return new(label, NatsProvisionOutcome.Failed, differences, NotUpdated(e,
                $"JetStream cannot change this on an existing stream: stop its publishers, let its consumers catch up, " +
                $"delete it (nats stream rm {wanted.Name}; its messages and consumers go with it) and run billing-ops provision nats again"));
        }
    }

    private async Task<NatsProvisionResult> ProvisionConsumerAsync(string stream, ConsumerConfig wanted, CancellationToken cancellationToken)
    {
        var label = Label(wanted);
        var live = await FindConsumerAsync(stream, wanted.Name!, cancellationToken);
        if (live is null)
        {
            try
            {
                var created = await js.CreateConsumerAsync(stream, wanted, cancellationToken);
                return Confirmed(label, NatsProvisionOutcome.Created, [], Compare(created.Info.Config, wanted));
            }
            catch (NatsJSApiException e) when (e.Error.ErrCode == StreamNotFound)
            {
                return new(label, NatsProvisionOutcome.Failed, [], $"not created: stream {stream} does not exist");
            }
            catch (NatsJSApiException e)
            {
                return new(label, NatsProvisionOutcome.Failed, [], $"not created: JetStream refused: {Describe(e)}");
            }
        }

        var differences = Compare(live, wanted);
        if (differences.Count == 0)
        {
            return new(label, NatsProvisionOutcome.UpToDate, []);
        }
        try
        {
            var updated = await js.UpdateConsumerAsync(stream, WithWantedSettings(live, wanted), cancellationToken);
            return Confirmed(label, NatsProvisionOutcome.Updated, differences, Compare(updated.Info.Config, wanted));
        }
        catch (NatsJSApiException e)
        {
            return new(label, NatsProvisionOutcome.Failed, differences, NotUpdated(e,
                $"JetStream cannot change this on an existing consumer: stop the workers that consume it, delete it " +
                $"(nats consumer rm {stream} {wanted.Name}) and run billing-ops provision nats again; the new consumer " +
                "delivers the stream from its first message, and ingest stores each event id only once"));
        }
    }

    private async Task<StreamConfig?> FindStreamAsync(string stream, CancellationToken cancellationToken)
    {
        try
        {
            return (await js.GetStreamAsync(stream, cancellationToken: cancellationToken)).Info.Config;
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == StreamNotFound)
        {
            return null;
        }
    }

    private async Task<ConsumerConfig?> FindConsumerAsync(string stream, string consumer, CancellationToken cancellationToken)
    {
        try
        {
            return (await js.GetConsumerAsync(stream, consumer, cancellationToken)).Info.Config;
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode is ConsumerNotFound or StreamNotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The outcome of a create or update, checked against what the server answered with: a setting it did not take
    /// would otherwise show as drift again on every run.
    /// </summary>
    private static NatsProvisionResult Confirmed(
        string label, NatsProvisionOutcome outcome, IReadOnlyList<NatsDifference> differences, IReadOnlyList<NatsDifference> remaining) =>
        remaining.Count == 0
            ? new(label, outcome, differences)
            : new(label, NatsProvisionOutcome.Failed, differences,
                $"JetStream {(outcome == NatsProvisionOutcome.Created ? "created" : "updated")} it but did not take: {string.Join(", ", remaining)}");

    /// <summary>
    /// An update is all or nothing. nats-server refuses a change it cannot make in place in these words ("stream
    /// configuration update can not change storage type", "ack policy can not be updated"), which name the setting;
    /// other refusals (a bad value, replicas the cluster cannot place) are configuration problems the server's words explain.
    /// </summary>
    private static string NotUpdated(NatsJSApiException e, string whatToDo)
    {
        var description = e.Error.Description ?? "";
        var inPlace = e.Error.ErrCode is StreamInvalidConfig or ConsumerCreate
            && (description.Contains("can not change", StringComparison.OrdinalIgnoreCase)
                || description.Contains("can not be updated", StringComparison.OrdinalIgnoreCase));
        return inPlace
            ? $"not updated, nothing was changed: {Describe(e)}. {whatToDo}"
            : $"not updated, nothing was changed: JetStream refused: {Describe(e)}";
    }

    private static string Describe(NatsJSApiException e) => $"{e.Error.Description} (JetStream error {e.Error.ErrCode})";

    private static string Label(StreamConfig stream) => $"stream {stream.Name}";

    private static string Label(ConsumerConfig consumer) => $"consumer {consumer.Name}";

    private static NatsObjectState State<T>(string label, T? live, T wanted, Func<T, T, IReadOnlyList<NatsDifference>> compare)
        where T : class =>
        live is null ? new(label, false, []) : new(label, true, compare(live, wanted));

    private static IReadOnlyList<NatsDifference> Compare<T>(Setting<T>[] settings, T live, T wanted) =>
        settings.Select(s => new NatsDifference(s.Name, Format(s.Read(live)), Format(s.Read(wanted))))
            .Where(d => d.Live != d.Wanted)
            .ToList();

    private static T Apply<T>(Setting<T>[] settings, T live, T wanted) =>
        settings.Aggregate(live, (config, setting) => setting.CopyWanted(config, wanted));

    /// <summary>Values as an operator reads them: durations <c>d.hh:mm:ss</c>, enums as JetStream spells them, subjects in order.</summary>
    private static string Format(object? value) => value switch
    {
        null or "" => "(none)",
        string text => text,
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        Enum member => JsonNamingPolicy.SnakeCaseLower.ConvertName(member.ToString()),
        IEnumerable<string> items => items.Any() ? string.Join(", ", items.Order(StringComparer.Ordinal)) : "(none)",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "(none)",
    };

    private static string RedactOne(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var start = scheme < 0 ? 0 : scheme + 3;
        var at = url.IndexOf('@', start);
        if (at < 0)
        {
            return url;
        }
        var colon = url.IndexOf(':', start, at - start);
        return colon < 0 ? $"{url[..start]}***{url[at..]}" : $"{url[..(colon + 1)]}***{url[at..]}";
    }

    /// <summary>A setting the topology sets: its name in JetStream's API, how to read it, how to copy the wanted value.</summary>
    private sealed record Setting<T>(string Name, Func<T, object?> Read, Func<T, T, T> CopyWanted);
}
