using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Api;

/// <summary>
/// Malformed input to every parameter of every route: a 400 problem naming the parameter (or 404 for an unknown id),
/// never a 5xx. Well-formed extremes (the first and last representable days, a year's range) are answered 200.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ApiBadInputTests
{
    private const string Key = "bad-input-key-2d3e4f5a6b7c";
    private const string Usage = "/v1/accounts/acc_1001/usage";
    private const string Range = "from=2026-11-01&to=2026-11-30";
    private const string Invoice = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    private TestDatabase _database = null!;
    private ApiHost _api = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartApi()
    {
        _database = await TestDatabase.CreateMigratedAsync(nameof(ApiBadInputTests));
        await Ops.ImportSampleAsync(_database);
        _api = await ApiHost.StartAsync(_database, settings: new Dictionary<string, string?>
        {
            ["Api:RateLimit:TokenLimit"] = "100000",
            ["Api:RateLimit:TokensPerPeriod"] = "100000",
        });
        _api.SetClient("tester", Key);
        _client = _api.Client(Key);
    }

    [OneTimeTearDown]
    public async Task CleanUp()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>(path and query, the parameter the 400 must name).</summary>
    private static readonly (string Path, string Parameter)[] Malformed =
    [
        // GET /v1/accounts/{accountId}/usage
        ($"/v1/accounts/acc%201001/usage?{Range}", "accountId"),
        ($"/v1/accounts/acc_1001%0A/usage?{Range}", "accountId"),
        ($"/v1/accounts/-acc/usage?{Range}", "accountId"),
        ($"/v1/accounts/acc%01x/usage?{Range}", "accountId"),
        ($"/v1/accounts/%C3%A9t%C3%A9/usage?{Range}", "accountId"),
        ($"/v1/accounts/{new string('a', 65)}/usage?{Range}", "accountId"),
        ($"/v1/accounts/%2F/usage?{Range}", "accountId"),
        ($"{Usage}", "from"),
        ($"{Usage}?to=2026-11-30", "from"),
        ($"{Usage}?from=2026-11-01", "to"),
        ($"{Usage}?from=&to=2026-11-30", "from"),
        ($"{Usage}?from=2026-13-01&to=2026-11-30", "from"),
        ($"{Usage}?from=2026-02-30&to=2026-11-30", "from"),
        ($"{Usage}?from=20261101&to=2026-11-30", "from"),
        ($"{Usage}?from=2026-11-1&to=2026-11-30", "from"),
        ($"{Usage}?from=2026-11-01T00:00:00Z&to=2026-11-30", "from"),
        ($"{Usage}?from=01/11/2026&to=2026-11-30", "from"),
        ($"{Usage}?from=%EF%BC%92026-11-01&to=2026-11-30", "from"),
        ($"{Usage}?from=2026-11-01&from=2026-11-02&to=2026-11-30", "from"),
        ($"{Usage}?from=2026-11-01&to=tomorrow", "to"),
        ($"{Usage}?from=2026-11-01&to=10000-01-01", "to"),
        ($"{Usage}?from=2026-11-30&to=2026-11-01", "to"),
        ($"{Usage}?from=2025-01-01&to=2026-01-01", "to"),
        ($"{Usage}?from=0001-01-01&to=9999-12-31", "to"),
        ($"{Usage}?{Range}&granularity=week", "granularity"),
        ($"{Usage}?{Range}&granularity=DAY", "granularity"),
        ($"{Usage}?{Range}&granularity=day&granularity=month", "granularity"),
        // GET /v1/accounts/{accountId}/invoices
        ("/v1/accounts/acc%201001/invoices", "accountId"),
        ("/v1/accounts/acc_1001/invoices?limit=0", "limit"),
        ("/v1/accounts/acc_1001/invoices?limit=101", "limit"),
        ("/v1/accounts/acc_1001/invoices?limit=-1", "limit"),
        ("/v1/accounts/acc_1001/invoices?limit=1.5", "limit"),
        ("/v1/accounts/acc_1001/invoices?limit=ten", "limit"),
        ("/v1/accounts/acc_1001/invoices?limit=99999999999999999999", "limit"),
        ("/v1/accounts/acc_1001/invoices?limit=%2B5", "limit"),
        ("/v1/accounts/acc_1001/invoices?limit=%205", "limit"),
        ("/v1/accounts/acc_1001/invoices?cursor=!!!", "cursor"),
        ("/v1/accounts/acc_1001/invoices?cursor=aGVsbG8", "cursor"),
        ("/v1/accounts/acc_1001/invoices?cursor=SU5WLTIwMjYtMDAwMDAx%3D%3D", "cursor"),
        ("/v1/accounts/acc_1001/invoices?cursor=SU5WLTIwMjYtMDAwMDA", "cursor"),
        ("/v1/accounts/acc_1001/invoices?cursor=SU5WLTIwMjYtMDAwMDAx%0A", "cursor"),
        ("/v1/accounts/acc_1001/invoices?cursor=SU5WLTIwMjYtMDAwMDAxCg", "cursor"),
        ($"/v1/accounts/acc_1001/invoices?cursor={new string('A', 5000)}", "cursor"),
        // GET /v1/invoices/{invoiceId} and .../pdf
        ("/v1/invoices/not-a-uuid", "invoiceId"),
        ("/v1/invoices/42", "invoiceId"),
        ("/v1/invoices/3f2504e04f8941d39a0c0305e82c3301", "invoiceId"),
        ("/v1/invoices/%7B3f2504e0-4f89-41d3-9a0c-0305e82c3301%7D", "invoiceId"),
        ("/v1/invoices/3f2504e0-4f89-41d3-9a0c-0305e82c330", "invoiceId"),
        ("/v1/invoices/INV-2026-000001", "invoiceId"),
        ("/v1/invoices/not-a-uuid/pdf", "invoiceId"),
        ("/v1/invoices/3f2504e0-4f89-41d3-9a0c-0305e82c33g1/pdf", "invoiceId"),
        // GET /v1/pricing/rules
        ("/v1/pricing/rules?tier=Business", "tier"),
        ("/v1/pricing/rules?tier=a%20b", "tier"),
        ($"/v1/pricing/rules?tier={new string('t', 33)}", "tier"),
        ("/v1/pricing/rules?operator=abcde", "operator"),
        ("/v1/pricing/rules?operator=1234", "operator"),
        ("/v1/pricing/rules?operator=1234567", "operator"),
        ("/v1/pricing/rules?operator=63902%0A", "operator"),
        ("/v1/pricing/rules?tier=standard%0A", "tier"),
        ("/v1/pricing/rules?at=yesterday", "at"),
        ("/v1/pricing/rules?at=2026-13-01", "at"),
        ("/v1/pricing/rules?at=2026-11-15T12:00:00", "at"),
        ("/v1/pricing/rules?at=2026-11-15T12:00:00+03:00", "at"),
        ("/v1/pricing/rules?at=2026-11-15T25:00:00Z", "at"),
        ("/v1/pricing/rules?at=0001-01-01T00:00:00%2B01:00", "at"),
        ("/v1/pricing/rules?at=9999-12-31T23:59:59-01:00", "at"),
        ("/v1/pricing/rules?at=1731672000", "at"),
        // GET /v1/pricing/gaps
        ("/v1/pricing/gaps?at=now", "at"),
        ("/v1/pricing/gaps?at=2026-11-15T12:00Z%0A", "at"),
    ];

    private static IEnumerable<TestCaseData> MalformedCases() =>
        Malformed.Select(c => new TestCaseData(c.Path, c.Parameter).SetArgDisplayNames(c.Path.Length > 80 ? c.Path[..80] + "..." : c.Path));

    [TestCaseSource(nameof(MalformedCases))]
    public async Task Malformed_input_is_a_400_problem_naming_the_parameter(string path, string parameter)
    {
        using var response = await _client.GetAsync(path);

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(400));
        Assert.That(problem.GetProperty("errors").TryGetProperty(parameter, out var messages), Is.True, body);
        Assert.That(messages[0].GetString(), Does.StartWith(parameter == "accountId" || parameter == "invoiceId" ? parameter : parameter + " ").Or.Contain(parameter));
        Assert.That(problem.GetProperty("detail").GetString(), Is.Not.Empty);
    }

    [TestCase($"/v1/invoices/{Invoice}")]
    [TestCase($"/v1/invoices/{Invoice}/pdf")]
    [TestCase("/v1/invoices/3F2504E0-4F89-41D3-9A0C-0305E82C3301")]
    public async Task A_well_formed_unknown_invoice_id_is_404_problem_details(string path)
    {
        using var response = await _client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32(), Is.EqualTo(404));
    }

    [TestCase("/v1/nothing-here")]
    [TestCase("/v1/accounts/acc_1001")]
    [TestCase("/v1/invoices/3f2504e0-4f89-41d3-9a0c-0305e82c3301/pdf/extra")]
    [TestCase("/v2/pricing/rules")]
    public async Task An_unknown_path_is_404_problem_details(string path)
    {
        using var response = await _client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [TestCase("POST", "/v1/ops/status")]
    [TestCase("DELETE", $"/v1/invoices/{Invoice}")]
    [TestCase("PUT", "/v1/pricing/rules")]
    public async Task A_write_method_is_405_problem_details(string method, string path)
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}") });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    /// <summary>Well-formed edge values: answered, not refused and never a 5xx.</summary>
    [TestCase($"{Usage}?from=0001-01-01&to=0001-12-31")]
    [TestCase($"{Usage}?from=9999-01-01&to=9999-12-31&granularity=month")]
    [TestCase($"{Usage}?from=9999-12-31&to=9999-12-31")]
    [TestCase($"{Usage}?from=2026-11-30&to=2026-11-30")]
    [TestCase($"{Usage}?from=2024-03-01&to=2025-02-28&granularity=month")]
    [TestCase($"{Usage}?from=2026-11-01&to=2026-11-30&unknown=ignored")]
    [TestCase($"/v1/accounts/{"acc:a.b_c-d"}/usage?{Range}")]
    [TestCase("/v1/accounts/acc_1001/invoices?limit=100")]
    [TestCase("/v1/accounts/acc_1001/invoices?limit=1&cursor=SU5WLTIwMjYtMDAwMDAx")]
    [TestCase("/v1/pricing/rules?at=0001-01-01T00:00:00Z")]
    [TestCase("/v1/pricing/rules?at=9999-12-31T23:59:59.9999999Z")]
    [TestCase("/v1/pricing/rules?at=2026-11-15T12:00:00%2B03:00")]
    [TestCase("/v1/pricing/rules?at=2026-11-15")]
    [TestCase("/v1/pricing/gaps?at=1970-01-01T00:00Z")]
    [TestCase("/v1/ops/status?anything=1")]
    public async Task Edge_values_that_are_well_formed_are_answered(string path)
    {
        using var response = await _client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }
}
