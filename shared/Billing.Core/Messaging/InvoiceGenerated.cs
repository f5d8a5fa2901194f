using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.Core.Messaging;

/// <summary>
/// <c>billing.invoice.generated</c>: an invoice was issued and its PDF stored (SPEC section 8), for notification-service
/// (which e-mails it) and customer-portal (which shows it). Published with <c>Nats-Msg-Id</c> = invoice id. Money is
/// written as strings in the currency's minor units ("1234.50"), so no consumer parses it into a float.
/// </summary>
public sealed record InvoiceGenerated(
    Guid InvoiceId,
    string InvoiceNumber,
    string AccountId,
    string Period,
    DateOnly PeriodStart,
    DateOnly PeriodEnd,
    string Currency,
    string Subtotal,
    string Tax,
    string Total,
    DateTimeOffset IssuedAt,
    InvoicePdfLocation Pdf);

/// <summary>Where the invoice PDF is: bucket, key and hex SHA-256 of its bytes.</summary>
public sealed record InvoicePdfLocation(string Bucket, string Key, string Sha256);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InvoiceGenerated))]
public sealed partial class InvoiceMessagesJsonContext : JsonSerializerContext;
