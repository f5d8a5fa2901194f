using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Billing.Core.Secrets;

/// <summary>
/// Retries for Vault requests: connection failures, an attempt that does not answer, and the statuses Vault's API
/// documentation calls temporary (https://developer.hashicorp.com/vault/api-docs#http-status-codes): 429, 500 ("try again
/// later"), 502 (a third party Vault called failed), 503 ("down for maintenance or currently sealed. Try again later") and
/// 504 from a proxy in front of it. A sealed Vault is retried too, since an operator may be unsealing it; when every
/// attempt finds it sealed the caller says so. Pauses grow exponentially with jitter, and the whole operation is bounded by
/// <see cref="VaultOptions.Timeout"/>, so start-up fails in bounded time rather than hanging.
/// </summary>
/// <remarks>
/// The pauses run on the system clock, not the client's <see cref="TimeProvider"/>: they pace requests to a server, and a
/// test's fake clock (which drives token renewal) must not stall them.
/// </remarks>
internal static class VaultResilience
{
    public const int MaxRetryAttempts = 4;

    /// <summary>One attempt that has not answered in this time is abandoned and retried.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    public static ResiliencePipeline<HttpResponseMessage> Create(VaultOptions options) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(options.Timeout)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(response => IsTransient(response.StatusCode)),
                MaxRetryAttempts = MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = MaxDelay,
            })
            .AddTimeout(options.Timeout < AttemptTimeout ? options.Timeout : AttemptTimeout)
            .Build();

    public static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests
        or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable
        or HttpStatusCode.GatewayTimeout;
}
