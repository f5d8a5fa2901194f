using System.Reflection;
using Billing.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Billing.IntegrationTests.Api;

/// <summary>
/// The OpenAPI document the API serves parses without errors with Microsoft.OpenApi's reader and describes every
/// <c>/v1</c> route the app maps: each parameter its handler takes, the success and problem responses, and the bearer
/// security scheme on each operation.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ApiOpenApiTests
{
    private TestDatabase _database = null!;
    private ApiHost _api = null!;
    private OpenApiDocument _document = null!;
    private List<RouteEndpoint> _v1 = null!;

    [OneTimeSetUp]
    public async Task ReadDocument()
    {
        _database = await TestDatabase.CreateMigratedAsync(nameof(ApiOpenApiTests));
        _api = await ApiHost.StartAsync(_database);
        using var client = _api.Client(key: null);
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.That(response.IsSuccessStatusCode, Is.True);
        var json = await response.Content.ReadAsStringAsync();
        var read = OpenApiDocument.Parse(json, OpenApiConstants.Json, new OpenApiReaderSettings());
        Assert.That(read.Diagnostic?.Errors, Is.Empty, string.Join("\n", read.Diagnostic?.Errors.Select(e => $"{e.Pointer}: {e.Message}") ?? []));
        _document = read.Document!;
        _v1 = [.. _api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true)];
    }

    [OneTimeTearDown]
    public async Task CleanUp()
    {
        await _api.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public void The_document_validates_against_the_openapi_rules()
    {
        var errors = _document.Validate(ValidationRuleSet.GetDefaultRuleSet())?.ToList() ?? [];

        Assert.That(errors.Select(e => $"{e.Pointer}: {e.Message}"), Is.Empty);
        Assert.That(_document.Info.Title, Is.EqualTo("Billing API"));
    }

    [Test]
    public void Every_v1_route_is_in_the_document_and_nothing_else_under_v1()
    {
        Assert.That(_v1, Has.Count.EqualTo(7));
        var mapped = _v1.Select(e => e.RoutePattern.RawText!).Order(StringComparer.Ordinal);
        var documented = _document.Paths.Keys.Where(p => p.StartsWith("/v1/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

        Assert.That(documented, Is.EqualTo(mapped));
    }

    [Test]
    public void Every_operation_documents_each_parameter_its_handler_takes()
    {
        foreach (var endpoint in _v1)
        {
            var operation = Get(endpoint);
            var handler = endpoint.Metadata.OfType<MethodInfo>().Single();
            var bound = handler.GetParameters().Where(p => p.ParameterType == typeof(string)).Select(p => p.Name!.TrimStart('@')).ToList();

            var parameters = operation.Parameters ?? [];
            Assert.That(parameters.Select(p => p.Name), Is.EquivalentTo(bound), endpoint.RoutePattern.RawText);
            foreach (var parameter in parameters)
            {
                var where = $"{endpoint.RoutePattern.RawText} {parameter.Name}";
                Assert.That(parameter.Description, Is.Not.Null.And.Not.Empty, where);
                Assert.That(parameter.Schema?.Type, Is.Not.Null, where);
                Assert.That(parameter.In, endpoint.RoutePattern.GetParameter(parameter.Name!) is null ? Is.EqualTo(ParameterLocation.Query) : Is.EqualTo(ParameterLocation.Path), where);
            }
        }
    }

    [TestCase("/v1/accounts/{accountId}/usage", "from", "date")]
    [TestCase("/v1/accounts/{accountId}/usage", "to", "date")]
    [TestCase("/v1/invoices/{invoiceId}", "invoiceId", "uuid")]
    [TestCase("/v1/pricing/rules", "at", "date-time")]
    public void Required_parameters_and_formats_are_documented(string path, string name, string format)
    {
        var parameter = _document.Paths[path].Operations![HttpMethod.Get].Parameters!.Single(p => p.Name == name);

        Assert.That(parameter.Required, name == "at" ? Is.False : Is.True);
        Assert.That(parameter.Schema!.Format, Is.EqualTo(format));
    }

    [Test]
    public void Every_operation_needs_the_bearer_key_and_documents_its_problem_responses()
    {
        Assert.That(_document.Components?.SecuritySchemes?.TryGetValue("bearer", out var scheme), Is.True);
        Assert.That(_document.Components!.SecuritySchemes!["bearer"].Type, Is.EqualTo(SecuritySchemeType.Http));
        Assert.That(_document.Components.SecuritySchemes["bearer"].Scheme, Is.EqualTo("bearer"));
        foreach (var endpoint in _v1)
        {
            var operation = Get(endpoint);
            var where = endpoint.RoutePattern.RawText!;
            Assert.That(operation.OperationId, Is.Not.Null.And.Not.Empty, where);
            Assert.That(operation.Summary, Is.Not.Null.And.Not.Empty, where);
            Assert.That(operation.Security?.SelectMany(r => r.Keys).Select(k => k.Reference.Id), Is.EqualTo(new[] { "bearer" }), where);
            var responses = operation.Responses!;
            Assert.That(responses.Keys, Does.Contain("200").Or.Contain("302"), where);
            var problems = new List<string> { "401", "429", "503" };
            if (operation.Parameters?.Count > 0)
            {
                problems.Add("400");
            }
            if (where.Contains("{invoiceId}", StringComparison.Ordinal))
            {
                problems.Add("404");
            }
            foreach (var status in problems)
            {
                Assert.That(responses.TryGetValue(status, out var problem), Is.True, $"{where} {status}");
                Assert.That(problem!.Content?.Keys, Does.Contain("application/problem+json"), $"{where} {status}");
            }
            if (responses.TryGetValue("200", out var ok))
            {
                Assert.That(ok.Content?["application/json"].Schema, Is.Not.Null, where);
            }
        }
    }

    [Test]
    public void Amounts_are_documented_as_strings()
    {
        var counts = _document.Components!.Schemas!["UsageCounts"];
        var invoice = _document.Components.Schemas["InvoiceSummary"];

        Assert.That(counts.Properties!["amount"].Type, Is.EqualTo(JsonSchemaType.String));
        Assert.That(counts.Properties["submitted"].Type, Is.EqualTo(JsonSchemaType.Integer));
        Assert.That(new[] { "subtotal", "tax", "total", "taxRate" }.Select(p => invoice.Properties![p].Type), Is.All.EqualTo(JsonSchemaType.String));
    }

    private OpenApiOperation Get(RouteEndpoint endpoint)
    {
        Assert.That(endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods, Is.EqualTo(new[] { "GET" }));
        return _document.Paths[endpoint.RoutePattern.RawText!].Operations![HttpMethod.Get];
    }
}
