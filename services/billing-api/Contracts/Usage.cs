using System.ComponentModel;

namespace Billing.Api.Contracts;

/// <summary>An account's usage over a range of UTC days, per day or month and currency, each with its operators.</summary>
public sealed record UsageResponse(
    string AccountId,
    [property: Description("First UTC day of the range (included).")] DateOnly From,
    [property: Description("Last UTC day of the range (included).")] DateOnly To,
    [property: Description("day or month.")] string Granularity,
    [property: Description("Periods with usage, oldest first (periods without any are left out); one entry per period and currency.")]
    IReadOnlyList<UsagePeriod> Periods,
    [property: Description("The whole range, per currency.")] IReadOnlyList<UsageTotal> Totals);

/// <summary>Usage of one day or month in one currency, with its per-operator breakdown.</summary>
public sealed record UsagePeriod(
    [property: Description("The day, or the first day of the month.")] DateOnly Start,
    [property: Description("ISO 4217 code of the amounts; XXX for events of an account billing does not know.")] string Currency,
    UsageCounts Usage,
    [property: Description("Per destination operator (MCC+MNC), in operator order.")] IReadOnlyList<OperatorUsage> Operators);

/// <summary>One operator's share of a period.</summary>
public sealed record OperatorUsage(
    [property: Description("The destination network's MCC+MNC.")] string Operator,
    UsageCounts Usage);

/// <summary>Totals of the whole range in one currency.</summary>
public sealed record UsageTotal(string Currency, UsageCounts Usage);

/// <summary>Counts of events and what they were rated at, from the usage summaries.</summary>
public sealed record UsageCounts(
    [property: Description("sms.submitted events.")] long Submitted,
    [property: Description("sms.delivered receipts.")] long Delivered,
    [property: Description("sms.failed receipts.")] long Failed,
    [property: Description("sms.expired receipts.")] long Expired,
    [property: Description("Segments of the billable events (those matching their pricing rule's chargeOn).")] long BillableSegments,
    [property: Description("Rated amount, a decimal string with every digit (not rounded to the minor unit).")] string Amount,
    [property: Description("Events stored unrated (no pricing rule, or unknown account): not in the amount until re-rated.")] long Unrated);
