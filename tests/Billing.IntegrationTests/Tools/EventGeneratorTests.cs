using System.Diagnostics;
using Billing.Core.Domain;
using Billing.EventGenerator;
using Billing.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream;

namespace Billing.IntegrationTests.Tools;

/// <summary>The event generator against the real NATS server: what lands in the stream, the schedule, the CLI.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class EventGeneratorTests
{
    private static readonly TrafficWindow November = TrafficWindow.Month(2026, 11);

    private static TrafficReferenceData SampleData() =>
        TrafficReferenceData.LoadCsv(Ops.Sample("accounts.csv"), Ops.Sample("operators.csv"), Ops.Sample("pricing.csv"));

    private static TrafficPlan Plan(int events, int seed = 7) => new()
    {
        Seed = seed,
        Events = events,
        ReferenceData = SampleData(),
        Window = November,
    };

    private static async Task<ulong> StreamMessagesAsync(TestNats nats)
    {
        var stream = await nats.JetStream.GetStreamAsync(nats.Options.EventsStream);
        return (ulong)stream.Info.State.Messages;
    }

    [Test]
    public void Sample_reference_data_gives_active_accounts_and_operators_and_the_deliberate_pricing_gap()
    {
        var data = SampleData();

        using (Assert.EnterMultipleScope())
        {
            // 20 accounts, acc_1020 inactive; names with quoted commas do not shift the columns.
            Assert.That(data.Accounts, Has.Count.EqualTo(19).And.All.Match(@"^acc_10(0[1-9]|1[0-9])$"));
            Assert.That(data.Operators, Has.Count.EqualTo(11));
            Assert.That(data.Operators.Select(o => o.Mccmnc), Does.Not.Contain("64110"), "MTN Uganda is inactive");
            Assert.That(data.Operators, Has.Member(new TrafficOperator("20801", "FR")));
            // The business tier has no price for Orange France: its six accounts x 20801, nothing else.
            Assert.That(data.UnpricedPairs, Is.EquivalentTo(
                new[] { "acc_1002", "acc_1005", "acc_1008", "acc_1011", "acc_1013", "acc_1017" }.Select(a => new UnpricedPair(a, "20801"))));
        }
    }

    [Test]
    public async Task Same_msg_id_copies_are_dropped_by_the_server_and_other_copies_reach_the_consumer()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));
        await nats.CreateEventsStreamAndConsumerAsync();
        var plan = Plan(3_000) with
        {
            DuplicateFraction = 0.05,
            RedeliveryFraction = 0.03,
            UnknownAccountFraction = 0.01,
            UnpricedFraction = 0.01,
            PoisonFraction = 0.01,
        };
        var publisher = new EventPublisher(nats.JetStream, new EventPublisherOptions { SubjectPrefix = nats.Options.SubjectPrefix }, TimeProvider.System);

        var summary = await publisher.PublishAsync(TrafficGenerator.Generate(plan));

        var expected = summary.Expected;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(expected.EventIds, Has.Count.EqualTo(3_000));
            Assert.That(expected.Duplicates, Is.GreaterThan(100));
            Assert.That(expected.Redeliveries, Is.GreaterThan(50));
            Assert.That(expected.DeadLetters, Is.GreaterThan(15));
            Assert.That(expected.UnknownAccountEventIds, Is.Not.Empty);
            Assert.That(expected.UnpricedEventIds, Is.Not.Empty);
            Assert.That(summary.Published, Is.EqualTo(expected.StreamMessages + expected.Duplicates));
            Assert.That(summary.Acked, Is.EqualTo(summary.Published));
            Assert.That(summary.ServerDeduplicated, Is.EqualTo(expected.Duplicates), "the server dropped every same-id copy, and nothing else");
            Assert.That(await StreamMessagesAsync(nats), Is.EqualTo((ulong)expected.StreamMessages));
            Assert.That(summary.StoredByServer, Is.EqualTo(expected.StreamMessages));
            Assert.That(summary.PublishTimes, Is.Null, "not recorded unless asked for");
        }

        // Read the stream as the ingest worker will: every expected event arrives, redelivered ones twice, and every
        // poison message is rejected for the reason it was made with.
        var deliveries = new Dictionary<Guid, int>();
        var rejections = Enum.GetValues<EventRejectionReason>().ToDictionary(r => r, _ => 0);
        var consumer = await nats.JetStream.GetConsumerAsync(nats.Options.EventsStream, nats.Options.EventsConsumer);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // a guard against a hang, not a wait
        var received = 0;
        await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: timeout.Token))
        {
            var result = BillingEventParser.Parse(nats.Options.ContractSubject(message.Subject), message.Data);
            if (result.IsAccepted)
            {
                deliveries[result.Event.EventId] = deliveries.GetValueOrDefault(result.Event.EventId) + 1;
            }
            else
            {
                rejections[result.Rejection.Reason]++;
            }
            await message.AckAsync(cancellationToken: timeout.Token);
            if (++received == expected.StreamMessages)
            {
                break;
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deliveries.Keys, Is.EquivalentTo(expected.EventIds));
            Assert.That(deliveries.Values.Sum() - deliveries.Count, Is.EqualTo(expected.Redeliveries), "redelivered events arrive twice");
            Assert.That(rejections, Is.EquivalentTo(expected.DeadLettersByReason));
            Assert.That(rejections.Values, Is.All.Positive, "every kind of poison");
        }
    }

    [Test]
    public async Task Publishing_again_with_the_same_seed_adds_nothing_to_the_stream()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));
        await nats.CreateEventsStreamAndConsumerAsync();
        var publisher = new EventPublisher(nats.JetStream, new EventPublisherOptions { SubjectPrefix = nats.Options.SubjectPrefix, MaxInFlight = 16 }, TimeProvider.System);

        var first = await publisher.PublishAsync(TrafficGenerator.Generate(Plan(500)));
        var second = await publisher.PublishAsync(TrafficGenerator.Generate(Plan(500)));

        Assert.That(first.ServerDeduplicated, Is.Zero);
        Assert.That(second.ServerDeduplicated, Is.EqualTo(500));
        Assert.That(second.Expected.EventIds, Is.EquivalentTo(first.Expected.EventIds));
        Assert.That(await StreamMessagesAsync(nats), Is.EqualTo(500UL));
    }

    [Test]
    public async Task Publishing_where_no_stream_captures_the_subject_fails_naming_it()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests)); // no stream created
        var publisher = new EventPublisher(nats.JetStream, new EventPublisherOptions { SubjectPrefix = nats.Options.SubjectPrefix }, TimeProvider.System);

        var failure = Assert.ThrowsAsync<EventPublishException>(() => publisher.PublishAsync(TrafficGenerator.Generate(Plan(50))));

        // Publishes are in flight together: whichever fails first is reported, with its own subject.
        Assert.That(failure.Subject, Is.AnyOf(SmsEventTypeExtensions.All.Select(t => nats.Subject(t.ToSubject())).ToArray<object>()));
        Assert.That(failure.Message, Does.Contain(failure.Subject));
        Assert.That(failure.Partial.Acked, Is.Zero);
    }

    [Test]
    public async Task Rate_limited_publishing_follows_the_schedule_of_the_clock_it_is_given()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));
        await nats.CreateEventsStreamAndConsumerAsync();
        var start = new DateTimeOffset(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);
        var time = new TimerCountingTimeProvider(start);
        var publisher = new EventPublisher(
            nats.JetStream,
            new EventPublisherOptions { SubjectPrefix = nats.Options.SubjectPrefix, TargetRate = 10, RecordPublishTimes = true },
            time);

        var run = publisher.PublishAsync(TrafficGenerator.Generate(Plan(20)));
        // At 10/s each publish after the first waits 100 ms on the fake clock: once the publisher has asked for that
        // timer, move the clock on. 20 publishes, 19 waits.
        for (var wait = 1; wait < 20; wait++)
        {
            Assert.That(await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30)), Is.True, $"wait {wait} never started");
            Assert.That(publisher.Progress.Published, Is.EqualTo(wait), "one publish per permit");
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
        var summary = await run;

        Assert.That(
            summary.PublishTimes!.Values.Order(),
            Is.EqualTo(Enumerable.Range(0, 20).Select(i => start.AddMilliseconds(100 * i))));
        Assert.That(summary.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(1_900)));
        Assert.That(summary.Rate, Is.EqualTo(20 / 1.9).Within(1e-9));
        Assert.That(await StreamMessagesAsync(nats), Is.EqualTo(20UL));
    }

    [Test]
    public async Task Cli_publishes_the_sample_traffic_and_reports_what_a_consumer_must_store()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));
        await nats.CreateEventsStreamAndConsumerAsync();

        var result = await RunCliAsync(nats.Options.Url, nats.Options.SubjectPrefix,
            "--count", "1000", "--seed", "11", "--month", "2026-11", "--duplicates", "0.02", "--redeliveries", "0.01",
            "--unknown-accounts", "0.01", "--unpriced", "0.01", "--poison", "0.01", "--in-flight", "64");

        var expected = TrafficExpectation.Of(TrafficGenerator.Generate(Plan(1_000, seed: 11) with
        {
            DuplicateFraction = 0.02,
            RedeliveryFraction = 0.01,
            UnknownAccountFraction = 0.01,
            UnpricedFraction = 0.01,
            PoisonFraction = 0.01,
        }));
        Assert.That(result.ExitCode, Is.EqualTo(GeneratorCli.Ok), result.ToString());
        Assert.That(result.Output, Does.Contain($"a correct consumer stores 1,000 events and {expected.DeadLetters:N0} dead letters"));
        Assert.That(result.Output, Does.Contain($"the server dropped {expected.Duplicates:N0} publishes as duplicates"));
        Assert.That(result.Output, Does.Contain("--seed 11"));
        Assert.That(await StreamMessagesAsync(nats), Is.EqualTo((ulong)expected.StreamMessages));
    }

    [Test]
    public async Task Cli_waits_until_the_consumer_has_everything_acknowledged()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));
        await nats.CreateEventsStreamAndConsumerAsync();
        // A consumer that acknowledges whatever it is given, as the ingest worker would, running alongside the CLI.
        using var stop = new CancellationTokenSource();
        var consumer = await nats.JetStream.GetConsumerAsync(nats.Options.EventsStream, nats.Options.EventsConsumer);
        var acking = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: stop.Token))
                {
                    await message.AckAsync(cancellationToken: stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                // The test is over.
            }
        });

        var result = await RunCliAsync(nats, "--count", "400", "--seed", "3", "--wait-drained", "60");
        await stop.CancelAsync();
        await acking;

        Assert.That(result.ExitCode, Is.EqualTo(GeneratorCli.Ok), result.ToString());
        Assert.That(result.Output, Does.Contain($"consumer {nats.Options.EventsConsumer} drained: 400 stream messages delivered and acknowledged"));
        var info = await nats.ConsumerInfoAsync();
        Assert.That((info.NumPending, info.NumAckPending), Is.EqualTo((0UL, 0L)));
    }

    [Test]
    public async Task Cli_fails_with_exit_1_when_nothing_consumes_within_the_wait()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));
        await nats.CreateEventsStreamAndConsumerAsync();

        var result = await RunCliAsync(nats, "--count", "50", "--seed", "3", "--wait-drained", "1");

        Assert.That(result.ExitCode, Is.EqualTo(GeneratorCli.Failed), result.ToString());
        Assert.That(result.Error, Does.Contain($"consumer {nats.Options.EventsConsumer} of {nats.Options.EventsStream} did not drain within 1 s: 50 pending"));
    }

    [Test]
    public async Task Cli_fails_with_exit_1_naming_the_subject_when_no_stream_captures_it()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));

        var result = await RunCliAsync(nats.Options.Url, nats.Options.SubjectPrefix, "--count", "10");

        Assert.That(result.ExitCode, Is.EqualTo(GeneratorCli.Failed), result.ToString());
        Assert.That(result.Error, Does.Contain($"captures {nats.Subject("billing.events.sms.submitted")}"));
    }

    [Test]
    public async Task Cli_fails_with_exit_1_naming_the_url_when_nats_is_unreachable()
    {
        var result = await RunCliAsync("nats://127.0.0.1:1", "", "--count", "10");

        Assert.That(result.ExitCode, Is.EqualTo(GeneratorCli.Failed), result.ToString());
        Assert.That(result.Error, Does.Contain("NATS is unreachable at nats://127.0.0.1:1"));
    }

    [TestCase("--count", "0")]
    [TestCase("--count", "10", "--poison", "1.5")]
    [TestCase("--count", "10", "--month", "2026-13")]
    [TestCase("--count", "10", "--month", "2026-11", "--live")]
    [TestCase("--count", "10", "--accounts", "no-such-file.csv")]
    [TestCase("--rate", "100")]
    public async Task Cli_refuses_bad_usage_with_exit_2(params string[] args)
    {
        var result = await RunCliAsync("nats://127.0.0.1:1", "", args);

        Assert.That(result.ExitCode, Is.EqualTo(GeneratorCli.BadUsage), result.ToString());
        Assert.That(result.Error, Does.StartWith("event-generator: "));
    }

    [Test]
    public async Task The_built_program_reads_nats_settings_from_environment_variables()
    {
        await using var nats = await TestNats.CreateAsync(nameof(EventGeneratorTests));
        await nats.CreateEventsStreamAndConsumerAsync();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path, // the sample files are the defaults, relative to here
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "event-generator.dll"), "--count", "300", "--seed", "5" })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["Nats__Url"] = nats.Options.Url;
        start.Environment["Nats__SubjectPrefix"] = nats.Options.SubjectPrefix;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.That(process.ExitCode, Is.Zero, $"{await output}\n{await error}");
        Assert.That(await output, Does.Contain($"to {nats.Options.Url}, subjects {nats.Options.SubjectPrefix}billing.events.>"));
        Assert.That(await StreamMessagesAsync(nats), Is.EqualTo(300UL));
    }

    private static Task<OpsResult> RunCliAsync(string url, string prefix, params string[] args) =>
        RunCliAsync(new Dictionary<string, string?> { ["Nats:Url"] = url, ["Nats:SubjectPrefix"] = prefix }, args);

    /// <summary>Runs the CLI on a fixture's own subjects, stream and consumer.</summary>
    private static Task<OpsResult> RunCliAsync(TestNats nats, params string[] args) => RunCliAsync(nats.Configuration(), args);

    private static async Task<OpsResult> RunCliAsync(IEnumerable<KeyValuePair<string, string?>> settings, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        // Sample files by absolute path: the defaults are relative to the repository root.
        string[] files = args.Contains("--accounts")
            ? []
            : ["--accounts", Ops.Sample("accounts.csv"), "--operators", Ops.Sample("operators.csv"), "--pricing", Ops.Sample("pricing.csv")];
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await new GeneratorCli(configuration, output, error, TimeProvider.System).RunAsync([.. args, .. files], CancellationToken.None);
        return new OpsResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>A fake clock that says when someone starts waiting on it, so a test can move it on only then.</summary>
    private sealed class TimerCountingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
    {
        public SemaphoreSlim TimerCreated { get; } = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.Release();
            return timer;
        }
    }
}
