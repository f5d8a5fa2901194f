using System.Text.RegularExpressions;

namespace Billing.Api.Http;

/// <summary>The shapes of ids as <c>billing-ops import</c> accepts them, for validation and the OpenAPI document alike.</summary>
public static partial class ApiPatterns
{
    public const string AccountId = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$";
    public const string TierCode = "^[a-z0-9][a-z0-9_-]*$";
    public const string MccMnc = "^[0-9]{5,6}$";

    [GeneratedRegex(AccountId)]
    public static partial Regex AccountIdRegex();

    [GeneratedRegex(TierCode)]
    public static partial Regex TierCodeRegex();

    [GeneratedRegex(MccMnc)]
    public static partial Regex MccMncRegex();
}
