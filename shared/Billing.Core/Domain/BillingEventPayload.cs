using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.Core.Domain;

/// <summary>
/// The wire shape of a billing event, for <em>writing</em> JSON: the event generator and tests publish through it.
/// Every property is nullable and the textual ones are plain strings, so a test can leave a field out
/// (null properties are not written) or put a contract-breaking value in it to exercise the dead-letter path.
/// </summary>
/// <remarks>Inbound events are read by <see cref="BillingEventParser"/>, not deserialized into this type.</remarks>
public sealed record BillingEventPayload(
    int? SchemaVersion,
    string? EventId,
    string? Type,
    string? OccurredAt,
    string? AccountId,
    string? MessageId,
    string? Operator,
    string? Country,
    int? Segments)
{
    /// <summary>The payload of a valid event: schema version 1, lower-case UUID, UTC time with a <c>Z</c> suffix.</summary>
    public static BillingEventPayload FromEvent(BillingEvent billingEvent)
    {
        ArgumentNullException.ThrowIfNull(billingEvent);
        return new BillingEventPayload(
            BillingEventParser.SupportedSchemaVersion,
            billingEvent.EventId.ToString("D"),
            billingEvent.Type.ToWireName(),
            FormatTimestamp(billingEvent.OccurredAt),
            billingEvent.AccountId,
            billingEvent.MessageId,
            billingEvent.Operator,
            billingEvent.Country,
            billingEvent.Segments);
    }

    /// <summary>Serializes the payload to UTF-8 JSON through the source-generated <see cref="BillingJsonContext"/>.</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, BillingJsonContext.Default.BillingEventPayload);

    /// <summary>ISO-8601 in UTC with a <c>Z</c> suffix and only the fractional digits needed, e.g. <c>2026-11-12T10:15:30.123Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Source-generated (reflection-free) JSON metadata for the billing wire types; camelCase, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BillingEventPayload))]
public sealed partial class BillingJsonContext : JsonSerializerContext;
