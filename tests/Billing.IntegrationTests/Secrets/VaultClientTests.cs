using Billing.Core.Secrets;
using Billing.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Billing.IntegrationTests.Secrets;

/// <summary>
/// The Vault client against <see cref="VaultStandIn"/>, which answers as Vault's API documentation shows: login, reads,
/// renewal on the injected clock, the errors operators meet (403, 404, sealed) and retried transient failures.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class VaultClientTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string?> Common = new()
    {
        ["ConnectionStrings__Billing"] = "Host=db;Username=billing;Password=from-vault-common",
        ["Nats__Url"] = "nats://nats:4222",
    };

    /// <summary>A stand-in on <paramref name="time"/> holding <c>secret/billing/common</c> and <c>secret/billing/ingest-worker</c>.</summary>
    private static async Task<VaultStandIn> StartAsync(FakeTimeProvider time)
    {
        var vault = await VaultStandIn.StartAsync(time);
        vault.PutSecret("common", Common);
        vault.PutSecret("ingest-worker", new Dictionary<string, string?> { ["Ingest__BatchSize"] = "250" });
        return vault;
    }

    private static string Path(string name) => $"/v1/secret/data/billing/{name}";

    [Test]
    public async Task Kubernetes_login_sends_the_role_and_the_pods_jwt_and_reads_with_the_token_it_got()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var client = new VaultClient(vault.KubernetesOptions(), time);

        await client.LoginAsync(CancellationToken.None);
        var secret = await client.ReadSecretAsync("common", CancellationToken.None);

        Assert.That(secret.Path, Is.EqualTo("secret/billing/common"));
        Assert.That(secret.Version, Is.EqualTo(1));
        Assert.That(secret.Values, Is.EquivalentTo(Common));
        Assert.That(secret.ToString(), Does.Not.Contain("from-vault-common"));
        var login = vault.Requests[0];
        var read = vault.Requests[1];
        Assert.That((login.Method, login.Path, login.Status), Is.EqualTo(("POST", "/v1/auth/kubernetes/login", 200)));
        Assert.That(login.Token, Is.Null, "a login carries no token");
        Assert.That((read.Method, read.Path, read.Status), Is.EqualTo(("GET", Path("common"), 200)));
        Assert.That(vault.ExpiryOf(read.Token!), Is.EqualTo(Start + vault.LoginLease), "the read carries the token the login issued");
        Assert.That(client.ExpiresAt, Is.EqualTo(Start + TimeSpan.FromHours(1)));
        Assert.That(client.RenewalDueAt, Is.EqualTo(Start + TimeSpan.FromMinutes(40)), "two thirds into the one-hour lease");
        Assert.That(client.Policies, Is.EqualTo(new[] { "default", VaultStandIn.BillingPolicy }));
    }

    [Test]
    public async Task Token_auth_looks_the_token_up_to_learn_its_lease()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        var token = vault.CreateToken(TimeSpan.FromHours(3), renewable: true);
        using var client = new VaultClient(vault.TokenOptions(token), time);

        await client.LoginAsync(CancellationToken.None);
        var secret = await client.ReadSecretAsync("ingest-worker", CancellationToken.None);

        Assert.That(vault.Requests.Select(r => (r.Method, r.Path, r.Token)), Is.EqualTo(new[]
        {
            ("GET", "/v1/auth/token/lookup-self", token), ("GET", Path("ingest-worker"), token),
        }));
        Assert.That(secret.Values["Ingest__BatchSize"], Is.EqualTo("250"));
        Assert.That(client.ExpiresAt, Is.EqualTo(Start + TimeSpan.FromHours(3)));
        Assert.That(client.RenewalDueAt, Is.EqualTo(Start + TimeSpan.FromHours(2)));
    }

    [Test]
    public async Task A_token_that_never_expires_or_cannot_be_renewed_has_no_renewal()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var root = new VaultClient(vault.TokenOptions(vault.CreateToken(TimeSpan.Zero, renewable: false)), time);
        using var fixedLease = new VaultClient(vault.TokenOptions(vault.CreateToken(TimeSpan.FromHours(1), renewable: false)), time);

        await root.LoginAsync(CancellationToken.None);
        await fixedLease.LoginAsync(CancellationToken.None);

        Assert.That(root.ExpiresAt, Is.Null);
        Assert.That(root.RenewalDueAt, Is.Null, "a root token never expires");
        Assert.That(fixedLease.ExpiresAt, Is.EqualTo(Start + TimeSpan.FromHours(1)));
        Assert.That(fixedLease.RenewalDueAt, Is.Null, "nothing can extend a non-renewable Vault__Token");
    }

    [Test]
    public async Task A_renewable_token_is_renewed_with_renew_self_before_it_expires_and_keeps_working_past_its_first_lease()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var secrets = await VaultSecrets.LoadAsync(vault.KubernetesOptions(), "ingest-worker", time, CancellationToken.None);
        var token = vault.Requests.Single(r => r.Path == Path("common")).Token!;
        using var stop = new CancellationTokenSource();
        var failures = new List<Exception>();
        var keepAlive = secrets.KeepAliveAsync(failures.Add, stop.Token);

        var changed = NextChange(secrets);
        vault.PutSecret("common", new Dictionary<string, string?>(Common) { ["Nats__Url"] = "nats://rotated:4222" });
        time.Advance(TimeSpan.FromMinutes(40));
        await changed.WaitAsync(TimeSpan.FromSeconds(30));

        var renewal = vault.Requests.Single(r => r.Path == "/v1/auth/token/renew-self");
        Assert.That(renewal.Token, Is.EqualTo(token));
        Assert.That(renewal.Status, Is.EqualTo(200));
        Assert.That(renewal.At, Is.EqualTo(Start + TimeSpan.FromMinutes(40)).And.LessThan(Start + vault.LoginLease), "renewed before the lease ended");
        Assert.That(vault.ExpiryOf(token), Is.EqualTo(Start + TimeSpan.FromMinutes(100)), "Vault extended the lease by the role's TTL");
        Assert.That(secrets.Values["Nats:Url"], Is.EqualTo("nats://rotated:4222"), "the secrets are read again after renewal");
        Assert.That(vault.Requests.Where(r => r.Path.StartsWith("/v1/secret/", StringComparison.Ordinal)).Select(r => r.Token), Has.All.EqualTo(token));

        // Past the first lease's end (Start + 60 min) the token still works: the next renewal is due 40 min after the last.
        changed = NextChange(secrets);
        vault.PutSecret("common", Common);
        time.Advance(TimeSpan.FromMinutes(40));
        await changed.WaitAsync(TimeSpan.FromSeconds(30));

        var renewals = vault.Requests.Where(r => r.Path == "/v1/auth/token/renew-self").ToList();
        Assert.That(renewals.Select(r => (r.At, r.Status, r.Token)), Is.EqualTo(new[]
        {
            (Start + TimeSpan.FromMinutes(40), 200, token), (Start + TimeSpan.FromMinutes(80), 200, token),
        }));
        Assert.That(vault.Requests.Count(r => r.Path == "/v1/auth/kubernetes/login"), Is.EqualTo(1), "renewal, not a new login");
        Assert.That(failures, Is.Empty);
        await stop.CancelAsync();
        Assert.That(async () => await keepAlive, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task A_token_that_is_not_renewable_is_replaced_by_a_new_login_which_later_reads_use()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        vault.LoginRenewable = false;
        using var secrets = await VaultSecrets.LoadAsync(vault.KubernetesOptions(), "ingest-worker", time, CancellationToken.None);
        var first = vault.Requests.Single(r => r.Path == Path("common")).Token!;
        using var stop = new CancellationTokenSource();
        var keepAlive = secrets.KeepAliveAsync(null, stop.Token);

        var changed = NextChange(secrets);
        vault.PutSecret("ingest-worker", new Dictionary<string, string?> { ["Ingest__BatchSize"] = "500" });
        time.Advance(TimeSpan.FromMinutes(40));
        await changed.WaitAsync(TimeSpan.FromSeconds(30));

        var logins = vault.Requests.Where(r => r.Path == "/v1/auth/kubernetes/login").ToList();
        Assert.That(logins.Select(r => (r.At, r.Status)), Is.EqualTo(new[] { (Start, 200), (Start + TimeSpan.FromMinutes(40), 200) }));
        Assert.That(vault.Requests.Where(r => r.Path == "/v1/auth/token/renew-self"), Is.Empty, "a non-renewable token is not renewed");
        var rereads = vault.Requests.Where(r => r.Path.StartsWith("/v1/secret/", StringComparison.Ordinal)).Skip(2).ToList();
        Assert.That(rereads, Has.Count.EqualTo(2));
        Assert.That(rereads.Select(r => r.Token), Has.All.Not.EqualTo(first).And.All.Not.Null);
        Assert.That(secrets.Values["Ingest:BatchSize"], Is.EqualTo("500"));
        await stop.CancelAsync();
        Assert.That(async () => await keepAlive, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task A_refused_renewal_logs_in_again()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var client = new VaultClient(vault.KubernetesOptions(), time);
        await client.LoginAsync(CancellationToken.None);
        await client.ReadSecretAsync("common", CancellationToken.None);
        var first = vault.Requests[^1].Token;
        vault.RevokeAll();

        time.Advance(TimeSpan.FromMinutes(41));
        var secret = await client.ReadSecretAsync("common", CancellationToken.None);

        Assert.That(vault.Requests.Skip(2).Select(r => (r.Path, r.Status)), Is.EqualTo(new[]
        {
            ("/v1/auth/token/renew-self", 403), ("/v1/auth/kubernetes/login", 200), (Path("common"), 200),
        }), "a read after the renewal was due renews first; Vault refuses, so the client logs in again");
        Assert.That(vault.Requests[2].Token, Is.EqualTo(first));
        Assert.That(vault.Requests[^1].Token, Is.Not.EqualTo(first));
        Assert.That(secret.Values, Is.EquivalentTo(Common));
        Assert.That(client.ExpiresAt, Is.EqualTo(Start + TimeSpan.FromMinutes(41) + vault.LoginLease));
    }

    [Test]
    public async Task A_token_renewed_for_less_than_a_third_of_its_lease_nears_its_max_ttl_and_is_replaced_by_a_new_login()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        vault.LoginMaxTtl = TimeSpan.FromMinutes(50);
        using var client = new VaultClient(vault.KubernetesOptions(), time);
        await client.LoginAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(40));
        await client.RenewAsync(CancellationToken.None);

        Assert.That(vault.Requests.Select(r => (r.Path, r.Status)), Is.EqualTo(new[]
        {
            ("/v1/auth/kubernetes/login", 200), ("/v1/auth/token/renew-self", 200), ("/v1/auth/kubernetes/login", 200),
        }), "renewed for 10 of 60 minutes (capped by max TTL): log in afresh rather than renew ever more often");
        Assert.That(client.ExpiresAt, Is.EqualTo(Start + TimeSpan.FromMinutes(100)));
    }

    [Test]
    public async Task Permission_denied_names_the_path_the_policy_must_grant_and_the_role()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        vault.Denied["ingest-worker"] = true;
        using var client = new VaultClient(vault.KubernetesOptions(), time);

        var e = Assert.ThrowsAsync<VaultException>(() => client.ReadSecretAsync("ingest-worker", CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.PermissionDenied));
        Assert.That(e.Path, Is.EqualTo("secret/billing/ingest-worker"));
        Assert.That(e.Message, Is.EqualTo(
            $"Vault at {vault.Address} denied reading secret/billing/ingest-worker (403: permission denied): the token's policies must grant " +
            "\"read\" on secret/data/billing/* (helm/billing-service/files/vault-policy.hcl), attached to the Kubernetes auth role 'billing'"));
        Assert.That(vault.Requests.Count(r => r.Path == Path("ingest-worker")), Is.EqualTo(1), "a 403 is not retried");
        AssertNoCredential(e, vault);
    }

    [Test]
    public async Task A_read_refused_because_the_Vault_Token_expired_says_so()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var client = new VaultClient(vault.TokenOptions(vault.CreateToken(TimeSpan.FromHours(1), renewable: false)), time);
        await client.LoginAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromHours(1));
        var e = Assert.ThrowsAsync<VaultException>(() => client.ReadSecretAsync("common", CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.PermissionDenied));
        Assert.That(e.Message, Does.StartWith($"Vault at {vault.Address} denied reading secret/billing/common (403: permission denied)")
            .And.EndWith("; or the token expired at 2026-11-15T13:00:00.0000000+00:00 and could not be renewed"));
    }

    [Test]
    public async Task A_missing_secret_names_its_path()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var client = new VaultClient(vault.KubernetesOptions(), time);

        var e = Assert.ThrowsAsync<VaultException>(() => client.ReadSecretAsync("billing-api", CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.NotFound));
        Assert.That(e.Message, Does.StartWith($"secret secret/billing/billing-api not found in Vault at {vault.Address} (404: Not Found): write it"));
    }

    [Test]
    public async Task A_sealed_Vault_is_retried_a_few_times_then_reported_as_sealed()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        vault.Sealed = true;

        var e = Assert.ThrowsAsync<VaultException>(() => VaultSecrets.LoadAsync(vault.KubernetesOptions(), "ingest-worker", time, CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.Sealed));
        Assert.That(e.Message, Is.EqualTo(
            $"Vault at {vault.Address} is sealed (503: Vault is sealed, 5 attempts) while logging in with Kubernetes auth as role 'billing' " +
            "(auth/kubernetes): unseal it (vault operator unseal) and try again"));
        Assert.That(vault.Requests.Select(r => r.Status), Is.EqualTo(Enumerable.Repeat(503, 5)));
    }

    [Test]
    public async Task Transient_failures_are_retried_until_Vault_answers()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var client = new VaultClient(vault.KubernetesOptions(), time);
        await client.LoginAsync(CancellationToken.None);

        vault.FailNext(2, 502);
        var afterBadGateways = await client.ReadSecretAsync("common", CancellationToken.None);
        vault.FailNext(1, 0);
        var afterReset = await client.ReadSecretAsync("ingest-worker", CancellationToken.None);

        Assert.That(afterBadGateways.Values, Is.EquivalentTo(Common));
        Assert.That(afterReset.Values["Ingest__BatchSize"], Is.EqualTo("250"));
        Assert.That(vault.Requests.Skip(1).Select(r => (r.Path, r.Status)), Is.EqualTo(new[]
        {
            (Path("common"), 502), (Path("common"), 502), (Path("common"), 200), (Path("ingest-worker"), 0), (Path("ingest-worker"), 200),
        }));
    }

    [Test]
    public async Task Transient_failures_that_persist_give_up_with_Vaults_own_error_text()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var client = new VaultClient(vault.KubernetesOptions(), time);
        await client.LoginAsync(CancellationToken.None);
        vault.FailNext(5, 502);

        var e = Assert.ThrowsAsync<VaultException>(() => client.ReadSecretAsync("common", CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.Unavailable));
        Assert.That(e.Message, Is.EqualTo(
            $"Vault at {vault.Address} is unavailable (502: error making upstream request, 5 attempts) while reading secret/billing/common"));
    }

    [Test]
    public void An_unreachable_Vault_fails_in_bounded_time_naming_the_address()
    {
        var options = new VaultOptions
        {
            Address = "http://127.0.0.1:1", AuthMethod = "token", Token = "hvs.not-a-real-token", RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        using var client = new VaultClient(options, TimeProvider.System);

        var e = Assert.ThrowsAsync<VaultException>(() => client.LoginAsync(CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.Unreachable));
        Assert.That(e.Message, Does.StartWith("cannot reach Vault at http://127.0.0.1:1 while looking up Vault__Token (auth/token/lookup-self): ")
            .And.EndWith("(5 attempts)"));
        Assert.That(e.Message, Does.Not.Contain("hvs.not-a-real-token"));
    }

    [Test]
    public async Task A_refused_login_names_the_role_and_says_what_to_check_without_the_jwt()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        await File.WriteAllTextAsync(vault.JwtPath, "eyJhbGciOiJSUzI1NiJ9.another-pods-token.signature");
        using var wrongJwt = new VaultClient(vault.KubernetesOptions(), time);
        var options = vault.KubernetesOptions();
        options.Role = "payments";
        using var wrongRole = new VaultClient(options, time);

        var denied = Assert.ThrowsAsync<VaultException>(() => wrongJwt.LoginAsync(CancellationToken.None))!;
        var unknownRole = Assert.ThrowsAsync<VaultException>(() => wrongRole.LoginAsync(CancellationToken.None))!;

        Assert.That(denied.Failure, Is.EqualTo(VaultFailure.PermissionDenied));
        Assert.That(denied.Message, Is.EqualTo(
            $"Vault at {vault.Address} refused logging in with Kubernetes auth as role 'billing' (auth/kubernetes) (403: permission denied): " +
            "check that the role binds this pod's service account and namespace (bound_service_account_names, " +
            "bound_service_account_namespaces) and that Vault can review its token"));
        Assert.That(denied.Message, Does.Not.Contain("another-pods-token"));
        Assert.That(unknownRole.Failure, Is.EqualTo(VaultFailure.Refused));
        Assert.That(unknownRole.Message, Is.EqualTo(
            $"Vault at {vault.Address} refused logging in with Kubernetes auth as role 'payments' (auth/kubernetes) (400: invalid role name \"payments\")"));
    }

    [Test]
    public async Task A_missing_service_account_token_file_is_named()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        var options = vault.KubernetesOptions();
        options.JwtPath = "/nonexistent/serviceaccount/token";
        using var client = new VaultClient(options, time);

        var e = Assert.ThrowsAsync<VaultException>(() => client.LoginAsync(CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.Configuration));
        Assert.That(e.Message, Does.StartWith("cannot read the service-account token for Vault's Kubernetes auth from /nonexistent/serviceaccount/token: ")
            .And.EndWith("(set Vault__JwtPath, or Vault__AuthMethod=token with Vault__Token for local use)"));
        Assert.That(vault.Requests, Is.Empty);
    }

    [Test]
    public async Task An_unknown_Vault_Token_is_refused_without_showing_it()
    {
        var time = new FakeTimeProvider(Start);
        await using var vault = await StartAsync(time);
        using var client = new VaultClient(vault.TokenOptions("hvs.revoked-long-ago"), time);

        var e = Assert.ThrowsAsync<VaultException>(() => client.LoginAsync(CancellationToken.None))!;

        Assert.That(e.Failure, Is.EqualTo(VaultFailure.PermissionDenied));
        Assert.That(e.Message, Is.EqualTo($"Vault at {vault.Address} refused looking up Vault__Token (auth/token/lookup-self) (403: permission denied): " +
            "the token is unknown, expired or revoked: get a new one (vault login) and set Vault__Token"));
        Assert.That(vault.Requests.Single().Token, Is.EqualTo("hvs.revoked-long-ago"), "sent in X-Vault-Token");
    }

    [Test]
    public void Settings_are_checked_naming_each_variable()
    {
        var options = new VaultOptions { Address = "vault:8200", AuthMethod = "kubernetes", KvMount = "", Secrets = "common,../x", Timeout = TimeSpan.Zero };

        Assert.That(options.Validate("ingest-worker"), Is.EqualTo(new[]
        {
            "Vault__Address 'vault:8200' is not an http(s) URL such as https://vault.vault.svc:8200",
            "Vault__Role is not set: Kubernetes auth logs in as a role (or set Vault__AuthMethod=token and Vault__Token for local use)",
            "Vault__KvMount '' is not a mount path such as secret",
            "Vault__Secrets: '../x' is not a secret name under billing/ (letters, digits, '.', '_' and '-')",
            "Vault__Timeout must be more than 0, not 00:00:00",
            "Vault__RetryDelay must be at least 0 and less than Vault__Timeout, not 00:00:00.2500000",
        }));
        Assert.That(new VaultOptions { Address = "https://vault:8200", Token = "t" }.EffectiveAuthMethod, Is.EqualTo(VaultAuthMethod.Token),
            "a token and no method: token auth");
        Assert.That(new VaultOptions { Address = "https://vault:8200", AuthMethod = "ldap" }.Validate("billing-api"),
            Is.EqualTo(new[] { "Vault__AuthMethod must be kubernetes or token, not 'ldap'" }));
        Assert.That(new VaultOptions().SecretNames("billing-api"), Is.EqualTo(new[] { "common", "billing-api" }));
    }

    /// <summary>Completes when the secrets next change.</summary>
    private static Task NextChange(VaultSecrets secrets)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        secrets.GetChangeToken().RegisterChangeCallback(_ => changed.TrySetResult(), null);
        return changed.Task;
    }

    private static void AssertNoCredential(VaultException e, VaultStandIn vault)
    {
        Assert.That(e.ToString(), Does.Not.Contain(vault.Jwt).And.Not.Contain("hvs."));
    }
}
