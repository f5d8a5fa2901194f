using Billing.Api.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.OpenApi;

namespace Billing.Api;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c>: every route, parameter and response, the bearer security scheme
/// and where it applies, so downstream teams can generate clients from it.
/// </summary>
internal static class ApiOpenApi
{
    public const string SecuritySchemeId = "bearer";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Billing API",
                Version = "v1",
                Description = """
                    Read-only billing data for downstream services: usage, invoices and their PDFs, pricing rules and
                    gaps, operations status. Every /v1 route needs 'Authorization: Bearer <key>' with the key of a
                    configured client. Errors are RFC 9457 problem details. Amounts are decimal strings that keep every
                    digit, with their ISO 4217 currency code beside them. Days are UTC.
                    """,
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SecuritySchemeId] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The client's API key (an opaque string; the service keeps only its SHA-256).",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(SecuritySchemeId, context.Document)] = [],
                });
            }
            DescribeParameters(operation, context);
            DescribeHeaders(operation);
            return Task.CompletedTask;
        });
    }

    private static void DescribeParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        foreach (var description in context.Description.ParameterDescriptions)
        {
            if (description.ParameterDescriptor is not IParameterInfoParameterDescriptor { ParameterInfo: var info }
                || info.GetCustomAttribute<ApiParameterAttribute>() is not { } api
                || operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == description.Name) is not { } parameter)
            {
                continue;
            }
            parameter.Required |= api.Required;
            parameter.Schema = new OpenApiSchema
            {
                Type = api.Integer ? JsonSchemaType.Integer : JsonSchemaType.String,
                Format = api.Format,
                Pattern = api.Pattern,
                MaxLength = api.MaxLength > 0 ? api.MaxLength : null,
                Minimum = api.Minimum,
                Maximum = api.Maximum,
                Enum = api.Enum?.Select(value => (JsonNode)JsonValue.Create(value)).ToList(),
                Default = api.Default is null ? null : api.Integer ? JsonValue.Create(int.Parse(api.Default, System.Globalization.CultureInfo.InvariantCulture)) : JsonValue.Create(api.Default),
            };
        }
    }

    /// <summary>The headers clients act on: where a redirect goes, the invoice's ETag, when to retry, how to authenticate.</summary>
    private static void DescribeHeaders(OpenApiOperation operation)
    {
        if (operation.Responses is not { } responses)
        {
            return;
        }
        void Add(string status, string header, string description)
        {
            if (responses.TryGetValue(status, out var response) && response is OpenApiResponse concrete)
            {
                concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                concrete.Headers[header] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }
        }
        Add("302", "Location", "The presigned download URL (valid a few minutes).");
        if (responses.ContainsKey("304"))
        {
            Add("200", "ETag", "Strong entity tag of the body: send it as If-None-Match.");
            Add("304", "ETag", "The unchanged entity tag.");
        }
        Add("401", "WWW-Authenticate", "Bearer realm=\"billing-api\" (with error=\"invalid_token\" when a key was sent).");
        Add("429", "Retry-After", "Seconds until the client may send again.");
    }
}

/// <summary>
/// What a parameter accepts, for the OpenAPI document. Handlers take every parameter as a string so that they can answer
/// malformed input with their own 400; this tells clients the real type, format, range and whether it is required.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ApiParameterAttribute : Attribute
{
    public bool Required { get; init; }

    /// <summary>An integer (with <see cref="Minimum"/> and <see cref="Maximum"/>) rather than a string.</summary>
    public bool Integer { get; init; }

    public string? Format { get; init; }

    public string? Pattern { get; init; }

    public int MaxLength { get; init; }

    public string? Minimum { get; init; }

    public string? Maximum { get; init; }

    public string[]? Enum { get; init; }

    public string? Default { get; init; }
}
