using System.Globalization;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Amazon.S3;
using Billing.Api.Authentication;
using Billing.Api.Contracts;
using Billing.Api.Endpoints;
using Billing.Core.Hosting;
using Billing.Core.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;
using Prometheus;
using Serilog;
using Serilog.Context;

namespace Billing.Api;

/// <summary>The API's wiring: services, the middleware pipeline and the <c>/v1</c> routes.</summary>
public static class ApiExtensions
{
    /// <summary>The rate-limiting policy of every <c>/v1</c> route: a token bucket per authenticated client.</summary>
    public const string RateLimitPolicy = "per-client";

    /// <summary>Log property (and request-log field) naming the authenticated client; never the key.</summary>
    public const string ClientLogProperty = "client";

    /// <summary>
    /// Most database connections one API process opens (<c>Api__DatabaseConnections</c>); a lower <c>Maximum Pool Size</c> in
    /// the connection string wins.
    /// </summary>
    public const string DatabaseConnectionsSetting = "Api:DatabaseConnections";

    public const int DefaultDatabaseConnections = 8;

    public static IHostApplicationBuilder AddBillingApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        // Reads only, through a login role that is a member of billing_reader; commands are prepared once per connection.
        // The pool is small on purpose: beyond a few connections per core PostgreSQL only switches between backends, so
        // more requests wait (in order) for a connection instead, and each query costs less and finishes sooner.
        var connections = builder.Configuration.GetValue(DatabaseConnectionsSetting, DefaultDatabaseConnections);
        if (connections < 1)
        {
            throw new InvalidOperationException($"Api__DatabaseConnections must be at least 1, not {connections}.");
        }
        builder.AddBillingDatabase("BillingReadOnly", dataSource =>
        {
            var settings = dataSource.ConnectionStringBuilder;
            settings.MaxAutoPrepare = Math.Max(settings.MaxAutoPrepare, 20);
            settings.MaxPoolSize = Math.Min(settings.MaxPoolSize, connections);
            settings.MinPoolSize = Math.Min(settings.MinPoolSize, settings.MaxPoolSize);
        });

        services.AddOptions<S3Options>().BindConfiguration(S3Options.Section)
            .PostConfigure<IConfiguration>((s3, configuration) =>
            {
                if (string.IsNullOrWhiteSpace(s3.Region))
                {
                    s3.Region = configuration["AWS_REGION"]?.Trim() ?? "";
                }
            })
            .ValidateOnStart();
        // The same settings as the invoice worker's (InvoiceObjectStore refuses incomplete ones): checked at start.
        services.AddSingleton<IValidateOptions<S3Options>>(new SettingsValidator<S3Options>(s3 => s3.Validate()));
        // S3 keys from configuration (Vault, files) where given; otherwise the SDK's default chain (IRSA).
        services.AddSingleton<IAmazonS3>(sp => S3ClientFactory.Create(
            sp.GetRequiredService<IOptions<S3Options>>().Value, sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<InvoicePdfLinks>();

        services.AddOptions<ApiClientsOptions>().BindConfiguration(ApiClientsOptions.Section);
        services.AddSingleton<ApiClientKeys>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(ApiKeyAuthenticationHandler.PolicyName, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser());

        services.AddOptions<ApiRateLimitOptions>().BindConfiguration(ApiRateLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiRateLimitOptions>>(new SettingsValidator<ApiRateLimitOptions>(o => o.Validate()));
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(RateLimitPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<ApiRateLimitOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(context.User.Identity?.Name ?? "", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.TokenLimit,
                    TokensPerPeriod = settings.TokensPerPeriod,
                    ReplenishmentPeriod = settings.ReplenishmentPeriod,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = WriteTooManyRequestsAsync;
        });

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path);
        services.ConfigureHttpJsonOptions(ConfigureJson);
        services.AddOpenApi("v1", ApiOpenApi.Configure);
        return builder;
    }

    /// <summary>
    /// The API's JSON: the source-generated <see cref="ApiJsonContext"/> first, with the context's own settings (web
    /// defaults, numbers strictly numbers, the default encoder).
    /// </summary>
    public static void ConfigureJson(Microsoft.AspNetCore.Http.Json.JsonOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        // Numbers are numbers: the web defaults' leniency (numbers read from strings) would make every integer
        // "integer or string" in the OpenAPI document. Amounts are strings anyway.
        json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        // The default encoder (non-ASCII and HTML-sensitive characters as \uXXXX escapes), as ApiJsonContext's own
        // options have it, not ASP.NET Core's relaxed one: so a route that writes through the context's fast path
        // (JsonBody) writes exactly what TypedResults.Ok writes. Clients read the same strings either way.
        json.SerializerOptions.Encoder = null;
    }

    public static WebApplication UseBillingApi(this WebApplication app)
    {
        // Fails start-up on a malformed client hash, naming the variable.
        _ = app.Services.GetRequiredService<ApiClientKeys>();

        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusCodeOf });
        app.UseStatusCodePages();
        app.UseSerilogRequestLogging(logging =>
        {
            // This host's logger (ServiceDefaults leaves the static Log.Logger alone).
            logging.Logger = app.Services.GetService<Serilog.ILogger>();
            logging.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                if (http.User.Identity?.IsAuthenticated == true)
                {
                    diagnostics.Set(ClientLogProperty, http.User.Identity.Name);
                }
            };
        });
        app.UseHttpMetrics();
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (context.User.Identity is { IsAuthenticated: true, Name: { } client })
            {
                using (LogContext.PushProperty(ClientLogProperty, client))
                {
                    await next(context);
                }
                return;
            }
            await next(context);
        });
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    public static WebApplication MapBillingApi(this WebApplication app)
    {
        app.MapOpenApi();
        var v1 = app.MapGroup("/v1")
            .RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName)
            .RequireRateLimiting(RateLimitPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapUsageApi();
        v1.MapInvoicesApi();
        v1.MapPricingApi();
        v1.MapOperationsApi();
        return app;
    }

    /// <summary>
    /// A request the server could not read (bad framing, a binding failure) is the client's 400; a database that does not
    /// answer is 503 (try again), never mistaken for the client's fault; anything else is a 500 and a bug.
    /// </summary>
    private static int StatusCodeOf(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        NpgsqlException { IsTransient: true } or TimeoutException => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static async ValueTask WriteTooManyRequestsAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        var detail = "Too many requests from this client.";
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
            detail += $" Retry after {seconds} s.";
        }
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too Many Requests", Detail = detail },
        });
    }
}

/// <summary>Start-up fails with every problem of a settings class, each naming its environment variable.</summary>
internal sealed class SettingsValidator<T>(Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options) =>
        problems(options).ToList() is { Count: > 0 } found ? ValidateOptionsResult.Fail(found) : ValidateOptionsResult.Success;
}
