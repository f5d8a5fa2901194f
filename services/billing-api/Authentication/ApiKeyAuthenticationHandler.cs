using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Billing.Api.Authentication;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> with a key of a configured downstream client (<see cref="ApiClientKeys"/>). The
/// authenticated principal's name is the client's name, which the request log and the rate limiter use. A missing or
/// wrong key is answered 401 with <c>WWW-Authenticate: Bearer</c> (RFC 6750) and a problem details body.
/// </summary>
public sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiClientKeys keys,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The authorization policy of every <c>/v1</c> route.</summary>
    public const string PolicyName = "api-client";

    private const string Realm = "billing-api";
    private const string BearerPrefix = "Bearer ";

    private readonly ILogger _log = loggerFactory.CreateLogger<ApiKeyAuthenticationHandler>();

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
        if (headers.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (headers.Count > 1)
        {
            return Task.FromResult(AuthenticateResult.Fail("more than one Authorization header"));
        }
        var header = headers[0] ?? "";
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("the Authorization header is not a Bearer key"));
        }
        var client = keys.FindClient(header.AsSpan(BearerPrefix.Length).Trim());
        if (client is null)
        {
            LogUnknownKey(_log, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return Task.FromResult(AuthenticateResult.Fail("the key is not one of a configured client"));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, client)], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var keyPresented = result.Failure is not null;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        // RFC 6750 section 3: no error code when no credentials were sent, invalid_token when they were wrong.
        Response.Headers[HeaderNames.WWWAuthenticate] = keyPresented
            ? $"Bearer realm=\"{Realm}\", error=\"invalid_token\""
            : $"Bearer realm=\"{Realm}\"";
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = keyPresented
                    ? $"The API key was not accepted: {result.Failure!.Message}."
                    : "Send the client's API key as 'Authorization: Bearer <key>'.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = "Forbidden" },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected an API key that belongs to no configured client (from {RemoteAddress})")]
    private static partial void LogUnknownKey(ILogger logger, string remoteAddress);
}
