namespace Billing.Core.Secrets;

/// <summary>What kind of Vault failure a <see cref="VaultException"/> reports, so callers can react without parsing text.</summary>
public enum VaultFailure
{
    /// <summary>The <c>Vault</c> settings are incomplete or malformed.</summary>
    Configuration,

    /// <summary>No answer: connection refused or reset, DNS, TLS, or nothing within <see cref="VaultOptions.Timeout"/>.</summary>
    Unreachable,

    /// <summary>503 with <c>Vault is sealed</c>.</summary>
    Sealed,

    /// <summary>Vault answered a transient error (429, 5xx) on every attempt.</summary>
    Unavailable,

    /// <summary>403: the login was refused, or the token may not read the path.</summary>
    PermissionDenied,

    /// <summary>404: no secret at the path.</summary>
    NotFound,

    /// <summary>Any other answer: a 400, or a body that is not what Vault's API documents.</summary>
    Refused,
}

/// <summary>
/// A Vault operation failed. The message names Vault's address, the operation and the path, and carries Vault's own
/// <c>errors</c> text; it never contains a token, a JWT or a secret value, so it is safe to log and to print.
/// </summary>
public sealed class VaultException : Exception
{
    public VaultException(VaultFailure failure, string message, string? path = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Path = path;
    }

    public VaultFailure Failure { get; }

    /// <summary>The secret path concerned (<c>secret/billing/common</c>), when the operation was a read.</summary>
    public string? Path { get; }
}
