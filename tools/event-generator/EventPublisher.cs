using Billing.Core.Domain;
using NATS.Client.JetStream;

namespace Billing.EventGenerator;

/// <summary>How <see cref="EventPublisher"/> publishes.</summary>
public sealed record EventPublisherOptions
{
    /// <summary>Put in front of every contract subject (<c>Nats:SubjectPrefix</c>); empty in production.</summary>
    public string SubjectPrefix { get; init; } = "";

    /// <summary>
    /// Publishes awaiting their ack at once. Awaiting each publish gives ~5k msg/s here; 512-1024 in flight gives
    /// 35-55k msg/s.
    /// </summary>
    public int MaxInFlight { get; init; } = 512;

    /// <summary>Publishes per second (every publication counts, faulty copies too); null for as fast as the server acks.</summary>
    public double? TargetRate { get; init; }

    /// <summary>Keep the instant each event was first published (<see cref="PublishSummary.PublishTimes"/>), for latency measurements.</summary>
    public bool RecordPublishTimes { get; init; }
}

/// <summary>Counters of a run in progress.</summary>
/// <param name="Published">Publishes sent.</param>
/// <param name="Acked">Publishes the stream acknowledged.</param>
/// <param name="ServerDeduplicated">Acks that said the stream dropped the message as a duplicate of its <c>Nats-Msg-Id</c>.</param>
/// <param name="Elapsed">Time since the run started.</param>
public readonly record struct PublishProgress(long Published, long Acked, long ServerDeduplicated, TimeSpan Elapsed)
{
    /// <summary>Publishes per second so far.</summary>
    public double Rate => Elapsed > TimeSpan.Zero ? Published / Elapsed.TotalSeconds : 0;
}

/// <summary>The outcome of <see cref="EventPublisher.PublishAsync"/>: what the server did and what a consumer must make of it.</summary>
public sealed record PublishSummary
{
    /// <summary>Publishes sent (all acknowledged, since a failed publish throws).</summary>
    public required long Published { get; init; }

    /// <summary>Publishes the stream acknowledged.</summary>
    public required long Acked { get; init; }

    /// <summary>Acks flagged <c>Duplicate</c>: the stream already held that <c>Nats-Msg-Id</c> and dropped the copy.</summary>
    public required long ServerDeduplicated { get; init; }

    /// <summary>Messages this run added to the stream.</summary>
    public long StoredByServer => Acked - ServerDeduplicated;

    /// <summary>Publishes per <see cref="PublicationKind"/>.</summary>
    public required IReadOnlyDictionary<PublicationKind, long> PublishedByKind { get; init; }

    /// <summary>What a correct consumer ends up with: <see cref="TrafficExpectation.EventIds"/>, dead letters, unrated events.</summary>
    public required TrafficExpectation Expected { get; init; }

    /// <summary>From the first publish to the last ack.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>The instant each event id was first published, when <see cref="EventPublisherOptions.RecordPublishTimes"/> is on.</summary>
    public IReadOnlyDictionary<Guid, DateTimeOffset>? PublishTimes { get; init; }

    /// <summary>Publishes per second over the run.</summary>
    public double Rate => Elapsed > TimeSpan.Zero ? Published / Elapsed.TotalSeconds : 0;

    /// <summary>Distinct valid events per type (the same as <c>Expected.EventsByType</c>).</summary>
    public IReadOnlyDictionary<SmsEventType, int> EventsByType => Expected.EventsByType;

    /// <summary>Poison messages published (the same as <c>Expected.DeadLetters</c>).</summary>
    public int Poison => Expected.DeadLetters;
}

/// <summary>A publish was not acknowledged; names the subject and message id. The run stopped after it.</summary>
public sealed class EventPublishException(string subject, string msgId, PublishSummary partial, Exception inner)
    : Exception($"publishing to {subject} (Nats-Msg-Id {msgId}) failed: {inner.Message}", inner)
{
    public string Subject { get; } = subject;

    public string MsgId { get; } = msgId;

    /// <summary>What was published and acknowledged before the run stopped.</summary>
    public PublishSummary Partial { get; } = partial;
}

/// <summary>
/// Publishes traffic to JetStream with <c>Nats-Msg-Id</c> set, keeping up to <see cref="EventPublisherOptions.MaxInFlight"/>
/// publishes awaiting their ack and, optionally, pacing them to a target rate. Publications are sent in order.
/// </summary>
/// <remarks>
/// The first failed publish (no stream captures the subject, a timeout, an error ack) stops the run: the publishes in
/// flight are awaited, then <see cref="EventPublishException"/> is thrown. One run at a time per publisher.
/// </remarks>
public sealed class EventPublisher
{
    private readonly INatsJSContext _jetStream;
    private readonly EventPublisherOptions _options;
    private readonly TimeProvider _time;
    private int _running;
    private long _started;
    private long _published;
    private long _acked;
    private long _deduplicated;

    public EventPublisher(INatsJSContext jetStream, EventPublisherOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxInFlight, 1, nameof(options));
        _jetStream = jetStream;
        _options = options;
        _time = time;
        _started = time.GetTimestamp();
    }

    /// <summary>The counters of the current (or last) run; safe to read from another thread, e.g. a progress timer.</summary>
    public PublishProgress Progress => new(
        Interlocked.Read(ref _published),
        Interlocked.Read(ref _acked),
        Interlocked.Read(ref _deduplicated),
        _time.GetElapsedTime(Interlocked.Read(ref _started)));

    /// <summary>Publishes every publication, in order, and waits for every ack.</summary>
    /// <exception cref="EventPublishException">A publish failed; the run stopped.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    public async Task<PublishSummary> PublishAsync(IEnumerable<Publication> publications, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publications);
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("This publisher is already publishing.");
        }

        try
        {
            return await RunAsync(publications, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<PublishSummary> RunAsync(IEnumerable<Publication> publications, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _published, 0);
        Interlocked.Exchange(ref _acked, 0);
        Interlocked.Exchange(ref _deduplicated, 0);
        Interlocked.Exchange(ref _started, _time.GetTimestamp());

        var expected = new TrafficExpectation();
        var byKind = Enum.GetValues<PublicationKind>().ToDictionary(k => k, _ => 0L);
        var publishTimes = _options.RecordPublishTimes ? new Dictionary<Guid, DateTimeOffset>() : null;
        var limiter = _options.TargetRate is { } rate ? new PublishRateLimiter(rate, _time) : null;
        using var inFlight = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Failure? failure = null;

        try
        {
            foreach (var publication in publications)
            {
                if (limiter is not null)
                {
                    await limiter.WaitAsync(stop.Token);
                }
                await inFlight.WaitAsync(stop.Token);

                var subject = _options.SubjectPrefix + publication.Subject;
                if (publishTimes is not null && publication.Event is { } billingEvent)
                {
                    publishTimes.TryAdd(billingEvent.EventId, _time.GetUtcNow());
                }
                expected.Add(publication);
                byKind[publication.Kind]++;
                Interlocked.Increment(ref _published);
                _ = PublishOneAsync(subject, publication);
            }
        }
        catch (OperationCanceledException) when (failure is not null && !cancellationToken.IsCancellationRequested)
        {
            // A publish failed and stopped the loop; reported below.
        }
        finally
        {
            // Every publish in flight holds a permit: having them all back means every one has finished.
            for (var i = 0; i < _options.MaxInFlight; i++)
            {
                await inFlight.WaitAsync(CancellationToken.None);
            }
        }

        var summary = new PublishSummary
        {
            Published = Interlocked.Read(ref _published),
            Acked = Interlocked.Read(ref _acked),
            ServerDeduplicated = Interlocked.Read(ref _deduplicated),
            PublishedByKind = byKind,
            Expected = expected,
            Elapsed = _time.GetElapsedTime(Interlocked.Read(ref _started)),
            PublishTimes = publishTimes,
        };
        cancellationToken.ThrowIfCancellationRequested();
        return failure is null
            ? summary
            : throw new EventPublishException(failure.Subject, failure.Publication.MsgId, summary, failure.Exception);

        async Task PublishOneAsync(string subject, Publication publication)
        {
            try
            {
                var ack = await _jetStream.PublishAsync(
                    subject, publication.Payload, opts: new NatsJSPubOpts { MsgId = publication.MsgId }, cancellationToken: stop.Token);
                // EnsureSuccess would throw for a duplicate, which here is an outcome to count, not an error.
                if (ack.Duplicate)
                {
                    Interlocked.Increment(ref _deduplicated);
                }
                else
                {
                    ack.EnsureSuccess();
                }
                Interlocked.Increment(ref _acked);
            }
            catch (Exception e)
            {
                // The first failure stops the run and is the one reported; the cancellations it causes are not news.
                if (Interlocked.CompareExchange(ref failure, new Failure(subject, publication, e), null) is null)
                {
                    await stop.CancelAsync();
                }
            }
            finally
            {
                inFlight.Release();
            }
        }
    }

    private sealed record Failure(string Subject, Publication Publication, Exception Exception);
}
