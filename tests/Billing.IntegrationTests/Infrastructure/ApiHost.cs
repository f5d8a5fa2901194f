using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Billing.Api.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace Billing.IntegrationTests.Infrastructure;

/// <summary>
/// The billing API in-process (its real Program, configuration, middleware and routes) over a fixture's database,
/// connected as a login role that is a member of <c>billing_reader</c>, and when given, the fixture's bucket. API
/// clients live in a configuration source the test can change and reload, as the Vault provider would.
/// </summary>
public sealed class ApiHost : WebApplicationFactory<ApiClientKeys>
{
    private readonly string _readOnlyConnectionString;
    private readonly TestS3? _s3;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly TimeProvider? _time;
    private readonly ReloadableSource _clients = new();

    private ApiHost(string readOnlyConnectionString, TestS3? s3, IReadOnlyDictionary<string, string?> settings, TimeProvider? time)
    {
        _readOnlyConnectionString = readOnlyConnectionString;
        _s3 = s3;
        _settings = settings;
        _time = time;
    }

    /// <summary>Log events the API wrote (every level its configuration lets through).</summary>
    public CapturedLog Log { get; } = new();

    /// <summary>The connection string the API was configured with (<c>ConnectionStrings__BillingReadOnly</c>).</summary>
    public string ReadOnlyConnectionString => _readOnlyConnectionString;

    /// <summary>Starts the API over <paramref name="database"/>, creating the read-only login role it connects as.</summary>
    public static async Task<ApiHost> StartAsync(
        TestDatabase database, TestS3? s3 = null, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var host = new ApiHost(await database.CreateReadOnlyLoginAsync(), s3, settings ?? new Dictionary<string, string?>(), time);
        _ = host.Server;
        return host;
    }

    /// <summary>Configures (or replaces) a client with this key, as its hash, and reloads the configuration.</summary>
    public void SetClient(string name, string key) => _clients.Set($"Api:Clients:{name}:KeySha256", Sha256Hex(key));

    /// <summary>Removes a client from the configuration and reloads it.</summary>
    public void RemoveClient(string name) => _clients.Remove($"Api:Clients:{name}:KeySha256");

    /// <summary>A client that sends <c>Authorization: Bearer <paramref name="key"/></c> (none when null) and follows no redirect.</summary>
    public HttpClient Client(string? key)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:BillingReadOnly", _readOnlyConnectionString);
        // Presigning needs no server; a fixture without a bucket still configures a well-formed one.
        var s3 = _s3?.Configuration() ??
        [
            new("S3:ServiceUrl", "http://127.0.0.1:9"), new("S3:Bucket", "no-bucket"), new("S3:KmsKeyId", "no-key"),
            new("S3:ForcePathStyle", "true"),
        ];
        foreach (var (key, value) in s3)
        {
            builder.UseSetting(key, value);
        }
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureAppConfiguration((_, configuration) => configuration.Add(_clients));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILogEventSink>(Log);
            if (_s3 is not null)
            {
                // The fixture's keys, which production finds through the AWS SDK's default chain.
                services.AddSingleton<IAmazonS3>(_s3.Client);
            }
            if (_time is not null)
            {
                services.AddSingleton(_time);
            }
        });
    }

    /// <summary>An in-memory configuration source whose changes reload the configuration (as a Vault refresh does).</summary>
    private sealed class ReloadableSource : ConfigurationProvider, IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

        public new void Set(string key, string? value)
        {
            Data[key] = value;
            OnReload();
        }

        public void Remove(string key)
        {
            Data.Remove(key);
            OnReload();
        }
    }
}

/// <summary>Log events captured from a host's Serilog pipeline.</summary>
public sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();
    private readonly SemaphoreSlim _emitted = new(0);

    public IReadOnlyList<LogEvent> Events => [.. _events];

    public void Emit(LogEvent logEvent)
    {
        _events.Enqueue(logEvent);
        _emitted.Release();
    }

    /// <summary>
    /// The first event that matches, waiting for it up to <paramref name="timeout"/>: the request log is written after the
    /// response has gone, so a client can see the response before the line exists. Null when none came.
    /// </summary>
    public async Task<LogEvent?> WaitForAsync(Func<LogEvent, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_events.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _emitted.WaitAsync(left))
            {
                return _events.FirstOrDefault(match);
            }
        }
    }

    /// <summary>Every event as the console would carry it: message, and every property.</summary>
    public static string Render(LogEvent logEvent)
    {
        using var text = new StringWriter();
        logEvent.RenderMessage(text);
        foreach (var (name, value) in logEvent.Properties)
        {
            text.Write($" {name}={value}");
        }
        text.Write(logEvent.Exception?.ToString());
        return text.ToString();
    }
}
