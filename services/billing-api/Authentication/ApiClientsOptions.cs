namespace Billing.Api.Authentication;

/// <summary>
/// The downstream clients allowed to call <c>/v1</c>, bound from <c>Api:Clients</c>
/// (<c>Api__Clients__&lt;name&gt;__KeySha256</c>): each client's name and the hex SHA-256 of its key. Only hashes are
/// configured, so neither configuration, Vault nor a log ever holds a usable key. Any configuration provider feeds it
/// (environment variables, files, the Vault provider), and it is read through <c>IOptionsMonitor</c>, so a client
/// added or removed when a provider reloads takes effect without a restart.
/// </summary>
public sealed class ApiClientsOptions
{
    public const string Section = "Api";

    public Dictionary<string, ApiClientOptions> Clients { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One downstream client.</summary>
public sealed class ApiClientOptions
{
    /// <summary>Lower- or upper-case hex SHA-256 of the client's key (64 hex digits): <c>printf %s "$KEY" | sha256sum</c>.</summary>
    public string KeySha256 { get; set; } = "";
}
