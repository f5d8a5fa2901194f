using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Billing.Core.Secrets;

/// <summary>How a deployable authenticates to Vault.</summary>
public enum VaultAuthMethod
{
    /// <summary>The pod's service-account JWT, exchanged for a Vault token by a Kubernetes auth role (production).</summary>
    Kubernetes,

    /// <summary>A Vault token given in <c>Vault__Token</c> (local use).</summary>
    Token,
}

/// <summary>
/// Where Vault is and how to log in, bound from the <c>Vault</c> configuration section (SPEC section 12; the Helm chart sets
/// the same names). No <see cref="Address"/> means no Vault: secrets then come from files or environment variables.
/// </summary>
/// <remarks>
/// A class, not a record, so that nothing prints <see cref="Token"/> by accident (a record's <c>ToString</c> lists every
/// property).
/// </remarks>
public sealed partial class VaultOptions
{
    public const string Section = "Vault";

    /// <summary>Where Kubernetes mounts the pod's service-account token.</summary>
    public const string DefaultJwtPath = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>Every secret of the service lives under <c>&lt;KvMount&gt;/billing/</c>.</summary>
    public const string Folder = "billing";

    /// <summary>The secret every deployable reads, before its own.</summary>
    public const string CommonSecret = "common";

    /// <summary>Vault's address, e.g. <c>https://vault.vault.svc:8200</c>; empty means no Vault.</summary>
    public string Address { get; set; } = "";

    /// <summary><c>kubernetes</c> or <c>token</c>; empty means <c>token</c> when <see cref="Token"/> is set, else <c>kubernetes</c>.</summary>
    public string AuthMethod { get; set; } = "";

    /// <summary>The Kubernetes auth role to log in as.</summary>
    public string Role { get; set; } = "";

    /// <summary>A Vault token for token auth (local use). Never logged or shown.</summary>
    public string Token { get; set; } = "";

    /// <summary>Where the Kubernetes auth method is mounted (<c>auth/&lt;AuthMount&gt;</c>).</summary>
    public string AuthMount { get; set; } = "kubernetes";

    /// <summary>The file holding the pod's service-account JWT; read again at every login, since Kubernetes rotates it.</summary>
    public string JwtPath { get; set; } = DefaultJwtPath;

    /// <summary>Where the KV version 2 secrets engine is mounted.</summary>
    public string KvMount { get; set; } = "secret";

    /// <summary>Comma-separated names of the secrets under <c>billing/</c> to load; empty means <c>common,&lt;deployable&gt;</c>.</summary>
    public string Secrets { get; set; } = "";

    /// <summary>The most one Vault operation may take, retries included: start-up fails after this rather than hang.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first pause before retrying a transient failure; later pauses grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>True when Vault is to be used at all.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Address);

    /// <summary>The auth method in force (see <see cref="AuthMethod"/> for the default). Call <see cref="Validate"/> first.</summary>
    public VaultAuthMethod EffectiveAuthMethod => AuthMethod.Trim().ToUpperInvariant() switch
    {
        "KUBERNETES" => VaultAuthMethod.Kubernetes,
        "TOKEN" => VaultAuthMethod.Token,
        _ => string.IsNullOrWhiteSpace(Token) ? VaultAuthMethod.Kubernetes : VaultAuthMethod.Token,
    };

    /// <summary>Vault's address without a trailing slash, as reports name it.</summary>
    public string BaseAddress => Address.Trim().TrimEnd('/');

    /// <summary>
    /// The secrets to read for <paramref name="deployable"/> (<c>ingest-worker</c>, <c>invoice-worker</c>, <c>billing-api</c>,
    /// <c>billing-ops</c>), in order: a later secret's key overrides an earlier one's.
    /// </summary>
    public IReadOnlyList<string> SecretNames(string deployable) =>
        string.IsNullOrWhiteSpace(Secrets)
            ? [CommonSecret, deployable]
            : Secrets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A secret's path as operators write it (<c>vault kv get secret/billing/common</c>).</summary>
    public string SecretPath(string name) => $"{KvMount}/{Folder}/{name}";

    /// <summary>The path a policy must grant <c>read</c> on for every secret of the service (KV v2 puts <c>data/</c> after the mount).</summary>
    public string PolicyPath => $"{KvMount}/data/{Folder}/*";

    /// <summary>How this deployable logs in, as reports name it (no credential).</summary>
    public string AuthDescription => EffectiveAuthMethod == VaultAuthMethod.Kubernetes
        ? $"Kubernetes auth as role '{Role}' (auth/{AuthMount})"
        : "token auth (Vault__Token)";

    /// <summary>Binds the <c>Vault</c> section. Throws <see cref="InvalidOperationException"/> naming the key when a value does not convert.</summary>
    public static VaultOptions Bind(IConfiguration configuration)
    {
        var options = new VaultOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    /// <summary>What is wrong with these options for <paramref name="deployable"/>, each naming the variable to fix; empty when usable.</summary>
    public IReadOnlyList<string> Validate(string deployable)
    {
        var problems = new List<string>();
        if (!(Uri.TryCreate(BaseAddress, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Query.Length == 0))
        {
            problems.Add($"Vault__Address '{Address}' is not an http(s) URL such as https://vault.vault.svc:8200");
        }
        var method = AuthMethod.Trim();
        if (method.Length > 0 && !method.Equals("kubernetes", StringComparison.OrdinalIgnoreCase) && !method.Equals("token", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"Vault__AuthMethod must be kubernetes or token, not '{method}'");
        }
        else if (EffectiveAuthMethod == VaultAuthMethod.Kubernetes)
        {
            if (string.IsNullOrWhiteSpace(Role))
            {
                problems.Add("Vault__Role is not set: Kubernetes auth logs in as a role (or set Vault__AuthMethod=token and Vault__Token for local use)");
            }
            if (string.IsNullOrWhiteSpace(JwtPath))
            {
                problems.Add($"Vault__JwtPath is empty: Kubernetes auth reads the service-account token from a file (default {DefaultJwtPath})");
            }
            if (!IsPathSegment(AuthMount))
            {
                problems.Add($"Vault__AuthMount '{AuthMount}' is not a mount path such as kubernetes");
            }
        }
        else if (string.IsNullOrWhiteSpace(Token))
        {
            problems.Add("Vault__Token is not set: token auth needs a token");
        }
        if (!IsPathSegment(KvMount))
        {
            problems.Add($"Vault__KvMount '{KvMount}' is not a mount path such as secret");
        }
        var names = SecretNames(deployable);
        if (names.Count == 0)
        {
            problems.Add("Vault__Secrets names no secret (leave it unset for common," + deployable + ")");
        }
        problems.AddRange(names.Where(n => !IsName(n))
            .Select(n => $"Vault__Secrets: '{n}' is not a secret name under {Folder}/ (letters, digits, '.', '_' and '-')"));
        if (Timeout <= TimeSpan.Zero)
        {
            problems.Add($"Vault__Timeout must be more than 0, not {Timeout.ToString("c", CultureInfo.InvariantCulture)}");
        }
        if (RetryDelay < TimeSpan.Zero || RetryDelay >= Timeout)
        {
            problems.Add($"Vault__RetryDelay must be at least 0 and less than Vault__Timeout, not {RetryDelay.ToString("c", CultureInfo.InvariantCulture)}");
        }
        return problems;
    }

    private static bool IsPathSegment(string value) =>
        value.Length > 0 && value.Split('/').All(IsName);

    /// <summary>One path segment: no '/', and not '.' or '..', which would leave the folder.</summary>
    private static bool IsName(string value) => SecretName().IsMatch(value) && value.Trim('.').Length > 0;

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex SecretName();
}
