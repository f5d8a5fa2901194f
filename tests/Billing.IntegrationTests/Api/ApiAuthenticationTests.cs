using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.IntegrationTests.Infrastructure;
using Serilog.Events;

namespace Billing.IntegrationTests.Api;

/// <summary>
/// Bearer API keys per client, configured as SHA-256 hashes: anything but a configured client's key gets 401 problem
/// details on every <c>/v1</c> route; health, metrics and the OpenAPI document need none; the client's name is logged,
/// its key never; each client has its own rate limit.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ApiAuthenticationTests
{
    private const string PortalKey = "portal-key-5b0e1c7a9d2f4e6b8a3c";
    private const string NotifierKey = "notifier-key-0f9e8d7c6b5a4f3e2d1c";
    private const string RetiredKey = "retired-key-7a6b5c4d3e2f1a0b9c8d";

    private TestDatabase _database = null!;
    private ApiHost _api = null!;

    [OneTimeSetUp]
    public async Task StartApi()
    {
        _database = await TestDatabase.CreateMigratedAsync(nameof(ApiAuthenticationTests));
        _api = await ApiHost.StartAsync(_database, settings: new Dictionary<string, string?>
        {
            // Two requests at once, then one an hour: the third request in a row is refused.
            ["Api:RateLimit:TokenLimit"] = "2",
            ["Api:RateLimit:TokensPerPeriod"] = "1",
            ["Api:RateLimit:ReplenishmentPeriod"] = "01:00:00",
            // The request log, to check what it says about clients and keys.
            ["Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware"] = "Information",
        });
        _api.SetClient("portal", PortalKey);
        _api.SetClient("notifier", NotifierKey);
        _api.SetClient("retired", RetiredKey);
        // A client removed from the configuration (a Vault refresh, say) while the API runs.
        _api.RemoveClient("retired");
    }

    [OneTimeTearDown]
    public async Task CleanUp()
    {
        await _api.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static IEnumerable<TestCaseData> RejectedRequests()
    {
        foreach (var route in ApiRoutes.EveryRoute)
        {
            yield return new TestCaseData(route, null, false).SetArgDisplayNames(route, "no key");
            yield return new TestCaseData(route, "Bearer wrong-key-0000", true).SetArgDisplayNames(route, "wrong key");
            yield return new TestCaseData(route, $"Bearer {RetiredKey}", true).SetArgDisplayNames(route, "removed client's key");
            yield return new TestCaseData(route, $"Bearer {ApiHost.Sha256Hex(PortalKey)}", true).SetArgDisplayNames(route, "the hash instead of the key");
            yield return new TestCaseData(route, $"Basic {PortalKey}", true).SetArgDisplayNames(route, "not a bearer key");
            yield return new TestCaseData(route, "Bearer ", true).SetArgDisplayNames(route, "empty key");
            yield return new TestCaseData(route, $"Bearer {PortalKey}x", true).SetArgDisplayNames(route, "key with a character more");
            yield return new TestCaseData(route, $"Bearer {new string('k', 5000)}", true).SetArgDisplayNames(route, "a 5,000-character key");
        }
    }

    [TestCaseSource(nameof(RejectedRequests))]
    public async Task Every_v1_route_answers_401_problem_details_without_a_configured_clients_key(string route, string? authorization, bool keySent)
    {
        using var client = _api.Client(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(401));
        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.That(challenge.Scheme, Is.EqualTo("Bearer"));
        Assert.That(challenge.Parameter, keySent ? Does.Contain("error=\"invalid_token\"") : Does.Not.Contain("error="));
    }

    [Test]
    public async Task A_configured_clients_key_is_accepted_on_every_v1_route()
    {
        using var client = _api.Client("unused");
        foreach (var route in ApiRoutes.EveryRoute)
        {
            // A fresh client name per route, so the rate limit of the fixture does not interfere.
            var name = $"every-route-{Array.IndexOf(ApiRoutes.EveryRoute, route)}";
            var key = $"key-of-{name}-{Guid.NewGuid():N}";
            _api.SetClient(name, key);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

            using var response = await client.GetAsync(route);

            Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.Unauthorized).And.Not.EqualTo(HttpStatusCode.TooManyRequests), route);
            Assert.That((int)response.StatusCode, Is.LessThan(500), route);
        }
    }

    [Test]
    public async Task A_client_added_after_start_is_accepted_and_rejected_again_once_removed()
    {
        const string key = "late-client-key-1234567890";
        using var client = _api.Client(key);
        Assert.That((await client.GetAsync("/v1/ops/status")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        _api.SetClient("late", key);
        Assert.That((await client.GetAsync("/v1/ops/status")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        _api.RemoveClient("late");
        Assert.That((await client.GetAsync("/v1/ops/status")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCase("/healthz")]
    [TestCase("/readyz")]
    [TestCase("/metrics")]
    [TestCase("/openapi/v1.json")]
    public async Task Health_metrics_and_the_openapi_document_need_no_key(string path)
    {
        using var client = _api.Client(key: null);

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Requests_are_logged_with_the_client_name_and_never_the_key()
    {
        const string key = "logged-client-key-9f8e7d6c5b4a";
        _api.SetClient("logged-client", key);
        using var client = _api.Client(key);
        using var wrong = _api.Client("not-a-key-of-anyone-3c4d5e6f");

        Assert.That((await client.GetAsync("/v1/ops/status?marker=logged")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await wrong.GetAsync("/v1/ops/status?marker=wrong")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var completed = await _api.Log.WaitForAsync(e => Property(e, "RequestPath") == "\"/v1/ops/status\""
            && Property(e, "StatusCode") == "200" && Property(e, "client") == "\"logged-client\"", TimeSpan.FromSeconds(10));
        Assert.That(completed, Is.Not.Null, () => "the request log names the client; logged:\n" + string.Join("\n", _api.Log.Events.Select(CapturedLog.Render)));
        var rejected = await _api.Log.WaitForAsync(e => e.Level == LogEventLevel.Warning
            && e.MessageTemplate.Text.Contains("belongs to no configured client", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.That(rejected, Is.Not.Null, () => "a rejected key is logged as a warning; logged:\n" + string.Join("\n", _api.Log.Events.Select(CapturedLog.Render)));
        await _api.Log.WaitForAsync(e => Property(e, "RequestPath") == "\"/v1/ops/status\"" && Property(e, "StatusCode") == "401",
            TimeSpan.FromSeconds(10));
        var events = _api.Log.Events;
        var everything = string.Join("\n", events.Select(CapturedLog.Render));
        Assert.That(everything, Does.Not.Contain(key).And.Not.Contain("not-a-key-of-anyone").And.Not.Contain(PortalKey));
        Assert.That(everything, Does.Not.Contain(ApiHost.Sha256Hex(key)), "not even the configured hash");
    }

    private static string? Property(LogEvent e, string name) => e.Properties.TryGetValue(name, out var value) ? value.ToString() : null;

    [Test]
    public async Task Each_client_has_its_own_rate_limit_and_a_refused_request_gets_429_problem_details_with_retry_after()
    {
        const string hasty = "hasty-client-key-0a1b2c3d4e5f";
        const string patient = "patient-client-key-6a7b8c9d0e1f";
        _api.SetClient("hasty", hasty);
        _api.SetClient("patient", patient);
        using var hastyClient = _api.Client(hasty);
        using var patientClient = _api.Client(patient);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await hastyClient.GetAsync("/v1/ops/status")).StatusCode);
        }
        using var refused = await hastyClient.GetAsync("/v1/pricing/gaps");
        using var other = await patientClient.GetAsync("/v1/ops/status");

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(refused.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32(), Is.EqualTo(429));
        Assert.That(refused.Headers.RetryAfter?.Delta, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromHours(1)));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another client is not limited by the first");
    }
}
