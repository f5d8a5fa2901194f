using Billing.Core.Hosting;
using Billing.IngestWorker;

var builder = WebApplication.CreateBuilder(args);
builder.UseWorkerHttpPort();
builder.AddBillingDefaults();
builder.AddIngest();
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(25));

var app = builder.Build();
app.MapBillingDefaultEndpoints();
await app.RunAsync();
