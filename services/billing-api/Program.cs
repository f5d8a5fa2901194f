using Billing.Api;
using Billing.Core.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddBillingDefaults();
builder.AddBillingApi();

var app = builder.Build();
app.UseBillingApi();
app.MapBillingDefaultEndpoints();
app.MapBillingApi();
await app.RunAsync();
