using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Billing.Api.Authentication;

/// <summary>
/// Finds the client a presented API key belongs to. The table of (client, SHA-256) is rebuilt whenever the
/// configuration reloads; a lookup hashes the key and compares the hash with every client's in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), without stopping at a match, so the time taken tells
/// nothing about which or how many bytes matched.
/// </summary>
public sealed partial class ApiClientKeys : IDisposable
{
    /// <summary>Longest key accepted (in characters); anything longer is not a key of ours and is not hashed.</summary>
    public const int MaxKeyLength = 512;

    private readonly ILogger<ApiClientKeys> _logger;
    private readonly IDisposable? _subscription;
    private volatile Client[] _clients;

    public ApiClientKeys(IOptionsMonitor<ApiClientsOptions> options, ILogger<ApiClientKeys> logger)
    {
        _logger = logger;
        var (clients, problems) = Build(options.CurrentValue);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Bad API client configuration: " + string.Join("; ", problems));
        }
        _clients = clients;
        if (clients.Length == 0)
        {
            LogNoClients(logger);
        }
        _subscription = options.OnChange(Reload);
    }

    /// <summary>Names of the clients currently configured.</summary>
    public IReadOnlyList<string> ClientNames => [.. _clients.Select(c => c.Name)];

    /// <summary>The name of the client whose key this is, or null.</summary>
    public string? FindClient(ReadOnlySpan<char> key)
    {
        if (key.IsEmpty || key.Length > MaxKeyLength)
        {
            return null;
        }
        Span<byte> utf8 = stackalloc byte[MaxKeyLength * 3];
        var length = Encoding.UTF8.GetBytes(key, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        CryptographicOperations.ZeroMemory(utf8[..length]);
        string? found = null;
        foreach (var client in _clients)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, client.KeySha256) && found is null)
            {
                found = client.Name;
            }
        }
        return found;
    }

    public void Dispose() => _subscription?.Dispose();

    private void Reload(ApiClientsOptions options)
    {
        var (clients, problems) = Build(options);
        foreach (var problem in problems)
        {
            LogClientIgnored(_logger, problem);
        }
        _clients = clients;
        LogClientsReloaded(_logger, clients.Length);
    }

    /// <summary>The usable clients and, for each unusable one, what is wrong (naming the variable, never a value).</summary>
    internal static (Client[] Clients, List<string> Problems) Build(ApiClientsOptions options)
    {
        var clients = new List<Client>();
        var problems = new List<string>();
        foreach (var (name, client) in options.Clients.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var hex = client.KeySha256?.Trim() ?? "";
            if (hex.Length != SHA256.HashSizeInBytes * 2 || !hex.All(char.IsAsciiHexDigit))
            {
                problems.Add($"Api__Clients__{name}__KeySha256 is not a hex SHA-256 (64 hex digits)");
                continue;
            }
            clients.Add(new Client(name, Convert.FromHexString(hex)));
        }
        return ([.. clients], problems);
    }

    internal sealed record Client(string Name, byte[] KeySha256);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API clients are configured (Api__Clients__<name>__KeySha256): every /v1 request gets 401")]
    private static partial void LogNoClients(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "API client ignored after a configuration reload: {Problem}")]
    private static partial void LogClientIgnored(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "API clients reloaded from configuration: {Clients} configured")]
    private static partial void LogClientsReloaded(ILogger logger, int clients);
}
