using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace Billing.Core.Domain;

/// <summary>
/// Reads inbound billing events (SPEC section 4) and decides, for each message, between a valid
/// <see cref="BillingEvent"/> and a rejection that names what is wrong.
/// </summary>
/// <remarks>
/// <para>
/// This runs on the ingest hot path, so it reads the payload with a <see cref="Utf8JsonReader"/> in one pass:
/// no reflection, no DOM, and on the happy path no allocations beyond the event's own strings and the result.
/// </para>
/// <para>
/// When a payload breaks several rules, one rejection is reported, chosen in this order: the payload is not
/// UTF-8 JSON object text; <c>schemaVersion</c> (a future version may have different fields, so nothing else is
/// judged against version 1 rules); then the fields in contract order <c>eventId</c>, <c>type</c>, the subject,
/// <c>occurredAt</c>, <c>accountId</c>, <c>messageId</c>, <c>operator</c>, <c>country</c>, <c>segments</c>.
/// </para>
/// <para>
/// Property names are matched exactly (camelCase, case-sensitive). Unknown properties are skipped, whatever their
/// value, so publishers can add fields without breaking this reader. A contract property that appears twice is
/// rejected as <see cref="EventRejectionReason.InvalidJson"/>: parsers disagree about which copy wins, and a
/// billing record must not depend on that.
/// </para>
/// </remarks>
public static class BillingEventParser
{
    /// <summary>The only <c>schemaVersion</c> this reader understands.</summary>
    public const int SupportedSchemaVersion = 1;

    /// <summary>Smallest valid <c>segments</c>.</summary>
    public const int MinSegments = 1;

    /// <summary>Largest valid <c>segments</c>.</summary>
    public const int MaxSegments = 255;

    /// <summary>Longest <c>accountId</c> and <c>messageId</c>, in UTF-16 code units (never more than characters).</summary>
    public const int MaxIdLength = 64;

    // Longer than any ISO-8601 timestamp the reader accepts, escapes included; bounds the stack buffer.
    private const int MaxTimestampBytes = 128;

    private const string ExpectedTypes = "sms.submitted, sms.delivered, sms.failed or sms.expired";

    /// <summary>Parses one message from the stream.</summary>
    /// <param name="subject">The NATS subject the message arrived on.</param>
    /// <param name="utf8Json">The message payload.</param>
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> is null.</exception>
    public static EventParseResult Parse(string subject, ReadOnlySpan<byte> utf8Json)
    {
        ArgumentNullException.ThrowIfNull(subject);

        // The reader checks the UTF-8 of the strings it decodes, not of those it skips; check all of it.
        if (!Utf8.IsValid(utf8Json))
        {
            return Reject(EventRejectionReason.InvalidJson, null, "Payload is not valid UTF-8.");
        }

        var reader = new Utf8JsonReader(utf8Json); // Strict defaults: no comments, no trailing commas, one value.
        try
        {
            return ParseObject(subject, ref reader);
        }
        catch (JsonException ex)
        {
            return Reject(EventRejectionReason.InvalidJson, null, $"Payload is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>Parses one message from the stream whose payload may span several buffers.</summary>
    /// <inheritdoc cref="Parse(string, ReadOnlySpan{byte})"/>
    public static EventParseResult Parse(string subject, in ReadOnlySequence<byte> utf8Json)
    {
        if (utf8Json.IsSingleSegment)
        {
            return Parse(subject, utf8Json.FirstSpan);
        }

        // Rare (events are a few hundred bytes): make it contiguous so UTF-8 validation sees whole characters.
        // The parsed event holds copies, never references into the buffer, so it can go back to the pool.
        int length = checked((int)utf8Json.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            utf8Json.CopyTo(buffer);
            return Parse(subject, buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static EventParseResult ParseObject(string subject, ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            return Reject(EventRejectionReason.InvalidJson, null, "Payload is empty.");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Reject(EventRejectionReason.InvalidJson, null, $"Payload must be a JSON object, got {Describe(ref reader)}.");
        }

        var draft = new Draft();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            Field field = Identify(ref reader);
            reader.Read();
            if (field != Field.Unknown)
            {
                if ((draft.Seen & field.Bit()) != 0)
                {
                    draft.Report(field, EventRejectionReason.InvalidJson, $"Field '{field.Name()}' appears more than once.");
                }
                else
                {
                    draft.Seen |= field.Bit();
                    ReadValue(field, ref reader, ref draft);
                }
            }

            reader.Skip(); // Past the value if it is an object or array; a no-op for a primitive.
        }

        // Reading past the object makes the reader check that only whitespace follows; it throws on anything else.
        if (reader.Read())
        {
            return Reject(EventRejectionReason.InvalidJson, null, "Payload has content after the JSON object.");
        }

        foreach (Field field in Draft.Required)
        {
            if ((draft.Seen & field.Bit()) == 0)
            {
                draft.Report(field, EventRejectionReason.MissingField, $"Required field '{field.Name()}' is missing.");
            }
        }

        if (draft.TypeIsValid && !string.Equals(subject, draft.Type.ToSubject(), StringComparison.Ordinal))
        {
            draft.Report(
                Field.Subject,
                EventRejectionReason.SubjectTypeMismatch,
                $"Subject {Excerpt.Quote(subject)} does not match type '{draft.Type.ToWireName()}', " +
                $"which is published on '{draft.Type.ToSubject()}'.");
        }

        if (draft.Problem is not null)
        {
            return EventParseResult.Rejected(draft.Problem);
        }

        return EventParseResult.Accepted(new BillingEvent(
            draft.EventId,
            draft.Type,
            draft.OccurredAt,
            draft.AccountId!,
            draft.MessageId!,
            draft.Operator!,
            draft.Country!,
            draft.Segments));
    }

    private static Field Identify(ref Utf8JsonReader reader)
    {
        // ValueTextEquals compares the unescaped name without allocating.
        if (reader.ValueTextEquals("schemaVersion"u8)) return Field.SchemaVersion;
        if (reader.ValueTextEquals("eventId"u8)) return Field.EventId;
        if (reader.ValueTextEquals("type"u8)) return Field.Type;
        if (reader.ValueTextEquals("occurredAt"u8)) return Field.OccurredAt;
        if (reader.ValueTextEquals("accountId"u8)) return Field.AccountId;
        if (reader.ValueTextEquals("messageId"u8)) return Field.MessageId;
        if (reader.ValueTextEquals("operator"u8)) return Field.Operator;
        if (reader.ValueTextEquals("country"u8)) return Field.Country;
        if (reader.ValueTextEquals("segments"u8)) return Field.Segments;
        return Field.Unknown;
    }

    private static void ReadValue(Field field, ref Utf8JsonReader reader, ref Draft draft)
    {
        switch (field)
        {
            case Field.SchemaVersion:
                ReadSchemaVersion(ref reader, ref draft);
                break;
            case Field.EventId:
                ReadEventId(ref reader, ref draft);
                break;
            case Field.Type:
                ReadType(ref reader, ref draft);
                break;
            case Field.OccurredAt:
                ReadOccurredAt(ref reader, ref draft);
                break;
            case Field.AccountId:
                if (TryReadString(field, ref reader, ref draft, out string? accountId) && CheckIdLength(field, accountId, ref draft))
                {
                    draft.AccountId = accountId;
                }

                break;
            case Field.MessageId:
                if (TryReadString(field, ref reader, ref draft, out string? messageId) && CheckIdLength(field, messageId, ref draft))
                {
                    draft.MessageId = messageId;
                }

                break;
            case Field.Operator:
                ReadOperator(ref reader, ref draft);
                break;
            case Field.Country:
                ReadCountry(ref reader, ref draft);
                break;
            case Field.Segments:
                ReadSegments(ref reader, ref draft);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(field), field, "Not a contract field.");
        }
    }

    private static void ReadSchemaVersion(ref Utf8JsonReader reader, ref Draft draft)
    {
        const Field field = Field.SchemaVersion;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                draft.Report(field, EventRejectionReason.MissingField, "Required field 'schemaVersion' is null.");
                break;
            case JsonTokenType.Number when reader.TryGetInt32(out int version) && version == SupportedSchemaVersion:
                break;
            case JsonTokenType.Number:
                draft.Report(
                    field,
                    EventRejectionReason.UnsupportedSchemaVersion,
                    $"Field 'schemaVersion' is {RawNumber(ref reader)}; only version {SupportedSchemaVersion} is supported.");
                break;
            default:
                ReportWrongType(field, "an integer", ref reader, ref draft);
                break;
        }
    }

    private static void ReadEventId(ref Utf8JsonReader reader, ref Draft draft)
    {
        const Field field = Field.EventId;
        if (!IsNonEmptyString(field, ref reader, ref draft))
        {
            return;
        }

        if (!reader.TryGetGuid(out Guid eventId))
        {
            draft.Report(field, EventRejectionReason.InvalidField, $"Field 'eventId' must be a UUID, got {QuoteString(ref reader)}.");
        }
        else if (eventId == Guid.Empty)
        {
            // Every publisher bug that sends the nil UUID would collapse into one stored event: refuse it loudly.
            draft.Report(field, EventRejectionReason.InvalidField, "Field 'eventId' must not be the nil UUID.");
        }
        else
        {
            draft.EventId = eventId;
        }
    }

    private static void ReadType(ref Utf8JsonReader reader, ref Draft draft)
    {
        const Field field = Field.Type;
        if (!IsNonEmptyString(field, ref reader, ref draft))
        {
            return;
        }

        if (reader.ValueTextEquals("sms.submitted"u8)) draft.Type = SmsEventType.Submitted;
        else if (reader.ValueTextEquals("sms.delivered"u8)) draft.Type = SmsEventType.Delivered;
        else if (reader.ValueTextEquals("sms.failed"u8)) draft.Type = SmsEventType.Failed;
        else if (reader.ValueTextEquals("sms.expired"u8)) draft.Type = SmsEventType.Expired;
        else
        {
            draft.Report(
                field,
                EventRejectionReason.UnknownType,
                $"Field 'type' is {QuoteString(ref reader)}, which is not an event type; expected {ExpectedTypes}.");
            return;
        }

        draft.TypeIsValid = true;
    }

    private static void ReadOccurredAt(ref Utf8JsonReader reader, ref Draft draft)
    {
        const Field field = Field.OccurredAt;
        if (!IsNonEmptyString(field, ref reader, ref draft))
        {
            return;
        }

        // The reader's ISO-8601 parser reads a timestamp without an offset as local time. Local time of a server is
        // meaningless for an event, so insist on an explicit offset, checked on the unescaped text. The offset is kept
        // here; BillingEvent converts to UTC.
        Span<byte> buffer = stackalloc byte[MaxTimestampBytes];
        bool parsed = reader.ValueSpan.Length <= MaxTimestampBytes
            && HasExplicitOffset(buffer[..reader.CopyString(buffer)])
            && reader.TryGetDateTimeOffset(out draft.OccurredAt);
        if (!parsed)
        {
            draft.Report(
                field,
                EventRejectionReason.InvalidField,
                $"Field 'occurredAt' must be an ISO-8601 timestamp with an offset ('Z' or '+hh:mm'), got {QuoteString(ref reader)}.");
        }
    }

    private static bool HasExplicitOffset(ReadOnlySpan<byte> timestamp)
    {
        if (timestamp.EndsWith("Z"u8))
        {
            return true;
        }

        // ...+hh:mm or ...-hh:mm. A date alone ("2026-11-12") ends "-11-12", which has no colon.
        return timestamp.Length >= 6
            && timestamp[^6] is (byte)'+' or (byte)'-'
            && char.IsAsciiDigit((char)timestamp[^5])
            && char.IsAsciiDigit((char)timestamp[^4])
            && timestamp[^3] == (byte)':'
            && char.IsAsciiDigit((char)timestamp[^2])
            && char.IsAsciiDigit((char)timestamp[^1]);
    }

    private static void ReadOperator(ref Utf8JsonReader reader, ref Draft draft)
    {
        const Field field = Field.Operator;
        if (!TryReadString(field, ref reader, ref draft, out string? value))
        {
            return;
        }

        if (value.Length is not (5 or 6) || value.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            draft.Report(field, EventRejectionReason.InvalidField, $"Field 'operator' must be an MCC+MNC of 5 or 6 digits, got {Excerpt.Quote(value)}.");
            return;
        }

        draft.Operator = value;
    }

    private static void ReadCountry(ref Utf8JsonReader reader, ref Draft draft)
    {
        const Field field = Field.Country;
        if (!TryReadString(field, ref reader, ref draft, out string? value))
        {
            return;
        }

        if (value.Length != 2 || !char.IsAsciiLetter(value[0]) || !char.IsAsciiLetter(value[1]))
        {
            draft.Report(field, EventRejectionReason.InvalidField, $"Field 'country' must be a 2-letter ISO 3166 code, got {Excerpt.Quote(value)}.");
            return;
        }

        draft.Country = char.IsAsciiLetterUpper(value[0]) && char.IsAsciiLetterUpper(value[1])
            ? value
            : value.ToUpperInvariant();
    }

    private static void ReadSegments(ref Utf8JsonReader reader, ref Draft draft)
    {
        const Field field = Field.Segments;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                draft.Report(field, EventRejectionReason.MissingField, "Required field 'segments' is null.");
                break;
            case JsonTokenType.Number when reader.TryGetInt32(out int segments):
                if (segments is < MinSegments or > MaxSegments)
                {
                    draft.Report(
                        field,
                        EventRejectionReason.SegmentsOutOfRange,
                        $"Field 'segments' must be between {MinSegments} and {MaxSegments}, got {segments}.");
                }
                else
                {
                    draft.Segments = segments;
                }

                break;
            case JsonTokenType.Number when reader.ValueSpan.IndexOfAny(".eE"u8) < 0:
                // An integer literal too large for Int32 is still an integer, just far out of range.
                draft.Report(
                    field,
                    EventRejectionReason.SegmentsOutOfRange,
                    $"Field 'segments' must be between {MinSegments} and {MaxSegments}, got {RawNumber(ref reader)}.");
                break;
            case JsonTokenType.Number:
                draft.Report(field, EventRejectionReason.InvalidField, $"Field 'segments' must be an integer, got {RawNumber(ref reader)}.");
                break;
            default:
                ReportWrongType(field, "an integer", ref reader, ref draft);
                break;
        }
    }

    private static bool CheckIdLength(Field field, string value, ref Draft draft)
    {
        if (value.Length <= MaxIdLength)
        {
            return true;
        }

        draft.Report(
            field,
            EventRejectionReason.InvalidField,
            $"Field '{field.Name()}' must be at most {MaxIdLength} characters, got {value.Length}: {Excerpt.Quote(value)}.");
        return false;
    }

    /// <summary>Null, empty and non-string values are reported; a non-empty string is left for the caller.</summary>
    private static bool IsNonEmptyString(Field field, ref Utf8JsonReader reader, ref Draft draft)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String when reader.ValueSpan.IsEmpty:
                draft.Report(field, EventRejectionReason.MissingField, $"Required field '{field.Name()}' is empty.");
                return false;
            case JsonTokenType.String:
                return true;
            case JsonTokenType.Null:
                draft.Report(field, EventRejectionReason.MissingField, $"Required field '{field.Name()}' is null.");
                return false;
            default:
                ReportWrongType(field, "a string", ref reader, ref draft);
                return false;
        }
    }

    private static bool TryReadString(Field field, ref Utf8JsonReader reader, ref Draft draft, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (!IsNonEmptyString(field, ref reader, ref draft))
        {
            return false;
        }

        if (!TryGetString(ref reader, out value))
        {
            draft.Report(field, EventRejectionReason.InvalidField, $"Field '{field.Name()}' is not valid Unicode text (a lone surrogate escape).");
            return false;
        }

        return true;
    }

    private static bool TryGetString(ref Utf8JsonReader reader, [NotNullWhen(true)] out string? value)
    {
        try
        {
            value = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            // Thrown for an escape that decodes to invalid UTF-16, e.g. "\uD800" alone.
            value = null;
            return false;
        }
    }

    private static void ReportWrongType(Field field, string expected, ref Utf8JsonReader reader, ref Draft draft) =>
        draft.Report(field, EventRejectionReason.InvalidField, $"Field '{field.Name()}' must be {expected}, got {Describe(ref reader)}.");

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string {QuoteString(ref reader)}",
        JsonTokenType.Number => $"the number {RawNumber(ref reader)}",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => reader.TokenType.ToString(),
    };

    private static string QuoteString(ref Utf8JsonReader reader) =>
        TryGetString(ref reader, out string? value) ? Excerpt.Quote(value) : "text that is not valid Unicode";

    private static string RawNumber(ref Utf8JsonReader reader) => Excerpt.Number(reader.ValueSpan);

    private static EventParseResult Reject(EventRejectionReason reason, string? field, string message) =>
        EventParseResult.Rejected(new EventRejection(reason, field, message));

    /// <summary>The contract fields in the order their problems are reported. <see cref="Subject"/> is a rank, not a field.</summary>
    private enum Field
    {
        SchemaVersion,
        EventId,
        Type,
        Subject,
        OccurredAt,
        AccountId,
        MessageId,
        Operator,
        Country,
        Segments,
        Unknown,
    }

    private static int Bit(this Field field) => 1 << (int)field;

    private static string Name(this Field field) => field switch
    {
        Field.SchemaVersion => "schemaVersion",
        Field.EventId => "eventId",
        Field.Type => "type",
        Field.OccurredAt => "occurredAt",
        Field.AccountId => "accountId",
        Field.MessageId => "messageId",
        Field.Operator => "operator",
        Field.Country => "country",
        Field.Segments => "segments",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not a contract field."),
    };

    /// <summary>What one pass over the payload found: the values read so far and the highest-ranked problem.</summary>
    private struct Draft
    {
        public static readonly Field[] Required =
        [
            Field.SchemaVersion, Field.EventId, Field.Type, Field.OccurredAt, Field.AccountId,
            Field.MessageId, Field.Operator, Field.Country, Field.Segments,
        ];

        public int Seen;
        public bool TypeIsValid;
        public Guid EventId;
        public SmsEventType Type;
        public DateTimeOffset OccurredAt;
        public string? AccountId;
        public string? MessageId;
        public string? Operator;
        public string? Country;
        public int Segments;
        public EventRejection? Problem;
        private Field _problemField;

        /// <summary>Keeps the problem of the earliest field; the first problem found for a field wins.</summary>
        public void Report(Field field, EventRejectionReason reason, string message)
        {
            if (Problem is null || field < _problemField)
            {
                Problem = new EventRejection(reason, field == Field.Subject ? null : field.Name(), message);
                _problemField = field;
            }
        }
    }
}
