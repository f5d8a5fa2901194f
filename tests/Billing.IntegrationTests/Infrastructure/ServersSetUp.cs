using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests;

/// <summary>
/// Once per test run: starts PostgreSQL (every fixture needs it) and migrates the template database fixtures copy.
/// NATS and S3 start on the first fixture that asks for them, also once per run.
/// </summary>
[SetUpFixture]
public sealed class ServersSetUp
{
    [OneTimeSetUp]
    public async Task StartServers()
    {
        await TestServers.PostgresAsync();
        await TestDatabase.MigratedTemplateAsync();
    }

    [OneTimeTearDown]
    public Task StopContainers() => TestServers.StopAsync();
}
