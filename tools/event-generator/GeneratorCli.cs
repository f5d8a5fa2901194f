using System.CommandLine;
using System.Globalization;
using Billing.Core.Domain;
using Billing.Core.Messaging;
using Microsoft.Extensions.Configuration;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Billing.EventGenerator;

/// <summary>
/// <c>event-generator</c>: publishes realistic billing traffic (SPEC section 4) to JetStream. NATS comes from
/// <c>Nats__Url</c> and <c>Nats__SubjectPrefix</c>. Exit codes: 0 done, 1 NATS unreachable, no stream for the subjects,
/// or a publish failed, 2 bad usage.
/// </summary>
internal sealed class GeneratorCli(IConfiguration configuration, TextWriter output, TextWriter error, TimeProvider time)
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    /// <summary>How often a run prints its progress.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    private RootCommand? _root;

    private readonly Option<int> _count = new("--count") { Description = "Distinct valid events to publish (faulty copies and poison come on top).", Required = true };
    private readonly Option<double?> _rate = new("--rate") { Description = "Target publishes per second; default: as fast as the server acks." };
    private readonly Option<int?> _seed = new("--seed") { Description = "Seed of every random choice; the same seed publishes the same events. Default: a random one, printed." };
    private readonly Option<string?> _month = new("--month") { Description = "Events occur in this UTC month (YYYY-MM)." };
    private readonly Option<bool> _live = new("--live") { Description = "Events occur in the last hour (the default)." };
    private readonly Option<FileInfo> _accounts = new("--accounts") { Description = "accounts.csv (active account ids).", DefaultValueFactory = _ => new FileInfo("sample/accounts.csv") };
    private readonly Option<FileInfo> _operators = new("--operators") { Description = "operators.csv (active operators and their countries).", DefaultValueFactory = _ => new FileInfo("sample/operators.csv") };
    private readonly Option<FileInfo> _pricing = new("--pricing") { Description = "pricing.csv: regular traffic avoids account x operator pairs it has no price for.", DefaultValueFactory = _ => new FileInfo("sample/pricing.csv") };
    private readonly Option<double> _duplicates = new("--duplicates") { Description = "Fraction of events published again with the same Nats-Msg-Id (the stream drops them)." };
    private readonly Option<double> _redeliveries = new("--redeliveries") { Description = "Fraction of events published again with another Nats-Msg-Id (the consumer sees them twice)." };
    private readonly Option<double> _unknownAccounts = new("--unknown-accounts") { Description = "Fraction of messages from accounts that do not exist (stored unrated)." };
    private readonly Option<double> _unpriced = new("--unpriced") { Description = "Fraction of messages on account x operator pairs without a price (stored unrated)." };
    private readonly Option<double> _poison = new("--poison") { Description = "Poison messages per event, cycling through every rejection reason (dead-lettered)." };
    private readonly Option<int?> _waitDrained = new("--wait-drained") { Description = "After publishing, wait up to this many seconds until the consumer (Nats__EventsConsumer of Nats__EventsStream) has nothing pending or awaiting its ack; exit 1 if it does not drain in time." };
    private readonly Option<int> _inFlight = new("--in-flight") { Description = "Publishes awaiting their ack at once.", DefaultValueFactory = _ => 512 };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        _root ??= BuildCommand();
        var parsed = _root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync($"event-generator: {parseError.Message}");
            }
            await error.WriteLineAsync("event-generator: see --help");
            return BadUsage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private RootCommand BuildCommand()
    {
        var root = new RootCommand("event-generator: publishes realistic SMS billing events to NATS JetStream (Nats__Url, Nats__SubjectPrefix).")
        {
            _count, _rate, _seed, _month, _live, _accounts, _operators, _pricing,
            _duplicates, _redeliveries, _unknownAccounts, _unpriced, _poison, _inFlight, _waitDrained,
        };
        root.SetAction((result, ct) => PublishAsync(result, ct));
        MustBePositive(_count);
        MustBePositive(_inFlight);
        _waitDrained.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--wait-drained must be a positive number of seconds");
            }
        });
        _rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } rate && !(rate > 0 && double.IsFinite(rate)))
            {
                r.AddError("--rate must be a positive number");
            }
        });
        foreach (var fraction in new[] { _duplicates, _redeliveries, _unknownAccounts, _unpriced, _poison })
        {
            fraction.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<double>() is not (>= 0 and <= 1))
                {
                    r.AddError($"{fraction.Name} must be a fraction between 0 and 1");
                }
            });
        }

        return root;
    }

    private async Task<int> PublishAsync(ParseResult args, CancellationToken cancellationToken)
    {
        if (!TryBuildPlan(args, out var plan, out var problem))
        {
            return Usage(problem);
        }
        var url = configuration["Nats:Url"] is { Length: > 0 } configured ? configured : new NatsOptions().Url;
        var prefix = configuration["Nats:SubjectPrefix"] ?? "";
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "event-generator" });
        try
        {
            await connection.ConnectAsync();
        }
        catch (NatsException e)
        {
            return Fail($"NATS is unreachable at {url}: {e.Message}");
        }

        var jetStream = new NatsJSContext(connection);
        if (await FindUncapturedSubjectAsync(jetStream, prefix, url, cancellationToken) is { } uncaptured)
        {
            return Fail(uncaptured);
        }

        output.WriteLine($"publishing {plan.Events:N0} events ({plan.Window}, seed {plan.Seed}) to {url}, subjects {prefix}{SmsEventTypeExtensions.SubjectFilter}");
        var publisher = new EventPublisher(jetStream, new EventPublisherOptions
        {
            SubjectPrefix = prefix,
            MaxInFlight = args.GetValue(_inFlight),
            TargetRate = args.GetValue(_rate),
        }, time);

        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = ReportProgressAsync(publisher, stopProgress.Token);
        try
        {
            var summary = await publisher.PublishAsync(TrafficGenerator.Generate(plan), cancellationToken);
            await StopAsync();
            PrintSummary(summary, plan);
            if (args.GetValue(_waitDrained) is { } seconds)
            {
                return await WaitUntilDrainedAsync(jetStream, TimeSpan.FromSeconds(seconds), cancellationToken);
            }
            return Ok;
        }
        catch (EventPublishException e)
        {
            await StopAsync();
            return Fail($"{e.Message} (NATS {url}; {e.Partial.Acked:N0} publishes were acknowledged before it)");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopAsync();
            return Fail($"cancelled after {publisher.Progress.Published:N0} publishes");
        }

        async Task StopAsync()
        {
            await stopProgress.CancelAsync();
            await progress;
        }
    }

    /// <summary>Waits until the billing consumer has delivered and had acknowledged everything in its stream.</summary>
    private async Task<int> WaitUntilDrainedAsync(NatsJSContext jetStream, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var names = new NatsOptions();
        var stream = configuration["Nats:EventsStream"] is { Length: > 0 } s ? s : names.EventsStream;
        var consumerName = configuration["Nats:EventsConsumer"] is { Length: > 0 } c ? c : names.EventsConsumer;
        var deadline = time.GetUtcNow() + timeout;
        var lastReport = time.GetUtcNow();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), time);
        try
        {
            while (true)
            {
                var consumer = await jetStream.GetConsumerAsync(stream, consumerName, cancellationToken);
                var info = consumer.Info;
                if (info.NumPending == 0 && info.NumAckPending == 0)
                {
                    output.WriteLine($"consumer {consumerName} drained: {info.Delivered.StreamSeq:N0} stream messages delivered and acknowledged");
                    return Ok;
                }
                var now = time.GetUtcNow();
                if (now > deadline)
                {
                    return Fail($"consumer {consumerName} of {stream} did not drain within {timeout.TotalSeconds:N0} s: {info.NumPending:N0} pending, {info.NumAckPending:N0} awaiting ack (is a worker consuming, with BILLING_CONSUMER_ENABLED=true?)");
                }
                if (now - lastReport >= ProgressInterval)
                {
                    lastReport = now;
                    output.WriteLine($"  waiting for {consumerName}: {info.NumPending:N0} pending, {info.NumAckPending:N0} awaiting ack");
                }
                await timer.WaitForNextTickAsync(cancellationToken);
            }
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return Fail($"no consumer {consumerName} on stream {stream}: create it first (billing-ops provision nats)");
        }
    }

    private static void MustBePositive(Option<int> option) =>
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError($"{option.Name} must be positive");
            }
        });

    private bool TryBuildPlan(ParseResult args, out TrafficPlan plan, out string problem)
    {
        plan = null!;
        if (args.GetValue(_month) is not null && args.GetValue(_live))
        {
            problem = "give --month or --live, not both";
            return false;
        }

        TrafficWindow window;
        if (args.GetValue(_month) is not { } monthText)
        {
            window = TrafficWindow.Live(time);
        }
        else if (DateTime.TryParseExact(monthText, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
        {
            window = TrafficWindow.Month(start.Year, start.Month);
        }
        else
        {
            problem = $"--month must be YYYY-MM, not '{monthText}'";
            return false;
        }

        var files = new[] { args.GetValue(_accounts)!, args.GetValue(_operators)!, args.GetValue(_pricing)! };
        if (files.FirstOrDefault(f => !f.Exists) is { } missing)
        {
            problem = $"file not found: {missing.FullName}";
            return false;
        }

        try
        {
            plan = new TrafficPlan
            {
                Seed = args.GetValue(_seed) ?? Random.Shared.Next(),
                Events = args.GetValue(_count),
                Window = window,
                ReferenceData = TrafficReferenceData.LoadCsv(files[0].FullName, files[1].FullName, files[2].FullName),
                DuplicateFraction = args.GetValue(_duplicates),
                RedeliveryFraction = args.GetValue(_redeliveries),
                UnknownAccountFraction = args.GetValue(_unknownAccounts),
                UnpricedFraction = args.GetValue(_unpriced),
                PoisonFraction = args.GetValue(_poison),
            };
            plan.Validate();
            problem = "";
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            problem = e.Message;
            return false;
        }
    }

    /// <summary>
    /// JetStream answers a publish on a subject no stream captures with "no responders"; say so before publishing,
    /// naming the subject, rather than failing on the first publish.
    /// </summary>
    private static async Task<string?> FindUncapturedSubjectAsync(NatsJSContext jetStream, string prefix, string url, CancellationToken cancellationToken)
    {
        foreach (var type in SmsEventTypeExtensions.All)
        {
            var subject = prefix + type.ToSubject();
            try
            {
                var streams = jetStream.ListStreamNamesAsync(subject, cancellationToken);
                if (!await streams.AnyAsync(cancellationToken))
                {
                    return $"no JetStream stream on {url} captures {subject}: create it first (billing-ops provision nats), or check Nats__SubjectPrefix";
                }
            }
            catch (NatsNoRespondersException)
            {
                return $"JetStream is not enabled on {url} (the server has no responders for its API)";
            }
        }
        return null;
    }

    private async Task ReportProgressAsync(EventPublisher publisher, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ProgressInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var progress = publisher.Progress;
                await output.WriteLineAsync(
                    $"  {progress.Published:N0} published, {progress.Acked:N0} acked, {progress.ServerDeduplicated:N0} dropped as duplicates: {progress.Rate:N0}/s");
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private void PrintSummary(PublishSummary summary, TrafficPlan plan)
    {
        var expected = summary.Expected;
        var kinds = summary.PublishedByKind;
        output.WriteLine($"published {summary.Published:N0} messages in {summary.Elapsed.TotalSeconds:N1} s: {summary.Rate:N0}/s");
        output.WriteLine($"  events        {expected.EventIds.Count:N0} distinct: {string.Join(", ", expected.EventsByType.Select(t => $"{t.Key.ToWireName()} {t.Value:N0}"))}");
        output.WriteLine($"  duplicates    {kinds[PublicationKind.Duplicate]:N0} sent with the same Nats-Msg-Id; the server dropped {summary.ServerDeduplicated:N0} publishes as duplicates");
        output.WriteLine($"  redeliveries  {kinds[PublicationKind.Redelivery]:N0} sent with another Nats-Msg-Id");
        output.WriteLine($"  poison        {summary.Poison:N0}: {string.Join(", ", expected.DeadLettersByReason.Where(r => r.Value > 0).Select(r => $"{r.Key} {r.Value:N0}"))}");
        output.WriteLine($"  unrated       {expected.UnknownAccountEventIds.Count:N0} for unknown accounts, {expected.UnpricedEventIds.Count:N0} for unpriced account x operator pairs");
        output.WriteLine($"  stream        {summary.StoredByServer:N0} messages added; a correct consumer stores {expected.EventIds.Count:N0} events and {expected.DeadLetters:N0} dead letters");
        output.WriteLine($"  seed          {plan.Seed} (--seed {plan.Seed} publishes the same events again)");
    }

    private int Fail(string message)
    {
        error.WriteLine($"event-generator: {message}");
        return Failed;
    }

    private int Usage(string message)
    {
        error.WriteLine($"event-generator: {message}");
        return BadUsage;
    }
}
