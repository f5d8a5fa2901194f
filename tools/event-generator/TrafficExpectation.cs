using Billing.Core.Domain;

namespace Billing.EventGenerator;

/// <summary>
/// What a correct consumer ends up with after a set of publications: each valid event stored exactly once (however
/// often it was published), each poison message dead-lettered once. <see cref="EventPublisher"/> builds one for what
/// it published; <see cref="Of"/> builds one for publications not (yet) published.
/// </summary>
public sealed class TrafficExpectation
{
    private readonly HashSet<Guid> _eventIds = [];
    private readonly HashSet<Guid> _unknownAccountEventIds = [];
    private readonly HashSet<Guid> _unpricedEventIds = [];
    private readonly Dictionary<SmsEventType, int> _eventsByType = SmsEventTypeExtensions.All.ToDictionary(t => t, _ => 0);
    private readonly Dictionary<EventRejectionReason, int> _deadLettersByReason = Enum.GetValues<EventRejectionReason>().ToDictionary(r => r, _ => 0);

    /// <summary>The id of every valid event: the rows of <c>billing_events</c>, no more and no fewer.</summary>
    public IReadOnlySet<Guid> EventIds => _eventIds;

    /// <summary>Distinct valid events per type.</summary>
    public IReadOnlyDictionary<SmsEventType, int> EventsByType => _eventsByType;

    /// <summary>Events to be stored unrated because the account does not exist.</summary>
    public IReadOnlySet<Guid> UnknownAccountEventIds => _unknownAccountEventIds;

    /// <summary>Events to be stored unrated because no pricing rule covers their account and operator.</summary>
    public IReadOnlySet<Guid> UnpricedEventIds => _unpricedEventIds;

    /// <summary>Poison messages: the rows of <c>dead_letters</c>.</summary>
    public int DeadLetters { get; private set; }

    public IReadOnlyDictionary<EventRejectionReason, int> DeadLettersByReason => _deadLettersByReason;

    /// <summary>Copies published with the same <c>Nats-Msg-Id</c> (the stream drops them within its duplicate window).</summary>
    public int Duplicates { get; private set; }

    /// <summary>Copies published with another <c>Nats-Msg-Id</c> (the consumer receives them and must not store them again).</summary>
    public int Redeliveries { get; private set; }

    /// <summary>Messages the stream keeps when its duplicate window covers the run: all but the <see cref="Duplicates"/>.</summary>
    public int StreamMessages => EventIds.Count + Redeliveries + DeadLetters;

    /// <summary>What a consumer should make of these publications.</summary>
    public static TrafficExpectation Of(IEnumerable<Publication> publications)
    {
        ArgumentNullException.ThrowIfNull(publications);
        var expectation = new TrafficExpectation();
        foreach (var publication in publications)
        {
            expectation.Add(publication);
        }
        return expectation;
    }

    internal void Add(Publication publication)
    {
        if (publication.IsPoison)
        {
            DeadLetters++;
            _deadLettersByReason[publication.PoisonReason.Value]++;
            return;
        }

        if (publication.Kind == PublicationKind.Duplicate)
        {
            Duplicates++;
        }
        else if (publication.Kind == PublicationKind.Redelivery)
        {
            Redeliveries++;
        }

        var id = publication.Event.EventId;
        if (!_eventIds.Add(id))
        {
            return;
        }
        _eventsByType[publication.Event.Type]++;
        if (publication.Origin == EventOrigin.UnknownAccount)
        {
            _unknownAccountEventIds.Add(id);
        }
        else if (publication.Origin == EventOrigin.UnpricedPair)
        {
            _unpricedEventIds.Add(id);
        }
    }
}
