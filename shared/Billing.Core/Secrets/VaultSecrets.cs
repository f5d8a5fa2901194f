using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Billing.Core.Secrets;

/// <summary>
/// The Vault secrets of one deployable as configuration: <c>secret/billing/common</c>, then <c>secret/billing/&lt;deployable&gt;</c>
/// (or <c>Vault__Secrets</c>), each secret's keys being configuration keys written with <c>__</c>
/// (<c>ConnectionStrings__Billing</c> becomes <c>ConnectionStrings:Billing</c>); a later secret's key overrides an earlier
/// one's. <see cref="KeepAliveAsync"/> renews the token before it expires and reads the secrets again after each renewal,
/// raising <see cref="GetChangeToken"/> when a value changed, so rotated secrets reach <c>IOptionsMonitor</c> readers.
/// </summary>
public sealed class VaultSecrets : IDisposable
{
    /// <summary>How long to wait before trying again after a renewal or a re-read failed.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    private readonly VaultClient _client;
    private readonly TimeProvider _time;
    private CancellationTokenSource _changed = new();

    private VaultSecrets(VaultClient client, IReadOnlyList<string> names, TimeProvider time, IReadOnlyDictionary<string, string?> values)
    {
        _client = client;
        Names = names;
        _time = time;
        Values = values;
    }

    public VaultClient Client => _client;

    /// <summary>The secrets read, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The configuration keys (with <c>:</c>) and values of every secret, as last read.</summary>
    public IReadOnlyDictionary<string, string?> Values { get; private set; }

    /// <summary>
    /// Logs in and reads every secret of <paramref name="deployable"/>. Throws <see cref="VaultException"/> (configuration,
    /// unreachable, sealed, denied, not found) so that a deployable configured for Vault fails at start-up, saying why.
    /// </summary>
    public static async Task<VaultSecrets> LoadAsync(VaultOptions options, string deployable, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate(deployable);
        if (problems.Count > 0)
        {
            throw new VaultException(VaultFailure.Configuration, $"Vault is misconfigured: {string.Join("; ", problems)}");
        }
        var names = options.SecretNames(deployable);
        var client = new VaultClient(options, time);
        try
        {
            await client.LoginAsync(cancellationToken);
            var values = await ReadAllAsync(client, names, cancellationToken);
            return new VaultSecrets(client, names, time, values);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Fires once after <see cref="Values"/> changed; ask again for the next change.</summary>
    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    /// <summary>Reads every secret again; when any value differs, replaces <see cref="Values"/> and fires the change token. True if changed.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var values = await ReadAllAsync(_client, Names, cancellationToken);
        if (values.Count == Values.Count && values.All(v => Values.TryGetValue(v.Key, out var old) && string.Equals(old, v.Value, StringComparison.Ordinal)))
        {
            return false;
        }
        Values = values;
        var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        await previous.CancelAsync();
        previous.Dispose();
        return true;
    }

    /// <summary>
    /// Until cancelled: waits (on the injected clock) until the token's renewal is due, renews it (or logs in again), and
    /// reads the secrets again. A failure (a <see cref="VaultException"/> in all foreseen cases) is reported to
    /// <paramref name="failed"/> and tried again after
    /// <see cref="RetryAfterFailure"/>; the values last read stay in force meanwhile. Returns when the token needs no renewal.
    /// </summary>
    public async Task KeepAliveAsync(Action<Exception>? failed, CancellationToken cancellationToken)
    {
        while (_client.RenewalDueAt is { } due)
        {
            var wait = due - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken);
            }
            try
            {
                await _client.RenewAsync(cancellationToken);
                await RefreshAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever went wrong, the deployable keeps running on the secrets it has, and tries again.
                failed?.Invoke(e);
                await Task.Delay(RetryAfterFailure, _time, cancellationToken);
            }
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _changed.Dispose();
    }

    private static async Task<IReadOnlyDictionary<string, string?>> ReadAllAsync(VaultClient client, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            var secret = await client.ReadSecretAsync(name, cancellationToken);
            foreach (var (key, value) in secret.Values)
            {
                values[ToConfigurationKey(key)] = value;
            }
        }
        return values;
    }

    /// <summary><c>ConnectionStrings__Billing</c> to <c>ConnectionStrings:Billing</c>, as environment variables are mapped.</summary>
    public static string ToConfigurationKey(string key) => key.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
}
