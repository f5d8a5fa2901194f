using System.Text.RegularExpressions;

namespace Billing.Api.Http;

/// <summary>
/// The shapes of ids as <c>billing-ops import</c> accepts them, for validation and the OpenAPI document alike. The
/// document's patterns are ECMA-262 (where <c>$</c> is the end); .NET's <c>$</c> also matches before a final newline,
/// so the validating expressions end in <c>\z</c>.
/// </summary>
public static partial class ApiPatterns
{
    public const string AccountId = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$";
    public const string TierCode = "^[a-z0-9][a-z0-9_-]*$";
    public const string MccMnc = "^[0-9]{5,6}$";
    public const string Cursor = "^[A-Za-z0-9_-]+$";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.:-]*\z")]
    public static partial Regex AccountIdRegex();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]*\z")]
    public static partial Regex TierCodeRegex();

    [GeneratedRegex(@"^[0-9]{5,6}\z")]
    public static partial Regex MccMncRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+\z")]
    public static partial Regex CursorRegex();

    [GeneratedRegex(@"^INV-[0-9]{4}-[0-9]{6}\z")]
    public static partial Regex InvoiceNumberRegex();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})\z")]
    public static partial Regex IsoInstantRegex();
}
