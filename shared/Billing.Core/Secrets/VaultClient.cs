using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Polly;
using Polly.Timeout;

namespace Billing.Core.Secrets;

/// <summary>One version of a KV v2 secret: its configuration keys and values. <see cref="ToString"/> shows no value.</summary>
public sealed class VaultSecret(string path, int version, IReadOnlyDictionary<string, string?> values)
{
    /// <summary>As operators write it: <c>secret/billing/common</c>.</summary>
    public string Path { get; } = path;

    public int Version { get; } = version;

    public IReadOnlyDictionary<string, string?> Values { get; } = values;

    public override string ToString() => $"{Path} version {Version} ({Values.Count} key(s))";
}

/// <summary>
/// The small, typed Vault client the service needs (VaultSharp is not served): Kubernetes auth login, token auth with
/// lookup-self, KV version 2 reads, and token renewal before expiry, on <see cref="HttpClient"/> with retries for transient
/// failures (<see cref="VaultResilience"/>). Every failure is a <see cref="VaultException"/> whose message names the address,
/// the operation and the path, never a credential or a secret value.
/// </summary>
/// <remarks>
/// Renewal follows Vault's own agent: renew at two thirds of the lease (<see cref="RenewalDueAt"/>, on the injected
/// <see cref="TimeProvider"/>); with Kubernetes auth, log in again when the token is not renewable, when renewal is refused,
/// or when Vault renews it for less than a third of the login's lease (the token nears its maximum TTL). A token from
/// <c>Vault__Token</c> can only be renewed; when it expires, so does access. Reads renew an overdue token first, so a
/// client that sat idle past its renewal still works as long as the token (or, with Kubernetes auth, the pod's JWT) does.
/// </remarks>
public sealed class VaultClient : IDisposable
{
    private const string TokenHeader = "X-Vault-Token";

    private readonly VaultOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private volatile TokenLease? _lease;
    private TimeSpan _loginLease;

    /// <param name="options">Settings already checked with <see cref="VaultOptions.Validate"/>.</param>
    /// <param name="time">The clock leases are counted on.</param>
    public VaultClient(VaultOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = new Uri(options.BaseAddress + "/"),
            // Each attempt and the whole operation are bounded by the resilience pipeline instead.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _pipeline = VaultResilience.Create(options);
    }

    public string Address => _options.BaseAddress;

    /// <summary>The policies Vault attached to the token at login or lookup (names only), for reports.</summary>
    public IReadOnlyList<string> Policies { get; private set; } = [];

    /// <summary>When the token expires; null before login or for a token that never expires.</summary>
    public DateTimeOffset? ExpiresAt => _lease is { Lease.Ticks: > 0 } lease ? lease.ObtainedAt + lease.Lease : null;

    /// <summary>
    /// When <see cref="RenewAsync"/> should run: two thirds into the lease. Null before login, for a token that never
    /// expires, and for a <c>Vault__Token</c> that is not renewable (nothing can extend it).
    /// </summary>
    public DateTimeOffset? RenewalDueAt => _lease is { Lease.Ticks: > 0 } lease
        && (lease.Renewable || _options.EffectiveAuthMethod == VaultAuthMethod.Kubernetes)
            ? lease.ObtainedAt + TimeSpan.FromTicks(lease.Lease.Ticks * 2 / 3)
            : null;

    /// <summary>Logs in with Kubernetes auth, or looks up <c>Vault__Token</c> to learn its lease.</summary>
    public Task LoginAsync(CancellationToken cancellationToken) => UnderTokenLockAsync(LoginCoreAsync, cancellationToken);

    /// <summary>
    /// Extends the token's lease with <c>renew-self</c>, or with Kubernetes auth logs in again where renewal cannot or did not
    /// help (see the class remarks). Throws <see cref="VaultException"/> when neither works.
    /// </summary>
    public Task RenewAsync(CancellationToken cancellationToken) => UnderTokenLockAsync(RenewCoreAsync, cancellationToken);

    /// <summary>Reads the current version of <c>&lt;KvMount&gt;/billing/&lt;name&gt;</c>; its keys are configuration keys.</summary>
    public async Task<VaultSecret> ReadSecretAsync(string name, CancellationToken cancellationToken)
    {
        var path = _options.SecretPath(name);
        var operation = $"reading {path}";
        var token = await CurrentTokenAsync(cancellationToken);
        var (response, attempts) = await SendAsync(
            () => Request(HttpMethod.Get, $"v1/{_options.KvMount}/data/{VaultOptions.Folder}/{Uri.EscapeDataString(name)}", token),
            operation, path, cancellationToken);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(response, attempts, operation, path, cancellationToken);
            }
            var body = await ReadBodyAsync(response, VaultJsonContext.Default.KvReadResponse, operation, path, cancellationToken);
            if (body.Data?.Data is not { } data)
            {
                throw new VaultException(VaultFailure.NotFound,
                    $"secret {path} at Vault {Address} has no data (its current version {body.Data?.Metadata?.Version} is deleted or destroyed): " +
                    $"write it again (vault kv put {path} KEY=value ...)", path);
            }
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (key, value) in data)
            {
                values[key] = value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Null => null,
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                    _ => throw new VaultException(VaultFailure.Refused,
                        $"secret {path} at Vault {Address}: key '{key}' holds a JSON {value.ValueKind.ToString().ToLowerInvariant()}, " +
                        "not a value: store each configuration value as a string under its own key (e.g. Section__Name)", path),
                };
            }
            return new VaultSecret(path, body.Data.Metadata?.Version ?? 0, values);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _tokenLock.Dispose();
    }

    /// <summary>The token to send: logs in first if needed, and renews it first when renewal is overdue.</summary>
    private async Task<string> CurrentTokenAsync(CancellationToken cancellationToken)
    {
        if (_lease is { } current && !(RenewalDueAt <= _time.GetUtcNow()))
        {
            return current.Token;
        }
        await _tokenLock.WaitAsync(cancellationToken);
        try
        {
            if (_lease is null)
            {
                await LoginCoreAsync(cancellationToken);
            }
            else if (RenewalDueAt <= _time.GetUtcNow())
            {
                await RenewCoreAsync(cancellationToken);
            }
            return _lease!.Token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    /// <summary>One login or renewal at a time, so concurrent callers do not each log in.</summary>
    private async Task UnderTokenLockAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        await _tokenLock.WaitAsync(cancellationToken);
        try
        {
            await action(cancellationToken);
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private async Task LoginCoreAsync(CancellationToken cancellationToken)
    {
        var lease = _options.EffectiveAuthMethod == VaultAuthMethod.Kubernetes
            ? await KubernetesLoginAsync(cancellationToken)
            : await LookupTokenAsync(cancellationToken);
        _loginLease = lease.Lease;
        _lease = lease;
    }

    private async Task RenewCoreAsync(CancellationToken cancellationToken)
    {
        var lease = _lease ?? throw new InvalidOperationException("Log in to Vault before renewing the token.");
        var kubernetes = _options.EffectiveAuthMethod == VaultAuthMethod.Kubernetes;
        if (lease.Renewable)
        {
            try
            {
                var renewed = await RenewSelfAsync(lease.Token, cancellationToken);
                if (!kubernetes || renewed.Lease.Ticks * 3 >= _loginLease.Ticks)
                {
                    _lease = renewed;
                    return;
                }
                // Renewed for less than a third of the login's lease: the token nears its maximum TTL; log in afresh.
            }
            catch (VaultException e) when (kubernetes && e.Failure is VaultFailure.PermissionDenied or VaultFailure.Refused)
            {
                // Revoked, expired or past its maximum TTL: the pod's JWT gets a new token.
            }
        }
        if (kubernetes)
        {
            await LoginCoreAsync(cancellationToken);
        }
    }

    private async Task<TokenLease> KubernetesLoginAsync(CancellationToken cancellationToken)
    {
        var operation = $"logging in with {_options.AuthDescription}";
        var jwt = await ReadJwtAsync(cancellationToken);
        var (response, attempts) = await SendAsync(() =>
        {
            var request = Request(HttpMethod.Post, $"v1/auth/{_options.AuthMount}/login", token: null);
            request.Content = JsonContent.Create(new KubernetesLoginRequest { Role = _options.Role, Jwt = jwt }, VaultJsonContext.Default.KubernetesLoginRequest);
            return request;
        }, operation, path: null, cancellationToken);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(response, attempts, operation, path: null, cancellationToken,
                    denied: "check that the role binds this pod's service account and namespace " +
                            "(bound_service_account_names, bound_service_account_namespaces) and that Vault can review its token");
            }
            return ToLease(await ReadBodyAsync(response, VaultJsonContext.Default.VaultAuthResponse, operation, null, cancellationToken), currentToken: null, operation);
        }
    }

    private async Task<TokenLease> LookupTokenAsync(CancellationToken cancellationToken)
    {
        const string operation = "looking up Vault__Token (auth/token/lookup-self)";
        var token = _options.Token.Trim();
        var (response, attempts) = await SendAsync(() => Request(HttpMethod.Get, "v1/auth/token/lookup-self", token), operation, null, cancellationToken);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(response, attempts, operation, path: null, cancellationToken,
                    denied: "the token is unknown, expired or revoked: get a new one (vault login) and set Vault__Token");
            }
            var body = await ReadBodyAsync(response, VaultJsonContext.Default.VaultTokenLookupResponse, operation, null, cancellationToken);
            var data = body.Data ?? throw NotAsDocumented(operation, "no data");
            Policies = data.Policies ?? [];
            return new TokenLease(token, _time.GetUtcNow(), TimeSpan.FromSeconds(data.Ttl), data.Renewable);
        }
    }

    private async Task<TokenLease> RenewSelfAsync(string token, CancellationToken cancellationToken)
    {
        const string operation = "renewing the token (auth/token/renew-self)";
        var (response, attempts) = await SendAsync(() =>
        {
            var request = Request(HttpMethod.Post, "v1/auth/token/renew-self", token);
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            return request;
        }, operation, null, cancellationToken);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(response, attempts, operation, path: null, cancellationToken,
                    denied: "the token is expired or revoked");
            }
            return ToLease(await ReadBodyAsync(response, VaultJsonContext.Default.VaultAuthResponse, operation, null, cancellationToken), token, operation);
        }
    }

    private TokenLease ToLease(VaultAuthResponse body, string? currentToken, string operation)
    {
        // renew-self keeps the token's id; take the one Vault answers with all the same, should a proxy differ.
        var token = body.Auth?.ClientToken is { Length: > 0 } issued ? issued : currentToken;
        if (body.Auth is null || token is null)
        {
            throw NotAsDocumented(operation, "no auth.client_token");
        }
        if (body.Auth.Policies is { } policies)
        {
            Policies = policies;
        }
        return new TokenLease(token, _time.GetUtcNow(), TimeSpan.FromSeconds(body.Auth.LeaseDuration), body.Auth.Renewable);
    }

    private async Task<string> ReadJwtAsync(CancellationToken cancellationToken)
    {
        string jwt;
        try
        {
            jwt = (await File.ReadAllTextAsync(_options.JwtPath, cancellationToken)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VaultException(VaultFailure.Configuration,
                $"cannot read the service-account token for Vault's Kubernetes auth from {_options.JwtPath}: {e.Message} " +
                "(set Vault__JwtPath, or Vault__AuthMethod=token with Vault__Token for local use)", innerException: e);
        }
        return jwt.Length > 0
            ? jwt
            : throw new VaultException(VaultFailure.Configuration, $"the service-account token file {_options.JwtPath} is empty");
    }

    private static HttpRequestMessage Request(HttpMethod method, string relativeUri, string? token)
    {
        var request = new HttpRequestMessage(method, relativeUri);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation(TokenHeader, token);
        }
        return request;
    }

    /// <summary>Sends through the retry pipeline; a new request per attempt. Returns the last answer and how many attempts it took.</summary>
    private async Task<(HttpResponseMessage Response, int Attempts)> SendAsync(
        Func<HttpRequestMessage> request, string operation, string? path, CancellationToken cancellationToken)
    {
        var attempts = new StrongBox<int>();
        try
        {
            var response = await _pipeline.ExecuteAsync(static async (state, token) =>
            {
                state.attempts.Value++;
                using var message = state.request();
                return await state.http.SendAsync(message, HttpCompletionOption.ResponseContentRead, token);
            }, (request, http: _http, attempts), cancellationToken);
            return (response, attempts.Value);
        }
        catch (TimeoutRejectedException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VaultException(VaultFailure.Unreachable,
                $"Vault at {Address} did not answer {operation} within {Seconds(e.Timeout)} ({Attempts(attempts.Value)})", path, e);
        }
        catch (HttpRequestException e)
        {
            throw new VaultException(VaultFailure.Unreachable,
                $"cannot reach Vault at {Address} while {operation}: {e.Message} ({Attempts(attempts.Value)})", path, e);
        }
    }

    /// <summary>The exception for an error answer, in Vault's terms (its <c>errors</c> text) and the operator's (what to do).</summary>
    private async Task<VaultException> FailureAsync(HttpResponseMessage response, int attempts, string operation, string? path,
        CancellationToken cancellationToken, string? denied = null)
    {
        var errors = await ErrorsAsync(response, cancellationToken);
        var status = (int)response.StatusCode;
        var said = $"{status.ToString(CultureInfo.InvariantCulture)}: {(errors.Length > 0 ? errors : response.ReasonPhrase)}";
        var tries = attempts > 1 ? $", {Attempts(attempts)}" : "";
        return response.StatusCode switch
        {
            HttpStatusCode.ServiceUnavailable when errors.Contains("sealed", StringComparison.OrdinalIgnoreCase) =>
                new VaultException(VaultFailure.Sealed,
                    $"Vault at {Address} is sealed ({said}{tries}) while {operation}: unseal it (vault operator unseal) and try again", path),
            _ when VaultResilience.IsTransient(response.StatusCode) =>
                new VaultException(VaultFailure.Unavailable, $"Vault at {Address} is unavailable ({said}{tries}) while {operation}", path),
            HttpStatusCode.Forbidden when path is not null =>
                new VaultException(VaultFailure.PermissionDenied,
                    $"Vault at {Address} denied {operation} ({said}): the token's policies must grant \"read\" on {_options.PolicyPath} " +
                    $"(helm/billing-service/files/vault-policy.hcl){RoleHint}{ExpiryHint}", path),
            HttpStatusCode.Forbidden =>
                new VaultException(VaultFailure.PermissionDenied, $"Vault at {Address} refused {operation} ({said}): {denied}", path),
            HttpStatusCode.NotFound when path is not null =>
                new VaultException(VaultFailure.NotFound,
                    $"secret {path} not found in Vault at {Address} ({said}): write it (vault kv put {path} KEY=value ...) " +
                    "or leave it out of Vault__Secrets", path),
            _ => new VaultException(VaultFailure.Refused, $"Vault at {Address} refused {operation} ({said})", path),
        };
    }

    /// <summary>A token past its lease is refused with the same 403 as a missing policy; say so when that is the case.</summary>
    private string ExpiryHint => ExpiresAt is { } expiry && expiry <= _time.GetUtcNow()
        ? $"; or the token expired at {expiry.ToString("O", CultureInfo.InvariantCulture)} and could not be renewed"
        : "";

    private string RoleHint => _options.EffectiveAuthMethod == VaultAuthMethod.Kubernetes
        ? $", attached to the Kubernetes auth role '{_options.Role}'"
        : "";

    /// <summary>
    /// Vault's <c>errors</c> array as one line. Vault often wraps a message as <c>"1 error occurred:\n\t* permission denied\n\n"</c>;
    /// the wrapping is dropped. Empty when the body is not Vault's error JSON.
    /// </summary>
    internal static async Task<string> ErrorsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        VaultErrorResponse? body;
        try
        {
            body = await response.Content.ReadFromJsonAsync(VaultJsonContext.Default.VaultErrorResponse, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return "";
        }
        var lines = (body?.Errors ?? [])
            .SelectMany(error => error.Split('\n'))
            .Select(line => line.Trim().TrimStart('*').Trim())
            .Where(line => line.Length > 0 && !(line.EndsWith(" occurred:", StringComparison.Ordinal) && char.IsAsciiDigit(line[0])));
        var text = string.Join("; ", lines);
        return text.Length <= 300 ? text : text[..300] + "...";
    }

    private async Task<T> ReadBodyAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        string operation, string? path, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken) ?? throw NotAsDocumented(operation, "an empty body", path);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw NotAsDocumented(operation, "a body that is not Vault's JSON", path, e);
        }
    }

    private VaultException NotAsDocumented(string operation, string what, string? path = null, Exception? inner = null) =>
        new(VaultFailure.Refused, $"Vault at {Address} answered {operation} with {what}, not what Vault's API documents", path, inner);

    private static string Attempts(int attempts) => attempts == 1 ? "1 attempt" : $"{attempts.ToString(CultureInfo.InvariantCulture)} attempts";

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    /// <summary>The token in use and its lease. Not a record: a record's ToString would print the token.</summary>
    private sealed class TokenLease(string token, DateTimeOffset obtainedAt, TimeSpan lease, bool renewable)
    {
        public string Token { get; } = token;

        public DateTimeOffset ObtainedAt { get; } = obtainedAt;

        /// <summary>Zero for a token that never expires.</summary>
        public TimeSpan Lease { get; } = lease;

        public bool Renewable { get; } = renewable;
    }
}
