using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Operations;

/// <summary>
/// Preflight's item "Vault reachable and secret/billing/* readable" against <see cref="VaultStandIn"/>: PASS when billing-ops
/// can log in and read each secret it is configured for, FAIL naming the path Vault refuses, SKIP where no Vault is configured.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class PreflightVaultTests
{
    private const string Item = "Vault reachable and secret/billing/* readable";

    private static async Task<string> VaultLineAsync(TestDatabase database, IEnumerable<KeyValuePair<string, string?>> vault)
    {
        var result = await Ops.RunAsync([new("ConnectionStrings:Billing", database.ConnectionString), .. vault], "preflight");
        return result.OutputLines.Single(l => l.Contains(Item, StringComparison.Ordinal));
    }

    [Test]
    public async Task Vault_item_passes_when_every_configured_secret_is_readable()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_vault");
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?> { ["A"] = "1", ["B"] = "2" });
        vault.PutSecret("billing-ops", new Dictionary<string, string?> { ["C"] = "3" });

        var line = await VaultLineAsync(database, vault.Configuration());

        Assert.That(line, Is.EqualTo($"PASS  {Item}: logged in at {vault.Address} with Kubernetes auth as role 'billing' (auth/kubernetes); " +
            "read secret/billing/common (2 key(s)), secret/billing/billing-ops (1 key(s))"));
    }

    [Test]
    public async Task Vault_item_fails_naming_each_path_Vault_refuses()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_vault_denied");
        await using var vault = await VaultStandIn.StartAsync();
        vault.PutSecret("common", new Dictionary<string, string?> { ["A"] = "1" });
        vault.PutSecret("billing-ops", new Dictionary<string, string?> { ["C"] = "3" });
        vault.Denied["billing-ops"] = true;

        var line = await VaultLineAsync(database, [.. vault.Configuration(), new("Vault:Secrets", "common,billing-ops,migrations")]);

        Assert.That(line, Is.EqualTo($"FAIL  {Item}: " +
            $"Vault at {vault.Address} denied reading secret/billing/billing-ops (403: permission denied): the token's policies must grant " +
            "\"read\" on secret/data/billing/* (helm/billing-service/files/vault-policy.hcl), attached to the Kubernetes auth role 'billing'; " +
            $"secret secret/billing/migrations not found in Vault at {vault.Address} (404: Not Found): write it " +
            "(vault kv put secret/billing/migrations KEY=value ...) or leave it out of Vault__Secrets"));
    }

    [Test]
    public async Task Vault_item_fails_saying_Vault_is_sealed()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_vault_sealed");
        await using var vault = await VaultStandIn.StartAsync();
        vault.Sealed = true;

        var line = await VaultLineAsync(database, vault.Configuration());

        Assert.That(line, Does.StartWith($"FAIL  {Item}: Vault at {vault.Address} is sealed (503: Vault is sealed, 5 attempts)"));
    }

    [Test]
    public async Task Vault_item_is_skipped_without_Vault_and_a_skip_does_not_fail_preflight()
    {
        await using var database = await TestDatabase.CreateMigratedAsync("preflight_vault_skip");

        var result = await Ops.RunAsync(database, "preflight");

        Assert.That(result.OutputLines, Does.Contain($"SKIP  {Item}: Vault not configured (Vault__Address unset)"));
        // NATS and S3 are not configured here: their four items fail, and only they; the skipped item is not counted.
        Assert.That(result.OutputLines[^1], Is.EqualTo("preflight FAILED: 4 of 8 item(s), 1 skipped"));
    }
}
