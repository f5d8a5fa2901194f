using NATS.Client.JetStream;

namespace Billing.IngestWorker;

/// <summary>
/// While a batch is being written, tells JetStream every <c>interval</c> that its messages are still being worked on
/// (each in-progress ack resets their AckWait), so a slow write never lets them be redelivered to another pod.
/// </summary>
internal sealed class InProgressAcks : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private InProgressAcks(IReadOnlyList<INatsJSMsg<byte[]>> messages, TimeSpan interval, TimeProvider time)
    {
        _loop = RunAsync(messages, interval, time, _stop.Token);
    }

    public static InProgressAcks Start(IReadOnlyList<INatsJSMsg<byte[]>> messages, TimeSpan interval, TimeProvider time) =>
        new(messages, interval, time);

    private static async Task RunAsync(IReadOnlyList<INatsJSMsg<byte[]>> messages, TimeSpan interval, TimeProvider time, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                foreach (var message in messages)
                {
                    await message.AckProgressAsync(cancellationToken: stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The batch is done.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
