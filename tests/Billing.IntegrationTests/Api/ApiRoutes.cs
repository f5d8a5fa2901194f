namespace Billing.IntegrationTests.Api;

/// <summary>One well-formed request to each <c>/v1</c> route, for tests that must cover them all.</summary>
internal static class ApiRoutes
{
    public static readonly string[] EveryRoute =
    [
        "/v1/accounts/acc_1001/usage?from=2026-11-01&to=2026-11-30",
        "/v1/accounts/acc_1001/invoices",
        "/v1/invoices/3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "/v1/invoices/3f2504e0-4f89-41d3-9a0c-0305e82c3301/pdf",
        "/v1/pricing/rules",
        "/v1/pricing/gaps",
        "/v1/ops/status",
    ];
}
