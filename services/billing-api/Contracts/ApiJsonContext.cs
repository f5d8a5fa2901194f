using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.Api.Contracts;

/// <summary>Source-generated JSON for every response body (camelCase, as ASP.NET Core's web defaults).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(InvoicePage))]
[JsonSerializable(typeof(InvoiceWithLines))]
[JsonSerializable(typeof(PricingRuleList))]
[JsonSerializable(typeof(PricingGapList))]
[JsonSerializable(typeof(OpsStatus))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
