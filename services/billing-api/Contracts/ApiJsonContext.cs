using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.Api.Contracts;

/// <summary>
/// Source-generated JSON for every response body: camelCase as ASP.NET Core's web defaults, numbers strictly numbers,
/// the same options the app's JSON options are set to (ApiExtensions), so the generated fast path serializes them.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(InvoicePage))]
[JsonSerializable(typeof(InvoiceWithLines))]
[JsonSerializable(typeof(PricingRuleList))]
[JsonSerializable(typeof(PricingGapList))]
[JsonSerializable(typeof(OpsStatus))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
