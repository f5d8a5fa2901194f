using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.Core.Secrets;

// The parts of Vault's HTTP API bodies the client reads, as Vault's API documentation shows them:
// - errors: every error answer is {"errors": ["..."]} (https://developer.hashicorp.com/vault/api-docs, "Error response").
// - Kubernetes login (POST /v1/auth/<mount>/login, {"role", "jwt"}) and token renew-self (POST /v1/auth/token/renew-self)
//   answer {"auth": {"client_token", "accessor", "policies", "metadata", "lease_duration", "renewable"}}
//   (https://developer.hashicorp.com/vault/api-docs/auth/kubernetes#login,
//   https://developer.hashicorp.com/vault/api-docs/auth/token#renew-a-token-self).
// - token lookup-self (GET /v1/auth/token/lookup-self) answers {"data": {"ttl", "renewable", "policies", ...}}
//   (https://developer.hashicorp.com/vault/api-docs/auth/token#lookup-a-token-self).
// - KV v2 read (GET /v1/<mount>/data/<path>) answers {"data": {"data": {...}, "metadata": {"version", ...}}}
//   (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#read-secret-version).
// Classes rather than records: a record's ToString would print the client token.

internal sealed class VaultErrorResponse
{
    public List<string>? Errors { get; init; }
}

internal sealed class VaultAuthResponse
{
    public VaultAuth? Auth { get; init; }
}

internal sealed class VaultAuth
{
    public string? ClientToken { get; init; }

    public List<string>? Policies { get; init; }

    /// <summary>Seconds; 0 for a token that never expires (a root token).</summary>
    public long LeaseDuration { get; init; }

    public bool Renewable { get; init; }
}

internal sealed class VaultTokenLookupResponse
{
    public VaultTokenLookup? Data { get; init; }
}

internal sealed class VaultTokenLookup
{
    /// <summary>Seconds left; 0 for a token that never expires.</summary>
    public long Ttl { get; init; }

    public bool Renewable { get; init; }

    public List<string>? Policies { get; init; }
}

internal sealed class KvReadResponse
{
    public KvVersion? Data { get; init; }
}

internal sealed class KvVersion
{
    /// <summary>The secret's keys and values; null for a deleted version.</summary>
    public Dictionary<string, JsonElement>? Data { get; init; }

    public KvMetadata? Metadata { get; init; }
}

internal sealed class KvMetadata
{
    public int Version { get; init; }
}

internal sealed class KubernetesLoginRequest
{
    public required string Role { get; init; }

    public required string Jwt { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(VaultErrorResponse))]
[JsonSerializable(typeof(VaultAuthResponse))]
[JsonSerializable(typeof(VaultTokenLookupResponse))]
[JsonSerializable(typeof(KvReadResponse))]
[JsonSerializable(typeof(KubernetesLoginRequest))]
internal sealed partial class VaultJsonContext : JsonSerializerContext;
