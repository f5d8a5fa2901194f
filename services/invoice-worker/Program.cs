using Billing.Core.Hosting;
using Billing.InvoiceWorker;

var request = InvoiceExtensions.ParseArguments(args, TimeProvider.System, Console.Error);
if (request is null)
{
    return 2;
}

var builder = WebApplication.CreateBuilder(args);
builder.UseWorkerHttpPort();
builder.AddBillingDefaults();
builder.AddInvoicing(request);

var app = builder.Build();
app.MapBillingDefaultEndpoints();
await app.RunAsync();
return Environment.ExitCode;
