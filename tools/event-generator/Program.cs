using Billing.EventGenerator;
using Microsoft.Extensions.Configuration;

var configuration = new ConfigurationBuilder()
    .AddEnvironmentVariables()
    .Build();

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await new GeneratorCli(configuration, Console.Out, Console.Error, TimeProvider.System).RunAsync(args, cancellation.Token);
