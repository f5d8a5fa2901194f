using Billing.Core.Secrets;
using Billing.Migrations;
using Microsoft.Extensions.Configuration;

using var configuration = new ConfigurationManager();
configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true).AddEnvironmentVariables();
VaultSecrets? vault;
try
{
    vault = configuration.AddBillingSecrets(OpsCli.Deployable);
}
catch (VaultException e) when (args is ["preflight", ..])
{
    // Vault is one of preflight's items: report it there, and check the others with what the environment gives.
    Console.Error.WriteLine($"billing-ops: Vault secrets not loaded, preflight goes on without them: {e.Message}");
    vault = null;
}
catch (VaultException e)
{
    Console.Error.WriteLine($"billing-ops: {e.Message}");
    return e.Failure == VaultFailure.Configuration ? OpsCli.BadUsage : OpsCli.Failed;
}

using (vault)
using (var cancellation = new CancellationTokenSource())
{
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancellation.Cancel();
    };
    return await new OpsCli(configuration, Console.Out, Console.Error, TimeProvider.System).RunAsync(args, cancellation.Token);
}
