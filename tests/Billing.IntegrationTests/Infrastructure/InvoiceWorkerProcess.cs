using System.Diagnostics;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>Runs <c>invoice-worker</c> as the CronJob does, a process of its own, against a fixture's servers.</summary>
public static class InvoiceWorkerProcess
{
    public static async Task<OpsResult> RunAsync(TestDatabase database, TestNats nats, TestS3 s3, params string[] args)
    {
        var s3Server = await TestServers.S3Async();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "invoice-worker.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ConnectionStrings__Billing"] = database.ConnectionString;
        foreach (var (key, value) in nats.Configuration().Concat(s3.Configuration()))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        start.Environment["AWS_ACCESS_KEY_ID"] = s3Server.AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = s3Server.SecretKey;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new OpsResult(process.ExitCode, await output, await error);
    }
}
