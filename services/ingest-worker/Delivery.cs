using System.Globalization;

namespace Billing.IngestWorker;

/// <summary>
/// What JetStream says about one delivery, read from the message's reply subject (the ack subject) without allocating:
/// <c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;stream seq&gt;.&lt;consumer seq&gt;.&lt;timestamp&gt;.&lt;pending&gt;</c>,
/// or the form with domain and account hash after <c>ACK</c> (and a token at the end). NATS.Net's
/// <c>INatsJSMsg.Metadata</c> says the same, but splits the subject into strings; under a backlog the worker reads it
/// for every message.
/// </summary>
/// <param name="StreamSequence">The message's sequence in the stream.</param>
/// <param name="Deliveries">How many times it has been delivered, this time included.</param>
/// <param name="Timestamp">When the stream received it.</param>
public readonly record struct Delivery(long StreamSequence, int Deliveries, DateTimeOffset Timestamp)
{
    private const int V1Tokens = 9;
    private const int V2Tokens = 12;

    /// <summary>False when <paramref name="replyTo"/> is not a JetStream ack subject.</summary>
    public static bool TryParse(string? replyTo, out Delivery delivery)
    {
        delivery = default;
        if (replyTo is null || !replyTo.StartsWith("$JS.ACK.", StringComparison.Ordinal))
        {
            return false;
        }
        var subject = replyTo.AsSpan();
        Span<Range> tokens = stackalloc Range[V2Tokens + 1];
        var count = subject.Split(tokens, '.');
        // Both forms end with delivered, stream seq, consumer seq, timestamp, pending: the first of them is token 4 of
        // the 9-token form and token 6 of the 12-token one.
        var first = count switch
        {
            V1Tokens => 4,
            >= V2Tokens - 1 and <= V2Tokens => 6,
            _ => -1,
        };
        if (first < 0
            || !int.TryParse(subject[tokens[first]], NumberStyles.None, CultureInfo.InvariantCulture, out var deliveries)
            || !long.TryParse(subject[tokens[first + 1]], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !long.TryParse(subject[tokens[first + 3]], NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds))
        {
            return false;
        }
        delivery = new Delivery(sequence, deliveries, DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / TimeSpan.NanosecondsPerTick));
        return true;
    }
}
