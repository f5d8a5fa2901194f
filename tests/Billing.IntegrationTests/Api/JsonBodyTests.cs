using System.Text;
using System.Text.Json;
using Billing.Api;
using Billing.Api.Contracts;
using Billing.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.IntegrationTests.Api;

/// <summary>
/// <see cref="JsonBody{T}"/> (the usage route's result) writes what <c>TypedResults.Ok</c> writes, byte for byte, with
/// its status and content type, also for bodies large enough that the streaming serializer gives up its fast path; both
/// with the app's JSON options (<see cref="ApiExtensions.ConfigureJson"/>).
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class JsonBodyTests
{
    [TestCase(1)]
    [TestCase(31)]
    [TestCase(366)]
    public async Task Writes_the_same_response_as_Ok(int days)
    {
        var usage = Usage(days);

        var (okStatus, okType, okBody) = await ExecuteAsync(TypedResults.Ok(usage));
        var (status, type, body) = await ExecuteAsync(new JsonBody<UsageResponse>(usage, ApiJsonContext.Default.UsageResponse));

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(okStatus).And.EqualTo(200));
            Assert.That(type, Is.EqualTo(okType).And.EqualTo("application/json; charset=utf-8"));
            Assert.That(Encoding.UTF8.GetString(body), Is.EqualTo(Encoding.UTF8.GetString(okBody)));
            // The default encoder's escapes (which the source generator's fast path needs), read back as the same text.
            Assert.That(Encoding.UTF8.GetString(body), Does.StartWith("{\"accountId\":\"acc_\\u00FC\\u00221\","));
            var parsed = JsonSerializer.Deserialize(body, ApiJsonContext.Default.UsageResponse)!;
            Assert.That(parsed.AccountId, Is.EqualTo("acc_ü\"1"));
            Assert.That(parsed.Periods, Has.Count.EqualTo(days));
        });
    }

    [Test]
    public async Task A_large_body_is_written_whole_after_the_streaming_serializer_gave_up_its_fast_path()
    {
        // Ok's serializer samples its first bodies and, once they were large, stops using the fast path for the type:
        // after that, both must still agree.
        var usage = Usage(31);
        for (var i = 0; i < 12; i++)
        {
            await ExecuteAsync(TypedResults.Ok(usage));
        }

        var (_, _, okBody) = await ExecuteAsync(TypedResults.Ok(usage));
        var (_, _, body) = await ExecuteAsync(new JsonBody<UsageResponse>(usage, ApiJsonContext.Default.UsageResponse));

        Assert.That(body, Has.Length.GreaterThan(64 * 1024), "a month by day of 20 operators");
        Assert.That(body, Is.EqualTo(okBody));
    }

    // A range of `days` days by day, 20 operators a day, with amounts of every shape the API writes.
    private static UsageResponse Usage(int days)
    {
        var first = new DateOnly(2026, 1, 1);
        var periods = Enumerable.Range(0, days).Select(d => new UsagePeriod(
            first.AddDays(d), "USD", Counts(d, 0),
            [.. Enumerable.Range(1, 20).Select(o => new OperatorUsage($"621{o:D2}", Counts(d, o)))])).ToList();
        return new UsageResponse("acc_ü\"1", first, first.AddDays(days - 1), "day", periods, [new UsageTotal("USD", Counts(days, 99))]);
    }

    private static UsageCounts Counts(int day, int op) =>
        new(1_000L * day + op, 900L * day, op, 0, long.MaxValue - day, $"{day}.{op:D2}", day % 3);

    // One set of the app's JSON options for every test, as in the app: System.Text.Json keeps its streaming heuristic
    // per options instance.
    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddLogging()
        .ConfigureHttpJsonOptions(ApiExtensions.ConfigureJson)
        .BuildServiceProvider();

    [OneTimeTearDown]
    public static void DisposeServices() => Services.Dispose();

    private static async Task<(int Status, string? ContentType, byte[] Body)> ExecuteAsync(IResult result)
    {
        using var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = Services };
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        await context.Response.CompleteAsync();
        return (context.Response.StatusCode, context.Response.ContentType, body.ToArray());
    }
}
