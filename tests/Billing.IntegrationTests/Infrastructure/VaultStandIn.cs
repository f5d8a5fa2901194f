using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Billing.Core.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>One request the stand-in answered: what a test asserts on (which token, at what time on the test's clock).</summary>
public sealed record VaultRequest(string Method, string Path, string? Token, DateTimeOffset At, int Status);

/// <summary>
/// An in-process HTTP stand-in for Vault (no Vault or OpenBao server can be installed here), on Kestrel at 127.0.0.1 on a
/// free port. It answers the requests the billing client makes exactly as Vault's HTTP API documentation shows them:
/// <list type="bullet">
/// <item>every error as <c>{"errors": [...]}</c>; 403 for a missing, unknown or expired <c>X-Vault-Token</c>; 503
/// <c>{"errors":["Vault is sealed"]}</c> for every request while sealed (https://developer.hashicorp.com/vault/api-docs,
/// "HTTP status codes": "503 - Vault is down for maintenance or is currently sealed");</item>
/// <item><c>POST /v1/auth/kubernetes/login</c> with <c>{"role","jwt"}</c>: 400 <c>invalid role name</c> for an unknown
/// role, 403 <c>permission denied</c> for a JWT it does not know, else <c>{"auth": {"client_token", "accessor",
/// "policies", "metadata", "lease_duration", "renewable"}}</c>
/// (https://developer.hashicorp.com/vault/api-docs/auth/kubernetes#login);</item>
/// <item><c>GET /v1/auth/token/lookup-self</c>: <c>{"data": {"id", "ttl", "renewable", "policies", "expire_time", ...}}</c>
/// (https://developer.hashicorp.com/vault/api-docs/auth/token#lookup-a-token-self);</item>
/// <item><c>POST /v1/auth/token/renew-self</c>: the same token with a new lease, capped at its maximum TTL, in
/// <c>{"auth": {...}}</c>; 400 <c>lease is not renewable</c> for a token that is not
/// (https://developer.hashicorp.com/vault/api-docs/auth/token#renew-a-token-self);</item>
/// <item><c>GET /v1/secret/data/billing/&lt;name&gt;</c>: <c>{"data": {"data": {...}, "metadata": {"created_time",
/// "custom_metadata", "deletion_time", "destroyed", "version"}}}</c>, 404 <c>{"errors":[]}</c> for a missing secret, 403
/// <c>1 error occurred: * permission denied</c> where the token's policy does not reach
/// (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#read-secret-version).</item>
/// </list>
/// Tokens expire on the test's <see cref="TimeProvider"/>, so a client that renews too late is refused as by Vault.
/// Failures can be injected: the next N requests answered with a status, or their connection aborted.
/// </summary>
public sealed class VaultStandIn : IAsyncDisposable
{
    public const string Role = "billing";
    public const string BillingPolicy = "billing-read";

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredSecret> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<VaultRequest> _requests = new();
    private readonly ConcurrentQueue<int> _failures = new();

    private VaultStandIn(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
        Directory.CreateDirectory(Path.GetDirectoryName(JwtPath)!);
        File.WriteAllText(JwtPath, Jwt + "\n");
    }

    /// <summary>A file holding <see cref="Jwt"/>, where Kubernetes would mount the pod's service-account token.</summary>
    public string JwtPath { get; } = Path.Combine(Path.GetTempPath(), $"vault-stand-in-{Guid.NewGuid():N}", "token");

    /// <summary>Settings for Kubernetes auth as <see cref="Role"/>, with short retry pauses for tests.</summary>
    public VaultOptions KubernetesOptions(string? secrets = null) => new()
    {
        Address = Address,
        AuthMethod = "kubernetes",
        Role = Role,
        JwtPath = JwtPath,
        Secrets = secrets ?? "",
        RetryDelay = TimeSpan.FromMilliseconds(10),
        Timeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>Settings for token auth with <paramref name="token"/>, with short retry pauses for tests.</summary>
    public VaultOptions TokenOptions(string token, string? secrets = null) => new()
    {
        Address = Address,
        AuthMethod = "token",
        Token = token,
        Secrets = secrets ?? "",
        RetryDelay = TimeSpan.FromMilliseconds(10),
        Timeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>Kubernetes auth settings as configuration keys (<c>Vault:Address</c>, ...), as the environment would give them.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Configuration() =>
    [
        new("Vault:Address", Address),
        new("Vault:AuthMethod", "kubernetes"),
        new("Vault:Role", Role),
        new("Vault:JwtPath", JwtPath),
        new("Vault:RetryDelay", "00:00:00.010"),
    ];

    /// <summary><c>http://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string Address { get; private set; } = "";

    /// <summary>The service-account JWT the Kubernetes role accepts (a random string; the stand-in does not parse JWTs).</summary>
    public string Jwt { get; } = "eyJhbGciOiJSUzI1NiJ9." + RandomPart() + "." + RandomPart();

    /// <summary>The lease of a token from a Kubernetes login (the role's <c>token_ttl</c>).</summary>
    public TimeSpan LoginLease { get; set; } = TimeSpan.FromHours(1);

    public bool LoginRenewable { get; set; } = true;

    /// <summary>The role's <c>token_max_ttl</c>: renewal never extends a token past this from its login.</summary>
    public TimeSpan LoginMaxTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>While true, every request gets 503 <c>Vault is sealed</c>.</summary>
    public bool Sealed { get; set; }

    /// <summary>Secret names under <c>billing/</c> that the role's policy does not reach (as a narrower policy would).</summary>
    public ConcurrentDictionary<string, bool> Denied { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request answered, in order.</summary>
    public IReadOnlyList<VaultRequest> Requests => [.. _requests];

    public static async Task<VaultStandIn> StartAsync(TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var standIn = new VaultStandIn(app, time ?? TimeProvider.System);
        standIn.Map();
        await app.StartAsync();
        standIn.Address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return standIn;
    }

    /// <summary>Writes a new version of <c>secret/billing/&lt;name&gt;</c> (as <c>vault kv put</c> would).</summary>
    public void PutSecret(string name, IReadOnlyDictionary<string, string?> data) =>
        _secrets.AddOrUpdate(name,
            _ => new StoredSecret(1, data, _time.GetUtcNow()),
            (_, old) => new StoredSecret(old.Version + 1, data, _time.GetUtcNow()));

    /// <summary>A token as <c>vault token create -ttl=... -renewable=...</c> would make (<paramref name="ttl"/> 0: never expires).</summary>
    public string CreateToken(TimeSpan ttl, bool renewable, bool canReadBilling = true)
    {
        var token = NewToken();
        var now = _time.GetUtcNow();
        _tokens[token] = new IssuedToken(ttl, renewable, now, ttl == TimeSpan.Zero ? null : now + ttl, null,
            canReadBilling ? ["default", BillingPolicy] : ["default"]);
        return token;
    }

    /// <summary>Revokes every token issued so far (<c>vault token revoke</c>).</summary>
    public void RevokeAll() => _tokens.Clear();

    /// <summary>The next <paramref name="count"/> requests are answered with <paramref name="status"/> (0: connection aborted).</summary>
    public void FailNext(int count, int status)
    {
        for (var i = 0; i < count; i++)
        {
            _failures.Enqueue(status);
        }
    }

    /// <summary>When the token now expires on the test's clock; null if it never does or does not exist.</summary>
    public DateTimeOffset? ExpiryOf(string token) => _tokens.TryGetValue(token, out var issued) ? issued.ExpiresAt : null;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(JwtPath)!, recursive: true);
    }

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            if (_failures.TryDequeue(out var failure))
            {
                if (failure == 0)
                {
                    Record(context, 0);
                    context.Abort();
                    return;
                }
                await Errors(context, failure, failure == 502 ? "error making upstream request" : "internal error");
                return;
            }
            if (Sealed)
            {
                await Errors(context, 503, "Vault is sealed");
                return;
            }
            await next(context);
        });

        _app.MapPost("/v1/auth/kubernetes/login", LoginAsync);
        _app.MapGet("/v1/auth/token/lookup-self", LookupSelfAsync);
        _app.MapPost("/v1/auth/token/renew-self", RenewSelfAsync);
        _app.MapGet("/v1/secret/data/{**path}", ReadAsync);
        _app.MapFallback(context => Errors(context, 404, $"no handler for route \"{context.Request.Path.Value?.TrimStart('/')}\". route entry not found."));
    }

    private async Task LoginAsync(HttpContext context)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body);
        }
        catch (JsonException)
        {
            await Errors(context, 400, "failed to parse JSON input");
            return;
        }
        var role = body?["role"]?.GetValue<string>();
        var jwt = body?["jwt"]?.GetValue<string>();
        if (string.IsNullOrEmpty(role))
        {
            await Errors(context, 400, "missing role");
            return;
        }
        if (role != Role)
        {
            await Errors(context, 400, $"invalid role name \"{role}\"");
            return;
        }
        if (jwt != Jwt)
        {
            await Errors(context, 403, "permission denied");
            return;
        }
        var token = NewToken();
        var now = _time.GetUtcNow();
        var issued = new IssuedToken(LoginLease, LoginRenewable, now, now + LoginLease, now + LoginMaxTtl, ["default", BillingPolicy]);
        _tokens[token] = issued;
        await Json(context, 200, Envelope(auth: Auth(token, issued, LoginLease)));
    }

    private async Task LookupSelfAsync(HttpContext context)
    {
        if (await Authenticate(context) is not var (token, issued))
        {
            return;
        }
        var now = _time.GetUtcNow();
        var ttl = issued.ExpiresAt is { } expiry ? (long)(expiry - now).TotalSeconds : 0;
        await Json(context, 200, Envelope(data: new JsonObject
        {
            ["accessor"] = Accessor(token),
            ["creation_time"] = issued.IssuedAt.ToUnixTimeSeconds(),
            ["creation_ttl"] = (long)issued.Ttl.TotalSeconds,
            ["display_name"] = "token",
            ["entity_id"] = "",
            ["expire_time"] = issued.ExpiresAt?.ToString("O"),
            ["explicit_max_ttl"] = 0,
            ["id"] = token,
            ["issue_time"] = issued.IssuedAt.ToString("O"),
            ["meta"] = null,
            ["num_uses"] = 0,
            ["orphan"] = false,
            ["path"] = "auth/token/create",
            ["policies"] = new JsonArray([.. issued.Policies.Select(p => JsonValue.Create(p))]),
            ["renewable"] = issued.Renewable,
            ["ttl"] = ttl,
            ["type"] = "service",
        }));
    }

    private async Task RenewSelfAsync(HttpContext context)
    {
        if (await Authenticate(context) is not var (token, issued))
        {
            return;
        }
        if (!issued.Renewable)
        {
            await Errors(context, 400, "lease is not renewable");
            return;
        }
        var now = _time.GetUtcNow();
        var lease = issued.Ttl;
        if (issued.MaxExpiresAt is { } max && now + lease > max)
        {
            lease = max - now;
        }
        var renewed = issued with { ExpiresAt = now + lease };
        _tokens[token] = renewed;
        await Json(context, 200, Envelope(auth: Auth(token, renewed, lease)));
    }

    private async Task ReadAsync(HttpContext context, string path)
    {
        if (await Authenticate(context) is not var (_, issued))
        {
            return;
        }
        const string folder = "billing/";
        var name = path.StartsWith(folder, StringComparison.Ordinal) ? path[folder.Length..] : null;
        if (name is null || !issued.Policies.Contains(BillingPolicy) || Denied.ContainsKey(name))
        {
            // Vault 1.x wraps policy denials in a multierror.
            await Errors(context, 403, "1 error occurred:\n\t* permission denied\n\n");
            return;
        }
        if (!_secrets.TryGetValue(name, out var secret))
        {
            await Json(context, 404, new JsonObject { ["errors"] = new JsonArray() });
            return;
        }
        var data = new JsonObject();
        foreach (var (key, value) in secret.Data)
        {
            data[key] = value;
        }
        await Json(context, 200, Envelope(data: new JsonObject
        {
            ["data"] = data,
            ["metadata"] = new JsonObject
            {
                ["created_time"] = secret.CreatedTime.ToString("O"),
                ["custom_metadata"] = null,
                ["deletion_time"] = "",
                ["destroyed"] = false,
                ["version"] = secret.Version,
            },
        }));
    }

    /// <summary>The token of the request if Vault would accept it; otherwise answers 403 and returns null.</summary>
    private async Task<(string Token, IssuedToken Issued)?> Authenticate(HttpContext context)
    {
        var token = context.Request.Headers["X-Vault-Token"].FirstOrDefault();
        if (token is not null && _tokens.TryGetValue(token, out var issued) && !(issued.ExpiresAt <= _time.GetUtcNow()))
        {
            return (token, issued);
        }
        await Errors(context, 403, "permission denied");
        return null;
    }

    private JsonObject Auth(string token, IssuedToken issued, TimeSpan lease) => new()
    {
        ["client_token"] = token,
        ["accessor"] = Accessor(token),
        ["policies"] = new JsonArray([.. issued.Policies.Select(p => JsonValue.Create(p))]),
        ["token_policies"] = new JsonArray([.. issued.Policies.Select(p => JsonValue.Create(p))]),
        ["metadata"] = new JsonObject
        {
            ["role"] = Role,
            ["service_account_name"] = "billing-service",
            ["service_account_namespace"] = "billing",
        },
        ["lease_duration"] = (long)lease.TotalSeconds,
        ["renewable"] = issued.Renewable,
        ["entity_id"] = "",
        ["token_type"] = "service",
        ["orphan"] = true,
    };

    /// <summary>The envelope every Vault answer shares.</summary>
    private static JsonObject Envelope(JsonObject? data = null, JsonObject? auth = null) => new()
    {
        ["request_id"] = Guid.NewGuid().ToString(),
        ["lease_id"] = "",
        ["renewable"] = false,
        ["lease_duration"] = 0,
        ["data"] = data,
        ["wrap_info"] = null,
        ["warnings"] = null,
        ["auth"] = auth,
    };

    private Task Errors(HttpContext context, int status, string error) =>
        Json(context, status, new JsonObject { ["errors"] = new JsonArray(JsonValue.Create(error)) });

    /// <summary>Records the request, then answers it: a client that has the answer finds the request recorded.</summary>
    private async Task Json(HttpContext context, int status, JsonObject body)
    {
        Record(context, status);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private void Record(HttpContext context, int status) => _requests.Enqueue(new VaultRequest(
        context.Request.Method, context.Request.Path, context.Request.Headers["X-Vault-Token"].FirstOrDefault(), _time.GetUtcNow(), status));

    private static string NewToken() => "hvs." + RandomPart();

    private static string Accessor(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)))[..24];

    private static string RandomPart() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    private sealed record IssuedToken(
        TimeSpan Ttl, bool Renewable, DateTimeOffset IssuedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? MaxExpiresAt, IReadOnlyList<string> Policies);

    private sealed record StoredSecret(int Version, IReadOnlyDictionary<string, string?> Data, DateTimeOffset CreatedTime);
}
