using System.CommandLine;
using Billing.Core.Hosting;
using Billing.Core.Messaging;
using Billing.Core.Storage;
using Billing.InvoiceWorker.Invoicing;
using Billing.InvoiceWorker.Pdf;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Billing.InvoiceWorker;

public static class InvoiceExtensions
{
    /// <summary>
    /// Parses <c>invoice-worker [--period YYYY-MM] [--account ID] [--dry-run]</c>; unknown arguments are left to the host
    /// (configuration switches such as <c>--urls</c>). Null with a message on <paramref name="error"/> for bad usage.
    /// </summary>
    public static InvoiceRunRequest? ParseArguments(string[] args, TimeProvider time, TextWriter error)
    {
        var period = new Option<string?>("--period") { Description = "The month to invoice, YYYY-MM (default: the previous month, UTC)." };
        var account = new Option<string?>("--account") { Description = "Invoice only this account." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be invoiced; write nothing." };
        var root = new RootCommand("invoice-worker: the monthly invoice run (exit 0 = every invoice issued, stored and announced).")
        {
            period, account, dryRun,
        };
        root.TreatUnmatchedTokensAsErrors = false;
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var parseError in result.Errors)
            {
                error.WriteLine($"invoice-worker: {parseError.Message}");
            }
            return null;
        }
        InvoicePeriod chosen;
        if (result.GetValue(period) is { } text)
        {
            if (!InvoicePeriod.TryParse(text, out chosen))
            {
                error.WriteLine($"invoice-worker: --period must be YYYY-MM, not '{text}'");
                return null;
            }
        }
        else
        {
            chosen = InvoicePeriod.PreviousMonth(time);
        }
        return new InvoiceRunRequest(chosen, result.GetValue(account), result.GetValue(dryRun));
    }

    public static IHostApplicationBuilder AddInvoicing(this IHostApplicationBuilder builder, InvoiceRunRequest request)
    {
        builder.Services.AddSingleton(request);
        builder.Services.AddOptions<InvoiceOptions>().BindConfiguration(InvoiceOptions.Section)
            .Validate(o => o.Parallelism >= 1 && o.IssueBatchSize >= 1 && o.PaymentTermsDays >= 0 && o.AdjustmentLookbackMonths >= 1,
                "Invoicing settings must be positive")
            .ValidateOnStart();
        builder.Services.AddOptions<NatsOptions>().BindConfiguration(NatsOptions.Section);
        builder.Services.AddOptions<S3Options>().BindConfiguration(S3Options.Section);
        builder.AddBillingDatabase();
        builder.Services.AddSingleton(services =>
        {
            var nats = services.GetRequiredService<IOptions<NatsOptions>>().Value;
            return new NatsConnection(nats.ClientOptions("invoice-worker"));
        });
        builder.Services.AddSingleton(services =>
        {
            var s3 = services.GetRequiredService<IOptions<S3Options>>().Value;
            var client = S3ClientFactory.Create(s3, services.GetRequiredService<IConfiguration>());
            return new InvoiceObjectStore(client, s3, services.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddSingleton<InvoicePdfRenderer>();
        builder.Services.AddSingleton<InvoicePlanner>();
        builder.Services.AddSingleton<InvoiceIssuer>();
        builder.Services.AddSingleton<InvoiceStorer>();
        builder.Services.AddSingleton<OutboxPublisher>();
        builder.Services.AddSingleton<InvoiceRunner>();
        builder.Services.AddHostedService<InvoiceJob>();
        return builder;
    }
}
