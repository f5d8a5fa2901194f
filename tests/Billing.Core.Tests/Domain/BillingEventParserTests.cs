using System.Buffers;
using System.Text;
using Billing.Core.Domain;

namespace Billing.Core.Tests.Domain;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class BillingEventParserTests
{
    private const string SubmittedSubject = "billing.events.sms.submitted";
    private const string DeliveredSubject = "billing.events.sms.delivered";

    /// <summary>Marks a field to leave out of the payload.</summary>
    private const string Absent = "<absent>";

    private static readonly Guid EventId = Guid.Parse("9f1c2b7e-4a1d-4c3e-9b8a-0d6e5f4a3b21");

    private static readonly DateTimeOffset OccurredAt = new(2026, 11, 12, 10, 15, 30, 123, TimeSpan.Zero);

    /// <summary>The SPEC's example event, field by field, as raw JSON values.</summary>
    private static readonly (string Name, string Json)[] ValidFields =
    [
        ("schemaVersion", "1"),
        ("eventId", "\"9f1c2b7e-4a1d-4c3e-9b8a-0d6e5f4a3b21\""),
        ("type", "\"sms.submitted\""),
        ("occurredAt", "\"2026-11-12T10:15:30.123Z\""),
        ("accountId", "\"acc_1042\""),
        ("messageId", "\"msg_77ab\""),
        ("operator", "\"63902\""),
        ("country", "\"KE\""),
        ("segments", "2"),
    ];

    private static readonly BillingEvent Expected = new(EventId, SmsEventType.Submitted, OccurredAt, "acc_1042", "msg_77ab", "63902", "KE", 2);

    // ---- Valid events -------------------------------------------------------------------------------------------

    [TestCase("sms.submitted", SubmittedSubject, SmsEventType.Submitted)]
    [TestCase("sms.delivered", DeliveredSubject, SmsEventType.Delivered)]
    [TestCase("sms.failed", "billing.events.sms.failed", SmsEventType.Failed)]
    [TestCase("sms.expired", "billing.events.sms.expired", SmsEventType.Expired)]
    public void Valid_event_of_each_type_parses_to_exactly_the_expected_record(string type, string subject, SmsEventType expectedType)
    {
        BillingEvent parsed = AssertAccepted(BillingEventParser.Parse(subject, Payload(("type", Quoted(type)))));

        Assert.That(parsed, Is.EqualTo(Expected with { Type = expectedType }));
        Assert.That(parsed.OccurredAt.Offset, Is.EqualTo(TimeSpan.Zero));
    }

    [TestCase("2026-11-12T13:15:30.123+03:00", "2026-11-12T10:15:30.1230000Z")]
    [TestCase("2026-11-12T04:45:30.123-05:30", "2026-11-12T10:15:30.1230000Z")]
    [TestCase("2026-11-12T01:00:00+03:00", "2026-11-11T22:00:00.0000000Z")]
    [TestCase("2026-11-12T10:15:30Z", "2026-11-12T10:15:30.0000000Z")]
    [TestCase("2026-11-12T10:15:30.1234567Z", "2026-11-12T10:15:30.1234567Z")]
    [TestCase("2026-11-12T10:15:30.123-00:00", "2026-11-12T10:15:30.1230000Z")]
    public void Occurred_at_with_an_offset_is_normalised_to_utc(string occurredAt, string expectedUtc)
    {
        BillingEvent parsed = AssertAccepted(Parse(("occurredAt", Quoted(occurredAt))));

        Assert.That(parsed.OccurredAt.Offset, Is.EqualTo(TimeSpan.Zero));
        Assert.That(parsed.OccurredAt.UtcDateTime.ToString("O"), Is.EqualTo(expectedUtc));
    }

    [Test]
    public void Unknown_extra_properties_are_ignored_whatever_their_value()
    {
        const string extra =
            """
            , "priority": "high", "cost": 1.5, "tags": ["a", {"b": null}], "dlr": null, "flag": true,
            "meta": {"segments": 999, "type": "sms.bounced", "schemaVersion": 7}, "Type": "another name"}
            """;
        string json = Json(ValidFields)[..^1] + extra;

        Assert.That(AssertAccepted(Parse(SubmittedSubject, json)), Is.EqualTo(Expected));
    }

    [Test]
    public void Properties_may_come_in_any_order()
    {
        string json = Json(ValidFields.Reverse());

        Assert.That(AssertAccepted(Parse(SubmittedSubject, json)), Is.EqualTo(Expected));
    }

    [Test]
    public void Escaped_names_and_values_are_read_unescaped()
    {
        string json = Json(ValidFields)
            .Replace("\"type\"", "\"\\u0074ype\"", StringComparison.Ordinal)
            .Replace("acc_1042", "acc\\u005f1042", StringComparison.Ordinal)
            .Replace("63902", "\\u00363902", StringComparison.Ordinal)
            .Replace("2026-11-12T10:15:30.123Z", "2026-11-12T10:15:30.123\\u005A", StringComparison.Ordinal);

        Assert.That(AssertAccepted(Parse(SubmittedSubject, json)), Is.EqualTo(Expected));
    }

    [Test]
    public void Whitespace_around_tokens_is_allowed() =>
        Assert.That(AssertAccepted(Parse(SubmittedSubject, "\n\t " + Json(ValidFields).Replace(",", " ,\r\n ", StringComparison.Ordinal) + " \n")), Is.EqualTo(Expected));

    [TestCase("ke", "KE")]
    [TestCase("Ke", "KE")]
    [TestCase("gB", "GB")]
    public void Country_is_normalised_to_upper_case(string country, string expected) =>
        Assert.That(AssertAccepted(Parse(("country", Quoted(country)))).Country, Is.EqualTo(expected));

    [TestCase("63902")]
    [TestCase("310260")]
    [TestCase("00101")]
    public void Operator_of_five_or_six_digits_is_accepted(string @operator) =>
        Assert.That(AssertAccepted(Parse(("operator", Quoted(@operator)))).Operator, Is.EqualTo(@operator));

    [TestCase("1", 1)]
    [TestCase("2", 2)]
    [TestCase("255", 255)]
    public void Segments_from_1_to_255_are_accepted(string segments, int expected) =>
        Assert.That(AssertAccepted(Parse(("segments", segments))).Segments, Is.EqualTo(expected));

    [Test]
    public void Event_id_in_upper_case_is_the_same_uuid() =>
        Assert.That(AssertAccepted(Parse(("eventId", Quoted(EventId.ToString().ToUpperInvariant())))).EventId, Is.EqualTo(EventId));

    [Test]
    public void Ids_of_exactly_64_characters_are_accepted()
    {
        string id = new('x', 64);

        BillingEvent parsed = AssertAccepted(Parse(("accountId", Quoted(id)), ("messageId", Quoted(id))));

        Assert.That((parsed.AccountId, parsed.MessageId), Is.EqualTo((id, id)));
    }

    [Test]
    public void Payload_split_across_buffers_parses_like_a_contiguous_one()
    {
        // "é" is two bytes in UTF-8; split the payload between them.
        byte[] json = Payload(("accountId", Quoted("acc_é")));
        int cut = Array.IndexOf(json, (byte)0xC3) + 1;
        ReadOnlySequence<byte> sequence = Segment.Sequence(json[..cut], json[cut..]);
        Assert.That(sequence.IsSingleSegment, Is.False);

        BillingEvent parsed = AssertAccepted(BillingEventParser.Parse(SubmittedSubject, sequence));

        Assert.That(parsed, Is.EqualTo(Expected with { AccountId = "acc_é" }));
    }

    [Test]
    public void Single_buffer_sequence_parses_like_a_span() =>
        Assert.That(AssertAccepted(BillingEventParser.Parse(SubmittedSubject, new ReadOnlySequence<byte>(Payload()))), Is.EqualTo(Expected));

    [Test]
    public void Null_subject_is_a_programming_error() =>
        Assert.That(() => BillingEventParser.Parse(null!, Payload()), Throws.ArgumentNullException);

    // ---- InvalidJson --------------------------------------------------------------------------------------------

    [TestCase("", TestName = "Empty payload is invalid json")]
    [TestCase("   ", TestName = "Whitespace payload is invalid json")]
    [TestCase("not json", TestName = "Plain text is invalid json")]
    [TestCase("[1, 2]", TestName = "Array payload is invalid json")]
    [TestCase("\"sms.submitted\"", TestName = "String payload is invalid json")]
    [TestCase("42", TestName = "Number payload is invalid json")]
    [TestCase("null", TestName = "Null payload is invalid json")]
    [TestCase("{\"schemaVersion\": 1", TestName = "Truncated object is invalid json")]
    [TestCase("{\"schemaVersion\": 1,}", TestName = "Trailing comma is invalid json")]
    [TestCase("{'schemaVersion': 1}", TestName = "Single quoted name is invalid json")]
    [TestCase("// comment\n{}", TestName = "Comment is invalid json")]
    [TestCase("{} {}", TestName = "Two objects are invalid json")]
    [TestCase("{}x", TestName = "Content after the object is invalid json")]
    public void Payload_that_is_not_one_json_object_is_rejected_as_invalid_json(string payload)
    {
        EventRejection rejection = AssertRejected(Parse(SubmittedSubject, payload), EventRejectionReason.InvalidJson, field: null);

        Assert.That(rejection.Message, Does.Contain("JSON"));
    }

    [Test]
    public void Payload_that_is_not_utf8_is_rejected_as_invalid_json()
    {
        byte[] payload = Payload(("accountId", Quoted("acc_X")));
        payload[Array.IndexOf(payload, (byte)'X')] = 0xFF;

        EventRejection rejection = AssertRejected(BillingEventParser.Parse(SubmittedSubject, payload), EventRejectionReason.InvalidJson, field: null);

        Assert.That(rejection.Message, Does.Contain("UTF-8"));
    }

    [Test]
    public void Invalid_utf8_is_rejected_even_inside_a_property_that_would_be_ignored()
    {
        byte[] payload = Encoding.UTF8.GetBytes(Json(ValidFields)[..^1] + ", \"note\": \"X\"}");
        payload[Array.LastIndexOf(payload, (byte)'X')] = 0xC3; // a lead byte with no continuation

        AssertRejected(BillingEventParser.Parse(SubmittedSubject, payload), EventRejectionReason.InvalidJson, field: null);
    }

    [Test]
    public void Contract_field_given_twice_is_rejected_naming_it()
    {
        string json = Json(ValidFields)[..^1] + ", \"segments\": 3}";

        EventRejection rejection = AssertRejected(Parse(SubmittedSubject, json), EventRejectionReason.InvalidJson, "segments");

        Assert.That(rejection.Message, Does.Contain("'segments'").And.Contain("more than once"));
    }

    [Test]
    public void Unknown_field_given_twice_is_ignored() =>
        AssertAccepted(Parse(SubmittedSubject, Json(ValidFields)[..^1] + ", \"note\": 1, \"note\": 2}"));

    [Test]
    public void Invalid_json_is_reported_before_any_field_problem() =>
        AssertRejected(Parse(SubmittedSubject, "{\"schemaVersion\": 2, \"segments\": 0,"), EventRejectionReason.InvalidJson, field: null);

    // ---- schemaVersion ------------------------------------------------------------------------------------------

    [TestCase("2")]
    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("1.5")]
    [TestCase("1.0")]
    [TestCase("99999999999999")]
    public void Schema_version_other_than_1_is_unsupported_and_named(string version)
    {
        EventRejection rejection = AssertRejected(Parse(("schemaVersion", version)), EventRejectionReason.UnsupportedSchemaVersion, "schemaVersion");

        Assert.That(rejection.Message, Does.Contain("'schemaVersion' is " + version));
    }

    [Test]
    public void Schema_version_is_judged_before_fields_a_future_version_may_have_changed()
    {
        // Version 2 renamed everything and moved schemaVersion to the end: what matters is the version.
        const string json = """{"id": 5, "kind": "sms.sent", "segments": "two", "schemaVersion": 2}""";

        AssertRejected(Parse(SubmittedSubject, json), EventRejectionReason.UnsupportedSchemaVersion, "schemaVersion");
    }

    [TestCase(Absent, EventRejectionReason.MissingField)]
    [TestCase("null", EventRejectionReason.MissingField)]
    [TestCase("\"1\"", EventRejectionReason.InvalidField)]
    [TestCase("true", EventRejectionReason.InvalidField)]
    public void Schema_version_missing_or_not_a_number_is_reported_before_other_fields(string version, EventRejectionReason reason)
    {
        EventRejection rejection = AssertRejected(Parse(("schemaVersion", version), ("segments", "0"), ("accountId", Absent)), reason, "schemaVersion");

        Assert.That(rejection.Message, Does.Contain("'schemaVersion'"));
    }

    // ---- MissingField -------------------------------------------------------------------------------------------

    private static IEnumerable<TestCaseData> MissingFieldCases()
    {
        foreach ((string name, _) in ValidFields.Skip(1))
        {
            yield return new TestCaseData(name, Absent, "missing").SetName($"Event without {name} is rejected naming the field");
            yield return new TestCaseData(name, "null", "null").SetName($"Event with null {name} is rejected naming the field");
            if (name != "segments")
            {
                yield return new TestCaseData(name, "\"\"", "empty").SetName($"Event with empty {name} is rejected naming the field");
            }
        }
    }

    [TestCaseSource(nameof(MissingFieldCases))]
    public void Missing_field_is_rejected_naming_the_field(string field, string value, string says)
    {
        EventRejection rejection = AssertRejected(Parse((field, value)), EventRejectionReason.MissingField, field);

        Assert.That(rejection.Message, Does.Contain($"'{field}'").And.Contain(says));
    }

    [Test]
    public void Event_without_segments_is_rejected_naming_the_field()
    {
        EventRejection rejection = AssertRejected(Parse(("segments", Absent)), EventRejectionReason.MissingField, "segments");

        Assert.That(rejection.Message, Is.EqualTo("Required field 'segments' is missing."));
    }

    [Test]
    public void Empty_object_is_missing_its_schema_version_first() =>
        AssertRejected(Parse(SubmittedSubject, "{}"), EventRejectionReason.MissingField, "schemaVersion");

    // ---- InvalidField -------------------------------------------------------------------------------------------

    [TestCase("eventId", "42", "must be a string, got the number 42")]
    [TestCase("eventId", "\"not-a-uuid\"", "must be a UUID, got 'not-a-uuid'")]
    [TestCase("eventId", "\"9f1c2b7e4a1d4c3e9b8a0d6e5f4a3b21\"", "must be a UUID")]
    [TestCase("eventId", "\"{9f1c2b7e-4a1d-4c3e-9b8a-0d6e5f4a3b21}\"", "must be a UUID")]
    [TestCase("eventId", "\"9f1c2b7e-4a1d-4c3e-9b8a-0d6e5f4a3b2\"", "must be a UUID")]
    [TestCase("eventId", "\"00000000-0000-0000-0000-000000000000\"", "nil UUID")]
    [TestCase("type", "true", "must be a string, got true")]
    [TestCase("occurredAt", "1762942530", "must be a string, got the number 1762942530")]
    [TestCase("occurredAt", "\"2026-11-12T10:15:30.123\"", "with an offset ('Z' or '+hh:mm'), got '2026-11-12T10:15:30.123'")]
    [TestCase("occurredAt", "\"2026-11-12T10:15:30\"", "got '2026-11-12T10:15:30'")]
    [TestCase("occurredAt", "\"2026-11-12\"", "got '2026-11-12'")]
    [TestCase("occurredAt", "\"2026-11-12T10:15:30+0300\"", "got '2026-11-12T10:15:30+0300'")]
    [TestCase("occurredAt", "\"2026-13-12T10:15:30Z\"", "got '2026-13-12T10:15:30Z'")]
    [TestCase("occurredAt", "\"12/11/2026 10:15:30 +03:00\"", "got '12/11/2026 10:15:30 +03:00'")]
    [TestCase("occurredAt", "\"yesterday Z\"", "got 'yesterday Z'")]
    [TestCase("accountId", "1042", "must be a string, got the number 1042")]
    [TestCase("messageId", "{\"id\": 1}", "must be a string, got an object")]
    [TestCase("operator", "63902", "must be a string, got the number 63902")]
    [TestCase("operator", "\"6390\"", "5 or 6 digits, got '6390'")]
    [TestCase("operator", "\"6390212\"", "5 or 6 digits, got '6390212'")]
    [TestCase("operator", "\"639O2\"", "5 or 6 digits, got '639O2'")]
    [TestCase("operator", "\" 63902\"", "5 or 6 digits, got ' 63902'")]
    [TestCase("operator", "\"６３９０２\"", "5 or 6 digits, got '６３９０２'")]
    [TestCase("country", "[\"KE\"]", "must be a string, got an array")]
    [TestCase("country", "\"KEN\"", "2-letter ISO 3166 code, got 'KEN'")]
    [TestCase("country", "\"K\"", "got 'K'")]
    [TestCase("country", "\"K1\"", "got 'K1'")]
    [TestCase("country", "\"ÄB\"", "got 'ÄB'")]
    [TestCase("segments", "\"2\"", "must be an integer, got the string '2'")]
    [TestCase("segments", "2.5", "must be an integer, got 2.5")]
    [TestCase("segments", "2.0", "must be an integer, got 2.0")]
    [TestCase("segments", "1e2", "must be an integer, got 1e2")]
    [TestCase("segments", "true", "must be an integer, got true")]
    public void Field_with_a_wrong_type_or_format_is_rejected_naming_the_field_and_value(string field, string value, string says)
    {
        EventRejection rejection = AssertRejected(Parse((field, value)), EventRejectionReason.InvalidField, field);

        Assert.That(rejection.Message, Does.Contain($"'{field}'").And.Contain(says));
    }

    [TestCase("accountId")]
    [TestCase("messageId")]
    public void Id_longer_than_64_characters_is_rejected_naming_the_field_and_length(string field)
    {
        EventRejection rejection = AssertRejected(Parse((field, Quoted(new string('x', 65)))), EventRejectionReason.InvalidField, field);

        Assert.That(rejection.Message, Does.Contain($"'{field}'").And.Contain("at most 64").And.Contain("got 65"));
    }

    [Test]
    public void Escape_that_is_not_valid_unicode_is_rejected_naming_the_field()
    {
        EventRejection rejection = AssertRejected(Parse(("accountId", "\"acc_\\uD800\"")), EventRejectionReason.InvalidField, "accountId");

        Assert.That(rejection.Message, Does.Contain("not valid Unicode"));
    }

    // ---- UnknownType --------------------------------------------------------------------------------------------

    [TestCase("sms.bounced")]
    [TestCase("SMS.SUBMITTED")]
    [TestCase("submitted")]
    [TestCase("sms.submitted ")]
    public void Unknown_type_is_rejected_naming_the_value(string type)
    {
        EventRejection rejection = AssertRejected(Parse(("type", Quoted(type))), EventRejectionReason.UnknownType, "type");

        Assert.That(rejection.Message, Does.Contain($"'{type}'").And.Contain("sms.submitted, sms.delivered, sms.failed or sms.expired"));
    }

    // ---- SubjectTypeMismatch ------------------------------------------------------------------------------------

    [TestCase(DeliveredSubject, "sms.submitted", TestName = "Submitted payload on the delivered subject is a mismatch")]
    [TestCase(SubmittedSubject, "sms.delivered", TestName = "Delivered payload on the submitted subject is a mismatch")]
    [TestCase("billing.events.sms.failed", "sms.expired", TestName = "Expired payload on the failed subject is a mismatch")]
    [TestCase("billing.events.sms.bounced", "sms.submitted", TestName = "Unknown subject is a mismatch")]
    [TestCase("billing.events.SMS.SUBMITTED", "sms.submitted", TestName = "Subject in another case is a mismatch")]
    [TestCase("sms.submitted", "sms.submitted", TestName = "Subject without its prefix is a mismatch")]
    [TestCase("", "sms.submitted", TestName = "Empty subject is a mismatch")]
    public void Subject_must_be_the_one_for_the_payload_type(string subject, string type)
    {
        EventRejection rejection = AssertRejected(BillingEventParser.Parse(subject, Payload(("type", Quoted(type)))), EventRejectionReason.SubjectTypeMismatch, field: null);

        Assert.That(rejection.Message, Does.Contain($"'{subject}'").And.Contain($"'{type}'").And.Contain($"'billing.events.{type}'"));
    }

    [Test]
    public void Unknown_type_is_reported_rather_than_a_subject_mismatch() =>
        AssertRejected(BillingEventParser.Parse("billing.events.sms.bounced", Payload(("type", "\"sms.bounced\""))), EventRejectionReason.UnknownType, "type");

    // ---- SegmentsOutOfRange -------------------------------------------------------------------------------------

    [TestCase("0")]
    [TestCase("256")]
    [TestCase("-1")]
    [TestCase("-0")]
    [TestCase("2147483648")]
    [TestCase("123456789012345678901234567890")]
    public void Segments_outside_1_to_255_are_out_of_range_and_named(string segments)
    {
        EventRejection rejection = AssertRejected(Parse(("segments", segments)), EventRejectionReason.SegmentsOutOfRange, "segments");

        string shown = segments == "-0" ? "0" : segments;
        Assert.That(rejection.Message, Does.Contain("'segments'").And.Contain("between 1 and 255").And.Contain("got " + shown));
    }

    // ---- Messages and precedence --------------------------------------------------------------------------------

    [Test]
    public void Long_bad_value_is_truncated_in_the_message()
    {
        string type = "sms." + new string('x', 5000);

        EventRejection rejection = AssertRejected(Parse(("type", Quoted(type))), EventRejectionReason.UnknownType, "type");

        Assert.That(rejection.Message, Has.Length.LessThan(250).And.Contain("(5004 chars)").And.Contain("'sms.xxxx"));
    }

    [Test]
    public void Control_and_bidi_characters_in_a_bad_value_are_escaped_in_the_message()
    {
        EventRejection rejection = AssertRejected(Parse(("type", "\"sms.\\nsub\\u202Emitted\\u0000\"")), EventRejectionReason.UnknownType, "type");

        Assert.That(rejection.Message, Does.Contain(@"'sms.\u000asub\u202emitted\u0000'"));
        Assert.That(rejection.Message, Does.Not.Contain("\n").And.Not.Contain("\u202E").And.Not.Contain("\0"));
    }

    [Test]
    public void When_several_fields_are_wrong_the_first_in_contract_order_is_reported()
    {
        // Written in reverse contract order, so the first problem read is not the one reported.
        const string json = """
            {"segments": 0, "country": "KEN", "operator": "1", "accountId": null, "occurredAt": "2026-11-12",
             "type": "sms.delivered", "eventId": "9f1c2b7e-4a1d-4c3e-9b8a-0d6e5f4a3b21", "schemaVersion": 1}
            """;

        EventRejection rejection = AssertRejected(Parse(SubmittedSubject, json), EventRejectionReason.SubjectTypeMismatch, field: null);

        Assert.That(rejection.Message, Does.Contain(SubmittedSubject));
    }

    [TestCase("eventId", "type", EventRejectionReason.InvalidField)]
    [TestCase("occurredAt", "accountId", EventRejectionReason.InvalidField)]
    [TestCase("operator", "country", EventRejectionReason.InvalidField)]
    [TestCase("country", "segments", EventRejectionReason.InvalidField)]
    public void Earlier_field_problem_wins_over_a_later_one(string earlier, string later, EventRejectionReason reason) =>
        AssertRejected(Parse((later, "false"), (earlier, "false")), reason, earlier);

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private static BillingEvent AssertAccepted(EventParseResult result)
    {
        Assert.That(result.IsAccepted, Is.True, () => $"Expected the event to be accepted, but it was rejected: {result.Rejection}");
        return result.Event!;
    }

    private static EventRejection AssertRejected(EventParseResult result, EventRejectionReason reason, string? field)
    {
        Assert.That(result.IsAccepted, Is.False, () => $"Expected a rejection ({reason}), but the event was accepted: {result.Event}");
        EventRejection rejection = result.Rejection!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Event, Is.Null);
            Assert.That(rejection.Reason, Is.EqualTo(reason), rejection.Message);
            Assert.That(rejection.Field, Is.EqualTo(field), rejection.Message);
            Assert.That(rejection.Message, Is.Not.Empty);
        }

        return rejection;
    }

    private static EventParseResult Parse(params (string Field, string Json)[] changes) =>
        BillingEventParser.Parse(SubmittedSubject, Payload(changes));

    private static EventParseResult Parse(string subject, string json) =>
        BillingEventParser.Parse(subject, Encoding.UTF8.GetBytes(json));

    /// <summary>The SPEC's example with some fields replaced by raw JSON values, or left out when the value is <see cref="Absent"/>.</summary>
    private static byte[] Payload(params (string Field, string Json)[] changes)
    {
        var fields = ValidFields.ToList();
        foreach ((string field, string json) in changes)
        {
            int index = fields.FindIndex(f => f.Name == field);
            Assert.That(index, Is.Not.Negative, $"test bug: no field {field}");
            fields[index] = (field, json);
        }

        return Encoding.UTF8.GetBytes(Json(fields.Where(f => f.Json != Absent)));
    }

    private static string Json(IEnumerable<(string Name, string Json)> fields) =>
        "{" + string.Join(", ", fields.Select(f => $"\"{f.Name}\": {f.Json}")) + "}";

    private static string Quoted(string value) => "\"" + value + "\"";

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Sequence(byte[] first, byte[] second)
        {
            var head = new Segment(first, 0);
            var tail = new Segment(second, first.Length);
            head.Next = tail;
            return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
        }
    }
}
